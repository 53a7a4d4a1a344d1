/*
 * subscription_store.h - the only writer of subscriptions.status and subscription_orders.status
 * (docs/vip.md, "Who writes what"), and the only caller of vip_badge_set. Checkout, the PayTabs
 * confirmations, the App Store endpoints and the jobs all change subscriptions through here.
 *
 * Usage, always inside the caller's transaction (db_begin ... db_commit; every failure has
 * rolled it back):
 *   - checkout: subscription_store_create (a pending subscription) then
 *     subscription_store_order_create (its pending order);
 *   - a confirmation or a job: subscription_store_lock (the subscription row, FOR UPDATE, that
 *     row only), subscription_store_order_lock (the order row) when an order is involved,
 *     subscription_store_order_set (the order's new status), then subscription_store_apply with
 *     the move. Lock order is always subscription, then order, so two writers never deadlock.
 * apply asks the state machine (vip_lifecycle.h), writes the status with its dates, the
 * subscription_events row, a notification for the user, and calls vip_badge_set when the
 * subscription becomes live or stops being live. Knows nothing about HTTP or the gateways.
 */
#ifndef KHEDMA_SUBSCRIPTION_STORE_H
#define KHEDMA_SUBSCRIPTION_STORE_H

#include <stdbool.h>
#include "khedma/cuid.h"
#include "khedma/db.h"
#include "khedma/errors.h"
#include "khedma/vip_lifecycle.h"

#define SUBSCRIPTION_ORDER_ID_LEN 36 /* a UUID */

/* A new pending subscription of user_id to plan package_id, provider "paytabs" or "app_store";
 * its id is written to id. */
enum errkind subscription_store_create(struct db *db, const char *user_id, long long package_id,
                                       const char *provider, char id[CUID_LEN + 1], struct err *e);

/* A new pending subscription order. amount and tax come from the plan (the database). */
struct subscription_order_new {
    const char *user_id;
    long long package_id;
    const char *subscription_id; /* may be NULL */
    const char *kind;            /* initial | renewal */
    const char *payment_method;  /* credit_card | in_app_purchase */
    const char *tran_type;       /* sale | auth for credit_card; NULL for in_app_purchase */
    const char *amount;
    const char *tax;
};
/* Writes the order; its UUID goes to id and its order number (PayTabs cart_id) to *number. */
enum errkind subscription_store_order_create(struct db *db, const struct subscription_order_new *o,
                                             char id[SUBSCRIPTION_ORDER_ID_LEN + 1],
                                             long long *number, struct err *e);

/* A subscription as read under its row lock. */
struct subscription_locked {
    bool found;
    char id[CUID_LEN + 1];
    char user_id[CUID_LEN + 1];
    long long package_id;
    char provider[16];
    enum vip_status status;
    bool cancel_at_period_end;
    long long period_days, trial_days; /* the plan's */
    char paytabs_auth_ref[65];         /* "" when none */
    int failed_attempts;
};
/* Lock the subscription row (FOR UPDATE) and read it with its plan's days. Not found: E_OK with
 * s->found false, the transaction left open. */
enum errkind subscription_store_lock(struct db *db, const char *subscription_id,
                                     struct subscription_locked *s, struct err *e);
/* The live (trialing, active, past_due) subscription of a user, locked; s->found false when
 * none. The jobs and the cancel endpoint start here. */
enum errkind subscription_store_lock_live(struct db *db, const char *user_id,
                                          struct subscription_locked *s, struct err *e);

/* A subscription order as read under its row lock. */
struct subscription_order_locked {
    bool found;
    char id[SUBSCRIPTION_ORDER_ID_LEN + 1];
    long long number;
    char user_id[CUID_LEN + 1];
    char subscription_id[CUID_LEN + 1]; /* "" when none */
    long long package_id;
    char kind[16], payment_method[16], tran_type[8], status[16];
    char amount[32], tax[32];
    char tran_ref[65]; /* "" when none */
};
/* Lock an order by its id (UUID), or by number when id is NULL. Not found: E_OK, found false. */
enum errkind subscription_store_order_lock(struct db *db, const char *id, long long number,
                                           struct subscription_order_locked *o, struct err *e);
/* Move a locked order to status to (pending -> authorised|paid|failed, authorised ->
 * paid|voided|failed, paid -> refunded), recording the gateway's tran_ref when given (NULL keeps
 * it). *changed false: it already had that status (a replay), nothing written. A refused move is
 * E_CONFLICT; a tran_ref already on another order is E_CONFLICT "Transaction already confirmed
 * another order"; both roll back. */
enum errkind subscription_store_order_set(struct db *db, const struct subscription_order_locked *o,
                                          const char *to, const char *tran_ref, bool *changed,
                                          struct err *e);

struct subscription_change {
    enum vip_move move;
    const char *detail; /* the event's detail (why, which gateway reference); may be NULL */
    /* The period's end as a database DATETIME ("YYYY-MM-DD HH:MM:SS[.fff]", UTC), for the App
     * Store's expiresDate; NULL: the store counts the plan's days (trial days for a trial). */
    const char *period_end;
    const char *paytabs_token;           /* saved on TRIAL_AUTHORISED / PAID; may be NULL */
    const char *paytabs_auth_ref;        /* saved on TRIAL_AUTHORISED; may be NULL */
    const char *original_transaction_id; /* App Store; saved on PAID; may be NULL */
    /* RENEWAL_DECLINED: seconds after past_due_since (the first decline) of the next retry. */
    long long retry_in_s;
    long long clock_offset_s; /* the jobs' test clock (jobs_clock.h); 0 elsewhere */
};

/* Make the change on a subscription locked by this transaction (s found). What it writes:
 *   TRIAL_AUTHORISED  trialing; trial_end = current_period_end = next_attempt_at = now + trial
 *                     days; token and auth ref saved.
 *   PAID              active; period now .. now + period days (or c->period_end);
 *                     next_attempt_at = period end; token / original transaction saved.
 *   CAPTURED, RENEWED active; period extended by the plan's days from the old period end
 *                     (or to c->period_end); failed_attempts and
 *                     past_due_since cleared; next_attempt_at = period end.
 *   RENEWAL_DECLINED  past_due (from trialing too: a declined capture); failed_attempts + 1,
 *                     past_due_since kept from the first decline,
 *                     next_attempt_at = past_due_since + c->retry_in_s.
 *   PAYMENT_FAILED, TRIAL_CANCELLED, RETRIES_EXHAUSTED, PERIOD_ENDED, EXPIRE: the final status,
 *                     next_attempt_at NULL.
 *   SET/CLEAR_CANCEL_AT_END: cancel_at_period_end only.
 * *changed (may be NULL) false for an allowed repeat. Becoming live while the user already has
 * a live subscription is E_UNPROCESSABLE "User already has an active subscription". A refusal
 * is E_CONFLICT with the machine's message; every failure has rolled back. */
enum errkind subscription_store_apply(struct db *db, const struct subscription_locked *s,
                                      const struct subscription_change *c, bool *changed,
                                      struct err *e);
/* subscription_store_lock then subscription_store_apply; no such subscription is E_NOT_FOUND
 * "Subscription not found". */
enum errkind subscription_store_transition(struct db *db, const char *subscription_id,
                                           const struct subscription_change *c, bool *changed,
                                           struct err *e);

#endif
