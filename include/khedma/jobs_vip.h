/*
 * jobs_vip.h - the VIP subscription jobs (docs/vip.md, "Jobs"): the end of a card trial (capture
 * of its authorisation), card renewals with the saved token and their retries, the end of a
 * subscription cancelled at period end, and App Store subscriptions that lapsed without a renewal
 * notification, and the reconciliation of card subscription orders whose callback never came.
 * Every write goes through the subscription store (subscription_store.h).
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
 * and *retry_after_s when another attempt is due, false when the subscription expires.
 * *retry_after_s counts from the first decline (past_due_since, where the subscription store
 * measures it), so retries fall 1, 2 and 3 days after it whenever each charge ran. */
bool jobs_vip_retry_after(int failed_attempts, long *retry_after_s);

int jobs_vip_charges(struct db *db, const struct jobs_clock *clock);
int jobs_vip_app_store_lapses(struct db *db, const struct jobs_clock *clock);
int jobs_vip_reconcile(struct db *db, const struct jobs_clock *clock);

#endif
