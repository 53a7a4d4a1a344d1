/*
 * test_gateway.c - unit tests for the gateway clients' wire formats, without a network: the
 * YouCan Pay tokenize form (minor units, metadata, return URLs) and the parsing of its answers,
 * the PayTabs request bodies and answers, webhook/callback signatures, the shared helpers
 * (gateway_util.c), the operations tables, and the dispatch that never reaches the network (no
 * key configured, YouCan Pay refunds, impossible references).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/config.h"
#include "khedma/crypto.h"
#include "khedma/gateway.h"
#include "khedma/gateway_util.h"
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/paytabs.h"
#include "khedma/youcanpay.h"

#define YCP_KEY "pri_sandbox_k3y"
#define PT_KEY "SJNZ96JLG-JDMKHGRWT9-RWRK2KJNRJ"

static struct config full, bare;
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = fake_env; e && *e; e++) {
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    }
    return NULL;
}

static int setup(void **state)
{
    static const char *const full_env[] = {
        "KHEDMA_PUBLIC_URL=https://khedma.example",
        "KHEDMA_YOUCANPAY_PRIVATE_KEY=" YCP_KEY,
        "KHEDMA_PAYTABS_PROFILE_ID=12345",
        "KHEDMA_PAYTABS_SERVER_KEY=" PT_KEY,
        "KHEDMA_CARD_GATEWAY=paytabs",
        NULL,
    };
    static const char *const bare_env[] = {NULL};
    char err[256];
    log_set_level(LOG_ERROR);
    fake_env = bare_env;
    if (crypto_init() != 0 || config_load(&bare, fake_getenv, err, sizeof err) != 0)
        return -1;
    fake_env = full_env;
    return config_load(&full, fake_getenv, err, sizeof err); /* g_config = &full */
}

static int teardown(void **state)
{
    config_free(&full);
    config_free(&bare);
    return 0;
}

static const struct gateway_checkout_request sample_request = {
    .order_id = "cord0000000000000000000001",
    .amount = "500.00",
    .currency = "MAD",
    .description = "Logo design - basic",
    .customer = {.name = "Amina Alaoui",
                 .email = "amina@example.com",
                 .phone = "+212600000000",
                 .ip = "203.0.113.7"},
};

/* ---- YouCan Pay: the tokenize form ---- */

static const char *form_value(const struct youcanpay_form *form, const char *name)
{
    for (size_t i = 0; i < form->count; i++) {
        if (strcmp(form->fields[i].name, name) == 0)
            return form->fields[i].value;
    }
    return NULL;
}

static void test_tokenize_form(void **state)
{
    static const char *const expected[][2] = {
        {"pri_key", YCP_KEY},
        {"amount", "50000"}, /* minor units: the original app sent 500, i.e. 5.00 MAD */
        {"currency", "MAD"},
        {"order_id", "cord0000000000000000000001"},
        {"customer_ip", "203.0.113.7"},
        {"success_url", "https://khedma.example/orders/cord0000000000000000000001/payment-success"},
        {"error_url", "https://khedma.example/orders/cord0000000000000000000001/payment-failed"},
        {"metadata[order_id]", "cord0000000000000000000001"},
        {"metadata[type]", "checkout"},
        {"customer[name]", "Amina Alaoui"},
        {"customer[email]", "amina@example.com"},
        {"customer[phone]", "+212600000000"},
    };
    struct youcanpay_form form;
    assert_true(youcanpay_build_tokenize_form(&sample_request, YCP_KEY, full.public_url, &form));
    assert_int_equal(form.count, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < form.count; i++) {
        assert_string_equal(form.fields[i].name, expected[i][0]);
        assert_string_equal(form.fields[i].value, expected[i][1]);
    }
}

static void test_tokenize_form_amounts(void **state)
{
    static const char *const cases[][2] = {
        {"12.5", "1250"}, {"0.05", "5"}, {"10", "1000"}, {"1999.99", "199999"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gateway_checkout_request req = sample_request;
        struct youcanpay_form form;
        req.amount = cases[i][0];
        assert_true(youcanpay_build_tokenize_form(&req, YCP_KEY, full.public_url, &form));
        assert_string_equal(form_value(&form, "amount"), cases[i][1]);
    }
    static const char *const bad[] = {"10.555", "-1", "1e3", "", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gateway_checkout_request req = sample_request;
        struct youcanpay_form form;
        req.amount = bad[i];
        assert_false(youcanpay_build_tokenize_form(&req, YCP_KEY, full.public_url, &form));
    }
}

static void test_tokenize_form_edges(void **state)
{
    struct gateway_checkout_request req = sample_request;
    struct youcanpay_form form;
    /* Missing customer data is left out rather than sent as an empty field. */
    req.currency = NULL;
    req.customer.ip = NULL;
    req.customer.phone = NULL;
    assert_true(youcanpay_build_tokenize_form(&req, YCP_KEY, full.public_url, &form));
    assert_null(form_value(&form, "customer_ip"));
    assert_null(form_value(&form, "customer[phone]"));
    assert_string_equal(form_value(&form, "currency"), "MAD");
    assert_int_equal(form.count, 10);
    /* An order id cannot reshape the return URLs. */
    req.order_id = "../x?y=1";
    assert_true(youcanpay_build_tokenize_form(&req, YCP_KEY, full.public_url, &form));
    assert_string_equal(form_value(&form, "success_url"),
                        "https://khedma.example/orders/..%2Fx%3Fy%3D1/payment-success");
    assert_string_equal(form_value(&form, "order_id"), "../x?y=1");
    req.order_id = "";
    assert_false(youcanpay_build_tokenize_form(&req, YCP_KEY, full.public_url, &form));
    req.order_id = NULL;
    assert_false(youcanpay_build_tokenize_form(&req, YCP_KEY, full.public_url, &form));
    req = sample_request;
    assert_false(youcanpay_build_tokenize_form(&req, NULL, full.public_url, &form));
}

/* ---- YouCan Pay: answers ---- */

static bool tokenize(const char *body, char token[GATEWAY_REF_MAX + 1])
{
    return youcanpay_parse_tokenize(body, strlen(body), token);
}

static void test_parse_tokenize(void **state)
{
    char token[GATEWAY_REF_MAX + 1];
    assert_true(tokenize("{\"token\":{\"id\":\"26010885-fb7b-41eb-baf8-3420213f1ed5\"}}", token));
    assert_string_equal(token, "26010885-fb7b-41eb-baf8-3420213f1ed5");
    /* Extra fields are fine. */
    assert_true(tokenize("{\"token\":{\"id\":\"abc\",\"x\":1},\"success\":true}", token));
    assert_string_equal(token, "abc");

    static const char *const bad[] = {
        "{}",
        "{\"token\":null}",
        "{\"token\":\"26010885\"}",
        "{\"token\":{}}",
        "{\"token\":{\"id\":12345}}",
        "{\"token\":{\"id\":null}}",
        "{\"token\":{\"id\":\"\"}}",
        "{\"token\":{\"id\":\"../../evil\"}}",
        "{\"token\":{\"id\":\"a?b\"}}",
        "{\"token\":{\"id\":\"abc\"}} trailing",
        "[{\"token\":{\"id\":\"abc\"}}]",
        "not json",
        "",
        "null",
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        "{\"success\":false,\"message\":\"The amount field is required.\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(token, "stale");
        if (tokenize(bad[i], token))
            fail_msg("accepted %s", bad[i]);
        assert_string_equal(token, "");
    }
    char long_id[300];
    memset(long_id, 'a', 200);
    long_id[200] = '\0';
    char body[400];
    snprintf(body, sizeof body, "{\"token\":{\"id\":\"%s\"}}", long_id);
    assert_false(tokenize(body, token));
}

static bool transaction(const char *body, struct gateway_transaction *t)
{
    return youcanpay_parse_transaction(body, strlen(body), t);
}

static void test_parse_transaction(void **state)
{
    struct gateway_transaction t;
    assert_true(transaction("{\"id\":\"tx-1\",\"order_id\":\"cord1\",\"status\":1,\"amount\":50000,"
                            "\"currency\":\"MAD\",\"created_at\":\"2026-11-22T07:17:00Z\"}",
                            &t));
    assert_string_equal(t.id, "tx-1");
    assert_string_equal(t.order_id, "cord1");
    assert_int_equal(t.status, GATEWAY_TXN_PAID);
    assert_string_equal(t.amount, "500.00");
    assert_string_equal(t.currency, "MAD");
    /* amount as a numeric string, status 0 and -1, no created_at. */
    assert_true(transaction("{\"id\":\"tx-2\",\"order_id\":\"cord2\",\"status\":0,"
                            "\"amount\":\"1250\",\"currency\":\"MAD\"}",
                            &t));
    assert_string_equal(t.amount, "12.50");
    assert_int_equal(t.status, GATEWAY_TXN_PENDING);
    assert_true(transaction("{\"id\":\"tx-3\",\"order_id\":\"c\",\"status\":-1,\"amount\":5,"
                            "\"currency\":\"MAD\"}",
                            &t));
    assert_int_equal(t.status, GATEWAY_TXN_FAILED);
    assert_string_equal(t.amount, "0.05");
    assert_true(transaction("{\"id\":\"tx-4\",\"order_id\":\"c\",\"status\":\"1\",\"amount\":0,"
                            "\"currency\":\"MAD\"}",
                            &t));
    assert_int_equal(t.status, GATEWAY_TXN_PAID);
    assert_string_equal(t.amount, "0.00");
}

static void test_parse_transaction_bad(void **state)
{
    static const char *const bad[] = {
        /* missing fields */
        "{\"order_id\":\"c\",\"status\":1,\"amount\":500,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"status\":1,\"amount\":500,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"amount\":500,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"amount\":500}",
        /* wrong types and values */
        "{\"id\":7,\"order_id\":\"c\",\"status\":1,\"amount\":500,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":null,\"status\":1,\"amount\":500,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":2,\"amount\":500,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":\"paid\",\"amount\":500,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":true,\"amount\":500,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1.0,\"amount\":500,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"amount\":\"500.00\",\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"amount\":500.5,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"amount\":-500,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"amount\":\"-500\",\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"amount\":\"\",\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"amount\":null,\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"amount\":{\"amount\":\"500\"},"
        "\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"amount\":99999999999999999999,"
        "\"currency\":\"MAD\"}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"amount\":500,\"currency\":504}",
        "{\"id\":\"t\",\"order_id\":\"c\",\"status\":1,\"amount\":500,\"currency\":\"TOOLONGCUR\"}",
        "[]",
        "\"tx\"",
        "not json",
        "<!DOCTYPE html><html><title>Not Found</title></html>",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gateway_transaction t;
        if (transaction(bad[i], &t))
            fail_msg("accepted %s", bad[i]);
        assert_string_equal(t.id, "");
        assert_string_equal(t.amount, "");
    }
}

static void test_amount_minor(void **state)
{
    static const struct {
        const char *json;
        bool ok;
        long long minor;
    } cases[] = {
        {"50000", true, 50000},
        {"\"50000\"", true, 50000},
        {"0", true, 0},
        {"\"000123\"", true, 123},
        {"\"999999999999999999\"", true, 999999999999999999LL},
        {"\"1000000000000000000\"", false, 0},
        {"1000000000000000000", false, 0},
        {"-1", false, 0},
        {"500.0", false, 0},
        {"\"5e3\"", false, 0},
        {"\" 500\"", false, 0},
        {"true", false, 0},
        {"[500]", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_object *v = NULL;
        assert_true(jsonx_parse_value(cases[i].json, strlen(cases[i].json), &v));
        long long minor = -7;
        bool ok = youcanpay_amount_minor(v, &minor);
        json_object_put(v);
        if (ok != cases[i].ok)
            fail_msg("%s: %s", cases[i].json, ok ? "accepted" : "rejected");
        if (ok)
            assert_int_equal(minor, cases[i].minor);
    }
    long long minor;
    assert_false(youcanpay_amount_minor(NULL, &minor));
}

static void test_lookup_url(void **state)
{
    char url[512];
    assert_true(youcanpay_lookup_url("https://youcanpay.com/sandbox/api", "26010885-fb7b",
                                     "pri_k+y&x", url, sizeof url));
    assert_string_equal(url, "https://youcanpay.com/sandbox/api/transactions/26010885-fb7b"
                             "?pri_key=pri_k%2By%26x");
    /* A client-supplied id cannot climb out of /transactions/ or add a query. */
    assert_true(youcanpay_lookup_url("http://h/api", "../tokenize?a=b", "k", url, sizeof url));
    assert_string_equal(url, "http://h/api/transactions/..%2Ftokenize%3Fa%3Db?pri_key=k");
    assert_false(youcanpay_lookup_url("http://h/api", "id", "k", url, 20));
}

/* ---- PayTabs: requests ---- */

static void assert_json(json_object *o, const char *expected)
{
    assert_non_null(o);
    assert_string_equal(jsonx_to_string(o), expected);
    json_object_put(o);
}

static void test_paytabs_request(void **state)
{
    assert_json(
        paytabs_build_payment_request(&sample_request, "12345", full.public_url),
        "{\"profile_id\":12345,\"tran_type\":\"sale\",\"tran_class\":\"ecom\","
        "\"cart_id\":\"cord0000000000000000000001\",\"cart_currency\":\"MAD\","
        "\"cart_amount\":500.00,\"cart_description\":\"Logo design - basic\","
        "\"customer_details\":{\"name\":\"Amina Alaoui\",\"email\":\"amina@example.com\","
        "\"phone\":\"+212600000000\",\"street1\":\"Casablanca\",\"city\":\"Casablanca\","
        "\"state\":\"Casablanca-Settat\",\"country\":\"MA\",\"zip\":\"20000\","
        "\"ip\":\"203.0.113.7\"},"
        "\"callback\":\"https://khedma.example/api/payments/paytabs/callback\","
        "\"return\":\"https://khedma.example/orders/cord0000000000000000000001/payment-return\"}");

    struct gateway_checkout_request req = sample_request;
    req.amount = "12.5";
    req.description = NULL;
    json_object *o = paytabs_build_payment_request(&req, "PROFILE-X", full.public_url);
    assert_non_null(o);
    assert_string_equal(json_object_to_json_string(json_object_object_get(o, "cart_amount")),
                        "12.50");
    assert_string_equal(jsonx_str(o, "profile_id"), "PROFILE-X"); /* not numeric: kept a string */
    assert_string_equal(jsonx_str(o, "cart_description"),
                        "Khedma order cord0000000000000000000001");
    json_object_put(o);

    req.amount = "10.555";
    assert_null(paytabs_build_payment_request(&req, "12345", full.public_url));
    req.amount = "1e3";
    assert_null(paytabs_build_payment_request(&req, "12345", full.public_url));
    req = sample_request;
    req.order_id = NULL;
    assert_null(paytabs_build_payment_request(&req, "12345", full.public_url));
}

static void test_paytabs_query_refund_requests(void **state)
{
    assert_json(paytabs_build_query_request("12345", "TST2016700000692"),
                "{\"profile_id\":12345,\"tran_ref\":\"TST2016700000692\"}");
    assert_json(paytabs_build_refund_request("12345", "TST2016700000692", "cord1", "500", "MAD"),
                "{\"profile_id\":12345,\"tran_type\":\"refund\",\"tran_class\":\"ecom\","
                "\"cart_id\":\"cord1\",\"cart_currency\":\"MAD\",\"cart_amount\":500.00,"
                "\"cart_description\":\"Refund of Khedma order cord1\","
                "\"tran_ref\":\"TST2016700000692\"}");
    assert_null(paytabs_build_refund_request("12345", "", "cord1", "500", "MAD"));
    assert_null(paytabs_build_refund_request("12345", "TST1", NULL, "500", "MAD"));
    assert_null(paytabs_build_refund_request("12345", "TST1", "cord1", "-5", "MAD"));
}

/* ---- PayTabs: answers ---- */

static void test_paytabs_payment_page(void **state)
{
    char ref[GATEWAY_REF_MAX + 1], url[2048];
    const char *good = "{\"tran_ref\":\"TST2229801363947\",\"tran_type\":\"Sale\","
                       "\"cart_id\":\"cord1\",\"cart_amount\":\"500.00\","
                       "\"redirect_url\":\"https://secure.paytabs.com/payment/page/599E/start\","
                       "\"serviceId\":2,\"profileId\":12345,\"merchantId\":1842}";
    assert_true(paytabs_parse_payment_page(good, strlen(good), ref, url));
    assert_string_equal(ref, "TST2229801363947");
    assert_string_equal(url, "https://secure.paytabs.com/payment/page/599E/start");
    static const char *const bad[] = {
        "{\"redirect_url\":\"https://secure.paytabs.com/p\"}",
        "{\"tran_ref\":\"TST1\"}",
        "{\"tran_ref\":\"TST1\",\"redirect_url\":\"javascript:alert(1)\"}",
        "{\"tran_ref\":\"\",\"redirect_url\":\"https://secure.paytabs.com/p\"}",
        "{\"tran_ref\":5,\"redirect_url\":\"https://secure.paytabs.com/p\"}",
        "{\"code\":206,\"message\":\"Profile not found\",\"trace\":\"PMNT0401.x\"}",
        "<html>502</html>",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (paytabs_parse_payment_page(bad[i], strlen(bad[i]), ref, url))
            fail_msg("accepted %s", bad[i]);
        assert_string_equal(ref, "");
    }
}

static bool query(const char *status, const char *amount, struct gateway_transaction *t)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"tran_ref\":\"TST1\",\"tran_type\":\"Sale\",\"cart_id\":\"cord1\","
             "\"cart_currency\":\"MAD\",\"cart_amount\":%s,\"payment_result\":"
             "{\"response_status\":%s,\"response_code\":\"G42967\","
             "\"response_message\":\"Authorised\"}}",
             amount, status);
    return paytabs_parse_query(body, strlen(body), t);
}

static void test_paytabs_query(void **state)
{
    static const struct {
        const char *status;
        enum gateway_txn_status expected;
    } cases[] = {
        {"\"A\"", GATEWAY_TXN_PAID},    {"\"a\"", GATEWAY_TXN_PAID},
        {"\"P\"", GATEWAY_TXN_PENDING}, {"\"H\"", GATEWAY_TXN_PENDING},
        {"\"D\"", GATEWAY_TXN_FAILED},  {"\"E\"", GATEWAY_TXN_FAILED},
        {"\"V\"", GATEWAY_TXN_FAILED},  {"\"X\"", GATEWAY_TXN_FAILED},
    };
    struct gateway_transaction t;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(query(cases[i].status, "\"500.00\"", &t));
        assert_int_equal(t.status, cases[i].expected);
    }
    assert_string_equal(t.id, "TST1");
    assert_string_equal(t.order_id, "cord1");
    assert_string_equal(t.currency, "MAD");
    assert_string_equal(t.amount, "500.00");
    assert_true(query("\"A\"", "\"101.5\"", &t));
    assert_string_equal(t.amount, "101.50");
    assert_true(query("\"A\"", "101.51", &t));
    assert_string_equal(t.amount, "101.51");
    assert_true(query("\"A\"", "500", &t));
    assert_string_equal(t.amount, "500.00");
    /* Malformed amounts and statuses. */
    assert_false(query("\"A\"", "\"101.555\"", &t));
    assert_false(query("\"A\"", "1e2", &t));
    assert_false(query("\"A\"", "-5", &t));
    assert_false(query("\"A\"", "null", &t));
    assert_false(query("\"\"", "500", &t));
    assert_false(query("null", "500", &t));
    assert_false(query("1", "500", &t));
    assert_string_equal(t.id, "");
}

static void test_paytabs_query_bad(void **state)
{
    static const char *const bad[] = {
        /* missing payment_result, or not an object */
        "{\"tran_ref\":\"T\",\"cart_id\":\"c\",\"cart_currency\":\"MAD\",\"cart_amount\":\"5\"}",
        "{\"tran_ref\":\"T\",\"cart_id\":\"c\",\"cart_currency\":\"MAD\",\"cart_amount\":\"5\","
        "\"payment_result\":\"A\"}",
        /* missing identifiers */
        "{\"cart_id\":\"c\",\"cart_currency\":\"MAD\",\"cart_amount\":\"5\","
        "\"payment_result\":{\"response_status\":\"A\"}}",
        "{\"tran_ref\":\"T\",\"cart_currency\":\"MAD\",\"cart_amount\":\"5\","
        "\"payment_result\":{\"response_status\":\"A\"}}",
        "{\"tran_ref\":\"T\",\"cart_id\":\"c\",\"cart_amount\":\"5\","
        "\"payment_result\":{\"response_status\":\"A\"}}",
        "{\"tran_ref\":\"T\",\"cart_id\":\"c\",\"cart_currency\":\"MAD\","
        "\"payment_result\":{\"response_status\":\"A\"}}",
        /* an approved refund is not a payment */
        "{\"tran_ref\":\"T\",\"tran_type\":\"Refund\",\"cart_id\":\"c\",\"cart_currency\":\"MAD\","
        "\"cart_amount\":\"5\",\"payment_result\":{\"response_status\":\"A\"}}",
        "{\"tran_ref\":\"T\",\"tran_type\":null,\"cart_id\":\"c\",\"cart_currency\":\"MAD\","
        "\"cart_amount\":\"5\",\"payment_result\":{\"response_status\":\"A\"}}",
        "{\"code\":2,\"message\":\"Invalid transaction reference\"}",
        "not json",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gateway_transaction t;
        if (paytabs_parse_query(bad[i], strlen(bad[i]), &t))
            fail_msg("accepted %s", bad[i]);
    }
}

static void test_paytabs_refund_answer(void **state)
{
    char ref[GATEWAY_REF_MAX + 1];
    const char *approved = "{\"tran_ref\":\"TST2016700000700\",\"previous_tran_ref\":\"TST1\","
                           "\"tran_type\":\"Refund\",\"payment_result\":"
                           "{\"response_status\":\"A\",\"response_message\":\"Authorised\"}}";
    assert_int_equal(paytabs_parse_refund(approved, strlen(approved), ref),
                     PAYTABS_REFUND_APPROVED);
    assert_string_equal(ref, "TST2016700000700");
    const char *declined = "{\"tran_ref\":\"TST2\",\"payment_result\":{\"response_status\":\"D\"}}";
    assert_int_equal(paytabs_parse_refund(declined, strlen(declined), ref),
                     PAYTABS_REFUND_DECLINED);
    assert_string_equal(ref, "");
    const char *pending = "{\"tran_ref\":\"TST2\",\"payment_result\":{\"response_status\":\"P\"}}";
    assert_int_equal(paytabs_parse_refund(pending, strlen(pending), ref), PAYTABS_REFUND_DECLINED);
    static const char *const malformed[] = {
        "{\"payment_result\":{\"response_status\":\"A\"}}",
        "{\"tran_ref\":\"TST2\"}",
        "{\"tran_ref\":\"TST2\",\"payment_result\":{\"response_status\":\"\"}}",
        "{\"code\":1,\"message\":\"Authentication failed\"}",
        "oops",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        assert_int_equal(paytabs_parse_refund(malformed[i], strlen(malformed[i]), ref),
                         PAYTABS_REFUND_MALFORMED);
}

/* ---- signatures ---- */

static void test_hmac(void **state)
{
    /* RFC 4231 test case 2, so the check is tied to HMAC-SHA256 itself and not to our code. */
    const char *rfc = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const char *msg = "what do ya want for nothing?";
    assert_true(gateway_util_hmac_valid("Jefe", msg, strlen(msg), rfc));
    assert_true(gateway_util_hmac_valid(
        "Jefe", msg, strlen(msg),
        "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"));
    assert_false(gateway_util_hmac_valid("Jefe", "what do ya want for nothing!", strlen(msg), rfc));
    assert_false(gateway_util_hmac_valid("Jefe", msg, strlen(msg) - 1, rfc)); /* a byte cut off */
    assert_false(gateway_util_hmac_valid("jefe", msg, strlen(msg), rfc));
    assert_false(gateway_util_hmac_valid("Jefe", msg, strlen(msg), ""));
    assert_false(gateway_util_hmac_valid("Jefe", msg, strlen(msg), NULL));
    assert_false(gateway_util_hmac_valid("Jefe", msg, strlen(msg), "5bdcc146bf60754e"));
    assert_false(gateway_util_hmac_valid("Jefe", msg, strlen(msg),
                                         " 5bdcc146bf60754e6a042426089575c75a00"
                                         "3f089d2739839dec58b964ec3843"));
    assert_false(gateway_util_hmac_valid("Jefe", msg, strlen(msg),
                                         "sha256=5bdcc146bf60754e6a04242608957"
                                         "5c75a003f089d2739839dec58b964ec3843"));
    assert_false(gateway_util_hmac_valid("", msg, strlen(msg), rfc));
    assert_false(gateway_util_hmac_valid(NULL, msg, strlen(msg), rfc));
    assert_false(gateway_util_hmac_valid("Jefe", NULL, 5, rfc));
}

static void test_signature_valid(void **state)
{
    const char *body = "{\"id\":\"evt_1\",\"event_name\":\"transaction.paid\",\"sandbox\":true,"
                       "\"payload\":{\"transaction\":{\"id\":\"t1\",\"order_id\":\"cord1\","
                       "\"amount\":50000,\"currency\":\"MAD\",\"status\":1}}}";
    char ycp[SHA256_HEX_LEN + 1], pt[SHA256_HEX_LEN + 1];
    crypto_hmac_sha256_hex(YCP_KEY, strlen(YCP_KEY), body, strlen(body), ycp);
    crypto_hmac_sha256_hex(PT_KEY, strlen(PT_KEY), body, strlen(body), pt);
    g_config = &full;
    assert_true(gateway_signature_valid(GATEWAY_YOUCANPAY, body, strlen(body), ycp));
    assert_true(gateway_signature_valid(GATEWAY_PAYTABS, body, strlen(body), pt));
    /* Each provider's key signs only its own notifications. */
    assert_false(gateway_signature_valid(GATEWAY_YOUCANPAY, body, strlen(body), pt));
    assert_false(gateway_signature_valid(GATEWAY_PAYTABS, body, strlen(body), ycp));
    /* Tampered: the amount changed after signing. */
    char tampered[512];
    snprintf(tampered, sizeof tampered, "%s", body);
    memcpy(strstr(tampered, "50000"), "00001", 5);
    assert_false(gateway_signature_valid(GATEWAY_YOUCANPAY, tampered, strlen(tampered), ycp));
    assert_false(gateway_signature_valid(GATEWAY_YOUCANPAY, body, strlen(body), ""));
    assert_false(gateway_signature_valid(GATEWAY_YOUCANPAY, body, strlen(body), NULL));
    /* No key configured: nothing verifies, not even a signature made with an empty key. */
    char empty_key_sig[SHA256_HEX_LEN + 1];
    crypto_hmac_sha256_hex("", 0, body, strlen(body), empty_key_sig);
    g_config = &bare;
    assert_false(gateway_signature_valid(GATEWAY_YOUCANPAY, body, strlen(body), ycp));
    assert_false(gateway_signature_valid(GATEWAY_PAYTABS, body, strlen(body), pt));
    assert_false(gateway_signature_valid(GATEWAY_YOUCANPAY, body, strlen(body), empty_key_sig));
    g_config = &full;
}

/* ---- dispatch without the network ---- */

static void test_dispatch(void **state)
{
    g_config = &full;
    assert_int_equal(gateway_card_provider(), GATEWAY_PAYTABS);
    g_config = &bare;
    assert_int_equal(gateway_card_provider(), GATEWAY_YOUCANPAY);
    assert_string_equal(gateway_provider_name(GATEWAY_YOUCANPAY), "youcanpay");
    assert_string_equal(gateway_provider_name(GATEWAY_PAYTABS), "paytabs");

    struct err e = {0};
    char ref[129] = "stale";
    assert_int_equal(gateway_refund(GATEWAY_YOUCANPAY, "t1", "cord1", "500.00", "MAD", ref, &e),
                     E_UNPROCESSABLE);
    assert_string_equal(ref, "");
    /* No keys configured: failures, never a call. */
    struct gateway_checkout_result res;
    assert_int_equal(gateway_checkout(GATEWAY_YOUCANPAY, &sample_request, &res, &e), E_BAD_GATEWAY);
    assert_string_equal(e.message, GATEWAY_MSG_UNAVAILABLE);
    assert_null(res.paytabs_request);
    assert_int_equal(gateway_checkout(GATEWAY_PAYTABS, &sample_request, &res, &e), E_BAD_GATEWAY);
    gateway_checkout_result_free(&res);
    struct gateway_transaction t;
    assert_int_equal(gateway_lookup(GATEWAY_PAYTABS, "TST1", &t, &e), E_BAD_GATEWAY);
    assert_int_equal(gateway_refund(GATEWAY_PAYTABS, "TST1", "cord1", "500.00", "MAD", ref, &e),
                     E_BAD_GATEWAY);
    /* A reference no transaction can have is not found without asking. */
    g_config = &full;
    assert_int_equal(gateway_lookup(GATEWAY_YOUCANPAY, "", &t, &e), E_NOT_FOUND);
    char long_ref[200];
    memset(long_ref, 'x', sizeof long_ref - 1);
    long_ref[sizeof long_ref - 1] = '\0';
    assert_int_equal(gateway_lookup(GATEWAY_YOUCANPAY, long_ref, &t, &e), E_NOT_FOUND);
    assert_int_equal(gateway_lookup(GATEWAY_PAYTABS, long_ref, &t, &e), E_NOT_FOUND);
    gateway_checkout_result_free(NULL);
    err_clear(&e);
}

static void test_url_escape(void **state)
{
    char out[64];
    assert_true(gateway_util_url_escape("AZaz09-._~", out, sizeof out));
    assert_string_equal(out, "AZaz09-._~");
    assert_true(gateway_util_url_escape("a b/c?d&e=f#g%", out, sizeof out));
    assert_string_equal(out, "a%20b%2Fc%3Fd%26e%3Df%23g%25");
    assert_true(gateway_util_url_escape("é", out, sizeof out));
    assert_string_equal(out, "%C3%A9");
    assert_true(gateway_util_url_escape("", out, sizeof out));
    assert_string_equal(out, "");
    assert_false(gateway_util_url_escape("abcd", out, 4)); /* needs 5 bytes */
    assert_true(gateway_util_url_escape("abcd", out, 5));
    assert_false(gateway_util_url_escape("/", out, 3));
    assert_false(gateway_util_url_escape(NULL, out, sizeof out));
}

/* Incoming events: the pure reading both gateways' notifications go through before any
 * database work (gateway_events.c applies them). */
static void test_youcanpay_event(void **state)
{
    static const char paid[] = "{\"id\":\"evt_1\",\"event_name\":\"transaction.paid\",\"payload\":"
                               "{\"transaction\":{\"id\":\"t1\",\"order_id\":\"o1\",\"amount\":"
                               "\"50000\",\"currency\":\"MAD\"}}}";
    struct gateway_event ev;
    youcanpay_parse_event(paid, strlen(paid), &ev);
    assert_int_equal(ev.provider, GATEWAY_YOUCANPAY);
    assert_int_equal(ev.action, GATEWAY_EVENT_PAID);
    assert_string_equal(ev.id, "evt_1");
    assert_string_equal(ev.transaction_id, "t1");
    assert_string_equal(ev.order_id, "o1");
    assert_string_equal(ev.amount, "500.00");
    assert_string_equal(ev.currency, "MAD");

    static const char refunded[] = "{\"id\":\"e\",\"event_name\":\"transaction.refunded\","
                                   "\"payload\":{\"transaction\":{\"amount\":-5}}}";
    youcanpay_parse_event(refunded, strlen(refunded), &ev);
    assert_int_equal(ev.action, GATEWAY_EVENT_REFUNDED);
    assert_string_equal(ev.amount, ""); /* a negative amount is no amount */

    youcanpay_parse_event("[1]", 3, &ev);
    assert_int_equal(ev.action, GATEWAY_EVENT_NONE);
    assert_string_equal(ev.id, "");
    assert_string_equal(ev.type, "");
}

static void test_paytabs_event(void **state)
{
    static const char sale[] = "{\"tran_ref\":\"TST1\",\"cart_id\":\"o1\",\"cart_amount\":\"500\","
                               "\"cart_currency\":\"MAD\",\"payment_result\":{\"response_status\":"
                               "\"H\"}}";
    struct gateway_event ev;
    paytabs_parse_event(sale, strlen(sale), &ev);
    assert_int_equal(ev.provider, GATEWAY_PAYTABS);
    assert_int_equal(ev.action, GATEWAY_EVENT_NONE); /* on hold: nothing to do yet */
    assert_string_equal(ev.id, "TST1:H");
    assert_string_equal(ev.type, "sale.H");
    assert_string_equal(ev.amount, "500.00");

    static const char refund[] =
        "{\"tran_ref\":\"TST2\",\"tran_type\":\"refund\",\"payment_result\":"
        "{\"response_status\":\"A\"}}";
    paytabs_parse_event(refund, strlen(refund), &ev);
    assert_int_equal(ev.action, GATEWAY_EVENT_REFUNDED);
    assert_string_equal(ev.type, "refund.A");

    static const char declined[] = "{\"tran_ref\":\"TST3\",\"payment_result\":{\"response_status\":"
                                   "\"D\"}}";
    paytabs_parse_event(declined, strlen(declined), &ev);
    assert_int_equal(ev.action, GATEWAY_EVENT_FAILED);

    paytabs_parse_event("{", 1, &ev);
    assert_int_equal(ev.action, GATEWAY_EVENT_NONE);
    assert_string_equal(ev.id, "");
}

/* ---- the operations table ---- */

/* Each gateway module's table is complete and named as the dispatcher names it; the dispatcher
 * finds a gateway by that name and reaches the module only through the table. */
static void test_operations_table(void **state)
{
    const struct gateway_ops *const modules[] = {&youcanpay_gateway, &paytabs_gateway};
    const enum gateway_provider providers[] = {GATEWAY_YOUCANPAY, GATEWAY_PAYTABS};
    for (size_t i = 0; i < 2; i++) {
        const struct gateway_ops *g = modules[i];
        assert_non_null(g->name);
        assert_non_null(g->checkout);
        assert_non_null(g->lookup);
        assert_non_null(g->refund);
        assert_non_null(g->signature_valid);
        assert_non_null(g->parse_event);
        assert_string_equal(gateway_provider_name(providers[i]), g->name);
        enum gateway_provider p = (enum gateway_provider) - 1;
        assert_true(gateway_provider_by_name(g->name, &p));
        assert_int_equal(p, providers[i]);
    }
    enum gateway_provider p = GATEWAY_PAYTABS;
    assert_false(gateway_provider_by_name("stripe", &p));
    assert_false(gateway_provider_by_name("PayTabs", &p)); /* names are exact, as in the config */
    assert_false(gateway_provider_by_name("", &p));
    assert_false(gateway_provider_by_name(NULL, &p));
    assert_int_equal(p, GATEWAY_PAYTABS); /* untouched */
    /* YouCan Pay takes no refund call: its module says so, whoever calls. */
    struct err e = {0};
    char ref[GATEWAY_REF_MAX + 1] = "";
    assert_int_equal(youcanpay_gateway.refund("t1", "cord1", "500.00", "MAD", ref, &e),
                     E_UNPROCESSABLE);
    err_clear(&e);
}

/* gateway_parse_event reads each gateway's format through its table entry and names the provider.
 */
static void test_parse_event_dispatch(void **state)
{
    static const char ycp[] = "{\"id\":\"evt_1\",\"event_name\":\"transaction.paid\",\"payload\":"
                              "{\"transaction\":{\"id\":\"t1\",\"order_id\":\"o1\",\"amount\":"
                              "50000,\"currency\":\"MAD\"}}}";
    static const char pt[] = "{\"tran_ref\":\"TST1\",\"cart_id\":\"o1\",\"cart_amount\":\"500\","
                             "\"cart_currency\":\"MAD\",\"payment_result\":{\"response_status\":"
                             "\"A\"}}";
    struct gateway_event ev;
    gateway_parse_event(GATEWAY_YOUCANPAY, ycp, strlen(ycp), &ev);
    assert_int_equal(ev.provider, GATEWAY_YOUCANPAY);
    assert_int_equal(ev.action, GATEWAY_EVENT_PAID);
    assert_string_equal(ev.id, "evt_1");
    assert_string_equal(ev.amount, "500.00");
    gateway_parse_event(GATEWAY_PAYTABS, pt, strlen(pt), &ev);
    assert_int_equal(ev.provider, GATEWAY_PAYTABS);
    assert_int_equal(ev.action, GATEWAY_EVENT_PAID);
    assert_string_equal(ev.id, "TST1:A");
    assert_string_equal(ev.amount, "500.00");
    /* Each format read as the other's is no event. */
    gateway_parse_event(GATEWAY_PAYTABS, ycp, strlen(ycp), &ev);
    assert_int_equal(ev.action, GATEWAY_EVENT_NONE);
    gateway_parse_event(GATEWAY_YOUCANPAY, pt, strlen(pt), &ev);
    assert_int_equal(ev.action, GATEWAY_EVENT_NONE);
}

static void test_util_copy_and_order_url(void **state)
{
    char small[4];
    assert_true(gateway_util_copy(small, sizeof small, "abc"));
    assert_string_equal(small, "abc");
    assert_false(gateway_util_copy(small, sizeof small, "abcd")); /* does not fit: not cut */
    assert_string_equal(small, "");
    assert_false(gateway_util_copy(small, sizeof small, ""));
    assert_false(gateway_util_copy(small, sizeof small, NULL));
    gateway_util_copy_cut(small, sizeof small, "abcd"); /* event fields: cut to fit */
    assert_string_equal(small, "abc");
    gateway_util_copy_cut(small, sizeof small, NULL);
    assert_string_equal(small, "");

    char url[128];
    assert_true(
        gateway_util_order_url(url, sizeof url, "https://k.example", "a/b?c", "payment-return"));
    assert_string_equal(url, "https://k.example/orders/a%2Fb%3Fc/payment-return");
    assert_false(gateway_util_order_url(url, sizeof url, "https://k.example", "", "x"));
    assert_string_equal(url, "");
    assert_false(gateway_util_order_url(url, sizeof url, NULL, "o1", "x"));
    assert_false(gateway_util_order_url(url, 20, "https://k.example", "o1", "payment-return"));
    char long_id[GATEWAY_REF_MAX + 2];
    memset(long_id, 'o', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    char big[2048];
    assert_false(gateway_util_order_url(big, sizeof big, "https://k.example", long_id, "x"));
    long_id[GATEWAY_REF_MAX] = '\0';
    assert_true(gateway_util_order_url(big, sizeof big, "https://k.example", long_id, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize_form),
        cmocka_unit_test(test_tokenize_form_amounts),
        cmocka_unit_test(test_tokenize_form_edges),
        cmocka_unit_test(test_parse_tokenize),
        cmocka_unit_test(test_parse_transaction),
        cmocka_unit_test(test_parse_transaction_bad),
        cmocka_unit_test(test_amount_minor),
        cmocka_unit_test(test_lookup_url),
        cmocka_unit_test(test_paytabs_request),
        cmocka_unit_test(test_paytabs_query_refund_requests),
        cmocka_unit_test(test_paytabs_payment_page),
        cmocka_unit_test(test_paytabs_query),
        cmocka_unit_test(test_paytabs_query_bad),
        cmocka_unit_test(test_paytabs_refund_answer),
        cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_signature_valid),
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_url_escape),
        cmocka_unit_test(test_youcanpay_event),
        cmocka_unit_test(test_paytabs_event),
        cmocka_unit_test(test_operations_table),
        cmocka_unit_test(test_parse_event_dispatch),
        cmocka_unit_test(test_util_copy_and_order_url),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
