/*
 * subscription_store.c - the only writer of subscriptions.status and subscription_orders.status
 * (see subscription_store.h). A change is: the subscription row locked, vip_lifecycle_decide()
 * asked, and what it decided written with its dates, the subscription event, a notification for
 * the user, and the badge (vip_badge_set) when liveness changes, all in the caller's transaction.
 * The one-live-per-user key refuses a second live subscription even under a race.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/events.h"
#include "khedma/subscription_store.h"
#include "khedma/vip_badge.h"

/* "now" for the dates a change writes: the database clock shifted by the jobs' test clock. */
#define STORE_NOW "(UTC_TIMESTAMP(3) + INTERVAL ? SECOND)"

enum errkind subscription_store_create(struct db *db, const char *user_id, long long package_id,
                                       const char *provider, char id[CUID_LEN + 1], struct err *e)
{
    cuid_new(id);
    int rc = db_exec(db,
                     "INSERT INTO subscriptions (id, user_id, vip_package_id, provider, status) "
                     "VALUES (?, ?, ?, ?, 'pending')",
                     DB_PARAMS(DBP_S(id), DBP_S(user_id), DBP_I(package_id), DBP_S(provider)), NULL,
                     NULL);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

/* A version 4 UUID from libsodium's random bytes: an in-app purchase's appAccountToken. */
static void uuid_v4(char out[SUBSCRIPTION_ORDER_ID_LEN + 1])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, SUBSCRIPTION_ORDER_ID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

enum errkind subscription_store_order_create(struct db *db, const struct subscription_order_new *o,
                                             char id[SUBSCRIPTION_ORDER_ID_LEN + 1],
                                             long long *number, struct err *e)
{
    uuid_v4(id);
    int rc = db_exec(db,
                     "INSERT INTO subscription_orders (id, user_id, vip_package_id, "
                     "subscription_id, kind, payment_method, tran_type, amount, tax, status) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                     DB_PARAMS(DBP_S(id), DBP_S(o->user_id), DBP_I(o->package_id),
                               DBP_S(o->subscription_id), DBP_S(o->kind), DBP_S(o->payment_method),
                               DBP_S(o->tran_type), DBP_S(o->amount), DBP_S(o->tax)),
                     NULL, NULL);
    struct db_result *r = NULL;
    if (rc == DB_OK)
        rc = db_exec(db, "SELECT order_number FROM subscription_orders WHERE id = ?",
                     DB_PARAMS(DBP_S(id)), &r, NULL);
    if (rc == DB_OK)
        *number = r->rows == 1 ? db_result_int(r, 0, 0, 0) : 0;
    db_result_free(r);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

#define SUB_COLUMNS                                                                                \
    "s.id, s.user_id, s.vip_package_id, s.provider, s.status, s.cancel_at_period_end, "            \
    "p.period_days, p.trial_days, COALESCE(s.paytabs_auth_ref, ''), s.failed_attempts "            \
    "FROM subscriptions s JOIN vip_packages p ON p.id = s.vip_package_id "

/* The plan row is read, not locked (FOR UPDATE OF is not MariaDB's): a plan edited meanwhile
 * changes only which committed value is read. */
static enum errkind lock_where(struct db *db, const char *sql, const char *key,
                               struct subscription_locked *s, struct err *e)
{
    memset(s, 0, sizeof(*s));
    struct db_result *r = NULL;
    int rc = db_exec(db, sql, DB_PARAMS(DBP_S(key)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    s->found = r->rows == 1;
    bool known = true;
    if (s->found) {
        snprintf(s->id, sizeof(s->id), "%s", db_result_get(r, 0, 0));
        snprintf(s->user_id, sizeof(s->user_id), "%s", db_result_get(r, 0, 1));
        s->package_id = db_result_int(r, 0, 2, 0);
        snprintf(s->provider, sizeof(s->provider), "%s", db_result_get(r, 0, 3));
        known = vip_status_parse(db_result_get(r, 0, 4), &s->status);
        s->cancel_at_period_end = db_result_int(r, 0, 5, 0) != 0;
        s->period_days = db_result_int(r, 0, 6, 0);
        s->trial_days = db_result_int(r, 0, 7, 0);
        snprintf(s->paytabs_auth_ref, sizeof(s->paytabs_auth_ref), "%s", db_result_get(r, 0, 8));
        s->failed_attempts = (int)db_result_int(r, 0, 9, 0);
    }
    db_result_free(r);
    return known ? E_OK : dberr_fail(db, DB_ERR, e);
}

enum errkind subscription_store_lock(struct db *db, const char *subscription_id,
                                     struct subscription_locked *s, struct err *e)
{
    return lock_where(db, "SELECT " SUB_COLUMNS "WHERE s.id = ? FOR UPDATE", subscription_id, s, e);
}

/* Through the live key: only that row is locked. */
enum errkind subscription_store_lock_live(struct db *db, const char *user_id,
                                          struct subscription_locked *s, struct err *e)
{
    return lock_where(db, "SELECT " SUB_COLUMNS "WHERE s.live_user_id = ? FOR UPDATE", user_id, s,
                      e);
}

static void read_order(const struct db_result *r, struct subscription_order_locked *o)
{
    snprintf(o->id, sizeof(o->id), "%s", db_result_get(r, 0, 0));
    o->number = db_result_int(r, 0, 1, 0);
    snprintf(o->user_id, sizeof(o->user_id), "%s", db_result_get(r, 0, 2));
    snprintf(o->subscription_id, sizeof(o->subscription_id), "%s", db_result_get(r, 0, 3));
    o->package_id = db_result_int(r, 0, 4, 0);
    snprintf(o->kind, sizeof(o->kind), "%s", db_result_get(r, 0, 5));
    snprintf(o->payment_method, sizeof(o->payment_method), "%s", db_result_get(r, 0, 6));
    snprintf(o->tran_type, sizeof(o->tran_type), "%s", db_result_get(r, 0, 7));
    snprintf(o->status, sizeof(o->status), "%s", db_result_get(r, 0, 8));
    snprintf(o->amount, sizeof(o->amount), "%s", db_result_get(r, 0, 9));
    snprintf(o->tax, sizeof(o->tax), "%s", db_result_get(r, 0, 10));
    snprintf(o->tran_ref, sizeof(o->tran_ref), "%s", db_result_get(r, 0, 11));
}

#define ORDER_COLUMNS                                                                              \
    "SELECT id, order_number, user_id, COALESCE(subscription_id, ''), vip_package_id, kind, "      \
    "payment_method, COALESCE(tran_type, ''), status, amount, tax, COALESCE(tran_ref, '') "        \
    "FROM subscription_orders "

enum errkind subscription_store_order_lock(struct db *db, const char *id, long long number,
                                           struct subscription_order_locked *o, struct err *e)
{
    memset(o, 0, sizeof(*o));
    struct db_result *r = NULL;
    int rc =
        id ? db_exec(db, ORDER_COLUMNS "WHERE id = ? FOR UPDATE", DB_PARAMS(DBP_S(id)), &r, NULL)
           : db_exec(db, ORDER_COLUMNS "WHERE order_number = ? FOR UPDATE",
                     DB_PARAMS(DBP_I(number)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    o->found = r->rows == 1;
    if (o->found)
        read_order(r, o);
    db_result_free(r);
    return E_OK;
}

enum errkind subscription_store_order_set(struct db *db, const struct subscription_order_locked *o,
                                          const char *to, const char *tran_ref, bool *changed,
                                          struct err *e)
{
    bool unchanged = false;
    if (changed)
        *changed = false;
    if (!vip_order_move_allowed(o->status, to, &unchanged)) {
        db_rollback(db);
        return err_set(e, E_CONFLICT, "Subscription order is already %s", o->status);
    }
    if (unchanged)
        return E_OK;
    int rc = db_exec(db,
                     "UPDATE subscription_orders SET status = ?, tran_ref = COALESCE(?, tran_ref) "
                     "WHERE id = ?",
                     DB_PARAMS(DBP_S(to), DBP_S(tran_ref), DBP_S(o->id)), NULL, NULL);
    if (rc == DB_DUPLICATE) {
        db_rollback(db);
        return err_set(e, E_CONFLICT, "Transaction already confirmed another order");
    }
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (changed)
        *changed = true;
    return E_OK;
}

/* Active for a new period: to c->period_end when given, else the plan's days. */
static int write_active_period(struct db *db, const struct subscription_locked *s,
                               const struct subscription_change *c)
{
    long long now = c->clock_offset_s;
    if (c->period_end)
        return db_exec(
            db,
            "UPDATE subscriptions SET status = 'active', current_period_start = " STORE_NOW
            ", current_period_end = ?, next_attempt_at = ?, failed_attempts = 0, "
            "past_due_since = NULL WHERE id = ?",
            DB_PARAMS(DBP_I(now), DBP_S(c->period_end), DBP_S(c->period_end), DBP_S(s->id)), NULL,
            NULL);
    /* A capture or renewal continues from the old end (charged late or after retries, the
     * periods stay back to back); a first payment starts now. MariaDB assigns left to right,
     * so each column below reads the one set before it. */
    return db_exec(db,
                   "UPDATE subscriptions SET status = 'active', "
                   "current_period_start = COALESCE(current_period_end, " STORE_NOW "), "
                   "current_period_end = current_period_start + INTERVAL ? DAY, "
                   "next_attempt_at = current_period_end, failed_attempts = 0, "
                   "past_due_since = NULL WHERE id = ?",
                   DB_PARAMS(DBP_I(now), DBP_I(s->period_days), DBP_S(s->id)), NULL, NULL);
}

static int write_trial(struct db *db, const struct subscription_locked *s,
                       const struct subscription_change *c)
{
    return db_exec(db,
                   "UPDATE subscriptions SET status = 'trialing', current_period_start = " STORE_NOW
                   ", trial_end = current_period_start + INTERVAL ? DAY, "
                   "current_period_end = trial_end, next_attempt_at = trial_end, "
                   "paytabs_token = COALESCE(?, paytabs_token), "
                   "paytabs_auth_ref = COALESCE(?, paytabs_auth_ref) WHERE id = ?",
                   DB_PARAMS(DBP_I(c->clock_offset_s), DBP_I(s->trial_days),
                             DBP_S(c->paytabs_token), DBP_S(c->paytabs_auth_ref), DBP_S(s->id)),
                   NULL, NULL);
}

static int write_paid(struct db *db, const struct subscription_locked *s,
                      const struct subscription_change *c)
{
    int rc =
        db_exec(db,
                "UPDATE subscriptions SET paytabs_token = COALESCE(?, paytabs_token), "
                "original_transaction_id = COALESCE(?, original_transaction_id) "
                "WHERE id = ?",
                DB_PARAMS(DBP_S(c->paytabs_token), DBP_S(c->original_transaction_id), DBP_S(s->id)),
                NULL, NULL);
    return rc == DB_OK ? write_active_period(db, s, c) : rc;
}

static int write_declined(struct db *db, const struct subscription_locked *s,
                          const struct subscription_change *c)
{
    long long now = c->clock_offset_s;
    return db_exec(db,
                   "UPDATE subscriptions SET status = 'past_due', "
                   "failed_attempts = failed_attempts + 1, "
                   "past_due_since = COALESCE(past_due_since, " STORE_NOW "), "
                   "next_attempt_at = past_due_since + INTERVAL ? SECOND WHERE id = ?",
                   DB_PARAMS(DBP_I(now), DBP_I(c->retry_in_s), DBP_S(s->id)), NULL, NULL);
}

static int write_final(struct db *db, const struct subscription_locked *s, enum vip_status to)
{
    return db_exec(db, "UPDATE subscriptions SET status = ?, next_attempt_at = NULL WHERE id = ?",
                   DB_PARAMS(DBP_S(vip_status_name(to)), DBP_S(s->id)), NULL, NULL);
}

static int write_change(struct db *db, const struct subscription_locked *s,
                        const struct subscription_change *c, enum vip_status to)
{
    switch (c->move) {
    case VIP_TRIAL_AUTHORISED:
        return write_trial(db, s, c);
    case VIP_PAID:
        return write_paid(db, s, c);
    case VIP_CAPTURED:
    case VIP_RENEWED:
        return write_active_period(db, s, c);
    case VIP_RENEWAL_DECLINED:
        return write_declined(db, s, c);
    case VIP_SET_CANCEL_AT_END:
    case VIP_CLEAR_CANCEL_AT_END:
        return db_exec(db, "UPDATE subscriptions SET cancel_at_period_end = ? WHERE id = ?",
                       DB_PARAMS(DBP_I(c->move == VIP_SET_CANCEL_AT_END), DBP_S(s->id)), NULL,
                       NULL);
    default:
        return write_final(db, s, to);
    }
}

/* What the user reads in their notifications for each event. */
static const struct {
    const char *event, *title;
} titles[] = {
    {"trial_started", "Your VIP trial has started"},
    {"activated", "Your VIP subscription is active"},
    {"payment_failed", "Your VIP payment failed"},
    {"trial_converted", "Your VIP trial ended: your subscription is active"},
    {"trial_cancelled", "Your VIP trial was cancelled"},
    {"renewed", "Your VIP subscription was renewed"},
    {"renewal_failed", "Your VIP renewal payment failed"},
    {"expired", "Your VIP subscription has expired"},
    {"cancelled", "Your VIP subscription has ended"},
    {"cancel_scheduled", "Your VIP subscription will end at the end of its period"},
    {"cancel_unscheduled", "Your VIP subscription will renew"},
};

static enum errkind record_event(struct db *db, const struct subscription_locked *s,
                                 const struct subscription_change *c, const char *event,
                                 enum vip_status to, struct err *e)
{
    int rc = db_exec(db,
                     "INSERT INTO subscription_events (subscription_id, type, from_status, "
                     "to_status, detail) VALUES (?, ?, ?, ?, ?)",
                     DB_PARAMS(DBP_S(s->id), DBP_S(event), DBP_S(vip_status_name(s->status)),
                               DBP_S(vip_status_name(to)), DBP_S(c->detail)),
                     NULL, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    const char *title = event;
    for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
        if (strcmp(titles[i].event, event) == 0)
            title = titles[i].title;
    char type[64];
    snprintf(type, sizeof(type), "vip.%s", event);
    return events_notify(db, s->user_id, type, NULL, title, title, e);
}

enum errkind subscription_store_apply(struct db *db, const struct subscription_locked *s,
                                      const struct subscription_change *c, bool *changed,
                                      struct err *e)
{
    if (changed)
        *changed = false;
    struct vip_decision d = vip_lifecycle_decide(s->status, s->cancel_at_period_end, c->move);
    if (d.kind != E_OK) {
        db_rollback(db);
        return err_set(e, d.kind, "%s", d.message);
    }
    if (d.unchanged)
        return E_OK;
    int rc = write_change(db, s, c, d.to);
    if (rc == DB_DUPLICATE) {
        /* the live key: the user already has a trialing, active or past_due subscription */
        db_rollback(db);
        return err_set(e, E_UNPROCESSABLE, "User already has an active subscription");
    }
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (changed)
        *changed = true;
    if (record_event(db, s, c, d.event, d.to, e) != E_OK)
        return e->kind;
    bool live_before = vip_lifecycle_live(s->status), live_after = vip_lifecycle_live(d.to);
    if (live_before != live_after)
        return vip_badge_set(db, s->user_id, live_after, e);
    return E_OK;
}

enum errkind subscription_store_transition(struct db *db, const char *subscription_id,
                                           const struct subscription_change *c, bool *changed,
                                           struct err *e)
{
    struct subscription_locked s;
    if (subscription_store_lock(db, subscription_id, &s, e) != E_OK)
        return e->kind;
    if (!s.found) {
        db_rollback(db);
        if (changed)
            *changed = false;
        return err_set(e, E_NOT_FOUND, "Subscription not found");
    }
    return subscription_store_apply(db, &s, c, changed, e);
}
