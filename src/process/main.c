/*
 * main.c - the khedmad command line. Only wires things together:
 *   khedmad serve              run the master (workers + jobs), the default
 *   khedmad migrate            apply sql/migrations and sql/seed (KHEDMA_SQL_DIR)
 *   khedmad make-admin EMAIL   give an existing user the admin role
 *   khedmad jobs-once          run one tick of every background job, then exit (tests)
 *   khedmad check-read-model   compare the read models with the base tables; exit 1 on a difference
 *   khedmad rebuild-read-model rebuild the gig read model from the base tables
 *   khedmad check-order-counts compare the per-party order counters with COUNT(*); exit 1 on a
 *                              difference (each printed)
 *   khedmad vip-sync USER-ID   recompute a user's VIP badge from the subscriptions (repair)
 *   khedmad version
 *   khedmad fcgi               one FastCGI worker on the socket on standard input (no master);
 *                              also chosen when started with no command on such a socket
 * Started by a web server as a CGI program (GATEWAY_INTERFACE set, no FastCGI socket) it answers
 * the one request and exits, whatever its arguments (a CGI query can become argv).
 * Configuration comes from KHEDMA_* environment variables, then from the configuration file
 * (KHEDMA_CONFIG, or khedma.conf next to the binary; see docs/api.md).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <mysql.h>

#include "khedma/accounts.h"
#include "khedma/config.h"
#include "khedma/config_file.h"
#include "khedma/crypto.h"
#include "khedma/db.h"
#include "khedma/errors.h"
#include "khedma/jobs.h"
#include "khedma/log.h"
#include "khedma/master.h"
#include "khedma/migrate.h"
#include "khedma/read_model.h"
#include "khedma/standalone.h"
#include "khedma/order_counts.h"
#include "khedma/vip_badge.h"

static struct config cfg;

/* Which way this process runs: started by a web server (FastCGI socket on standard input, or
 * CGI) or as a command. The CGI test comes last: a FastCGI process manager may pass the CGI
 * variables too. */
enum mode { MODE_COMMAND, MODE_FCGI, MODE_CGI };

static enum mode detect_mode(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fcgi") == 0)
        return MODE_FCGI;
    bool cgi = standalone_is_cgi();
    if ((argc == 1 || cgi) && standalone_stdin_is_fcgi())
        return MODE_FCGI;
    return cgi ? MODE_CGI : MODE_COMMAND;
}

/* The configuration file, when there is one; its settings the environment lacks are exported so
 * the few settings read with getenv() see them too. */
static int load_config_file(void)
{
    char path[PATH_MAX];
    bool required = false;
    if (!config_file_path(path, sizeof path, &required))
        return 0;
    char errbuf[PATH_MAX + 160];
    if (config_file_load(path, required, errbuf, sizeof errbuf) != 0) {
        log_error("configuration file %s", errbuf);
        return -1;
    }
    config_file_export();
    return 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: khedmad [serve | migrate | make-admin EMAIL | jobs-once | check-read-model | "
            "rebuild-read-model | check-order-counts | vip-sync USER-ID | fcgi | version]\n");
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
    if (rc == 0) {
        log_info("migrations: %d applied", applied);
        /* The gig pages are JSON text only the server writes: build those that are missing. */
        rc = read_model_build(db, true);
    }
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

/* The differences one check found (none when it could not run, which sets *failed). */
static long check_result(long long n, bool *failed)
{
    if (n < 0)
        *failed = true;
    return n > 0 ? (long)n : 0;
}

/* Each check recomputes a read model from the base tables, prints every difference and returns
 * how many it found (-1: it could not run): one line per check. */
static int cmd_check_read_model(void)
{
    struct db *db = open_db_or_die();
    if (!db)
        return 1;
    bool failed = false;
    long diffs = check_result(read_model_check(db, stdout), &failed);
    diffs += check_result(order_counts_check(db, stdout), &failed);
    db_close(db);
    if (failed)
        return 1;
    printf("check-read-model: %ld difference%s\n", diffs, diffs == 1 ? "" : "s");
    return diffs == 0 ? 0 : 1;
}

/* The order counters alone (check-read-model runs them too). */
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

static int cmd_rebuild_read_model(void)
{
    struct db *db = open_db_or_die();
    if (!db)
        return 1;
    int rc = read_model_build(db, false);
    db_close(db);
    return rc == 0 ? 0 : 1;
}

static int cmd_vip_sync(const char *user_id)
{
    struct db *db = open_db_or_die();
    if (!db)
        return 1;
    struct err e = {0};
    bool vip = false;
    enum errkind k = vip_badge_sync(db, user_id, &vip, &e);
    if (k != E_OK)
        fprintf(stderr, "vip-sync: %s\n", e.message);
    else
        printf("%s: vip %s\n", user_id, vip ? "true" : "false");
    err_clear(&e);
    db_close(db);
    return k == E_OK ? 0 : 1;
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
    if (strcmp(cmd, "check-read-model") == 0)
        return cmd_check_read_model();
    if (strcmp(cmd, "rebuild-read-model") == 0)
        return cmd_rebuild_read_model();
    if (strcmp(cmd, "check-order-counts") == 0)
        return cmd_check_order_counts();
    if (strcmp(cmd, "vip-sync") == 0 && argc == 3)
        return cmd_vip_sync(argv[2]);
    if (strcmp(cmd, "version") == 0) {
        printf("khedmad %s\n", KHEDMA_VERSION);
        return 0;
    }
    return usage();
}

static int run(enum mode mode, int argc, char **argv)
{
    if (mode == MODE_FCGI)
        return standalone_fcgi();
    if (mode == MODE_CGI)
        return standalone_cgi();
    return dispatch(argc, argv);
}

int main(int argc, char **argv)
{
    enum mode mode = detect_mode(argc, argv);
    log_init(mode == MODE_FCGI                           ? "fcgi"
             : mode == MODE_CGI                          ? "cgi"
             : argc > 1 && strcmp(argv[1], "serve") != 0 ? "cli"
                                                         : "master");
    if (crypto_init() != 0) {
        log_error("libsodium failed to initialise");
        return 1;
    }
    if (load_config_file() != 0)
        return 1;
    char errbuf[256];
    if (config_load(&cfg, config_file_lookup, errbuf, sizeof(errbuf)) != 0) {
        log_error("configuration: %s", errbuf);
        return 1;
    }
    enum log_level level;
    if (log_level_from_name(cfg.log_level, &level))
        log_set_level(level);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = run(mode, argc, argv);
    curl_global_cleanup();
    mysql_library_end();
    config_free(&cfg);
    config_file_clear();
    return rc;
}
