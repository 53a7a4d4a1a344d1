/*
 * test_money.c - unit tests for money.c: the one reader of decimal text (its parts and what it
 * refuses), MAD amounts between decimal strings and minor units (the conversions YouCan Pay
 * depends on: 500.00 MAD is 50000, never 500), the narrow accepted syntax, overflow at the edges
 * of a long long, and the shortest form JSON numbers print (jsonx.c's decimals).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/money.h"

static void assert_minor(const char *decimal, long long expected)
{
    long long minor = -12345;
    if (!money_to_minor(decimal, &minor))
        fail_msg("\"%s\" rejected", decimal);
    if (minor != expected)
        fail_msg("\"%s\" -> %lld, expected %lld", decimal, minor, expected);
}

static void assert_rejected(const char *decimal)
{
    long long minor = -12345;
    if (money_to_minor(decimal, &minor))
        fail_msg("\"%s\" accepted as %lld", decimal, minor);
    assert_int_equal(minor, -12345); /* untouched on failure */
    char out[32] = "untouched";
    assert_false(money_normalize(decimal, out));
}

static void test_to_minor(void **state)
{
    assert_minor("500.00", 50000); /* the bug of the original app: it sent 500 */
    assert_minor("500", 50000);
    assert_minor("0.05", 5);
    assert_minor("0.5", 50);
    assert_minor("10", 1000);
    assert_minor("10.5", 1050);
    assert_minor("12.34", 1234);
    assert_minor("0", 0);
    assert_minor("0.00", 0);
    assert_minor("007.50", 750); /* leading zeros are only zeros */
    assert_minor("000", 0);
}

static void test_rejected(void **state)
{
    assert_rejected("10.555"); /* a third place would be rounded, and rounding money is a bug */
    assert_rejected("-1");
    assert_rejected("-0.50");
    assert_rejected("+1");
    assert_rejected("1e3");
    assert_rejected("1E3");
    assert_rejected("10.");
    assert_rejected(".5");
    assert_rejected(".");
    assert_rejected("");
    assert_rejected(" 10");
    assert_rejected("10 ");
    assert_rejected("10,50");
    assert_rejected("1.2.3");
    assert_rejected("0x10");
    assert_rejected("NaN");
    assert_rejected("inf");
    assert_rejected("١٠"); /* Arabic-Indic digits are not ASCII digits */
    assert_rejected(NULL);
    assert_false(money_to_minor("10", NULL));
}

static void test_huge(void **state)
{
    /* LLONG_MAX is 9223372036854775807: the largest amount is 92233720368547758.07. */
    assert_minor("92233720368547758.07", LLONG_MAX);
    assert_rejected("92233720368547758.08");
    assert_rejected("92233720368547759");
    assert_rejected("99999999999999999999999999");
    assert_minor("1000000000000", 100000000000000LL);
    /* Leading zeros do not count towards overflow. */
    assert_minor("00000000000000000000000000000001.01", 101);
}

static void test_from_minor(void **state)
{
    char out[32];
    money_from_minor(50000, out);
    assert_string_equal(out, "500.00");
    money_from_minor(5, out);
    assert_string_equal(out, "0.05");
    money_from_minor(0, out);
    assert_string_equal(out, "0.00");
    money_from_minor(1050, out);
    assert_string_equal(out, "10.50");
    money_from_minor(LLONG_MAX, out);
    assert_string_equal(out, "92233720368547758.07");
    money_from_minor(-5, out);
    assert_string_equal(out, "-0.05");
    money_from_minor(LLONG_MIN, out);
    assert_string_equal(out, "-92233720368547758.08");
}

static void test_normalize(void **state)
{
    char out[32];
    assert_true(money_normalize("500", out));
    assert_string_equal(out, "500.00");
    assert_true(money_normalize("12.5", out));
    assert_string_equal(out, "12.50");
    assert_true(money_normalize("0.05", out));
    assert_string_equal(out, "0.05");
    assert_true(money_normalize("0010.10", out));
    assert_string_equal(out, "10.10");
    assert_true(money_normalize("92233720368547758.07", out));
    assert_string_equal(out, "92233720368547758.07");
}

static void test_round_trip(void **state)
{
    /* Every centime value in a range survives minor -> decimal -> minor. */
    for (long long v = 0; v < 100000; v += 7) {
        char out[32];
        long long back = -1;
        money_from_minor(v, out);
        assert_true(money_to_minor(out, &back));
        assert_int_equal(back, v);
    }
}

static void test_equal(void **state)
{
    (void)state;
    assert_true(money_equal("500", "500.00"));
    assert_true(money_equal("12.5", "12.50"));
    assert_true(money_equal("0500.0", "500"));
    assert_false(money_equal("500", "500.01"));
    assert_false(money_equal("499.99", "500"));
    assert_false(money_equal("abc", "abc")); /* not amounts: never equal */
    assert_false(money_equal(NULL, "500"));
    assert_false(money_equal("10.555", "10.555"));
}

static void assert_parts(const char *text, bool negative, const char *int_digits,
                         const char *frac_digits)
{
    struct money_decimal d;
    if (!money_parse_decimal(text, &d))
        fail_msg("\"%s\" rejected", text);
    assert_int_equal(d.negative, negative);
    assert_int_equal(d.int_len, strlen(int_digits));
    assert_memory_equal(d.int_digits, int_digits, d.int_len);
    assert_int_equal(d.frac_len, strlen(frac_digits));
    assert_memory_equal(d.frac_digits, frac_digits, d.frac_len);
}

static void test_parse_decimal(void **state)
{
    (void)state;
    assert_parts("500.00", false, "500", "00");
    assert_parts("500", false, "500", "");
    assert_parts("-3.20", true, "3", "20");
    assert_parts("007.5", false, "007", "5");
    assert_parts("0.123456789", false, "0", "123456789"); /* any number of places */
    assert_parts("99999999999999999999999999", false, "99999999999999999999999999", "");
    /* The digits point into the text read, not into a copy. */
    const char *text = "12.5";
    struct money_decimal d;
    assert_true(money_parse_decimal(text, &d));
    assert_ptr_equal(d.int_digits, text);
    assert_ptr_equal(d.frac_digits, text + 3);
    static const char *const refused[] = {
        "",   "-",  "+1",  "1.",    ".5",   ".",   "-.5", "--1",  "1e5", "1E5",
        " 1", "1 ", "1,5", "1.2.3", "0x10", "NaN", "inf", "-inf", "١٠",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (money_parse_decimal(refused[i], &d))
            fail_msg("\"%s\" accepted", refused[i]);
    }
    assert_false(money_parse_decimal(NULL, &d));
}

static void assert_shortest(const char *in, const char *expected)
{
    char out[64] = "untouched";
    if (!expected) {
        if (money_shortest(in, out))
            fail_msg("\"%s\" accepted as \"%s\"", in, out);
        assert_string_equal(out, "untouched");
        return;
    }
    if (!money_shortest(in, out))
        fail_msg("\"%s\" rejected", in);
    assert_string_equal(out, expected);
    assert_true(strlen(out) <= strlen(in)); /* the caller's buffer is sized by the input */
}

static void test_shortest(void **state)
{
    (void)state;
    assert_shortest("500.00", "500");
    assert_shortest("12.50", "12.5");
    assert_shortest("0.05", "0.05");
    assert_shortest("0.10", "0.1");
    assert_shortest("1234567890123.45", "1234567890123.45");
    assert_shortest("10", "10");
    assert_shortest("007.50", "7.5");
    assert_shortest("-3.20", "-3.2");
    assert_shortest("-0.00", "0");
    assert_shortest("-0", "0");
    assert_shortest("0.00", "0");
    assert_shortest("000", "0");
    assert_shortest("100", "100"); /* trailing zeros of the integer part stay */
    assert_shortest("", NULL);
    assert_shortest("abc", NULL);
    assert_shortest("1.", NULL);
    assert_shortest(".5", NULL);
    assert_shortest("1.2.3", NULL);
    assert_shortest("1e5", NULL);
    assert_shortest(" 1", NULL);
    assert_shortest(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_to_minor),  cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_huge),      cmocka_unit_test(test_from_minor),
        cmocka_unit_test(test_normalize), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_equal),     cmocka_unit_test(test_parse_decimal),
        cmocka_unit_test(test_shortest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
