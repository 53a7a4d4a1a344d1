/*
 * test_validate.c - unit tests for the edge validators: e-mail, username, phone, http(s) URL and
 * whitespace trimming. Each validator gets accepted shapes, the exact length limits on both
 * sides, non-ASCII input and strings that look like injection attempts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/validate.h"

/* A string of n copies of ch followed by suffix, in a caller buffer. */
static char *repeat(char *buf, char ch, size_t n, const char *suffix)
{
    memset(buf, ch, n);
    strcpy(buf + n, suffix);
    return buf;
}

static void test_email_accepts(void **state)
{
    assert_true(validate_email("a@b.co"));
    assert_true(validate_email("first.last@example.com"));
    assert_true(validate_email("User+tag@Sub.Example.MA"));
    assert_true(validate_email("o'brien@example.ie"));
    assert_true(validate_email("x_y-z@my-host.example.org"));
    assert_true(validate_email("1234@123.example.com"));
    assert_true(validate_email("user@xn--mgbh0fb.xn--ngbrx")); /* punycoded IDN domain and TLD */
}

static void test_email_rejects_shapes(void **state)
{
    assert_false(validate_email(NULL));
    assert_false(validate_email(""));
    assert_false(validate_email("plain"));
    assert_false(validate_email("@example.com"));
    assert_false(validate_email("user@"));
    assert_false(validate_email("user@localhost")); /* no TLD */
    assert_false(validate_email("user@example.c")); /* one-letter TLD */
    assert_false(validate_email("user@1.2.3.4"));   /* numeric TLD */
    assert_false(validate_email("user@[127.0.0.1]"));
    assert_false(validate_email("a@b@example.com"));
    assert_false(validate_email(".user@example.com"));
    assert_false(validate_email("user.@example.com"));
    assert_false(validate_email("us..er@example.com"));
    assert_false(validate_email("user@example..com"));
    assert_false(validate_email("user@.example.com"));
    assert_false(validate_email("user@example.com."));
    assert_false(validate_email("user@-example.com"));
    assert_false(validate_email("user@example-.com"));
    assert_false(validate_email("us er@example.com"));
    assert_false(validate_email(" user@example.com"));
    assert_false(validate_email("user@example.com\n"));
    assert_false(validate_email("\"quoted\"@example.com"));
    assert_false(validate_email("user@exa_mple.com"));
}

static void test_email_rejects_unicode_and_injection(void **state)
{
    assert_false(validate_email("us\xc3\xa9r@example.com")); /* é in the local part */
    assert_false(validate_email("user@ex\xc3\xa4mple.com")); /* unpunycoded domain */
    assert_false(validate_email("\xd8\xae\xd8\xaf\xd9\x85\xd8\xa9@example.ma")); /* Arabic */
    assert_false(validate_email("a@b.com' OR '1'='1"));
    assert_false(validate_email("a@b.com;DROP TABLE users"));
    assert_false(validate_email("<script>@example.com"));
    assert_false(validate_email("user@example.com\r\nBcc: x@evil.com"));
}

static void test_email_lengths(void **state)
{
    char buf[400];
    /* Local part: 64 allowed, 65 not. */
    assert_true(validate_email(repeat(buf, 'a', 64, "@example.com")));
    assert_false(validate_email(repeat(buf, 'a', 65, "@example.com")));
    /* One DNS label: 63 allowed, 64 not. */
    char label[80];
    repeat(label, 'd', 63, ".com");
    snprintf(buf, sizeof(buf), "u@%s", label);
    assert_true(validate_email(buf));
    repeat(label, 'd', 64, ".com");
    snprintf(buf, sizeof(buf), "u@%s", label);
    assert_false(validate_email(buf));
    /* Whole address: 254 allowed, 255 not (64 + 1 + 63.63.57.com = 254). */
    char d63[64];
    repeat(d63, 'd', 63, "");
    char d57[64];
    repeat(d57, 'e', 57, "");
    char local[65];
    repeat(local, 'a', 64, "");
    snprintf(buf, sizeof(buf), "%s@%s.%s.%s.com", local, d63, d63, d57);
    assert_int_equal(strlen(buf), 254);
    assert_true(validate_email(buf));
    snprintf(buf, sizeof(buf), "%s@%s.%s.%se.com", local, d63, d63, d57);
    assert_int_equal(strlen(buf), 255);
    assert_false(validate_email(buf));
}

static void test_username(void **state)
{
    char buf[40];
    assert_true(validate_username("abc"));
    assert_true(validate_username("a_b-c9"));
    assert_true(validate_username("---"));
    assert_true(validate_username("000"));
    assert_true(validate_username(repeat(buf, 'z', 30, "")));
    assert_false(validate_username(repeat(buf, 'z', 31, "")));
    assert_false(validate_username("ab"));
    assert_false(validate_username(""));
    assert_false(validate_username(NULL));
    assert_false(validate_username("Alice")); /* upper case is not in the class */
    assert_false(validate_username("a.b.c"));
    assert_false(validate_username("ab c"));
    assert_false(validate_username(" abc"));
    assert_false(validate_username("abc\n"));
    assert_false(validate_username("caf\xc3\xa9"));
    assert_false(validate_username("\xd9\x85\xd8\xad\xd9\x85\xd8\xaf")); /* Arabic "Mohamed" */
    assert_false(validate_username("admin'--"));
    assert_false(validate_username("../etc"));
    assert_false(validate_username("abc%00"));
}

/* The web pages' first path segments cannot be usernames: /services is not a profile. */
static void test_username_reserved(void **state)
{
    (void)state;
    assert_true(validate_username_reserved("services"));
    assert_true(validate_username_reserved("dashboard"));
    assert_true(validate_username_reserved("auth"));
    assert_true(validate_username_reserved("order"));
    assert_true(validate_username_reserved("orders"));
    assert_true(validate_username_reserved("api"));
    assert_true(validate_username_reserved("static"));
    assert_true(validate_username_reserved("uploads"));
    assert_false(validate_username_reserved("servicesx"));
    assert_false(validate_username_reserved("alice"));
    assert_false(validate_username_reserved(NULL));
}

static void test_phone(void **state)
{
    char buf[64];
    assert_true(validate_phone("+212612345678"));
    assert_true(validate_phone("0612345678"));
    assert_true(validate_phone("+212 6 12-34-56-78"));
    assert_true(validate_phone("123456"));                              /* 6 digits, the minimum */
    assert_false(validate_phone("12345"));                              /* 5 */
    assert_true(validate_phone(repeat(buf, '9', 20, "")));              /* 20, the maximum */
    assert_false(validate_phone(repeat(buf, '9', 21, "")));             /* 21 */
    assert_true(validate_phone("+1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6"));    /* 32 bytes, the column */
    assert_false(validate_phone("+1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7")); /* 33 bytes */
    assert_false(validate_phone("+1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0"));
    assert_false(validate_phone(""));
    assert_false(validate_phone(NULL));
    assert_false(validate_phone("+"));
    assert_false(validate_phone("++212612345678"));
    assert_false(validate_phone("212+612345678"));
    assert_false(validate_phone(" 0612345678"));
    assert_false(validate_phone("0612345678 "));
    assert_false(validate_phone("-0612345678"));
    assert_false(validate_phone("06--12345678"));
    assert_false(validate_phone("06 -12345678"));
    assert_false(validate_phone("(061) 2345678"));
    assert_false(validate_phone("06.12.34.56.78"));
    assert_false(validate_phone("0612345678x"));
    assert_false(
        validate_phone("\xd9\xa0\xd9\xa6\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4")); /* Arabic digits */
    assert_false(validate_phone("0612345678; DROP TABLE users"));
}

static void test_url_accepts(void **state)
{
    assert_true(validate_http_url("http://example.com"));
    assert_true(validate_http_url("https://example.com/"));
    assert_true(validate_http_url("HTTPS://Example.COM/a/b.png?x=1&y=2#top"));
    assert_true(validate_http_url("https://utfs.io/f/abc-123_x.png"));
    assert_true(validate_http_url("http://127.0.0.1:8080/hook"));
    assert_true(validate_http_url("http://localhost:1/"));
    assert_true(validate_http_url("http://[::1]:9000/cb"));
    assert_true(validate_http_url("https://user:pa55@hooks.example.com/in"));
    assert_true(validate_http_url("https://example.com/caf%C3%A9.jpg"));
    assert_true(validate_http_url("https://example.com/\xd8\xb5\xd9\x88\xd8\xb1\xd8\xa9.png"));
}

static void test_url_rejects(void **state)
{
    assert_false(validate_http_url(NULL));
    assert_false(validate_http_url(""));
    assert_false(validate_http_url("example.com"));
    assert_false(validate_http_url("ftp://example.com/x"));
    assert_false(validate_http_url("javascript:alert(1)"));
    assert_false(validate_http_url("http://"));
    assert_false(validate_http_url("http:///path"));
    assert_false(validate_http_url("http://:80/"));
    assert_false(validate_http_url("http:example.com"));
    assert_false(validate_http_url("http://exa mple.com"));
    assert_false(validate_http_url("http://example.com/a b"));
    assert_false(validate_http_url("http://example.com/\"onmouseover=\"x"));
    assert_false(validate_http_url("http://example.com/<script>"));
    assert_false(validate_http_url("http://example.com\\@evil.com"));
    assert_false(validate_http_url("http://example.com/%zz"));
    assert_false(validate_http_url("http://example.com/%4"));
    assert_false(validate_http_url("http://example.com:0/"));
    assert_false(validate_http_url("http://example.com:65536/"));
    assert_false(validate_http_url("http://example.com:123456/"));
    assert_false(validate_http_url("http://example.com:/"));
    assert_false(validate_http_url("http://example.com:8o/"));
    assert_false(validate_http_url("http://[::1/"));
    assert_false(validate_http_url("http://[]/"));
    assert_false(validate_http_url("http://[::1]x/"));
    assert_false(validate_http_url("http://ex\xc3\xa4mple.com/")); /* host must be punycoded */
    assert_false(validate_http_url("http://example.com/\r\nX-Injected: 1"));
    assert_false(validate_http_url("http://-bad.example.com/"));
}

static void test_url_length(void **state)
{
    char *buf = malloc(2100);
    assert_non_null(buf);
    const char *head = "https://example.com/";
    size_t hl = strlen(head);
    memcpy(buf, head, hl);
    memset(buf + hl, 'a', 2048 - hl);
    buf[2048] = '\0';
    assert_true(validate_http_url(buf));
    buf[2048] = 'a';
    buf[2049] = '\0';
    assert_false(validate_http_url(buf));
    free(buf);
}

static void check_trim(const char *in, const char *want)
{
    char *out = validate_trim_dup(in);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void test_trim(void **state)
{
    check_trim("", "");
    check_trim("abc", "abc");
    check_trim("  abc  ", "abc");
    check_trim("\t\r\n abc \v\f", "abc");
    check_trim("a  b", "a  b"); /* inner spaces kept */
    check_trim("   ", "");
    check_trim("\xc2\xa0"
               "Ali\xc2\xa0",
               "Ali"); /* NBSP */
    check_trim("\xe3\x80\x80\xe2\x80\x83"
               "Ali\xe2\x80\xa8",
               "Ali");                            /* ideographic, em space, LS */
    check_trim("\xef\xbb\xbfName", "Name");       /* BOM */
    check_trim("\xe1\x9a\x80x\xe2\x81\x9f", "x"); /* U+1680, U+205F */
    /* Non-space multibyte characters at the edges survive whole. */
    check_trim(" \xd8\xae\xd8\xaf\xd9\x85\xd8\xa9 ", "\xd8\xae\xd8\xaf\xd9\x85\xd8\xa9");
    check_trim("\xf0\x9f\x98\x80 ", "\xf0\x9f\x98\x80");
    /* Zero-width space U+200B is not whitespace for JavaScript's trim either. */
    check_trim("\xe2\x80\x8b"
               "a",
               "\xe2\x80\x8b"
               "a");
    /* A space-like prefix of a longer sequence is not trimmed. */
    check_trim("\xe2\x80\x90x", "\xe2\x80\x90x"); /* U+2010 hyphen */
    check_trim("' OR 1=1 -- ", "' OR 1=1 --");
    assert_null(validate_trim_dup(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_accepts),
        cmocka_unit_test(test_email_rejects_shapes),
        cmocka_unit_test(test_email_rejects_unicode_and_injection),
        cmocka_unit_test(test_email_lengths),
        cmocka_unit_test(test_username),
        cmocka_unit_test(test_username_reserved),
        cmocka_unit_test(test_phone),
        cmocka_unit_test(test_url_accepts),
        cmocka_unit_test(test_url_rejects),
        cmocka_unit_test(test_url_length),
        cmocka_unit_test(test_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
