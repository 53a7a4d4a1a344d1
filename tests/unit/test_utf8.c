/*
 * test_utf8.c - unit tests for the strict UTF-8 validator: valid text in several scripts and each
 * class of malformed input the Unicode standard rules out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/utf8.h"

static bool valid(const char *s)
{
    return utf8_valid(s, strlen(s));
}

static void test_valid_text(void **state)
{
    assert_true(utf8_valid("", 0));
    assert_true(valid("hello, world {\"a\":1}"));
    assert_true(valid("\xd8\xae\xd8\xaf\xd9\x85\xd8\xa9")); /* Arabic "khedma" */
    assert_true(valid("caf\xc3\xa9"));                      /* 2-byte */
    assert_true(valid("\xe2\x82\xac 5"));                   /* euro sign, 3-byte */
    assert_true(valid("\xf0\x9f\x98\x80"));                 /* emoji, 4-byte */
    assert_true(valid("\xef\xbf\xbf"));                     /* U+FFFF */
    assert_true(valid("\xf4\x8f\xbf\xbf"));                 /* U+10FFFF, the maximum */
    assert_true(valid("\xed\x9f\xbf"));                     /* U+D7FF, just below surrogates */
    assert_true(valid("\xee\x80\x80"));                     /* U+E000, just above */
    /* An embedded NUL is a valid code point; the length, not strlen, decides. */
    assert_true(utf8_valid("a\0b", 3));
}

static void test_overlong_rejected(void **state)
{
    assert_false(valid("\xc0\x80"));         /* overlong NUL */
    assert_false(valid("\xc1\xbf"));         /* overlong 0x7F */
    assert_false(valid("\xe0\x80\xaf"));     /* overlong '/' in 3 bytes */
    assert_false(valid("\xe0\x9f\xbf"));     /* overlong U+07FF */
    assert_false(valid("\xf0\x8f\xbf\xbf")); /* overlong U+FFFF */
}

static void test_surrogates_and_range_rejected(void **state)
{
    assert_false(valid("\xed\xa0\x80"));     /* U+D800 */
    assert_false(valid("\xed\xbf\xbf"));     /* U+DFFF */
    assert_false(valid("\xf4\x90\x80\x80")); /* U+110000 */
    assert_false(valid("\xf5\x80\x80\x80"));
    assert_false(valid("\xf8\x88\x80\x80\x80"));
    assert_false(valid("\xfe"));
    assert_false(valid("\xff"));
}

static void test_truncated_and_stray_rejected(void **state)
{
    assert_false(valid("\xd8"));         /* lead byte at the end */
    assert_false(valid("\xe2\x82"));     /* 3-byte cut short */
    assert_false(valid("\xf0\x9f\x98")); /* 4-byte cut short */
    assert_false(valid("\xe2\x82x"));    /* ASCII where a continuation is due */
    assert_false(valid("\x80"));         /* stray continuation */
    assert_false(valid("ab\xbf"
                       "cd"));
    assert_false(valid("\xc3\xa9\xa9")); /* one continuation too many */
    /* The length argument cuts a valid sequence short. */
    assert_false(utf8_valid("\xc3\xa9", 1));
}

static void test_seq_len(void **state)
{
    assert_int_equal(utf8_seq_len("a", 1), 1);
    assert_int_equal(utf8_seq_len("\xc3\xa9", 2), 2);
    assert_int_equal(utf8_seq_len("\xe2\x82\xac", 3), 3);
    assert_int_equal(utf8_seq_len("\xf0\x9f\x98\x80", 4), 4);
    assert_int_equal(utf8_seq_len("\xf0\x9f\x98\x80", 3), 0);
    assert_int_equal(utf8_seq_len("\xed\xa0\x80", 3), 0);
    assert_int_equal(utf8_seq_len("", 0), 0);
}

static void test_length(void **state)
{
    const char *arabic = "\xd8\xae\xd8\xaf\xd9\x85\xd8\xa9";
    assert_int_equal(utf8_length(arabic, strlen(arabic)), 4);
    assert_int_equal(utf8_length("abc", 3), 3);
    assert_int_equal(utf8_length("\xf0\x9f\x98\x80!", 5), 2);
    assert_int_equal(utf8_length("", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_text),
        cmocka_unit_test(test_overlong_rejected),
        cmocka_unit_test(test_surrogates_and_range_rejected),
        cmocka_unit_test(test_truncated_and_stray_rejected),
        cmocka_unit_test(test_seq_len),
        cmocka_unit_test(test_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
