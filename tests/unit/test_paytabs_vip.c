/*
 * test_paytabs_vip.c - unit tests for the PayTabs calls of VIP subscriptions (paytabs_vip.c),
 * without a network: the capture, void and recurring request bodies field by field, the reading
 * of PayTabs' answers, and the calls that must not reach the network (request that cannot be
 * built, gateway not configured).
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
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/paytabs_vip.h"

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
    (void)state;
    static const char *const full_env[] = {
        "KHEDMA_PUBLIC_URL=https://khedma.example",
        "KHEDMA_PAYTABS_PROFILE_ID=12345",
        "KHEDMA_PAYTABS_SERVER_KEY=SJNZ96JLG-JDMKHGRWT9-RWRK2KJNRJ",
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
    (void)state;
    config_free(&full);
    config_free(&bare);
    return 0;
}

static const struct paytabs_vip_cart cart = {
    .order_number = "1042", .amount = "99", .currency = "MAD"};

static void assert_field(json_object *o, const char *key, const char *want)
{
    const char *got = jsonx_str(o, key);
    assert_non_null(got);
    assert_string_equal(got, want);
}

/* The fields capture, void and recurring share: profile as a number, the cart as given with the
 * amount at two places, the reference of the original transaction. */
static void assert_cart(json_object *o, const char *tran_type, const char *tran_class,
                        const char *ref)
{
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, "profile_id", &v));
    assert_true(json_object_is_type(v, json_type_int));
    assert_int_equal(json_object_get_int64(v), 12345);
    assert_field(o, "tran_type", tran_type);
    assert_field(o, "tran_class", tran_class);
    assert_field(o, "tran_ref", ref);
    assert_field(o, "cart_id", "1042");
    assert_field(o, "cart_currency", "MAD");
    assert_true(json_object_object_get_ex(o, "cart_amount", &v));
    assert_true(json_object_is_type(v, json_type_double));
    assert_non_null(strstr(jsonx_to_string(o), "\"cart_amount\":99.00"));
}

static void test_capture_request(void **state)
{
    (void)state;
    json_object *o = paytabs_vip_build_capture("12345", "TST2634000000001", &cart);
    assert_non_null(o);
    assert_cart(o, "capture", "ecom", "TST2634000000001");
    assert_field(o, "cart_description", "Payment for Subscription order number 1042");
    assert_false(jsonx_has(o, "token"));
    json_object_put(o);
}

static void test_void_request(void **state)
{
    (void)state;
    json_object *o = paytabs_vip_build_void("12345", "TST2634000000001", &cart);
    assert_non_null(o);
    assert_cart(o, "void", "ecom", "TST2634000000001");
    assert_false(jsonx_has(o, "token"));
    json_object_put(o);
}

static void test_recurring_request(void **state)
{
    (void)state;
    json_object *o = paytabs_vip_build_recurring("12345", "2C4654BC67A3E935C6B691FD6C8374BF",
                                                 "TST2634000000001", &cart);
    assert_non_null(o);
    assert_cart(o, "sale", "recurring", "TST2634000000001");
    assert_field(o, "token", "2C4654BC67A3E935C6B691FD6C8374BF");
    assert_field(o, "cart_description", "Payment for Subscription order number 1042");
    assert_false(jsonx_has(o, "customer_details"));
    json_object_put(o);
}

static void test_profile_not_digits_is_a_string(void **state)
{
    (void)state;
    json_object *o = paytabs_vip_build_capture("p-12", "TST1", &cart);
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, "profile_id", &v));
    assert_true(json_object_is_type(v, json_type_string));
    json_object_put(o);
}

static void test_builders_refuse_incomplete(void **state)
{
    (void)state;
    struct paytabs_vip_cart bad_amount = {.order_number = "7", .amount = "9x"};
    struct paytabs_vip_cart no_number = {.order_number = "", .amount = "99.00"};
    char long_ref[GATEWAY_REF_MAX + 2];
    memset(long_ref, 'T', sizeof long_ref - 1);
    long_ref[sizeof long_ref - 1] = '\0';
    assert_null(paytabs_vip_build_capture("12345", "", &cart));
    assert_null(paytabs_vip_build_capture("12345", NULL, &cart));
    assert_null(paytabs_vip_build_capture("12345", long_ref, &cart));
    assert_null(paytabs_vip_build_void("12345", "TST1", &bad_amount));
    assert_null(paytabs_vip_build_void("12345", "TST1", &no_number));
    assert_null(paytabs_vip_build_void("12345", "TST1", NULL));
    assert_null(paytabs_vip_build_recurring("12345", "", "TST1", &cart));
    assert_null(paytabs_vip_build_recurring("12345", NULL, "TST1", &cart));
    assert_null(paytabs_vip_build_recurring("12345", "tok", "", &cart));
    /* A currency left out is the platform's. */
    struct paytabs_vip_cart no_currency = {.order_number = "7", .amount = "990.00"};
    json_object *o = paytabs_vip_build_capture("12345", "TST1", &no_currency);
    assert_field(o, "cart_currency", "MAD");
    json_object_put(o);
}

static bool parse(const char *body, struct paytabs_vip_result *res)
{
    return paytabs_vip_parse_result(body, strlen(body), res);
}

static void test_parse_result(void **state)
{
    (void)state;
    struct paytabs_vip_result r;
    assert_true(parse("{\"tran_ref\":\"TST9\",\"tran_type\":\"Sale\",\"payment_result\":"
                      "{\"response_status\":\"A\",\"response_message\":\"Authorised\"}}",
                      &r));
    assert_string_equal(r.tran_ref, "TST9");
    assert_string_equal(r.status, "A");
    assert_string_equal(r.message, "Authorised");
    assert_true(parse("{\"tran_ref\":\"TST8\",\"payment_result\":{\"response_status\":\"D\","
                      "\"response_message\":\"Insufficient funds\"}}",
                      &r));
    assert_string_equal(r.status, "D");
    assert_string_equal(r.message, "Insufficient funds");
    /* A decline may come without a transaction; an approval may not. */
    assert_true(parse("{\"payment_result\":{\"response_status\":\"E\"}}", &r));
    assert_string_equal(r.status, "E");
    assert_string_equal(r.tran_ref, "");
    assert_false(parse("{\"payment_result\":{\"response_status\":\"A\"}}", &r));
    assert_string_equal(r.status, "");
    assert_false(parse("{\"tran_ref\":\"TST9\"}", &r));
    assert_false(
        parse("{\"tran_ref\":\"TST9\",\"payment_result\":{\"response_status\":\"\"}}", &r));
    assert_false(
        parse("{\"tran_ref\":\"TST9\",\"payment_result\":{\"response_status\":\"AAAA\"}}", &r));
    assert_false(parse("not json", &r));
    assert_false(parse("[]", &r));
}

static void test_calls_without_network(void **state)
{
    (void)state;
    struct paytabs_vip_result r;
    struct err e = {0};
    struct paytabs_vip_cart bad = {.order_number = "7", .amount = "-"};
    assert_int_equal(paytabs_vip_capture("TST1", &bad, &r, &e), E_INTERNAL);
    err_clear(&e);
    assert_int_equal(paytabs_vip_recurring("", "TST1", &cart, &r, &e), E_INTERNAL);
    err_clear(&e);
    const struct config *saved = g_config;
    g_config = &bare; /* no profile or key: refused before any network */
    assert_int_equal(paytabs_vip_void("TST1", &cart, &r, &e), E_BAD_GATEWAY);
    assert_string_equal(r.status, "");
    err_clear(&e);
    g_config = saved;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_request),
        cmocka_unit_test(test_void_request),
        cmocka_unit_test(test_recurring_request),
        cmocka_unit_test(test_profile_not_digits_is_a_string),
        cmocka_unit_test(test_builders_refuse_incomplete),
        cmocka_unit_test(test_parse_result),
        cmocka_unit_test(test_calls_without_network),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
