/*
 * apple_iap.c - App Store rules of in-app purchases without the database: the checks a verified
 * StoreKit 2 transaction must pass before it activates a pending order, and the reading of App
 * Store Server Notifications V2 (their nested signed transaction and renewal info are verified
 * with the same root as the notification). The handlers and the subscription store do the rest.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/apple_iap.h"
#include "khedma/jsonx.h"

static bool copy_id(json_object *obj, const char *key, char *dst, size_t cap)
{
    const char *s = jsonx_str(obj, key);
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false; /* App Store transaction ids are decimal digits */
    }
    memcpy(dst, s, n + 1);
    return true;
}

static bool field_is(json_object *obj, const char *key, const char *want)
{
    const char *s = jsonx_str(obj, key);
    return s && strcmp(s, want) == 0;
}

/* appAccountToken is a UUID; StoreKit may hand it back in upper case. */
static bool token_is(json_object *obj, const char *order_id)
{
    const char *s = jsonx_str(obj, "appAccountToken");
    return s && strlen(s) == strlen(order_id) && strcasecmp(s, order_id) == 0;
}

static const char *read_tx(json_object *p, struct apple_iap_tx *out)
{
    memset(out, 0, sizeof *out);
    if (!copy_id(p, "originalTransactionId", out->original_transaction_id,
                 sizeof out->original_transaction_id) ||
        !copy_id(p, "transactionId", out->transaction_id, sizeof out->transaction_id))
        return "Transaction ids are missing or malformed";
    if (!jsonx_int(p, "expiresDate", &out->expires_ms) || out->expires_ms <= 0)
        return "Transaction has no expiresDate";
    out->revoked = jsonx_has(p, "revocationDate");
    return NULL;
}

const char *apple_iap_check_transaction(json_object *p, const struct apple_iap_expect *x,
                                        struct apple_iap_tx *out)
{
    if (x->bundle_id && !field_is(p, "bundleId", x->bundle_id))
        return "Transaction is for another app (bundleId)";
    if (x->environment && !field_is(p, "environment", x->environment))
        return "Transaction is from another App Store environment";
    if (!field_is(p, "type", "Auto-Renewable Subscription"))
        return "Transaction is not an auto-renewable subscription";
    if (x->product_id && !field_is(p, "productId", x->product_id))
        return "Transaction is for another product than the order's plan";
    if (x->order_id && !token_is(p, x->order_id))
        return "Transaction's appAccountToken does not match the order";
    return read_tx(p, out);
}

static enum apple_iap_action action_of(const char *type)
{
    static const struct {
        const char *type;
        enum apple_iap_action action;
    } map[] = {
        {"DID_RENEW", APPLE_IAP_RENEW},
        {"EXPIRED", APPLE_IAP_EXPIRE},
        {"DID_FAIL_TO_RENEW", APPLE_IAP_PAST_DUE},
        {"REFUND", APPLE_IAP_REFUND},
        {"DID_CHANGE_RENEWAL_STATUS", APPLE_IAP_RENEWAL_STATUS},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(type, map[i].type) == 0)
            return map[i].action;
    }
    return APPLE_IAP_IGNORE;
}

static bool copy_text(const char *s, char *dst, size_t cap)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= cap)
        return false;
    memcpy(dst, s ? s : "", n + 1);
    return true;
}

/* A nested JWS (signedTransactionInfo, signedRenewalInfo) verified like its envelope. */
static json_object *nested(const apple_jws_root *root, json_object *data, const char *key,
                           time_t at)
{
    const char *jws = jsonx_str(data, key);
    json_object *out = NULL;
    if (jws && apple_jws_verify(root, jws, strlen(jws), at, &out) != APPLE_JWS_OK)
        out = NULL;
    return out;
}

static const char *read_renewal(const apple_jws_root *root, json_object *data, time_t at,
                                struct apple_iap_notice *out)
{
    out->auto_renew = true;
    if (!jsonx_has(data, "signedRenewalInfo"))
        return out->action == APPLE_IAP_RENEWAL_STATUS ? "Notification has no signedRenewalInfo"
                                                       : NULL;
    json_object *ri = nested(root, data, "signedRenewalInfo", at);
    if (!ri)
        return "Notification's signedRenewalInfo does not verify";
    long long status = 1;
    const char *why = NULL;
    if (!jsonx_int(ri, "autoRenewStatus", &status) || (status != 0 && status != 1))
        why = "Renewal info has no autoRenewStatus";
    else if (!field_is(ri, "originalTransactionId", out->tx.original_transaction_id))
        why = "Renewal info is for another original transaction";
    out->auto_renew = status == 1;
    json_object_put(ri);
    return why;
}

const char *apple_iap_read_notification(const apple_jws_root *root, json_object *p,
                                        const struct apple_iap_expect *x, time_t at,
                                        struct apple_iap_notice *out)
{
    memset(out, 0, sizeof *out);
    const char *uuid = jsonx_str(p, "notificationUUID");
    if (!uuid || strlen(uuid) != APPLE_IAP_UUID_LEN ||
        !copy_text(uuid, out->uuid, sizeof out->uuid))
        return "Notification has no notificationUUID";
    if (!copy_text(jsonx_str(p, "notificationType"), out->type, sizeof out->type) || !out->type[0])
        return "Notification has no notificationType";
    if (!copy_text(jsonx_str(p, "subtype"), out->subtype, sizeof out->subtype))
        return "Notification subtype is too long";
    out->action = action_of(out->type);
    json_object *data = jsonx_obj(p, "data");
    if (!data)
        return "Notification has no data";
    if (x->bundle_id && !field_is(data, "bundleId", x->bundle_id))
        return "Notification is for another app (bundleId)";
    if (x->environment && !field_is(data, "environment", x->environment))
        return "Notification is from another App Store environment";
    json_object *tx = nested(root, data, "signedTransactionInfo", at);
    if (!tx)
        return "Notification's signedTransactionInfo is missing or does not verify";
    const char *why = read_tx(tx, &out->tx);
    if (!why && x->bundle_id && !field_is(tx, "bundleId", x->bundle_id))
        why = "Notification's transaction is for another app (bundleId)";
    json_object_put(tx);
    return why ? why : read_renewal(root, data, at, out);
}
