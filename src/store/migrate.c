/*
 * migrate.c - brings a database up to the schema in <sql_dir>/migrations and (re)applies the
 * idempotent seeds in <sql_dir>/seed.
 *
 * Several processes or hosts may start at once (deploy/up, a rolling restart), so everything runs
 * under the named lock 'khedma_migrate'; the second one waits, then finds nothing left to apply.
 * A named lock belongs to its connection, so the session is held for the whole run: if the
 * connection drops, the run fails rather than carry on unlocked on a new connection.
 *
 * Migration files are NNNN_name.sql, applied in name order and recorded in schema_migrations
 * under their name without ".sql". MariaDB commits DDL implicitly, so a file cannot be applied
 * atomically; files are written to be re-runnable (CREATE TABLE IF NOT EXISTS ...) so that one
 * interrupted half-way can simply be applied again.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/db.h"
#include "khedma/log.h"
#include "khedma/migrate.h"

#define LOCK_NAME "khedma_migrate"
/* GET_LOCK waits in slices shorter than the connection's read timeout (10 s) so a long wait is
 * not mistaken for a dead server; the slices add up to a minute. */
#define LOCK_SLICE_S 5
#define LOCK_SLICES 12
#define VERSION_MAX 64
#define SQL_FILE_MAX (16 * 1024 * 1024)

struct names {
    char **v;
    size_t n;
};

static void names_free(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with_sql(const char *name)
{
    size_t len = strlen(name);
    return len > 4 && strcmp(name + len - 4, ".sql") == 0;
}

/* NNNN_*.sql: four digits, an underscore, a name. */
static bool is_migration_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)name[i]))
            return false;
    return name[4] == '_' && ends_with_sql(name);
}

/* The .sql files of dir accepted by want(), sorted by name. A missing directory is an empty list
 * when missing_ok, else an error. */
static int list_files(const char *dir, bool (*want)(const char *), bool missing_ok,
                      struct names *out)
{
    out->v = NULL;
    out->n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (missing_ok && errno == ENOENT)
            return 0;
        log_error("migrate: cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !want(de->d_name))
            continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 16;
            char **v = realloc(out->v, cap * sizeof(char *));
            if (!v) {
                rc = -1;
                break;
            }
            out->v = v;
        }
        if (!(out->v[out->n] = strdup(de->d_name)))
            rc = -1;
        else
            out->n++;
    }
    closedir(d);
    if (rc != 0) {
        log_error("migrate: out of memory listing %s", dir);
        names_free(out);
        return -1;
    }
    qsort(out->v, out->n, sizeof(char *), cmp_names);
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        log_error("migrate: cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = cap <= SQL_FILE_MAX ? realloc(buf, cap) : NULL;
            if (!nb) {
                log_error("migrate: %s is too large or memory ran out", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        log_error("migrate: cannot read %s", path);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static int run_file(struct db *db, const char *dir, const char *name)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
        log_error("migrate: path too long: %s/%s", dir, name);
        return -1;
    }
    char *sql = read_file(path);
    if (!sql)
        return -1;
    int rc = db_exec_script(db, sql);
    free(sql);
    if (rc != DB_OK) {
        log_error("migrate: %s failed: %s", name, db_last_error(db));
        return -1;
    }
    return 0;
}

static int take_lock(struct db *db)
{
    for (int slice = 0; slice < LOCK_SLICES; slice++) {
        struct db_result *r = NULL;
        int rc = db_exec(db, "SELECT GET_LOCK(?, ?)",
                         DB_PARAMS(DBP_S(LOCK_NAME), DBP_I(LOCK_SLICE_S)), &r, NULL);
        long long got = rc == DB_OK ? db_result_int(r, 0, 0, -1) : -1;
        db_result_free(r);
        if (got == 1)
            return 0;
        if (got != 0) {
            log_error("migrate: GET_LOCK failed: %s", db_last_error(db));
            return -1;
        }
        log_info("migrate: waiting for another process to finish migrating");
    }
    log_error("migrate: gave up waiting for lock %s", LOCK_NAME);
    return -1;
}

static void release_lock(struct db *db)
{
    db_exec(db, "SELECT RELEASE_LOCK(?)", DB_PARAMS(DBP_S(LOCK_NAME)), NULL, NULL);
}

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
    "    version VARCHAR(64) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,\n"
    "    applied_at DATETIME(3) NOT NULL\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;\n";

static bool recorded(const struct db_result *done, const char *version)
{
    for (size_t i = 0; i < done->rows; i++)
        if (strcmp(db_result_get(done, i, 0), version) == 0)
            return true;
    return false;
}

static void warn_unknown_versions(const struct db_result *done, const struct names *files)
{
    for (size_t i = 0; i < done->rows; i++) {
        const char *v = db_result_get(done, i, 0);
        bool found = false;
        for (size_t j = 0; j < files->n && !found; j++) {
            size_t len = strlen(files->v[j]) - 4;
            found = strlen(v) == len && strncmp(files->v[j], v, len) == 0;
        }
        if (!found)
            log_warn("migrate: database has migration %s, which this build does not know", v);
    }
}

/* Applies one file and records it; the caller holds the lock. */
static int apply_one(struct db *db, const char *dir, const char *file, const char *version)
{
    if (run_file(db, dir, file) != 0)
        return -1;
    int rc = db_exec(db,
                     "INSERT INTO schema_migrations (version, applied_at) "
                     "VALUES (?, UTC_TIMESTAMP(3))",
                     DB_PARAMS(DBP_S(version)), NULL, NULL);
    if (rc != DB_OK) {
        log_error("migrate: recording %s failed: %s", version, db_last_error(db));
        return -1;
    }
    log_info("migrate: applied %s", file);
    return 0;
}

static int apply_migrations(struct db *db, const char *sql_dir, int *applied)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/migrations", sql_dir);
    struct names files;
    if (list_files(dir, is_migration_name, false, &files) != 0)
        return -1;
    struct db_result *done = NULL;
    int rc = db_exec_script(db, create_table_sql) == DB_OK ? 0 : -1;
    if (rc == 0 && db_exec(db, "SELECT version FROM schema_migrations ORDER BY version", NULL, 0,
                           &done, NULL) != DB_OK)
        rc = -1;
    if (rc != 0)
        log_error("migrate: reading schema_migrations failed: %s", db_last_error(db));
    for (size_t i = 0; rc == 0 && i < files.n; i++) {
        char version[VERSION_MAX + 1];
        size_t len = strlen(files.v[i]) - 4;
        if (len > VERSION_MAX) {
            log_error("migrate: file name too long: %s", files.v[i]);
            rc = -1;
            break;
        }
        memcpy(version, files.v[i], len);
        version[len] = '\0';
        if (recorded(done, version))
            continue;
        rc = apply_one(db, dir, files.v[i], version);
        if (rc == 0 && applied)
            (*applied)++;
    }
    if (rc == 0)
        warn_unknown_versions(done, &files);
    db_result_free(done);
    names_free(&files);
    return rc;
}

static int apply_seeds(struct db *db, const char *sql_dir)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/seed", sql_dir);
    struct names files;
    if (list_files(dir, ends_with_sql, true, &files) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < files.n; i++) {
        rc = run_file(db, dir, files.v[i]);
        if (rc == 0)
            log_info("migrate: seeded %s", files.v[i]);
    }
    names_free(&files);
    return rc;
}

int migrate_run(struct db *db, const char *sql_dir, int *applied)
{
    if (applied)
        *applied = 0;
    if (!sql_dir || !*sql_dir) {
        log_error("migrate: no SQL directory configured");
        return -1;
    }
    if (db_ping(db) != DB_OK) {
        log_error("migrate: database unreachable: %s", db_last_error(db));
        return -1;
    }
    db_hold_session(db, true);
    int rc = take_lock(db);
    if (rc == 0) {
        rc = apply_migrations(db, sql_dir, applied);
        if (rc == 0)
            rc = apply_seeds(db, sql_dir);
        release_lock(db);
    }
    db_hold_session(db, false);
    return rc;
}
