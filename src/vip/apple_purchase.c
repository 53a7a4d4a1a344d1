/*
 * apple_purchase.c - the service behind the two App Store routes (docs/vip.md, "In-app purchase
 * on iOS").
 *
 * A signed transaction: verified (apple_jws.c), its pending in-app purchase order read (the
 * user's own, else 404), checked against the order and the configuration (apple_iap.c), then the
 * subscription store activates it until expiresDate. The original transaction may already be
 * bound to another user: the unique key on subscriptions.original_transaction_id decides, also
 * between two requests at once.
 *
 * A notification: verified with its nested signed parts, then in one transaction its
 * notificationUUID is claimed (the INSERT into apple_notifications; a duplicate means it was
 * applied already and nothing changes), the subscription bound to its original transaction is
 * locked and the store applies the change. Forged or invalid payloads record nothing.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "khedma/apple_iap.h"
#include "khedma/apple_purchase.h"
#include "khedma/config.h"
#include "khedma/dberr.h"
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/subscription_store.h"
#include "khedma/timeutil.h"

const apple_jws_root *apple_purchase_root(void)
{
    static apple_jws_root *root;
    static bool tried;
    if (!tried) {
        tried = true;
        const char *path = g_config ? g_config->apple_root_ca : NULL;
        root = apple_jws_root_load(path);
        if (!root)
            log_warn("App Store verification off: KHEDMA_APPLE_ROOT_CA %s",
                     path ? "is not a readable PEM certificate" : "is not set");
    }
    return root;
}

static struct apple_iap_expect config_expect(void)
{
    struct apple_iap_expect x = {g_config ? g_config->apple_bundle_id : NULL,
                                 g_config ? g_config->apple_environment : NULL, NULL, NULL};
    return x;
}

static enum errkind verify(const apple_jws_root *root, const char *jws, const char *what,
                           json_object **payload, struct err *e)
{
    apple_jws_status st = apple_jws_verify(root, jws, strlen(jws), time(NULL), payload);
    if (st == APPLE_JWS_OK)
        return E_OK;
    /* the reason only: the payload and its signature stay out of the log */
    log_info("App Store %s refused: %s", what, apple_jws_status_str(st));
    return err_set(e, E_BAD_REQUEST, "Invalid %s: %s", what, apple_jws_status_str(st));
}

struct iap_order {
    char user_id[26];
    char status[16];
    char method[20];
    char product[101];
    char subscription_id[26];
};

/* The order, or 404 when it is not this user's (another user's order is not revealed). */
static enum errkind read_order(struct db *db, const char *user_id, const char *order_id,
                               struct iap_order *o, struct err *e)
{
    static const char sql[] =
        "SELECT so.user_id, so.status, so.payment_method, p.app_store_product_id, "
        "so.subscription_id "
        "FROM subscription_orders so JOIN vip_packages p ON p.id = so.vip_package_id "
        "WHERE so.id = ?";
    struct db_param p[] = {DBP_S(order_id)};
    struct db_result *r = NULL;
    int st = db_exec(db, sql, p, 1, &r, NULL);
    if (st != DB_OK)
        return dberr_fail(db, st, e);
    bool found = r->rows == 1 && strcmp(db_result_get(r, 0, 0), user_id) == 0;
    if (found) {
        const char *product = db_result_get(r, 0, 3);
        snprintf(o->user_id, sizeof o->user_id, "%s", db_result_get(r, 0, 0));
        snprintf(o->status, sizeof o->status, "%s", db_result_get(r, 0, 1));
        snprintf(o->method, sizeof o->method, "%s", db_result_get(r, 0, 2));
        snprintf(o->product, sizeof o->product, "%s", product ? product : "");
        const char *sub = db_result_get(r, 0, 4);
        snprintf(o->subscription_id, sizeof o->subscription_id, "%s", sub ? sub : "");
    }
    db_result_free(r);
    if (!found)
        return err_set(e, E_NOT_FOUND, "Subscription order not found");
    if (strcmp(o->method, "in_app_purchase") != 0 || strcmp(o->status, "pending") != 0)
        return err_set(e, E_UNPROCESSABLE, "Subscription order is not a pending in-app purchase");
    return E_OK;
}

/* An original transaction already bound to another user's subscription is refused here; the
 * unique key catches the same race between two requests at the store's write. */
static enum errkind check_binding(struct db *db, const char *user_id, const char *otid,
                                  struct err *e)
{
    static const char sql[] = "SELECT user_id FROM subscriptions WHERE original_transaction_id = ?";
    struct db_param p[] = {DBP_S(otid)};
    struct db_result *r = NULL;
    int st = db_exec(db, sql, p, 1, &r, NULL);
    if (st != DB_OK)
        return dberr_fail(db, st, e);
    bool other = r->rows == 1 && strcmp(db_result_get(r, 0, 0), user_id) != 0;
    db_result_free(r);
    return other ? err_set(e, E_CONFLICT,
                           "This App Store subscription belongs to another Khedma account")
                 : E_OK;
}

/* expiresDate (epoch ms) as the DATETIME(3) the store writes; false when out of range. */
static bool db_time_from_ms(long long ms, char out[24])
{
    char iso[ISO_TIME_LEN + 1];
    timeutil_iso_from_ms(ms, iso);
    return timeutil_db_from_iso(iso, out) == 0;
}

static json_object *subscription_json(const char *id, const char *order_id,
                                      const struct apple_iap_tx *tx)
{
    char iso[ISO_TIME_LEN + 1];
    timeutil_iso_from_ms(tx->expires_ms, iso);
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "subscriptionId", id);
    jsonx_add_str(o, "orderId", order_id);
    jsonx_add_str(o, "status", "active");
    jsonx_add_str(o, "provider", "app_store");
    jsonx_add_str(o, "currentPeriodEnd", iso);
    jsonx_add_str(o, "originalTransactionId", tx->original_transaction_id);
    return o;
}

struct activation {
    const char *order_id, *subscription_id;
    const struct apple_iap_tx *tx;
};

/* One transaction: the subscription, then the order (the store's lock order), the order paid
 * with the App Store transaction as its reference, the subscription active until expiresDate. */
static enum errkind activate_tx(struct db *db, void *arg, struct err *e)
{
    const struct activation *a = arg;
    char period_end[24];
    if (!db_time_from_ms(a->tx->expires_ms, period_end))
        return err_set(e, E_UNPROCESSABLE, "Transaction has an invalid expiresDate");
    int st = db_begin(db);
    if (st != DB_OK)
        return dberr_fail(db, st, e);
    struct subscription_locked s;
    struct subscription_order_locked o;
    if (subscription_store_lock(db, a->subscription_id, &s, e) != E_OK ||
        subscription_store_order_lock(db, a->order_id, 0, &o, e) != E_OK)
        return e->kind;
    if (!s.found || !o.found || strcmp(o.status, "pending") != 0) {
        db_rollback(db);
        return err_set(e, E_UNPROCESSABLE, "Subscription order is not a pending in-app purchase");
    }
    struct subscription_change c = {.move = VIP_PAID,
                                    .detail = "App Store purchase verified",
                                    .period_end = period_end,
                                    .original_transaction_id = a->tx->original_transaction_id};
    if (subscription_store_order_set(db, &o, "paid", a->tx->transaction_id, NULL, e) != E_OK ||
        subscription_store_apply(db, &s, &c, NULL, e) != E_OK)
        return e->kind;
    st = db_commit(db);
    return st == DB_OK ? E_OK : dberr_fail(db, st, e);
}

static enum errkind activate(struct db *db, const struct iap_order *o, const char *order_id,
                             const struct apple_iap_tx *tx, json_object **data, struct err *e)
{
    if (!o->subscription_id[0])
        return err_set(e, E_UNPROCESSABLE, "Subscription order is not a pending in-app purchase");
    struct activation a = {order_id, o->subscription_id, tx};
    if (dberr_tx_retry(db, activate_tx, &a, e) != E_OK) {
        /* The store answers any key clash as the one-live-per-user rule; when another user bound
         * the original transaction meanwhile (the unique key decided the race), say that. */
        struct err bound = {0};
        if (e->kind == E_UNPROCESSABLE &&
            check_binding(db, o->user_id, tx->original_transaction_id, &bound) == E_CONFLICT) {
            err_clear(e);
            *e = bound;
        } else {
            err_clear(&bound);
        }
        return e->kind;
    }
    *data = subscription_json(o->subscription_id, order_id, tx);
    return E_OK;
}

enum errkind apple_purchase_transaction(struct db *db, const apple_jws_root *root,
                                        const char *user_id, const char *order_id,
                                        const char *signed_tx, json_object **data, struct err *e)
{
    json_object *payload = NULL;
    if (verify(root, signed_tx, "signed transaction", &payload, e) != E_OK)
        return e->kind;
    struct iap_order o;
    struct apple_iap_tx tx;
    enum errkind k = read_order(db, user_id, order_id, &o, e);
    if (k == E_OK) {
        struct apple_iap_expect x = config_expect();
        x.product_id = o.product;
        x.order_id = order_id;
        const char *why = apple_iap_check_transaction(payload, &x, &tx);
        if (why)
            k = err_set(e, E_UNPROCESSABLE, "%s", why);
    }
    json_object_put(payload);
    if (k == E_OK)
        k = check_binding(db, user_id, tx.original_transaction_id, e);
    if (k == E_OK)
        k = activate(db, &o, order_id, &tx, data, e);
    return k;
}

struct notice_work {
    struct apple_iap_notice n;
    bool duplicate, applied;
};

/* The subscription bound to the original transaction ("" when none); locked afterwards by the
 * store, this row only. */
static enum errkind bound_subscription(struct db *db, const char *otid, char sub_id[26],
                                       struct err *e)
{
    static const char sql[] = "SELECT id FROM subscriptions WHERE original_transaction_id = ? "
                              "AND provider = 'app_store'";
    struct db_param p[] = {DBP_S(otid)};
    struct db_result *r = NULL;
    int st = db_exec(db, sql, p, 1, &r, NULL);
    if (st != DB_OK)
        return dberr_fail(db, st, e);
    sub_id[0] = '\0';
    if (r->rows == 1)
        snprintf(sub_id, 26, "%s", db_result_get(r, 0, 0));
    db_result_free(r);
    return E_OK;
}

/* The order a REFUND is about: the one paid with the refunded transaction. */
static enum errkind refund_order(struct db *db, const struct apple_iap_notice *n, struct err *e)
{
    struct subscription_order_locked o;
    static const char sql[] = "SELECT id FROM subscription_orders WHERE tran_ref = ?";
    struct db_param p[] = {DBP_S(n->tx.transaction_id)};
    struct db_result *r = NULL;
    int st = db_exec(db, sql, p, 1, &r, NULL);
    if (st != DB_OK)
        return dberr_fail(db, st, e);
    char id[SUBSCRIPTION_ORDER_ID_LEN + 1] = "";
    if (r->rows == 1)
        snprintf(id, sizeof id, "%s", db_result_get(r, 0, 0));
    db_result_free(r);
    if (!id[0])
        return E_OK;
    if (subscription_store_order_lock(db, id, 0, &o, e) != E_OK)
        return e->kind;
    if (!o.found || strcmp(o.status, "paid") != 0)
        return E_OK;
    return subscription_store_order_set(db, &o, "refunded", NULL, NULL, e);
}

/* The store's move for a notification; false when the type changes nothing. */
static bool move_of(const struct apple_iap_notice *n, enum vip_move *move)
{
    switch (n->action) {
    case APPLE_IAP_RENEW:
        *move = VIP_RENEWED;
        return true;
    case APPLE_IAP_EXPIRE:
    case APPLE_IAP_REFUND:
        *move = VIP_EXPIRE;
        return true;
    case APPLE_IAP_PAST_DUE:
        *move = VIP_RENEWAL_DECLINED;
        return true;
    case APPLE_IAP_RENEWAL_STATUS:
        *move = n->auto_renew ? VIP_CLEAR_CANCEL_AT_END : VIP_SET_CANCEL_AT_END;
        return true;
    case APPLE_IAP_IGNORE:
        break;
    }
    return false;
}

/* Apple retries billing for up to 60 days and tells the outcome (DID_RENEW or EXPIRED); the
 * next attempt date only keeps the subscription out of the card jobs' way meanwhile. */
#define APPLE_PAST_DUE_WAIT_S (60LL * 86400)

/* Inside the claim's transaction, the subscription locked: a move the state machine refuses
 * (a renewal of an expired subscription, say) is answered as not applied, the claim kept. */
static enum errkind apply_notice(struct db *db, const struct subscription_locked *s,
                                 const struct apple_iap_notice *n, bool *applied, struct err *e)
{
    enum vip_move move;
    *applied = false;
    if (!move_of(n, &move))
        return E_OK;
    struct vip_decision d = vip_lifecycle_decide(s->status, s->cancel_at_period_end, move);
    if (d.kind != E_OK || d.unchanged)
        return E_OK;
    char period_end[24];
    bool renew = move == VIP_RENEWED;
    if (renew && !db_time_from_ms(n->tx.expires_ms, period_end))
        return E_OK;
    struct subscription_change c = {.move = move,
                                    .detail = n->type,
                                    .period_end = renew ? period_end : NULL,
                                    .retry_in_s = APPLE_PAST_DUE_WAIT_S};
    if (n->action == APPLE_IAP_REFUND && refund_order(db, n, e) != E_OK)
        return e->kind;
    if (subscription_store_apply(db, s, &c, applied, e) != E_OK)
        return e->kind;
    return E_OK;
}

/* One transaction: the claim (a duplicate UUID ends it with nothing changed), the subscription,
 * the change. */
static enum errkind claim_and_apply(struct db *db, void *arg, struct err *e)
{
    struct notice_work *w = arg;
    w->duplicate = w->applied = false;
    int st = db_begin(db);
    if (st == DB_OK) {
        static const char claim[] =
            "INSERT INTO apple_notifications (notification_uuid, notification_type, subtype, "
            "original_transaction_id) VALUES (?, ?, ?, ?)";
        struct db_param p[] = {DBP_S(w->n.uuid), DBP_S(w->n.type),
                               DBP_S(w->n.subtype[0] ? w->n.subtype : NULL),
                               DBP_S(w->n.tx.original_transaction_id)};
        st = db_exec(db, claim, p, 4, NULL, NULL);
    }
    if (st == DB_DUPLICATE) {
        db_rollback(db);
        w->duplicate = true;
        return E_OK;
    }
    if (st != DB_OK)
        return dberr_fail(db, st, e);
    char sub_id[26];
    if (bound_subscription(db, w->n.tx.original_transaction_id, sub_id, e) != E_OK)
        return e->kind;
    if (sub_id[0]) {
        struct subscription_locked s;
        if (subscription_store_lock(db, sub_id, &s, e) != E_OK)
            return e->kind;
        if (s.found && apply_notice(db, &s, &w->n, &w->applied, e) != E_OK)
            return e->kind; /* the store rolled back, the claim with it */
    }
    st = db_commit(db);
    return st == DB_OK ? E_OK : dberr_fail(db, st, e);
}

enum errkind apple_purchase_notification(struct db *db, const apple_jws_root *root,
                                         const char *signed_payload, json_object **data,
                                         struct err *e)
{
    json_object *payload = NULL;
    if (verify(root, signed_payload, "signedPayload", &payload, e) != E_OK)
        return e->kind;
    struct notice_work w;
    struct apple_iap_expect x = config_expect();
    const char *why = apple_iap_read_notification(root, payload, &x, time(NULL), &w.n);
    json_object_put(payload);
    if (why) {
        log_info("App Store notification refused: %s", why);
        return err_set(e, E_BAD_REQUEST, "%s", why);
    }
    if (dberr_tx_retry(db, claim_and_apply, &w, e) != E_OK)
        return e->kind;
    *data = json_object_new_object();
    jsonx_add_str(*data, "notificationUUID", w.n.uuid);
    jsonx_add_str(*data, "notificationType", w.n.type);
    jsonx_add_bool(*data, "duplicate", w.duplicate);
    jsonx_add_bool(*data, "applied", w.applied);
    return E_OK;
}
