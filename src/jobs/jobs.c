/*
 * jobs.c - the background jobs process (docs/api.md, "Order lifecycle"): a loop that runs one tick
 * of every job, then sleeps KHEDMA_JOBS_TICK_MS (default 5000), until SIGTERM. `khedmad jobs-once`
 * runs a single tick and exits, which is how tests drive the jobs deterministically.
 *
 * The jobs live in their own files (jobs_orders.c, jobs_payments.c, webhook_sender.c); this file
 * only orders them and owns the purges. Each job claims its rows in the database (FOR UPDATE SKIP
 * LOCKED), so any number of jobs processes, on one host or several, can run side by side, and a
 * failing job never stops the others: the next tick simply tries again.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "khedma/config.h"
#include "khedma/db.h"
#include "khedma/httpclient.h"
#include "khedma/jobs.h"
#include "khedma/jobs_clock.h"
#include "khedma/jobs_orders.h"
#include "khedma/jobs_payments.h"
#include "khedma/jobs_vip.h"
#include "khedma/log.h"
#include "khedma/metrics.h"
#include "khedma/process.h"
#include "khedma/supervise.h"
#include "khedma/timeutil.h"
#include "khedma/webhook_sender.h"

#define TICK_MS_DEFAULT 5000L
#define TICK_MS_MIN 10L
#define TICK_MS_MAX 600000L
#define PURGE_BATCH 1000
/* How long one tick may keep sending webhooks before the other jobs get their turn. */
#define WEBHOOK_BUDGET_MS 30000L

/* Deletes in batches so a large backlog never holds long locks; stops at the first error. */
static int purge(struct db *db, const struct jobs_clock *clock, const char *what, const char *sql)
{
    unsigned long long total = 0, affected = 0;
    do {
        affected = 0;
        if (db_exec(db, sql, DB_PARAMS(DBP_I(clock->offset_s)), NULL, &affected) != DB_OK)
            return -1;
        total += affected;
    } while (affected == PURGE_BATCH && !process_stop_requested());
    if (total > 0)
        log_info("purged %llu %s", total, what);
    return (int)(total > 1000000 ? 1000000 : total);
}

int jobs_purge(struct db *db, const struct jobs_clock *clock)
{
    int a = purge(db, clock, "expired sessions",
                  "DELETE FROM sessions WHERE expires_at < " JOBS_NOW " LIMIT 1000");
    int b = purge(db, clock, "idempotency keys",
                  "DELETE FROM idempotency_keys WHERE created_at < " JOBS_NOW
                  " - INTERVAL 24 HOUR LIMIT 1000");
    /* Failed-login counters matter for LOGIN_WINDOW_S (15 minutes) only. */
    int c = purge(db, clock, "login failure counters",
                  "DELETE FROM login_failures WHERE bucket < " JOBS_NOW
                  " - INTERVAL 15 MINUTE LIMIT 1000");
    return a < 0 || b < 0 || c < 0 ? -1 : a + b + c;
}

/* The jobs of a tick, in order; outgoing webhooks run before each of them and once more at the
 * end, so a slow gateway job delays a new event's first delivery attempt by one job's budget at
 * most, and the events this tick's jobs wrote go out in the same tick. */
static const struct {
    const char *name;
    int (*run)(struct db *db, const struct jobs_clock *clock);
} tick_jobs[] = {
    {"purges", jobs_purge},
    {"auto-completion", jobs_orders_auto_complete},
    {"checkout expiry", jobs_payments_expire_checkouts},
    {"reconciliation", jobs_payments_reconcile},
    {"refunds", jobs_payments_refunds},
    {"vip reconciliation", jobs_vip_reconcile},
    {"vip charges", jobs_vip_charges},
    {"vip app store lapses", jobs_vip_app_store_lapses},
};

void jobs_tick(struct db *db, const struct jobs_clock *clock)
{
    /* One line per tick while the database is away, instead of one per job. */
    if (db_ping(db) != DB_OK) {
        log_warn("jobs: database unavailable; trying again next tick");
        return;
    }
    for (size_t i = 0; i < sizeof tick_jobs / sizeof tick_jobs[0] && !process_stop_requested();
         i++) {
        webhook_sender_run(db, clock, WEBHOOK_BUDGET_MS);
        if (!process_stop_requested() && tick_jobs[i].run(db, clock) < 0)
            log_warn("jobs: %s stopped early after an error; next tick continues",
                     tick_jobs[i].name);
    }
    if (!process_stop_requested())
        webhook_sender_run(db, clock, WEBHOOK_BUDGET_MS);
}

static long tick_ms(void)
{
    const char *v = getenv("KHEDMA_JOBS_TICK_MS");
    if (!v || !*v)
        return TICK_MS_DEFAULT;
    char *end = NULL;
    long ms = strtol(v, &end, 10);
    if (!end || *end || ms < TICK_MS_MIN || ms > TICK_MS_MAX) {
        log_warn("KHEDMA_JOBS_TICK_MS must be %ld..%ld; using %ld", TICK_MS_MIN, TICK_MS_MAX,
                 TICK_MS_DEFAULT);
        return TICK_MS_DEFAULT;
    }
    return ms;
}

static void warn_missing_secret(void)
{
    if (!g_config || !g_config->webhook_secret || !*g_config->webhook_secret)
        log_warn("KHEDMA_WEBHOOK_SECRET is not set: outgoing webhooks stay queued, unsent");
}

int jobs_run(void)
{
    struct db *db = db_open(&g_config->db);
    if (!db)
        return 1;
    long interval = tick_ms();
    warn_missing_secret();
    log_info("jobs ready (tick %ld ms)", interval);
    supervise_slot_mark_ready();
    while (!process_stop_requested()) {
        struct jobs_clock clock;
        jobs_clock_read(&clock);
        clock.tick_ms = interval;
        long long started_us = timeutil_now_us();
        jobs_tick(db, &clock);
        metrics_observe_jobs_tick((double)(timeutil_now_us() - started_us) / 1e6);
        /* poll() as an interruptible sleep: SIGTERM ends it at once. */
        if (!process_stop_requested())
            poll(NULL, 0, (int)interval);
    }
    db_close(db);
    httpclient_cleanup();
    mysql_library_end();
    log_info("jobs stopped");
    return 0;
}

int jobs_run_once(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!g_config || !g_config->database_url) {
        log_error("KHEDMA_DATABASE_URL is not set");
        return 1;
    }
    struct db *db = db_open(&g_config->db);
    if (!db || db_ping(db) != DB_OK) {
        log_error("jobs-once: database unreachable");
        db_close(db);
        return 1;
    }
    warn_missing_secret();
    struct jobs_clock clock;
    jobs_clock_read(&clock);
    clock.tick_ms =
        tick_ms(); /* the running jobs process's tick picks up what this one schedules */
    jobs_tick(db, &clock);
    db_close(db);
    httpclient_cleanup();
    return 0;
}
