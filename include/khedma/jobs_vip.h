/*
 * jobs_vip.h - the VIP subscription jobs (docs/vip.md, "Jobs"): the end of a card trial (capture
 * of its authorisation), card renewals with the saved token and their retries, the end of a
 * subscription cancelled at period end, App Store subscriptions that lapsed without a renewal
 * notification, and the reconciliation of card subscription orders whose callback never came.
 * Each runs one tick's worth of work and returns how many subscriptions or orders it changed, or
 * -1 after a database error (logged).
 */
#ifndef KHEDMA_JOBS_VIP_H
#define KHEDMA_JOBS_VIP_H

#include <stdbool.h>
#include "khedma/db.h"

struct jobs_clock;

/* Retries of a declined charge: at 1, 2 and 3 days after the subscription became past_due. */
#define JOBS_VIP_RETRIES 3
#define JOBS_VIP_RETRY_STEP_S 86400L

/* After the failed_attempts-th declined charge of a period (1 = the charge at period end): true
 * and *retry_after_s (seconds after past_due_since) when another attempt is due, false when the
 * subscription expires. */
bool jobs_vip_retry_after(int failed_attempts, long *retry_after_s);

/* The writes the VIP jobs ask for, provided by the subscription store (src/vip/), the only
 * writer of subscription and subscription-order statuses. Each is one transaction that locks
 * the subscription (or order), re-checks it against the state machine, and writes the change,
 * its event and its notification (and the badge through vip_badge_set); offset_s is the jobs'
 * clock offset (JOBS_NOW). Each returns 1 (changed), 0 (nothing to do: someone moved it
 * meanwhile) or -1 (logged, rolled back). */
struct jobs_vip_store {
    /* The trial's authorisation (order_id) was captured (capture_ref): active for the plan's
     * period from the trial's end. */
    int (*captured)(struct db *db, long long offset_s, const char *subscription_id,
                    const char *order_id, const char *capture_ref);
    /* The renewal order was paid (tran_ref): active, period extended by the plan's days from
     * its old end, failed attempts cleared. */
    int (*renewed)(struct db *db, long long offset_s, const char *subscription_id,
                   const char *order_id, const char *tran_ref);
    /* A charge or capture declined (order_id "" when there was no order; tran_ref "" when
     * PayTabs made no transaction): the order failed; the subscription past_due with its next
     * attempt retry_after_s after it became past_due, or expired when expire. */
    int (*declined)(struct db *db, long long offset_s, const char *subscription_id,
                    const char *order_id, const char *tran_ref, const char *message, bool expire,
                    long retry_after_s);
    /* Cancelled at period end and the period is over: it ends without a charge. */
    int (*ended)(struct db *db, long long offset_s, const char *subscription_id);
    /* An App Store subscription past its expiresDate with no renewal: expired. */
    int (*lapsed)(struct db *db, long long offset_s, const char *subscription_id);
    /* A pending renewal order (kind renewal, amount and tax from the plan): 1 with its id,
     * number, amount and currency filled, 0 when the subscription no longer renews, -1. */
    int (*new_renewal_order)(struct db *db, long long offset_s, const char *subscription_id,
                             char order_id[40], char order_number[24], char amount[32],
                             char currency[8]);
    /* A pending card order whose callback is late: PayTabs asked by tran_ref and the answer
     * applied through the callback's confirmation. */
    int (*reconcile_order)(struct db *db, long long offset_s, const char *order_id,
                           const char *tran_ref);
};

/* The store the jobs write through (the subscription store registers itself at start-up);
 * until one is registered the VIP jobs do nothing. */
void jobs_vip_use_store(const struct jobs_vip_store *store);

int jobs_vip_charges(struct db *db, const struct jobs_clock *clock);
int jobs_vip_app_store_lapses(struct db *db, const struct jobs_clock *clock);
int jobs_vip_reconcile(struct db *db, const struct jobs_clock *clock);

#endif
