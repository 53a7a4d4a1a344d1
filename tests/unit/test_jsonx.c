/*
 * test_jsonx.c - unit tests for the json-c helpers: strict parsing (garbage, depth, non-JSON
 * tokens json-c would otherwise accept), typed field access, exact decimals and serialisation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/jsonx.h"

static json_object *parse(const char *s)
{
    return jsonx_parse(s, strlen(s));
}

static void assert_rejected(const char *s)
{
    json_object *o = parse(s);
    if (o) {
        json_object_put(o);
        fail_msg("accepted \"%s\"", s);
    }
}

static void assert_parses_to(const char *s, const char *canonical)
{
    json_object *o = parse(s);
    if (!o)
        fail_msg("rejected \"%s\"", s);
    assert_string_equal(jsonx_to_string(o), canonical);
    json_object_put(o);
}

static void test_parse_accepts(void **state)
{
    assert_parses_to("{}", "{}");
    assert_parses_to(" {} ", "{}");
    assert_parses_to("\r\n\t{ \"a\" : [1, 2.5, true, null, \"x\"] }\n",
                     "{\"a\":[1,2.5,true,null,\"x\"]}");
    assert_parses_to("5", "5");
    assert_parses_to("-0", "0");
    assert_parses_to("[-1.5e+3,0.25,0,1E-2]", "[-1.5e+3,0.25,0,1E-2]");
    assert_parses_to("1e2", "1e2");
    assert_parses_to("\"caf\\u00e9\"", "\"caf\xc3\xa9\"");
    assert_parses_to("\"\xd8\xae\xd8\xaf\xd9\x85\xd8\xa9\"",
                     "\"\xd8\xae\xd8\xaf\xd9\x85\xd8\xa9\"");
    assert_parses_to("{\"s\":\"it's\"}", "{\"s\":\"it's\"}");
    assert_parses_to("[\"a\\\"b\"]", "[\"a\\\"b\"]");
    /* An escaped backslash followed by the letters u0000 is text, not a NUL. */
    assert_parses_to("\"a\\\\u0000\"", "\"a\\\\u0000\"");
    assert_parses_to("\"\\u0001\"", "\"\\u0001\"");
}

static void test_parse_rejects(void **state)
{
    const char *bad[] = {
        "{}x",   "{} x",  "{",        "}",        "[1,]",       "{\"a\":1,}",   "{'a':1}",
        "['a']", "{a:1}", "NaN",      "Infinity", "-Infinity",  "[nan]",        "1e999",
        "1.",    ".5",    "+1",       "01",       "0x10",       "tru",          "/*c*/{}",
        "{}//c", "[1 2]", "\"\x01\"", "\"a\nb\"", "\"\xff\"",   "\"\xc0\x80\"", "{}{}",
        "   ",   "\"abc", "-",        "[-]",      "1e",         "1e+",          "[1.e5]",
        "-01",   "[00]",  "[1]x",     "[.5]",     "{\"a\":+1}", "-a",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_rejected(bad[i]);
    assert_null(jsonx_parse("", 0));
    assert_null(jsonx_parse(NULL, 0));
    /* An embedded NUL, inside or after a value. */
    assert_null(jsonx_parse("{}\0", 3));
    assert_null(jsonx_parse("\"a\0b\"", 5));
    /* ... or escaped: C strings would end at it, so "a\u0000b" would read as "a" and keys that
     * differ only after it would be one key. */
    assert_rejected("\"a\\u0000b\"");
    assert_rejected("{\"k\\u0000x\":1,\"k\\u0000y\":2}");
    assert_rejected("[\"\\u0000\"]");
    /* The length, not a terminator, bounds the input. */
    json_object *o = jsonx_parse("{}garbage", 2);
    assert_non_null(o);
    json_object_put(o);
}

static void test_parse_null_value(void **state)
{
    json_object *o = (json_object *)&o; /* must be overwritten */
    assert_null(parse("null"));
    assert_true(jsonx_parse_value("null", 4, &o));
    assert_null(o);
    assert_false(jsonx_parse_value("nul", 3, &o));
    assert_null(o);
    assert_true(jsonx_parse_value(" [] ", 4, &o));
    assert_non_null(o);
    json_object_put(o);
}

static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 1);
    memset(s, '[', (size_t)depth);
    memset(s + depth, ']', (size_t)depth);
    s[depth * 2] = '\0';
    return s;
}

static void test_parse_depth(void **state)
{
    char *ok = nested(20);
    json_object *o = parse(ok);
    assert_non_null(o);
    json_object_put(o);
    free(ok);
    /* Deep input is refused, not recursed into. */
    int depths[] = {33, 1000, 200000};
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        char *deep = nested(depths[i]);
        assert_rejected(deep);
        free(deep);
    }
    char *opens = malloc(100001);
    memset(opens, '{', 100000);
    opens[100000] = '\0';
    assert_rejected(opens);
    free(opens);
}

static void test_field_access(void **state)
{
    json_object *o = parse("{\"s\":\"hi\",\"n\":null,\"b\":false,\"o\":{\"x\":1},\"a\":[1],"
                           "\"i\":7}");
    assert_non_null(o);
    assert_string_equal(jsonx_str(o, "s"), "hi");
    assert_null(jsonx_str(o, "n"));
    assert_null(jsonx_str(o, "i"));
    assert_null(jsonx_str(o, "missing"));
    assert_true(jsonx_has(o, "n"));
    assert_true(jsonx_has(o, "s"));
    assert_false(jsonx_has(o, "missing"));
    bool b = true;
    assert_true(jsonx_bool(o, "b", &b));
    assert_false(b);
    assert_false(jsonx_bool(o, "i", &b));
    assert_false(jsonx_bool(o, "s", &b));
    assert_non_null(jsonx_obj(o, "o"));
    assert_null(jsonx_obj(o, "a"));
    assert_non_null(jsonx_array(o, "a"));
    assert_null(jsonx_array(o, "o"));
    assert_null(jsonx_array(o, "n"));
    /* NULL or non-object containers are not an error. */
    assert_null(jsonx_str(NULL, "s"));
    assert_false(jsonx_has(NULL, "s"));
    assert_null(jsonx_str(jsonx_array(o, "a"), "s"));
    json_object_put(o);
}

static void test_int(void **state)
{
    json_object *o = parse("{\"a\":5,\"b\":5.0,\"c\":5.5,\"d\":\"5\",\"e\":-12,\"f\":1e3,"
                           "\"g\":9007199254740991,\"h\":9007199254740992,"
                           "\"i\":99999999999999999999,\"j\":-99999999999999999999,"
                           "\"k\":1e300,\"l\":-0.0,\"m\":true,\"n\":null,\"o\":0.0000001}");
    assert_non_null(o);
    long long v = 123;
    assert_true(jsonx_int(o, "a", &v));
    assert_int_equal(v, 5);
    v = 0;
    assert_true(jsonx_int(o, "b", &v));
    assert_int_equal(v, 5);
    assert_true(jsonx_int(o, "e", &v));
    assert_int_equal(v, -12);
    assert_true(jsonx_int(o, "f", &v));
    assert_int_equal(v, 1000);
    assert_true(jsonx_int(o, "g", &v));
    assert_int_equal(v, 9007199254740991LL);
    assert_true(jsonx_int(o, "l", &v));
    assert_int_equal(v, 0);
    v = 77;
    const char *rejected[] = {"c", "d", "h", "i", "j", "k", "m", "n", "o", "missing"};
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        if (jsonx_int(o, rejected[i], &v))
            fail_msg("jsonx_int accepted field %s", rejected[i]);
    }
    assert_int_equal(v, 77); /* untouched on failure */
    json_object_put(o);
}

static void assert_decimal(const char *in, const char *printed)
{
    json_object *o = json_object_new_object();
    jsonx_add_decimal(o, "v", in);
    char want[128];
    snprintf(want, sizeof want, "{\"v\":%s}", printed);
    assert_string_equal(jsonx_to_string(o), want);
    json_object_put(o);
}

static void test_decimal(void **state)
{
    assert_decimal("500.00", "500");
    assert_decimal("12.50", "12.5");
    assert_decimal("0.05", "0.05");
    assert_decimal("0.10", "0.1");
    assert_decimal("1234567890123.45", "1234567890123.45");
    assert_decimal("10", "10");
    assert_decimal("007.50", "7.5");
    assert_decimal("-3.20", "-3.2");
    assert_decimal("-0.00", "0");
    assert_decimal("0.00", "0");
    assert_decimal(NULL, "null");
    assert_decimal("", "null");
    assert_decimal("abc", "null");
    assert_decimal("1.", "null");
    assert_decimal(".5", "null");
    assert_decimal("1.2.3", "null");
    assert_decimal("1e5", "null");
    assert_decimal(" 1", "null");

    json_object *d = jsonx_new_decimal("12.50");
    assert_true(json_object_is_type(d, json_type_double));
    assert_true(json_object_get_double(d) == 12.5);
    json_object_put(d);
    /* A deep copy keeps the exact text. */
    json_object *o = json_object_new_object(), *copy = NULL;
    jsonx_add_decimal(o, "v", "0.30");
    assert_int_equal(json_object_deep_copy(o, &copy, NULL), 0);
    assert_string_equal(jsonx_to_string(copy), "{\"v\":0.3}");
    json_object_put(copy);
    json_object_put(o);
}

static void test_add_and_serialise(void **state)
{
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "url", "https://khedma.ma/a/b");
    jsonx_add_str(o, "none", NULL);
    jsonx_add_int(o, "big", 9007199254740993LL);
    jsonx_add_int(o, "neg", -4);
    jsonx_add_bool(o, "t", true);
    jsonx_add_bool(o, "f", false);
    jsonx_add_null(o, "z");
    jsonx_add_str(o, "q", "say \"hi\"\n");
    assert_string_equal(jsonx_to_string(o), "{\"url\":\"https://khedma.ma/a/b\",\"none\":null,"
                                            "\"big\":9007199254740993,\"neg\":-4,\"t\":true,"
                                            "\"f\":false,\"z\":null,\"q\":\"say \\\"hi\\\"\\n\"}");
    /* Replacing a key keeps one entry. */
    jsonx_add_int(o, "neg", 5);
    long long v;
    assert_true(jsonx_int(o, "neg", &v));
    assert_int_equal(v, 5);
    json_object_put(o);
    /* Adding to NULL does not crash or leak. */
    jsonx_add_str(NULL, "k", "v");
    jsonx_add_decimal(NULL, "k", "1.00");
    assert_string_equal(jsonx_to_string(NULL), "null");
}

/* A raw value is written as its text, byte for byte, wherever it sits in a tree; expanding it
 * gives a tree that serialises to the same text. */
static void test_raw(void **state)
{
    (void)state;
    const char *text = "{\"a\":[1,2.50,\"x/y\"],\"r\":3.33333333333333,\"n\":null}";
    json_object *raw = jsonx_new_raw(text, strlen(text));
    assert_non_null(raw);
    assert_string_equal(jsonx_raw_text(raw), text);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "data", raw);
    jsonx_add_int(o, "k", 1);
    char want[256];
    snprintf(want, sizeof want, "{\"data\":%s,\"k\":1}", text);
    assert_string_equal(jsonx_to_string(o), want);
    json_object_put(o);
    /* Not raw: no text, and expanding returns it unchanged. */
    json_object *plain = json_object_new_object();
    assert_null(jsonx_raw_text(plain));
    assert_ptr_equal(jsonx_raw_expand(plain), plain);
    json_object_put(plain);
    json_object *tree = jsonx_raw_expand(jsonx_new_raw(text, strlen(text)));
    assert_non_null(tree);
    assert_null(jsonx_raw_text(tree));
    assert_string_equal(jsonx_to_string(tree), text);
    json_object_put(tree);
}

/* Marks write nothing and record where they would have been written. */
static void test_mark(void **state)
{
    (void)state;
    size_t a = 0, b = 0;
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "x", "1");
    json_object_object_add(o, "m", jsonx_new_mark(&a));
    json_object_object_add(o, "n", jsonx_new_mark(&b));
    const char *s = jsonx_to_string(o);
    assert_string_equal(s, "{\"x\":\"1\",\"m\":,\"n\":}");
    assert_int_equal(a, strlen("{\"x\":\"1\",\"m\":"));
    assert_int_equal(b, strlen("{\"x\":\"1\",\"m\":,\"n\":"));
    json_object_put(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_null_value),
        cmocka_unit_test(test_parse_depth),
        cmocka_unit_test(test_field_access),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_add_and_serialise),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_mark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
