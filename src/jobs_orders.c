/*
 * jobs_orders.c - the order job with no gateway in it: a delivery that the client neither
 * accepted nor sent back for revision within 3 days completes by itself (seed 001; contract
 * section 6). requestRevision clears deliveredAt, so "processing with deliveredAt set" is exactly
 * "a delivery awaiting the client's answer".
 *
 * One order per transaction: lock the oldest such order that no other process holds (SKIP
 * LOCKED), re-read under that lock by the same statement, complete it, record the earning and the
 * event (notifications and webhooks included), commit. Nothing here waits on the network.
 */
#include <stdio.h>

#include "khedma/dberr.h"
#include "khedma/ids.h"
#include "khedma/jobs_clock.h"
#include "khedma/jobs_orders.h"
#include "khedma/log.h"
#include "khedma/orders.h"
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
                     "SELECT id, freelancer_id, total_amount FROM orders "
                     "WHERE status = 'processing' AND delivered_at <= " JOBS_NOW
                     " - INTERVAL ? DAY ORDER BY delivered_at LIMIT 1 FOR UPDATE SKIP LOCKED",
                     DB_PARAMS(DBP_I(clock->offset_s), DBP_I(AUTO_COMPLETE_DAYS)), &r, NULL);
    if (rc != DB_OK || r->rows == 0) {
        db_result_free(r);
        db_rollback(db);
        return rc == DB_OK ? 0 : -1;
    }
    char order_id[CUID_LEN + 1], freelancer[CUID_LEN + 1], amount[32], earning_id[CUID_LEN + 1];
    snprintf(order_id, sizeof order_id, "%s", db_result_get(r, 0, 0));
    snprintf(freelancer, sizeof freelancer, "%s", db_result_get(r, 0, 1));
    snprintf(amount, sizeof amount, "%s", db_result_get(r, 0, 2));
    db_result_free(r);
    cuid_new(earning_id);
    rc = db_exec(db,
                 "UPDATE orders SET status = 'completed', completed_at = " JOBS_NOW " WHERE id = ?",
                 DB_PARAMS(DBP_I(clock->offset_s), DBP_S(order_id)), NULL, NULL);
    /* The unique key on order_id is the once-only rule; an earning already there is the same
     * fact, not an error. */
    if (rc == DB_OK)
        rc =
            db_exec(db,
                    "INSERT INTO earnings (id, order_id, freelancer_id, amount) "
                    "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE order_id = order_id",
                    DB_PARAMS(DBP_S(earning_id), DBP_S(order_id), DBP_S(freelancer), DBP_S(amount)),
                    NULL, NULL);
    struct err e = {0};
    struct order_move m = {order_id,    "completed", "processing",
                           "completed", NULL,        "Delivery not answered within 3 days"};
    if (rc == DB_OK && order_event_record(db, &m, &e) == E_OK)
        rc = db_commit(db);
    else if (rc == DB_OK)
        rc = DB_ERR; /* order_event_record rolled back */
    err_clear(&e);
    if (rc != DB_OK) {
        log_error("auto-complete of order %s failed: %s", order_id, db_last_error(db));
        db_rollback(db);
        return -1;
    }
    log_info("order %s completed automatically (delivery unanswered for %d days)", order_id,
             AUTO_COMPLETE_DAYS);
    return 1;
}

int jobs_auto_complete(struct db *db, const struct jobs_clock *clock)
{
    long long start = wall_ms();
    int done = 0;
    for (int i = 0; i < AUTO_COMPLETE_PER_TICK && wall_ms() - start < TICK_BUDGET_MS; i++) {
        int rc = complete_one(db, clock);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        done++;
    }
    return done;
}
