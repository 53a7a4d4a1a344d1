/*
 * apple_iap.h - the App Store rules of in-app purchases that need no database (docs/vip.md, "In-app
 * purchase on iOS"): what a verified StoreKit 2 transaction must say to activate a given pending
 * order, and what a verified App Store Server Notification V2 asks of the subscription bound to
 * its original transaction. The JWS themselves are verified by apple_jws.c.
 */
#ifndef KHEDMA_APPLE_IAP_H
#define KHEDMA_APPLE_IAP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "khedma/apple_jws.h"

#define APPLE_IAP_ID_MAX 64 /* originalTransactionId fits subscriptions.original_transaction_id */
#define APPLE_IAP_UUID_LEN 36

/* What the transaction must match: the server's configuration and the order. */
struct apple_iap_expect {
    const char *bundle_id;   /* KHEDMA_APPLE_BUNDLE_ID */
    const char *environment; /* KHEDMA_APPLE_ENVIRONMENT */
    const char *product_id;  /* the order's plan's app_store_product_id */
    const char *order_id;    /* the order's UUID, handed to StoreKit as appAccountToken */
};

/* The fields of a transaction the server keeps. */
struct apple_iap_tx {
    char original_transaction_id[APPLE_IAP_ID_MAX + 1];
    char transaction_id[APPLE_IAP_ID_MAX + 1];
    long long expires_ms; /* expiresDate, epoch milliseconds */
    bool revoked;         /* revocationDate present (a refund) */
};

/* Read and check a verified JWSTransaction payload against expect (NULL members are not
 * checked). Returns NULL and fills out, or a client message naming the first mismatch (bundle
 * id, environment, type, product id, appAccountToken, then missing or malformed fields). */
const char *apple_iap_check_transaction(json_object *payload, const struct apple_iap_expect *expect,
                                        struct apple_iap_tx *out);

/* What a notification asks of the bound subscription. */
enum apple_iap_action {
    APPLE_IAP_IGNORE = 0,    /* a type this server does not act on: claimed, nothing else */
    APPLE_IAP_RENEW,         /* DID_RENEW: active until the new expiresDate */
    APPLE_IAP_EXPIRE,        /* EXPIRED: expired */
    APPLE_IAP_PAST_DUE,      /* DID_FAIL_TO_RENEW: past_due */
    APPLE_IAP_REFUND,        /* REFUND: expired at once, the order refunded */
    APPLE_IAP_RENEWAL_STATUS /* DID_CHANGE_RENEWAL_STATUS: cancel_at_period_end = !autoRenewStatus
                              */
};

struct apple_iap_notice {
    char uuid[APPLE_IAP_UUID_LEN + 1];
    char type[41];
    char subtype[41];
    enum apple_iap_action action;
    struct apple_iap_tx tx; /* from data.signedTransactionInfo */
    bool auto_renew;        /* from data.signedRenewalInfo (true when absent) */
};

/* Read a verified notification payload: bundle id and environment (data.*) must match expect,
 * and data.signedTransactionInfo / data.signedRenewalInfo must verify against root at `at`
 * like the notification itself. Returns NULL and fills out, or a client message. */
const char *apple_iap_read_notification(const apple_jws_root *root, json_object *payload,
                                        const struct apple_iap_expect *expect, time_t at,
                                        struct apple_iap_notice *out);

#endif
