/*
 * test_multipart.c - unit tests for the multipart/form-data parser (multipart.c): the boundary
 * from the Content-Type (quoted, unquoted, among other parameters, invalid), fields and files,
 * quoted parameters with escapes and semicolons, several files, content holding CR, LF and
 * boundary-like text, strict CRLF, truncated and malformed bodies, and the size and count limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/multipart.h"

#define B "----WebKitFormBoundaryAbC123"

static enum multipart_result parse(const char *body, size_t max, struct multipart *m)
{
    return multipart_parse(body, strlen(body), B, max, m);
}

static void test_boundary_from_content_type(void **state)
{
    (void)state;
    char b[MULTIPART_BOUNDARY_MAX + 1];
    assert_true(multipart_boundary("multipart/form-data; boundary=" B, b));
    assert_string_equal(b, B);
    assert_true(multipart_boundary("Multipart/Form-Data;boundary=\"a b'c\"", b) == false);
    assert_true(multipart_boundary("multipart/form-data; charset=utf-8; BOUNDARY=\"x:y\"", b));
    assert_string_equal(b, "x:y");
    assert_true(multipart_boundary("multipart/form-data; foo=\"a;boundary=no\"; boundary=yes", b));
    assert_string_equal(b, "yes");
    assert_false(multipart_boundary("multipart/mixed; boundary=x", b));
    assert_false(multipart_boundary("application/x-www-form-urlencoded", b));
    assert_false(multipart_boundary("multipart/form-data", b));
    assert_false(multipart_boundary("multipart/form-data; boundary=", b));
    assert_false(multipart_boundary("multipart/form-data; boundary=\"unterminated", b));
    assert_false(multipart_boundary(NULL, b));
    char longb[100];
    memset(longb, 'a', 71);
    longb[71] = 0;
    char ct[200];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", longb);
    assert_false(multipart_boundary(ct, b));
    longb[70] = 0;
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", longb);
    assert_true(multipart_boundary(ct, b));
}

static void test_fields_and_files(void **state)
{
    (void)state;
    const char *body =
        "--" B "\r\n"
        "Content-Disposition: form-data; name=\"gig\"\r\n\r\n"
        "c123\r\n"
        "--" B "\r\n"
        "content-disposition: form-data; name=\"image\"; filename=\"a;b \\\"q\\\".png\"\r\n"
        "Content-Type: image/png\r\n\r\n"
        "\x89PNG\r\n\x1a\nbytes\r\n--" B "x not a delimiter\r\n"
        "\r\n--" B "\r\n"
        "Content-Disposition: form-data; name=\"image\"; filename=\"\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
        "\r\n--" B "--\r\nepilogue ignored";
    struct multipart m;
    assert_int_equal(parse(body, 1000, &m), MULTIPART_OK);
    assert_int_equal(m.n, 3);
    assert_string_equal(m.parts[0].name, "gig");
    assert_false(m.parts[0].is_file);
    assert_int_equal(m.parts[0].len, 4);
    assert_memory_equal(m.parts[0].data, "c123", 4);
    assert_string_equal(m.parts[1].name, "image");
    assert_true(m.parts[1].is_file);
    assert_string_equal(m.parts[1].filename, "a;b \"q\".png");
    assert_string_equal(m.parts[1].content_type, "image/png");
    const char *want = "\x89PNG\r\n\x1a\nbytes\r\n--" B "x not a delimiter\r\n";
    assert_int_equal(m.parts[1].len, strlen(want));
    assert_memory_equal(m.parts[1].data, want, strlen(want));
    assert_true(m.parts[2].is_file);
    assert_string_equal(m.parts[2].filename, "");
    assert_int_equal(m.parts[2].len, 0);
    assert_ptr_equal(multipart_get(&m, "image"), &m.parts[1]);
    assert_null(multipart_get(&m, "nope"));
}

static void test_preamble_and_binary(void **state)
{
    (void)state;
    char body[200];
    size_t n = (size_t)snprintf(body, sizeof body,
                                "preamble\r\n--" B "\r\nContent-Disposition: form-data; "
                                "name=f; filename=x\r\n\r\n");
    memcpy(body + n, "\0\xff\0", 3); /* NUL bytes inside a file */
    n += 3;
    n += (size_t)snprintf(body + n, sizeof body - n, "\r\n--" B "--");
    struct multipart m;
    assert_int_equal(multipart_parse(body, n, B, 100, &m), MULTIPART_OK);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.parts[0].name, "f");
    assert_string_equal(m.parts[0].filename, "x");
    assert_int_equal(m.parts[0].len, 3);
    assert_memory_equal(m.parts[0].data, "\0\xff\0", 3);
}

static void test_malformed_bodies(void **state)
{
    (void)state;
    struct multipart m;
    static const char *const bad[] = {
        "",
        "--" B "--",                                                          /* no part at all */
        "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue", /* truncated */
        "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--" B,
        "--" B "\nContent-Disposition: form-data; name=\"a\"\n\nvalue\n--" B "--", /* bare LF */
        "--" B "\r\nContent-Disposition: form-data; name=\"a\"\nX: y\r\n\r\nv\r\n--" B "--",
        "--" B "\r\nContent-Type: text/plain\r\n\r\nv\r\n--" B "--", /* no disposition */
        "--" B "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--" B "--",
        "--" B "\r\nContent-Disposition: form-data\r\n\r\nv\r\n--" B "--", /* no name */
        "--" B "\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--" B "--",
        "--" B "\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--" B "--",
        "--" B "\r\nContent-Disposition: form-data; name=a\r\n"
        "Content-Disposition: form-data; name=b\r\n\r\nv\r\n--" B "--", /* two dispositions */
        "--" B "\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--" B "junk",
        "--other\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--other--",
        "--" B "\r\nContent-Disposition: form-data; name=a", /* headers cut */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i], 1000, &m) != MULTIPART_MALFORMED)
            fail_msg("case %zu parsed: %s", i, bad[i]);
    }
    assert_int_equal(multipart_parse(NULL, 0, B, 10, &m), MULTIPART_MALFORMED);
    assert_int_equal(multipart_parse("--\r\n", 4, "", 10, &m), MULTIPART_MALFORMED);
}

static void test_size_limit(void **state)
{
    (void)state;
    const char *body = "--" B "\r\nContent-Disposition: form-data; name=a\r\n\r\n12345\r\n"
                       "--" B "\r\nContent-Disposition: form-data; name=\"image\"; "
                       "filename=\"big.png\"\r\n\r\n123456\r\n--" B "--\r\n";
    struct multipart m;
    assert_int_equal(parse(body, 6, &m), MULTIPART_OK);
    assert_int_equal(parse(body, 5, &m), MULTIPART_TOO_LARGE);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.parts[1].filename, "big.png"); /* names the part that was too long */
    assert_null(m.parts[1].data);
    assert_int_equal(parse(body, 4, &m), MULTIPART_TOO_LARGE);
    assert_int_equal(m.n, 1);
    /* Cut short while already over the limit: still reported as too large. */
    const char *cut = "--" B "\r\nContent-Disposition: form-data; name=\"image\"; "
                      "filename=\"huge.jpg\"\r\n\r\n0123456789";
    assert_int_equal(parse(cut, 5, &m), MULTIPART_TOO_LARGE);
    assert_string_equal(m.parts[m.n - 1].filename, "huge.jpg");
    assert_int_equal(parse(cut, 50, &m), MULTIPART_MALFORMED);
}

static void test_part_count_limit(void **state)
{
    (void)state;
    size_t cap = (MULTIPART_MAX_PARTS + 2) * 100;
    char *body = malloc(cap);
    assert_non_null(body);
    size_t n = 0;
    for (int i = 0; i < MULTIPART_MAX_PARTS + 1; i++)
        n +=
            (size_t)snprintf(body + n, cap - n,
                             "--" B "\r\nContent-Disposition: form-data; name=f%d\r\n\r\nv\r\n", i);
    n += (size_t)snprintf(body + n, cap - n, "--" B "--\r\n");
    struct multipart m;
    assert_int_equal(multipart_parse(body, n, B, 10, &m), MULTIPART_TOO_MANY);
    /* One part fewer fits. */
    char *last = strstr(body, "--" B "\r\nContent-Disposition: form-data; name=f32\r\n");
    assert_non_null(last);
    n = (size_t)(last - body);
    n += (size_t)snprintf(last, cap - n, "--" B "--\r\n");
    assert_int_equal(multipart_parse(body, n, B, 10, &m), MULTIPART_OK);
    assert_int_equal(m.n, MULTIPART_MAX_PARTS);
    free(body);
}

static void test_long_names_refused(void **state)
{
    (void)state;
    char name[MULTIPART_NAME_MAX + 2];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    char body[1024];
    snprintf(body, sizeof body,
             "--" B "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"%s\"\r\n\r\n"
             "v\r\n--" B "--",
             name);
    struct multipart m;
    assert_int_equal(parse(body, 10, &m), MULTIPART_MALFORMED);
    name[MULTIPART_NAME_MAX] = 0; /* exactly the limit is fine */
    snprintf(body, sizeof body,
             "--" B "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"%s\"\r\n\r\n"
             "v\r\n--" B "--",
             name);
    assert_int_equal(parse(body, 10, &m), MULTIPART_OK);
    assert_int_equal(strlen(m.parts[0].filename), MULTIPART_NAME_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary_from_content_type),
        cmocka_unit_test(test_fields_and_files),
        cmocka_unit_test(test_preamble_and_binary),
        cmocka_unit_test(test_malformed_bodies),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_part_count_limit),
        cmocka_unit_test(test_long_names_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
