/*
 * main.c - the khedmad command line. Only wires things together:
 *   khedmad serve              run the master (workers + jobs), the default
 *   khedmad migrate            apply sql/migrations and sql/seed (KHEDMA_SQL_DIR)
 *   khedmad make-admin EMAIL   give an existing user the admin role
 *   khedmad jobs-once          run one tick of every background job, then exit (tests)
 *   khedmad check-order-counts compare the per-party order counters with COUNT(*); exit 1 on a
 *                              difference (each printed)
 *   khedmad version
 * All configuration comes from KHEDMA_* environment variables (see README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <mysql.h>

#include "khedma/accounts.h"
#include "khedma/config.h"
#include "khedma/crypto.h"
#include "khedma/db.h"
#include "khedma/errors.h"
#include "khedma/jobs.h"
#include "khedma/log.h"
#include "khedma/master.h"
#include "khedma/migrate.h"
#include "khedma/order_counts.h"

static struct config cfg;

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

static int usage(void)
{
    fprintf(stderr, "usage: khedmad [serve | migrate | make-admin EMAIL | jobs-once | "
                    "check-order-counts | version]\n");
    return 2;
}

static struct db *open_db_or_die(void)
{
    if (!cfg.database_url) {
        log_error("KHEDMA_DATABASE_URL is not set");
        return NULL;
    }
    struct db *db = db_open(&cfg.db);
    if (db && db_ping(db) != DB_OK) {
        log_error("database unreachable");
        db_close(db);
        return NULL;
    }
    return db;
}

static int cmd_migrate(void)
{
    struct db *db = open_db_or_die();
    if (!db)
        return 1;
    int applied = 0;
    int rc = migrate_run(db, cfg.sql_dir, &applied);
    if (rc == 0)
        log_info("migrations: %d applied", applied);
    db_close(db);
    return rc == 0 ? 0 : 1;
}

static int cmd_make_admin(const char *email)
{
    struct db *db = open_db_or_die();
    if (!db)
        return 1;
    struct err e = {0};
    enum errkind k = accounts_make_admin(db, email, &e);
    if (k != E_OK)
        fprintf(stderr, "make-admin: %s\n", e.message);
    else
        printf("%s is now an admin\n", email);
    err_clear(&e);
    db_close(db);
    return k == E_OK ? 0 : 1;
}

static int cmd_check_order_counts(void)
{
    struct db *db = open_db_or_die();
    if (!db)
        return 1;
    long long diffs = order_counts_check(db, stdout);
    if (diffs == 0)
        printf("order counts: every counter matches COUNT(*)\n");
    db_close(db);
    return diffs == 0 ? 0 : 1;
}

static int cmd_serve(void)
{
    if (!cfg.database_url) {
        log_error("KHEDMA_DATABASE_URL is not set");
        return 1;
    }
    return master_run(&cfg);
}

static int dispatch(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "serve";
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve();
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate();
    if (strcmp(cmd, "make-admin") == 0 && argc == 3)
        return cmd_make_admin(argv[2]);
    if (strcmp(cmd, "jobs-once") == 0)
        return jobs_run_once();
    if (strcmp(cmd, "check-order-counts") == 0)
        return cmd_check_order_counts();
    if (strcmp(cmd, "version") == 0) {
        printf("khedmad %s\n", KHEDMA_VERSION);
        return 0;
    }
    return usage();
}

int main(int argc, char **argv)
{
    log_init(argc > 1 && strcmp(argv[1], "serve") != 0 ? "cli" : "master");
    if (crypto_init() != 0) {
        log_error("libsodium failed to initialise");
        return 1;
    }
    char errbuf[256];
    if (config_load(&cfg, env_lookup, errbuf, sizeof(errbuf)) != 0) {
        log_error("configuration: %s", errbuf);
        return 1;
    }
    enum log_level level;
    if (log_level_from_name(cfg.log_level, &level))
        log_set_level(level);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = dispatch(argc, argv);
    curl_global_cleanup();
    mysql_library_end();
    config_free(&cfg);
    return rc;
}
