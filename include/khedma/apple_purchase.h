/*
 * apple_purchase.h - the App Store endpoints' service (docs/vip.md, "In-app purchase on iOS"):
 * a StoreKit 2 signed transaction that completes a pending in-app purchase order, and App Store
 * Server Notifications V2 applied once each to the subscription bound to their original
 * transaction. Verification is apple_jws.c and apple_iap.c; status changes go through the
 * subscription store.
 */
#ifndef KHEDMA_APPLE_PURCHASE_H
#define KHEDMA_APPLE_PURCHASE_H

#include <json-c/json.h>

#include "khedma/apple_jws.h"
#include "khedma/db.h"
#include "khedma/errors.h"

/* The root of KHEDMA_APPLE_ROOT_CA, loaded once per process; NULL (with a warning logged once)
 * when it is unset or unreadable. */
const apple_jws_root *apple_purchase_root(void);

/* POST /api/subscriptions/apple/transactions for user_id: data = the subscription. */
enum errkind apple_purchase_transaction(struct db *db, const apple_jws_root *root,
                                        const char *user_id, const char *order_id,
                                        const char *signed_tx, json_object **data, struct err *e);

/* POST /api/subscriptions/apple/notifications: data = {notificationUUID, applied}. */
enum errkind apple_purchase_notification(struct db *db, const apple_jws_root *root,
                                         const char *signed_payload, json_object **data,
                                         struct err *e);

#endif
