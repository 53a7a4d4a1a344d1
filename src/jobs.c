/*
 * jobs.c - the background jobs process: work that no client request waits for. Each job is a
 * short, bounded statement or transaction run every tick; rows are claimed in the database, so
 * the same jobs process may run on several hosts at once without doing the same work twice.
 *
 * Jobs today: purge expired sessions, purge idempotency keys older than 24 hours.
 */
#include <poll.h>
#include <signal.h>
#include <string.h>

#include <mysql.h>

#include "khedma/config.h"
#include "khedma/db.h"
#include "khedma/log.h"
#include "khedma/procs.h"

#define TICK_MS 5000
#define PURGE_BATCH 1000

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Deletes in batches so a large backlog never holds long locks; stops at the first error. */
static void purge(struct db *db, const char *what, const char *sql)
{
    unsigned long long total = 0, affected = 0;
    do {
        affected = 0;
        if (db_exec(db, sql, NULL, 0, NULL, &affected) != DB_OK)
            return;
        total += affected;
    } while (affected == PURGE_BATCH && !stop_requested);
    if (total > 0)
        log_info("purged %llu %s", total, what);
}

static void run_tick(struct db *db)
{
    purge(db, "expired sessions",
          "DELETE FROM sessions WHERE expires_at < UTC_TIMESTAMP(3) LIMIT 1000");
    purge(db, "idempotency keys",
          "DELETE FROM idempotency_keys WHERE created_at < UTC_TIMESTAMP(3) - INTERVAL 24 HOUR "
          "LIMIT 1000");
}

int jobs_run(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    struct db *db = db_open(&g_config->db);
    if (!db)
        return 1;
    log_info("jobs ready");
    while (!stop_requested) {
        run_tick(db);
        /* poll() as an interruptible sleep: SIGTERM ends it at once. */
        poll(NULL, 0, TICK_MS);
    }
    db_close(db);
    mysql_library_end();
    log_info("jobs stopped");
    return 0;
}
