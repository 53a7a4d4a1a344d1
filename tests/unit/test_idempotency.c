/*
 * test_idempotency.c - the canonical JSON behind idempotency-key parameter hashes: JSON-equal
 * bodies (any key order, any whitespace) must hash the same, different ones differently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "khedma/crypto.h"
#include "khedma/idempotency.h"
#include "khedma/jsonx.h"

static char *canon_of(const char *text)
{
    json_object *o = jsonx_parse(text, strlen(text));
    assert_non_null(o);
    char *s = idempotency_canonical_json(o);
    json_object_put(o);
    return s;
}

static void sorts_keys_recursively(void **state)
{
    (void)state;
    char *s = canon_of("{ \"b\": 1, \"a\": {\"z\": [3, {\"y\": 1, \"x\": 2}], \"c\": null} }");
    assert_string_equal(s, "{\"a\":{\"c\":null,\"z\":[3,{\"x\":2,\"y\":1}]},\"b\":1}");
    free(s);
}

static void keeps_array_order_and_strings(void **state)
{
    (void)state;
    /* An escaped and a literal e-acute are the same JSON string: both come out as UTF-8. */
    char *s = canon_of("[\"b\", \"a\", \"http://x/y\", \"\\u00e9\"]");
    char *t = canon_of("[\"b\",\"a\",\"http://x/y\",\"\xc3\xa9\"]");
    assert_string_equal(s, "[\"b\",\"a\",\"http://x/y\",\"\xc3\xa9\"]");
    assert_string_equal(s, t);
    free(s);
    free(t);
}

static void equal_bodies_hash_equal(void **state)
{
    (void)state;
    const char *a = "{\"checkoutId\":\"c1\",\"meta\":{\"k\":1,\"j\":[1,2]}}";
    const char *b = "{\n \"meta\": {\"j\": [1, 2], \"k\": 1},\n \"checkoutId\": \"c1\"\n}";
    const char *c = "{\"checkoutId\":\"c1\",\"meta\":{\"k\":1,\"j\":[2,1]}}";
    char ha[SHA256_HEX_LEN + 1], hb[SHA256_HEX_LEN + 1], hc[SHA256_HEX_LEN + 1];
    json_object *oa = jsonx_parse(a, strlen(a)), *ob = jsonx_parse(b, strlen(b)),
                *oc = jsonx_parse(c, strlen(c));
    idempotency_request_hash(oa, ha);
    idempotency_request_hash(ob, hb);
    idempotency_request_hash(oc, hc);
    assert_string_equal(ha, hb);
    assert_string_not_equal(ha, hc);
    assert_int_equal(strlen(ha), SHA256_HEX_LEN);
    json_object_put(oa);
    json_object_put(ob);
    json_object_put(oc);
}

static void empty_containers(void **state)
{
    (void)state;
    char *s = canon_of("{\"a\":{},\"b\":[]}");
    assert_string_equal(s, "{\"a\":{},\"b\":[]}");
    free(s);
}

int main(void)
{
    crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sorts_keys_recursively),
        cmocka_unit_test(keeps_array_order_and_strings),
        cmocka_unit_test(equal_bodies_hash_equal),
        cmocka_unit_test(empty_containers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
