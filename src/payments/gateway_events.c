/*
 * gateway_events.c - incoming payment events (docs/api.md, "Gateway webhooks"): YouCan Pay webhooks
 * and PayTabs callbacks. Every event is stored for audit, forged ones too. An authentic event takes
 * effect once: its row and its effect are written in one transaction, and the unique key on
 * (provider, effect_key) turns a replay into a duplicate-key error that changes nothing.
 * Events about orders we do not know answer {ignored: true} so gateways stop retrying.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/gateway.h"
#include "khedma/gateway_events.h"
#include "khedma/cuid.h"
#include "khedma/jsonx.h"
#include "khedma/lifecycle.h"
#include "khedma/log.h"
#include "khedma/money.h"
#include "khedma/order_store.h"
#include "khedma/vip_checkout.h"

/* Store the event row (authentic or not). DB_DUPLICATE means an authentic repeat. */
static int store_event(struct db *db, const struct gateway_event *ev, bool valid, const char *body,
                       size_t len, const char *outcome, char row_id[CUID_LEN + 1])
{
    cuid_new(row_id);
    return db_exec(db,
                   "INSERT INTO gateway_events (id, provider, event_id, event_type, order_id, "
                   "signature_valid, payload, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   DB_PARAMS(DBP_S(row_id), DBP_S(gateway_provider_name(ev->provider)),
                             DBP_S(ev->id[0] ? ev->id : "-"), DBP_S(ev->type),
                             DBP_S(ev->order_id[0] ? ev->order_id : NULL), DBP_I(valid ? 1 : 0),
                             DBP_B(body, len), DBP_S(outcome)),
                   NULL, NULL);
}

/* The event's move, made by the system, when the state machine allows it on the locked order;
 * *outcome is "applied" when it changed something. */
static enum errkind try_move(struct db *db, const struct gateway_event *ev,
                             const struct order_locked *o, enum lifecycle_move move,
                             const char *reason, const char **outcome, struct err *e)
{
    struct lifecycle_decision d = lifecycle_decide(&o->facts, LIFECYCLE_SYSTEM, move);
    if (d.kind != E_OK || d.unchanged)
        return E_OK;
    *outcome = "applied";
    /* The transaction is kept with the money it brought (a confirmation, a late payment). */
    bool money_in = move == LIFECYCLE_CONFIRM_PAYMENT || move == LIFECYCLE_REFUND_LATE;
    struct order_change c = {
        move, NULL, reason, money_in && ev->transaction_id[0] ? ev->transaction_id : NULL, NULL, 0};
    return order_store_apply(db, ev->order_id, o, &c, NULL, e);
}

/* Decide and apply the event's effect on a locked order; *outcome says what happened. */
static enum errkind apply(struct db *db, const struct gateway_event *ev,
                          const struct order_locked *o, const char **outcome, struct err *e)
{
    *outcome = "ignored";
    if (ev->action == GATEWAY_EVENT_PAID) {
        char want[32];
        if (!money_normalize(o->total, want) || strcmp(want, ev->amount) != 0 ||
            strcmp(ev->currency, "MAD") != 0) {
            *outcome = "amount_mismatch";
            return E_OK;
        }
        /* Money arrived for an order that was cancelled meanwhile (the client gave up on a slow
         * payment page): nothing is owed, so the payment goes to 'refunding' and the refund job
         * returns it (PayTabs); a YouCan Pay refund is confirmed later by its
         * transaction.refunded event. */
        if (o->facts.status == LIFECYCLE_CANCELLED) {
            enum errkind k = try_move(db, ev, o, LIFECYCLE_REFUND_LATE, NULL, outcome, e);
            *outcome = "paid_after_cancel";
            return k;
        }
        return try_move(db, ev, o, LIFECYCLE_CONFIRM_PAYMENT, NULL, outcome, e);
    }
    if (ev->action == GATEWAY_EVENT_FAILED)
        return try_move(db, ev, o, LIFECYCLE_FAIL_PAYMENT, "Payment failed", outcome, e);
    if (ev->action == GATEWAY_EVENT_REFUNDED)
        return try_move(db, ev, o, LIFECYCLE_REFUNDED, NULL, outcome, e);
    return E_OK;
}

static json_object *answer(const char *outcome)
{
    json_object *o = json_object_new_object();
    jsonx_add_bool(o, "received", true);
    if (strcmp(outcome, "applied") != 0)
        jsonx_add_bool(o, strcmp(outcome, "duplicate") == 0 ? "duplicate" : "ignored", true);
    jsonx_add_str(o, "outcome", outcome);
    return o;
}

/* The shared path for an authentic, parsed event: one transaction for row + effect, run by
 * dberr_tx_retry (a deadlock runs it again from its BEGIN rather than making the gateway retry). */
struct event_tx {
    const struct gateway_event *ev;
    const char *body;
    size_t len;
    const char *outcome; /* what happened, once committed */
};

static enum errkind event_tx(struct db *db, void *arg, struct err *e)
{
    struct event_tx *x = arg;
    const struct gateway_event *ev = x->ev;
    char row_id[CUID_LEN + 1];
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc = store_event(db, ev, true, x->body, x->len, NULL, row_id);
    if (rc == DB_DUPLICATE) {
        db_rollback(db);
        x->outcome = "duplicate";
        return E_OK;
    }
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct order_locked o = {0};
    const char *outcome = "ignored";
    if (ev->order_id[0] && order_store_lock(db, ev->order_id, &o, e) != E_OK)
        return e->kind;
    if (o.found && apply(db, ev, &o, &outcome, e) != E_OK)
        return e->kind;
    x->outcome = o.found ? outcome : "unknown_order";
    rc = db_exec(db, "UPDATE gateway_events SET outcome = ? WHERE id = ?",
                 DB_PARAMS(DBP_S(x->outcome), DBP_S(row_id)), NULL, NULL);
    if (rc == DB_OK)
        rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

static enum errkind handle_event(struct db *db, const struct gateway_event *ev, const char *body,
                                 size_t len, json_object **out, struct err *e)
{
    struct event_tx x = {ev, body, len, "ignored"};
    if (dberr_tx_retry(db, event_tx, &x, e) != E_OK)
        return e->kind;
    if (strcmp(x.outcome, "duplicate") == 0) {
        *out = answer("duplicate");
        return E_OK;
    }
    log_info("%s event %s for %s: %s", gateway_provider_name(ev->provider), ev->type, ev->order_id,
             x.outcome);
    *out = answer(x.outcome);
    if (strcmp(x.outcome, "unknown_order") == 0)
        jsonx_add_bool(*out, "ignored", true);
    return E_OK;
}

/* A forged or unsigned event: kept for audit (outside any effect), then refused. */
static enum errkind reject(struct db *db, const struct gateway_event *ev, const char *body,
                           size_t len, struct err *e)
{
    char row_id[CUID_LEN + 1];
    store_event(db, ev, false, body, len, "bad_signature", row_id);
    log_warn("%s event with a bad signature refused", gateway_provider_name(ev->provider));
    return err_set(e, E_UNAUTHORIZED, "Invalid signature");
}

enum errkind gateway_events_youcanpay(struct db *db, const char *body, size_t len,
                                      const char *signature, json_object **out, struct err *e)
{
    struct gateway_event ev;
    gateway_parse_event(GATEWAY_YOUCANPAY, body, len, &ev);
    if (!gateway_signature_valid(GATEWAY_YOUCANPAY, body, len, signature))
        return reject(db, &ev, body, len, e);
    if (!ev.id[0] || !ev.type[0])
        return err_set(e, E_BAD_REQUEST, "Malformed event");
    return handle_event(db, &ev, body, len, out, e);
}

enum errkind gateway_events_paytabs(struct db *db, const char *body, size_t len,
                                    const char *signature, json_object **out, struct err *e)
{
    struct gateway_event ev;
    gateway_parse_event(GATEWAY_PAYTABS, body, len, &ev);
    if (!gateway_signature_valid(GATEWAY_PAYTABS, body, len, signature))
        return reject(db, &ev, body, len, e);
    if (!ev.id[0])
        return err_set(e, E_BAD_REQUEST, "Malformed callback");
    /* A VIP subscription order's transaction: confirmed by asking PayTabs, once. */
    bool vip = false;
    const char *outcome = NULL;
    if (vip_checkout_confirm(db, ev.transaction_id, &vip, &outcome, e) != E_OK)
        return e->kind;
    if (vip) {
        *out = answer(outcome);
        return E_OK;
    }
    return handle_event(db, &ev, body, len, out, e);
}
