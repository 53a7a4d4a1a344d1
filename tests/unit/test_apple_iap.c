/*
 * test_apple_iap.c - unit tests for apple_iap.c: the checks a verified StoreKit 2 transaction must
 * pass for a pending order (bundle id, environment, type, product, appAccountToken, ids and
 * expiresDate), and the reading of App Store Server Notifications V2 with their nested signed
 * transaction and renewal info, signed with a chain made at test time (apple_chain.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "khedma/apple_iap.h"
#include "khedma/jsonx.h"
#include "apple_chain.h"

#define ORDER "6f1c2b9e-4d1a-4c2e-9f3b-1a2b3c4d5e6f"

static const struct apple_iap_expect EXPECT = {"ma.khedma.app", "Sandbox", "ma.khedma.vip.monthly",
                                               ORDER};

static json_object *tx_json(const char *bundle, const char *env, const char *product,
                            const char *token, const char *otid)
{
    char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"transactionId\":\"2000000000000007\",\"originalTransactionId\":\"%s\","
             "\"bundleId\":\"%s\",\"environment\":\"%s\",\"productId\":\"%s\","
             "\"appAccountToken\":\"%s\",\"type\":\"Auto-Renewable Subscription\","
             "\"purchaseDate\":1796000000000,\"expiresDate\":1798592000000}",
             otid, bundle, env, product, token);
    json_object *o = jsonx_parse(buf, strlen(buf));
    assert_non_null(o);
    return o;
}

static const char *check(json_object *o, struct apple_iap_tx *tx)
{
    const char *why = apple_iap_check_transaction(o, &EXPECT, tx);
    json_object_put(o);
    return why;
}

static void test_transaction_ok(void **state)
{
    struct apple_iap_tx tx;
    assert_null(check(
        tx_json("ma.khedma.app", "Sandbox", "ma.khedma.vip.monthly", ORDER, "2000000000000001"),
        &tx));
    assert_string_equal(tx.original_transaction_id, "2000000000000001");
    assert_string_equal(tx.transaction_id, "2000000000000007");
    assert_int_equal(tx.expires_ms, 1798592000000LL);
    assert_false(tx.revoked);
    /* StoreKit may hand the UUID back in upper case */
    assert_null(check(tx_json("ma.khedma.app", "Sandbox", "ma.khedma.vip.monthly",
                              "6F1C2B9E-4D1A-4C2E-9F3B-1A2B3C4D5E6F", "2000000000000001"),
                      &tx));
}

static void test_transaction_mismatches(void **state)
{
    struct apple_iap_tx tx;
    assert_string_equal(
        check(tx_json("com.other", "Sandbox", "ma.khedma.vip.monthly", ORDER, "1"), &tx),
        "Transaction is for another app (bundleId)");
    assert_string_equal(
        check(tx_json("ma.khedma.app", "Production", "ma.khedma.vip.monthly", ORDER, "1"), &tx),
        "Transaction is from another App Store environment");
    assert_string_equal(
        check(tx_json("ma.khedma.app", "Sandbox", "ma.khedma.vip.yearly", ORDER, "1"), &tx),
        "Transaction is for another product than the order's plan");
    assert_string_equal(check(tx_json("ma.khedma.app", "Sandbox", "ma.khedma.vip.monthly",
                                      "6f1c2b9e-4d1a-4c2e-9f3b-1a2b3c4d5e60", "1"),
                              &tx),
                        "Transaction's appAccountToken does not match the order");
    assert_string_equal(
        check(tx_json("ma.khedma.app", "Sandbox", "ma.khedma.vip.monthly", ORDER, "12a"), &tx),
        "Transaction ids are missing or malformed");
    const char *no_expiry = "{\"transactionId\":\"1\",\"originalTransactionId\":\"1\",\"bundleId\":"
                            "\"ma.khedma.app\",\"environment\":\"Sandbox\",\"productId\":\"ma."
                            "khedma.vip.monthly\",\"appAccountToken\":\"" ORDER "\",\"type\":"
                            "\"Auto-Renewable Subscription\"}";
    assert_string_equal(check(jsonx_parse(no_expiry, strlen(no_expiry)), &tx),
                        "Transaction has no expiresDate");
    const char *consumable =
        "{\"transactionId\":\"1\",\"originalTransactionId\":\"1\",\"bundleId\":"
        "\"ma.khedma.app\",\"environment\":\"Sandbox\",\"type\":"
        "\"Consumable\"}";
    assert_string_equal(check(jsonx_parse(consumable, strlen(consumable)), &tx),
                        "Transaction is not an auto-renewable subscription");
}

/* A notification signed by leaf (nested parts too), x5c = [leaf, intermediate]. */
static char *sign_with(fixture *f, const char *payload, const cred *leaf, const cred *inter)
{
    X509 *chain[] = {leaf->cert, inter->cert};
    char *h = header_json("ES256", chain, 2);
    char *jws = jws_raw(h, payload, leaf->key);
    free(h);
    return jws;
}

static json_object *notification(fixture *f, const char *type, const char *tx_otid,
                                 const char *ri_otid, int auto_renew, bool forged_nested)
{
    char tx[512], ri[256];
    snprintf(
        tx, sizeof tx,
        "{\"transactionId\":\"2000000000000009\",\"originalTransactionId\":\"%s\","
        "\"bundleId\":\"ma.khedma.app\",\"environment\":\"Sandbox\",\"productId\":\"ma.khedma."
        "vip.monthly\",\"type\":\"Auto-Renewable Subscription\",\"expiresDate\":1801184000000}",
        tx_otid);
    snprintf(ri, sizeof ri, "{\"originalTransactionId\":\"%s\",\"autoRenewStatus\":%d}", ri_otid,
             auto_renew);
    cred other_inter, other_leaf;
    make_cert(&other_inter, "Forged WWDR", &f->other_root, true, OID_INTERMEDIATE, -DAY, 365 * DAY);
    make_cert(&other_leaf, "Forged", &other_inter, false, OID_LEAF, -DAY, 365 * DAY);
    char *stx = forged_nested ? sign_with(f, tx, &other_leaf, &other_inter)
                              : sign_with(f, tx, &f->leaf, &f->inter);
    char *sri = sign_with(f, ri, &f->leaf, &f->inter);
    size_t n = strlen(stx) + strlen(sri) + 512;
    char *buf = malloc(n);
    snprintf(
        buf, n,
        "{\"notificationType\":\"%s\",\"subtype\":\"AUTO_RENEW_DISABLED\",\"notificationUUID\":"
        "\"0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d\",\"data\":{\"bundleId\":\"ma.khedma.app\","
        "\"environment\":\"Sandbox\",\"signedTransactionInfo\":\"%s\",\"signedRenewalInfo\":"
        "\"%s\"}}",
        type, stx, sri);
    json_object *o = jsonx_parse(buf, strlen(buf));
    assert_non_null(o);
    free(buf);
    free(stx);
    free(sri);
    cred_free(&other_inter);
    cred_free(&other_leaf);
    return o;
}

static const char *read_n(fixture *f, json_object *o, struct apple_iap_notice *n)
{
    const char *why = apple_iap_read_notification(f->trusted, o, &EXPECT, time(NULL), n);
    json_object_put(o);
    return why;
}

static void test_notification_types(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *type;
        enum apple_iap_action action;
    } cases[] = {{"DID_RENEW", APPLE_IAP_RENEW},
                 {"EXPIRED", APPLE_IAP_EXPIRE},
                 {"DID_FAIL_TO_RENEW", APPLE_IAP_PAST_DUE},
                 {"REFUND", APPLE_IAP_REFUND},
                 {"DID_CHANGE_RENEWAL_STATUS", APPLE_IAP_RENEWAL_STATUS},
                 {"DID_CHANGE_RENEWAL_PREF", APPLE_IAP_IGNORE}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct apple_iap_notice n;
        assert_null(read_n(
            f, notification(f, cases[i].type, "1000000000000042", "1000000000000042", 0, false),
            &n));
        assert_int_equal(n.action, cases[i].action);
        assert_string_equal(n.type, cases[i].type);
        assert_string_equal(n.subtype, "AUTO_RENEW_DISABLED");
        assert_string_equal(n.uuid, "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d");
        assert_string_equal(n.tx.original_transaction_id, "1000000000000042");
        assert_int_equal(n.tx.expires_ms, 1801184000000LL);
        assert_false(n.auto_renew);
    }
}

static void test_notification_refused(void **state)
{
    fixture *f = *state;
    struct apple_iap_notice n;
    /* nested transaction signed under another root */
    assert_string_equal(
        read_n(f, notification(f, "DID_RENEW", "1000000000000042", "1000000000000042", 1, true),
               &n),
        "Notification's signedTransactionInfo is missing or does not verify");
    /* renewal info of another original transaction */
    assert_string_equal(
        read_n(f, notification(f, "DID_CHANGE_RENEWAL_STATUS", "1000000000000042", "999", 1, false),
               &n),
        "Renewal info is for another original transaction");
    /* no UUID, no data */
    const char *bare = "{\"notificationType\":\"DID_RENEW\"}";
    assert_string_equal(read_n(f, jsonx_parse(bare, strlen(bare)), &n),
                        "Notification has no notificationUUID");
    const char *nodata =
        "{\"notificationType\":\"DID_RENEW\",\"notificationUUID\":\"0b1c2d3e-4f50-4a6b-8c7d-"
        "9e0f1a2b3c4d\"}";
    assert_string_equal(read_n(f, jsonx_parse(nodata, strlen(nodata)), &n),
                        "Notification has no data");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transaction_ok),
        cmocka_unit_test(test_transaction_mismatches),
        cmocka_unit_test(test_notification_types),
        cmocka_unit_test(test_notification_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
