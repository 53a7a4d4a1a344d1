/*
 * vip_read.h - the VIP reads and the cancel (docs/api.md, "VIP subscriptions"): the active
 * plans, the signed-in user's subscription, and POST /api/subscriptions/me/cancel. Shared by the
 * REST handlers (handlers_vip.c) and the tRPC procedures vip.packages and vip.mySubscription.
 */
#ifndef KHEDMA_VIP_READ_H
#define KHEDMA_VIP_READ_H

#include <json-c/json.h>
#include "khedma/db.h"
#include "khedma/errors.h"

/* [{id, name, price, currency, periodDays, trialDays, appStoreProductId}], active plans by id. */
enum errkind vip_read_packages(struct db *db, json_object **out, struct err *e);
/* The user's live subscription, else their newest one that is not pending; *out NULL when
 * none. {id, plan, status, currentPeriodEnd, cancelAtPeriodEnd, provider, trialEnd}. */
enum errkind vip_read_my_subscription(struct db *db, const char *user_id, json_object **out,
                                      struct err *e);
/* Stop renewing the live subscription at its period's end; a trial's authorisation is voided
 * at once and the trial cancelled. 404 "Subscription not found" without a live one, 422 for an
 * App Store subscription (cancelled in the App Store), 502 when PayTabs cannot void. *out is
 * the subscription afterwards. */
enum errkind vip_read_cancel(struct db *db, const char *user_id, json_object **out, struct err *e);

#endif
