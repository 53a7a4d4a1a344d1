/*
 * subscription_jobs.c - the VIP jobs' writes (include/khedma/subscription_jobs.h), each one
 * transaction through the subscription store: the subscription locked, then its order, the
 * order's status and the subscription's move written with its event, notification and badge. A
 * move the state machine refuses (someone changed the subscription meanwhile) is 0, not an
 * error; a database failure is -1 (logged, rolled back).
 */
#include <stdio.h>
#include <string.h>

#include "khedma/config.h"
#include "khedma/dberr.h"
#include "khedma/log.h"
#include "khedma/subscription_jobs.h"
#include "khedma/subscription_store.h"
#include "khedma/vip_checkout.h"

/* One write: the order (order_id, may be "") moved to order_to with tran_ref (may be ""), then
 * the subscription's change. */
struct job_write {
    const char *subscription_id;
    const char *order_id;
    const char *order_to;
    const char *tran_ref;
    struct subscription_change c;
    bool expire; /* declined: the subscription ends instead (RETRIES_EXHAUSTED or EXPIRE) */
    int result;
};

static enum errkind write_tx(struct db *db, void *arg, struct err *e)
{
    struct job_write *w = arg;
    w->result = 0;
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct subscription_locked s;
    struct subscription_order_locked o;
    memset(&o, 0, sizeof(o));
    if (subscription_store_lock(db, w->subscription_id, &s, e) != E_OK)
        return e->kind;
    if (s.found && w->order_id && w->order_id[0] &&
        subscription_store_order_lock(db, w->order_id, 0, &o, e) != E_OK)
        return e->kind;
    if (!s.found) {
        db_rollback(db);
        return E_OK;
    }
    if (w->expire)
        w->c.move = s.status == VIP_PAST_DUE ? VIP_RETRIES_EXHAUSTED : VIP_EXPIRE;
    bool changed = false;
    const char *ref = w->tran_ref && w->tran_ref[0] ? w->tran_ref : NULL;
    if (o.found && subscription_store_order_set(db, &o, w->order_to, ref, NULL, e) != E_OK)
        return e->kind;
    if (subscription_store_apply(db, &s, &w->c, &changed, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    w->result = changed ? 1 : 0;
    return E_OK;
}

static int run_write(struct db *db, struct job_write *w)
{
    struct err e = {0};
    enum errkind k = dberr_tx_retry(db, write_tx, w, &e);
    int result = w->result;
    if (k == E_CONFLICT || k == E_UNPROCESSABLE) {
        result = 0; /* refused by the state machine: someone moved it first */
    } else if (k != E_OK) {
        log_error("subscription %s: the jobs' change failed: %s", w->subscription_id, e.message);
        result = -1;
    }
    err_clear(&e);
    return result;
}

static int captured(struct db *db, long long offset_s, const char *subscription_id,
                    const char *order_id, const char *capture_ref)
{
    /* The order keeps the authorisation's tran_ref (its unique key); the capture's is the
     * event's detail. */
    struct job_write w = {subscription_id, order_id, "paid", NULL, {0}, false, 0};
    w.c.move = VIP_CAPTURED;
    w.c.detail = capture_ref;
    w.c.clock_offset_s = offset_s;
    return run_write(db, &w);
}

static int renewed(struct db *db, long long offset_s, const char *subscription_id,
                   const char *order_id, const char *tran_ref)
{
    struct job_write w = {subscription_id, order_id, "paid", tran_ref, {0}, false, 0};
    w.c.move = VIP_RENEWED;
    w.c.detail = tran_ref;
    w.c.clock_offset_s = offset_s;
    return run_write(db, &w);
}

static int declined(struct db *db, long long offset_s, const char *subscription_id,
                    const char *order_id, const char *tran_ref, const char *message, bool expire,
                    long retry_after_s)
{
    struct job_write w = {subscription_id, order_id, "failed", tran_ref, {0}, expire, 0};
    w.c.move = VIP_RENEWAL_DECLINED;
    w.c.detail = message;
    w.c.retry_in_s = retry_after_s;
    w.c.clock_offset_s = offset_s;
    return run_write(db, &w);
}

static int ended(struct db *db, long long offset_s, const char *subscription_id)
{
    struct job_write w = {subscription_id, NULL, NULL, NULL, {0}, false, 0};
    w.c.move = VIP_PERIOD_ENDED;
    w.c.detail = "Cancelled at period end";
    w.c.clock_offset_s = offset_s;
    return run_write(db, &w);
}

static int lapsed(struct db *db, long long offset_s, const char *subscription_id)
{
    struct job_write w = {subscription_id, NULL, NULL, NULL, {0}, false, 0};
    w.c.move = VIP_EXPIRE;
    w.c.detail = "App Store period ended without a renewal";
    w.c.clock_offset_s = offset_s;
    return run_write(db, &w);
}

/* The renewal order: the subscription locked so two jobs never write two orders for one
 * period; amount and tax from the plan. */
struct renewal_tx {
    const char *subscription_id;
    char *order_id, *order_number, *amount, *currency;
    int result;
};

static enum errkind renewal_tx(struct db *db, void *arg, struct err *e)
{
    struct renewal_tx *x = arg;
    x->result = 0;
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct subscription_locked s;
    if (subscription_store_lock(db, x->subscription_id, &s, e) != E_OK)
        return e->kind;
    if (!s.found || (s.status != VIP_ACTIVE && s.status != VIP_PAST_DUE) ||
        s.cancel_at_period_end) {
        db_rollback(db);
        return E_OK;
    }
    long rate = g_config ? g_config->vat_rate : 20;
    struct db_result *r = NULL;
    rc = db_exec(db,
                 "SELECT price, ROUND(price * ? / (100 + ?), 2), currency FROM vip_packages "
                 "WHERE id = ?",
                 DB_PARAMS(DBP_I(rate), DBP_I(rate), DBP_I(s.package_id)), &r, NULL);
    if (rc != DB_OK || r->rows != 1) {
        db_result_free(r);
        return dberr_fail(db, rc != DB_OK ? rc : DB_ERR, e);
    }
    char price[32], tax[32];
    snprintf(price, sizeof(price), "%s", db_result_get(r, 0, 0));
    snprintf(tax, sizeof(tax), "%s", db_result_get(r, 0, 1));
    snprintf(x->currency, 8, "%s", db_result_get(r, 0, 2));
    db_result_free(r);
    struct subscription_order_new o = {s.user_id,     s.package_id, s.id,  "renewal",
                                       "credit_card", "sale",       price, tax};
    long long number = 0;
    if (subscription_store_order_create(db, &o, x->order_id, &number, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    snprintf(x->order_number, 24, "%lld", number);
    snprintf(x->amount, 32, "%s", price);
    x->result = 1;
    return E_OK;
}

static int new_renewal_order(struct db *db, long long offset_s, const char *subscription_id,
                             char order_id[40], char order_number[24], char amount[32],
                             char currency[8])
{
    (void)offset_s;
    struct renewal_tx x = {subscription_id, order_id, order_number, amount, currency, 0};
    struct err e = {0};
    int result = dberr_tx_retry(db, renewal_tx, &x, &e) == E_OK ? x.result : -1;
    if (result < 0)
        log_error("subscription %s: the renewal order failed: %s", subscription_id, e.message);
    err_clear(&e);
    return result;
}

/* A late callback: PayTabs is asked, the answer applied as the callback would. */
static int reconcile_order(struct db *db, long long offset_s, const char *order_id,
                           const char *tran_ref)
{
    (void)offset_s;
    bool found = false;
    const char *outcome = NULL;
    struct err e = {0};
    enum errkind k = vip_checkout_confirm(db, tran_ref, &found, &outcome, &e);
    err_clear(&e);
    if (k != E_OK) {
        log_warn("subscription order %s: PayTabs could not be asked", order_id);
        return k == E_BAD_GATEWAY ? 0 : -1;
    }
    return found && outcome && strcmp(outcome, "applied") == 0 ? 1 : 0;
}

const struct jobs_vip_store subscription_jobs_store = {
    captured, renewed, declined, ended, lapsed, new_renewal_order, reconcile_order,
};
