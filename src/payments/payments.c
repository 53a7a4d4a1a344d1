/*
 * payments.c - confirming that an order is paid (docs/api.md, "Checkout and payment"): POST
 * /api/orders, order.create and an admin confirming a bank transfer. The payment is
 * always verified with the gateway, never taken from the client, and amounts always come from the
 * database. Gateway calls happen before the transaction that confirms, so no row lock waits on the
 * network; the confirmation itself re-checks the order's state under its row lock.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/events.h"
#include "khedma/gateway.h"
#include "khedma/cuid.h"
#include "khedma/lifecycle.h"
#include "khedma/log.h"
#include "khedma/money.h"
#include "khedma/order_json.h"
#include "khedma/order_store.h"
#include "khedma/payments.h"

/* What the submit path needs to know about the checkout before asking the gateway. */
struct checkout_state {
    char status[16];
    char amount[32];
    char currency[8];
    char provider[16];
    char tran_ref[129];
};

static enum errkind load_checkout(struct db *db, const struct user *client, const char *order_id,
                                  struct checkout_state *s, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT o.status, o.total_amount, o.currency, o.provider, "
                     "COALESCE(p.tran_ref, '') FROM orders o JOIN payments p ON p.order_id = o.id "
                     "WHERE o.id = ? AND o.user_id = ?",
                     DB_PARAMS(DBP_S(order_id), DBP_S(client->id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    bool found = r->rows == 1;
    if (found) {
        snprintf(s->status, sizeof(s->status), "%s", db_result_get(r, 0, 0));
        snprintf(s->amount, sizeof(s->amount), "%s", db_result_get(r, 0, 1));
        snprintf(s->currency, sizeof(s->currency), "%s", db_result_get(r, 0, 2));
        snprintf(s->provider, sizeof(s->provider), "%s",
                 db_result_get(r, 0, 3) ? db_result_get(r, 0, 3) : "");
        snprintf(s->tran_ref, sizeof(s->tran_ref), "%s", db_result_get(r, 0, 4));
    }
    db_result_free(r);
    return found ? E_OK : err_set(e, E_NOT_FOUND, "Order not found");
}

/* Ask the gateway about the checkout's payment; E_OK only when it is paid, for this order, in
 * the order's amount and currency. t->id is the reference to record. */
static enum errkind verify_with_gateway(const struct checkout_state *s, const char *order_id,
                                        const char *transaction_id, struct gateway_transaction *t,
                                        bool *not_yet_paid, struct err *e)
{
    *not_yet_paid = false;
    enum gateway_provider p;
    const char *ref;
    if (strcmp(s->provider, "youcanpay") == 0) {
        if (!transaction_id) {
            err_field(e, "transactionId", "Required for YouCan Pay payments");
            return err_set(e, E_UNPROCESSABLE, "transactionId is required");
        }
        p = GATEWAY_YOUCANPAY;
        ref = transaction_id;
    } else if (strcmp(s->provider, "paytabs") == 0 && s->tran_ref[0]) {
        p = GATEWAY_PAYTABS;
        ref = s->tran_ref;
    } else {
        /* Bank transfers are confirmed by an admin only. */
        *not_yet_paid = true;
        return err_set(e, E_UNPROCESSABLE, "Payment not completed");
    }
    enum errkind k = gateway_lookup(p, ref, t, e);
    if (k == E_NOT_FOUND) {
        err_clear(e);
        *not_yet_paid = true;
        return err_set(e, E_UNPROCESSABLE, "Payment not completed");
    }
    if (k != E_OK)
        return k;
    if (strcmp(t->order_id, order_id) != 0 || !money_equal(t->amount, s->amount) ||
        strcmp(t->currency, s->currency) != 0)
        return err_set(e, E_UNPROCESSABLE, "Payment does not match the order");
    if (t->status != GATEWAY_TXN_PAID) {
        *not_yet_paid = true;
        return err_set(e, E_UNPROCESSABLE, "Payment not completed");
    }
    return E_OK;
}

/* Keep what the client attached to the order; each field only when given. */
static int store_submit_fields(struct db *db, const struct order_submit *in)
{
    return db_exec(db,
                   "UPDATE orders SET meta = COALESCE(?, meta), "
                   "payment_reference = COALESCE(?, payment_reference), "
                   "webhook_urls = COALESCE(?, webhook_urls), "
                   "idempotency_key = COALESCE(?, idempotency_key) WHERE id = ?",
                   DB_PARAMS(DBP_S(in->meta_json), DBP_S(in->payment_reference),
                             DBP_S(in->webhook_urls_json), DBP_S(in->idempotency_key),
                             DBP_S(in->checkout_id)),
                   NULL, NULL);
}

static enum errkind store_fields_tx(struct db *db, void *arg, struct err *e)
{
    int rc = store_submit_fields(db, *(const struct order_submit *const *)arg);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

/* The confirming transaction of POST /api/orders, after the gateway said paid (or the order was
 * confirmed before): run by dberr_tx_retry, so it may run again from its BEGIN. */
struct submit_tx {
    const struct user *client;
    const struct order_submit *in;
    const char *gateway_id; /* the transaction the gateway confirmed; "" when none was asked */
};

static enum errkind submit_tx(struct db *db, void *arg, struct err *e)
{
    const struct submit_tx *x = arg;
    const struct order_submit *in = x->in;
    struct order_locked o;
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    /* Locked, and read under the lock: whether it is still pending, and whether webhook URLs
     * were attached before. */
    if (order_store_lock(db, in->checkout_id, &o, e) != E_OK)
        return e->kind;
    bool pending_now = o.found && o.facts.status == LIFECYCLE_PENDING;
    rc = store_submit_fields(db, in);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct order_change c = {LIFECYCLE_CONFIRM_PAYMENT,
                             x->client,
                             NULL,
                             x->gateway_id[0] ? x->gateway_id : NULL,
                             NULL,
                             0};
    if (pending_now && order_store_apply(db, in->checkout_id, &o, &c, NULL, e) != E_OK)
        return e->kind;
    /* Confirmed before (usually by the gateway's webhook) and the URLs arrive only now: they
     * still get order.paid. */
    if (!pending_now && in->webhook_urls_json && !o.has_webhook_urls &&
        events_paid_webhook_backfill(db, in->checkout_id, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

enum errkind payments_submit(struct db *db, const struct user *client,
                             const struct order_submit *in, struct err *e)
{
    struct checkout_state s;
    if (load_checkout(db, client, in->checkout_id, &s, e) != E_OK)
        return e->kind;
    if (strcmp(s.status, "cancelled") == 0)
        return err_set(e, E_CONFLICT, "Order is cancelled");
    bool confirmed = strcmp(s.status, "pending") != 0, not_yet_paid = false;
    /* Kept before the gateway is asked, so that whatever happens next (the gateway unreachable
     * or saying "not yet", a crash, the database failing the confirmation) the jobs can still
     * ask about this transaction instead of cancelling an order that may be paid. */
    if (!confirmed && in->transaction_id && strcmp(s.provider, "youcanpay") == 0)
        payments_note_client_transaction(db, in->checkout_id, in->transaction_id);
    struct gateway_transaction t;
    memset(&t, 0, sizeof(t));
    if (!confirmed && verify_with_gateway(&s, in->checkout_id, in->transaction_id, &t,
                                          &not_yet_paid, e) != E_OK) {
        /* Not paid yet (a bank transfer awaiting the admin, a page not completed): keep what the
         * client attached, so the order.paid webhook reaches its URLs when payment arrives. */
        if (not_yet_paid) {
            struct err dbe = {0};
            if (dberr_tx_retry(db, store_fields_tx, &in, &dbe) != E_OK) {
                err_clear(e);
                *e = dbe;
            }
        }
        return e->kind;
    }
    struct submit_tx x = {client, in, t.id};
    return dberr_tx_retry(db, submit_tx, &x, e);
}

/* A single statement, outside any other transaction: the payment's own small write. */
static enum errkind note_client_transaction_tx(struct db *db, void *arg, struct err *e)
{
    const char *const *v = arg;
    int rc = db_exec(db,
                     "UPDATE payments SET client_transaction_id = ?, updated_at = updated_at "
                     "WHERE order_id = ? AND provider = 'youcanpay' AND status = 'pending'",
                     DB_PARAMS(DBP_S(v[1]), DBP_S(v[0])), NULL, NULL);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

void payments_note_client_transaction(struct db *db, const char *order_id,
                                      const char *transaction_id)
{
    const char *v[2] = {order_id, transaction_id};
    struct err e = {0};
    if (dberr_tx_retry(db, note_client_transaction_tx, (void *)v, &e) != E_OK)
        log_warn("order %s: the transaction id its client named could not be kept", order_id);
    err_clear(&e);
}

struct transfer_tx {
    const struct user *admin;
    const char *order_id;
    const char *reference;
};

static enum errkind confirm_transfer_tx(struct db *db, void *arg, struct err *e)
{
    const struct transfer_tx *x = arg;
    struct order_locked o;
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (order_store_lock(db, x->order_id, &o, e) != E_OK)
        return e->kind;
    enum errkind k = E_OK;
    if (!o.found)
        k = err_set(e, E_NOT_FOUND, "Order not found");
    else if (strcmp(o.provider, "bank_transfer") != 0)
        k = err_set(e, E_CONFLICT, "Order is not paid by bank transfer");
    else if (o.facts.status != LIFECYCLE_PENDING)
        k = err_set(e, E_CONFLICT, "Order is not pending");
    if (k != E_OK) {
        db_rollback(db);
        return k;
    }
    rc = db_exec(db, "UPDATE payments SET reference = ? WHERE order_id = ?",
                 DB_PARAMS(DBP_S(x->reference), DBP_S(x->order_id)), NULL, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct order_change c = {LIFECYCLE_CONFIRM_PAYMENT, x->admin, NULL, NULL, NULL, 0};
    if (order_store_apply(db, x->order_id, &o, &c, NULL, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

enum errkind payments_confirm_transfer(struct db *db, const struct user *admin,
                                       const char *order_id, const char *reference,
                                       json_object **order, struct err *e)
{
    if (strcmp(admin->role, "admin") != 0)
        return err_set(e, E_FORBIDDEN, "Only an admin can confirm a bank transfer");
    struct transfer_tx x = {admin, order_id, reference};
    if (dberr_tx_retry(db, confirm_transfer_tx, &x, e) != E_OK)
        return e->kind;
    return order_json_load(db, order_id, order, e);
}

enum errkind payments_transfer_reference(struct db *db, const struct user *client,
                                         const char *order_id,
                                         char out[PAYMENTS_TRANSFER_REFERENCE_MAX + 1],
                                         struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT p.reference FROM orders o JOIN payments p ON p.order_id = o.id "
                     "WHERE o.id = ? AND o.user_id = ? AND p.provider = 'bank_transfer'",
                     DB_PARAMS(DBP_S(order_id), DBP_S(client->id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    const char *ref = r->rows == 1 ? db_result_get(r, 0, 0) : NULL;
    snprintf(out, PAYMENTS_TRANSFER_REFERENCE_MAX + 1, "%s", ref ? ref : "");
    db_result_free(r);
    return ref ? E_OK : err_set(e, E_NOT_FOUND, "Order not found");
}
