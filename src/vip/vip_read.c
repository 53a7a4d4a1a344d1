/*
 * vip_read.c - the VIP plans, the user's subscription and its cancel (include/khedma/vip_read.h).
 * The cancel's status change goes through the subscription store; a trial's void is asked of
 * PayTabs before the transaction, so no row lock waits on the network.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/paytabs_vip.h"
#include "khedma/subscription_store.h"
#include "khedma/timeutil.h"
#include "khedma/vip_read.h"

#define PLAN_COLUMNS                                                                               \
    "p.id, p.name, p.price, p.currency, p.period_days, p.trial_days, p.app_store_product_id"

static json_object *plan_json(const struct db_result *r, size_t row, size_t col)
{
    json_object *p = json_object_new_object();
    jsonx_add_int(p, "id", db_result_int(r, row, col, 0));
    jsonx_add_str(p, "name", db_result_get(r, row, col + 1));
    jsonx_add_decimal(p, "price", db_result_get(r, row, col + 2));
    jsonx_add_str(p, "currency", db_result_get(r, row, col + 3));
    jsonx_add_int(p, "periodDays", db_result_int(r, row, col + 4, 0));
    jsonx_add_int(p, "trialDays", db_result_int(r, row, col + 5, 0));
    const char *product = db_result_get(r, row, col + 6);
    if (product)
        jsonx_add_str(p, "appStoreProductId", product);
    else
        jsonx_add_null(p, "appStoreProductId");
    return p;
}

enum errkind vip_read_packages(struct db *db, json_object **out, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, "SELECT " PLAN_COLUMNS " FROM vip_packages p WHERE p.active ORDER BY p.id",
                     NULL, 0, &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    *out = json_object_new_array();
    for (size_t i = 0; i < r->rows; i++)
        json_object_array_add(*out, plan_json(r, i, 0));
    db_result_free(r);
    return E_OK;
}

static void add_time(json_object *o, const char *key, const char *db_time)
{
    char iso[ISO_TIME_LEN + 1];
    if (db_time && timeutil_iso_from_db(db_time, iso) == 0)
        jsonx_add_str(o, key, iso);
    else
        jsonx_add_null(o, key);
}

enum errkind vip_read_my_subscription(struct db *db, const char *user_id, json_object **out,
                                      struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT s.id, s.status, s.current_period_end, s.cancel_at_period_end, "
                     "s.provider, s.trial_end, " PLAN_COLUMNS
                     " FROM subscriptions s JOIN vip_packages p ON p.id = s.vip_package_id "
                     "WHERE s.user_id = ? AND s.status <> 'pending' "
                     "ORDER BY s.live_user_id IS NULL, s.created_at DESC, s.id DESC LIMIT 1",
                     DB_PARAMS(DBP_S(user_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    *out = NULL;
    if (r->rows == 1) {
        json_object *s = json_object_new_object();
        jsonx_add_str(s, "id", db_result_get(r, 0, 0));
        json_object_object_add(s, "plan", plan_json(r, 0, 6));
        jsonx_add_str(s, "status", db_result_get(r, 0, 1));
        add_time(s, "currentPeriodEnd", db_result_get(r, 0, 2));
        jsonx_add_bool(s, "cancelAtPeriodEnd", db_result_int(r, 0, 3, 0) != 0);
        jsonx_add_str(s, "provider", db_result_get(r, 0, 4));
        add_time(s, "trialEnd", db_result_get(r, 0, 5));
        *out = s;
    }
    db_result_free(r);
    return E_OK;
}

/* The live subscription as it stands, and for a trial its authorisation's order. */
struct cancel_facts {
    struct subscription_locked s;
    char order_id[SUBSCRIPTION_ORDER_ID_LEN + 1];
    char number[24], amount[32], currency[8];
};

static enum errkind read_trial_order(struct db *db, struct cancel_facts *f, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT id, order_number, amount, currency FROM subscription_orders "
                     "WHERE subscription_id = ? AND tran_ref = ? AND status = 'authorised'",
                     DB_PARAMS(DBP_S(f->s.id), DBP_S(f->s.paytabs_auth_ref)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (r->rows == 1) {
        snprintf(f->order_id, sizeof(f->order_id), "%s", db_result_get(r, 0, 0));
        snprintf(f->number, sizeof(f->number), "%s", db_result_get(r, 0, 1));
        snprintf(f->amount, sizeof(f->amount), "%s", db_result_get(r, 0, 2));
        snprintf(f->currency, sizeof(f->currency), "%s", db_result_get(r, 0, 3));
    }
    db_result_free(r);
    return E_OK;
}

/* One transaction: the live subscription locked and changed as its status says. void_ref set:
 * PayTabs has voided the trial's authorisation, so the trial ends. */
struct cancel_tx {
    const char *user_id;
    struct cancel_facts f;
    bool voided;
    bool need_void; /* out: a trial, whose authorisation must be voided first */
};

static enum errkind cancel_tx(struct db *db, void *arg, struct err *e)
{
    struct cancel_tx *x = arg;
    x->need_void = false;
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct subscription_locked *s = &x->f.s;
    if (subscription_store_lock_live(db, x->user_id, s, e) != E_OK)
        return e->kind;
    if (!s->found) {
        db_rollback(db);
        return err_set(e, E_NOT_FOUND, "Subscription not found");
    }
    if (strcmp(s->provider, "app_store") == 0) {
        db_rollback(db);
        return err_set(e, E_UNPROCESSABLE,
                       "App Store subscriptions are cancelled in the App Store: open Settings, "
                       "your Apple ID, Subscriptions");
    }
    struct subscription_change c = {.move = VIP_SET_CANCEL_AT_END,
                                    .detail = "Cancelled by the user"};
    if (s->status == VIP_TRIALING) {
        if (!x->voided) {
            x->need_void = true;
            if (read_trial_order(db, &x->f, e) != E_OK)
                return e->kind;
            db_rollback(db);
            return E_OK;
        }
        struct subscription_order_locked o;
        if (subscription_store_order_lock(db, x->f.order_id, 0, &o, e) != E_OK)
            return e->kind;
        if (o.found && subscription_store_order_set(db, &o, "voided", NULL, NULL, e) != E_OK)
            return e->kind;
        c.move = VIP_TRIAL_CANCELLED;
    }
    if (subscription_store_apply(db, s, &c, NULL, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

static enum errkind void_trial(const struct cancel_facts *f, struct err *e)
{
    if (!f->order_id[0] || !f->s.paytabs_auth_ref[0])
        return err_set(e, E_CONFLICT, "The trial's authorisation cannot be found");
    struct paytabs_vip_cart cart = {f->number, f->amount, f->currency};
    struct paytabs_vip_result res;
    memset(&res, 0, sizeof(res));
    if (paytabs_vip_void(f->s.paytabs_auth_ref, &cart, &res, e) != E_OK)
        return e->kind;
    if (strcmp(res.status, "A") != 0) {
        log_warn("subscription %s: PayTabs refused to void the trial (%s)", f->s.id, res.status);
        return err_set(e, E_BAD_GATEWAY, "The trial's authorisation could not be voided");
    }
    return E_OK;
}

enum errkind vip_read_cancel(struct db *db, const char *user_id, json_object **out, struct err *e)
{
    struct cancel_tx x;
    memset(&x, 0, sizeof(x));
    x.user_id = user_id;
    if (dberr_tx_retry(db, cancel_tx, &x, e) != E_OK)
        return e->kind;
    if (x.need_void) {
        if (void_trial(&x.f, e) != E_OK)
            return e->kind;
        x.voided = true;
        if (dberr_tx_retry(db, cancel_tx, &x, e) != E_OK)
            return e->kind;
    }
    return vip_read_my_subscription(db, user_id, out, e);
}
