/*
 * jobs_orders.c - the order job with no gateway in it: a delivery that the client neither
 * accepted nor sent back for revision within 3 days completes by itself (docs/api.md, "Order
 * lifecycle"). requestRevision clears deliveredAt, so "processing with deliveredAt set" is exactly
 * "a delivery awaiting the client's answer".
 *
 * One order per transaction: lock the oldest such order that no other process holds (SKIP
 * LOCKED), then let the order store complete it under that lock (the state machine checks the
 * move, the store writes the status, the earning and the event with its notifications and
 * webhooks), commit. Nothing here waits on the network.
 */
#include <stdio.h>

#include "khedma/dberr.h"
#include "khedma/cuid.h"
#include "khedma/jobs_clock.h"
#include "khedma/jobs_orders.h"
#include "khedma/lifecycle.h"
#include "khedma/log.h"
#include "khedma/order_store.h"
#include "khedma/timeutil.h"

#define AUTO_COMPLETE_DAYS 3
#define AUTO_COMPLETE_PER_TICK 1000
#define TICK_BUDGET_MS 30000L

/* Completes one order if one is due. Returns 1 (done), 0 (none due) or -1 (rolled back). */
static int complete_one(struct db *db, const struct jobs_clock *clock)
{
    struct db_result *r = NULL;
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc = db_exec(db,
                     "SELECT id FROM orders "
                     "WHERE status = 'processing' AND delivered_at <= " JOBS_NOW
                     " - INTERVAL ? DAY ORDER BY delivered_at LIMIT 1 FOR UPDATE SKIP LOCKED",
                     DB_PARAMS(DBP_I(clock->offset_s), DBP_I(AUTO_COMPLETE_DAYS)), &r, NULL);
    if (rc != DB_OK || r->rows == 0) {
        db_result_free(r);
        db_rollback(db);
        return rc == DB_OK ? 0 : -1;
    }
    char order_id[CUID_LEN + 1];
    snprintf(order_id, sizeof order_id, "%s", db_result_get(r, 0, 0));
    db_result_free(r);
    struct err e = {0};
    struct order_change c = {
        LIFECYCLE_AUTO_COMPLETE, NULL, "Delivery not answered within 3 days", NULL, NULL,
        clock->offset_s};
    enum errkind k = order_store_transition(db, order_id, &c, NULL, &e);
    rc = k == E_OK ? db_commit(db) : DB_ERR; /* a failed transition rolled back */
    if (rc != DB_OK) {
        log_error("auto-complete of order %s failed: %s", order_id,
                  k == E_OK ? db_last_error(db) : e.message);
        db_rollback(db);
        err_clear(&e);
        return -1;
    }
    err_clear(&e);
    log_info("order %s completed automatically (delivery unanswered for %d days)", order_id,
             AUTO_COMPLETE_DAYS);
    return 1;
}

int jobs_orders_auto_complete(struct db *db, const struct jobs_clock *clock)
{
    long long start = timeutil_wall_ms();
    int done = 0;
    for (int i = 0; i < AUTO_COMPLETE_PER_TICK && timeutil_wall_ms() - start < TICK_BUDGET_MS;
         i++) {
        int rc = complete_one(db, clock);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        done++;
    }
    return done;
}
