/*
 * test_html.c - unit tests for the HTML escaping of the web pages: element text and attributes,
 * URLs (javascript:, data:, protocol-relative and control characters refused), path segments and
 * query values, JSON inside a script element, invalid UTF-8, and the buffer itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/html.h"

typedef void (*writer)(struct html *, const char *);

static void expect(writer w, const char *in, const char *want)
{
    struct html h = {0};
    w(&h, in);
    assert_string_equal(h.data ? h.data : "", want);
    html_free(&h);
}

static void write_url(struct html *h, const char *s)
{
    html_url(h, s);
}

static void test_text_escapes_markup(void **state)
{
    (void)state;
    expect(html_text, "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html_text, "\"><img src=x onerror=alert(1)>",
           "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(html_attr, "a'b\"c&d", "a&#39;b&quot;c&amp;d");
    expect(html_text, "plain text", "plain text");
    expect(html_text, NULL, "");
}

static void test_text_keeps_utf8_and_replaces_invalid(void **state)
{
    (void)state;
    expect(html_text, "خدمة café", "خدمة café");
    expect(html_text,
           "a\xff"
           "b",
           "a\xEF\xBF\xBD"
           "b");
    expect(html_text, "\xc3", "\xEF\xBF\xBD"); /* truncated sequence */
    expect(html_text, "\xed\xa0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* surrogate */
    expect(html_text,
           "a\x01"
           "b\tc\n",
           "a\xEF\xBF\xBD"
           "b\tc\n");
}

static void test_url_accepts_site_paths_and_http(void **state)
{
    (void)state;
    expect(write_url, "/services/search?q=a&b=c", "/services/search?q=a&amp;b=c");
    expect(write_url, "https://cdn.example.com/a.png", "https://cdn.example.com/a.png");
    expect(write_url, "HTTP://example.com/", "HTTP://example.com/");
    expect(write_url, "https://x.test/\"onmouseover=", "https://x.test/&quot;onmouseover=");
}

static void test_url_refuses_other_schemes(void **state)
{
    (void)state;
    expect(write_url, "javascript:alert(1)", "#");
    expect(write_url, "JaVaScRiPt:alert(1)", "#");
    expect(write_url, " javascript:alert(1)", "#");
    expect(write_url, "java\tscript:alert(1)", "#");
    expect(write_url, "data:text/html,<script>", "#");
    expect(write_url, "//evil.example/x", "#");
    expect(write_url, "/\\evil.example", "#");
    expect(write_url, "https:///x", "#");
    expect(write_url, "relative/path", "#");
    expect(write_url, "", "#");
    expect(write_url, NULL, "#");
    assert_int_equal(html_url_ok("/a"), 1);
    assert_int_equal(html_url_ok("vbscript:x"), 0);
}

static void test_percent_encoding(void **state)
{
    (void)state;
    expect(html_path_segment, "a b/c?d", "a%20b%2Fc%3Fd");
    expect(html_path_segment, "logo-design_1.v2~", "logo-design_1.v2~");
    expect(html_query_value, "logo & web", "logo+%26+web");
    expect(html_query_value, "\"<>", "%22%3C%3E");
    expect(html_query_value, "é", "%C3%A9");
}

static void test_json_script_cannot_close_the_element(void **state)
{
    (void)state;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string("</script><script>alert(1)</script>"));
    json_object_object_add(o, "sep",
                           json_object_new_string("a\xe2\x80\xa8"
                                                  "b&c"));
    struct html h = {0};
    html_json_script(&h, o);
    assert_null(strstr(h.data, "</"));
    assert_null(strchr(h.data, '<'));
    assert_null(strchr(h.data, '&'));
    assert_non_null(strstr(h.data, "\\u003c/script\\u003e"));
    assert_non_null(strstr(h.data, "a\\u2028b\\u0026c"));
    /* still JSON meaning the same thing */
    json_object *back = json_tokener_parse(h.data);
    assert_non_null(back);
    assert_string_equal(json_object_get_string(json_object_object_get(back, "name")),
                        "</script><script>alert(1)</script>");
    json_object_put(back);
    json_object_put(o);
    html_free(&h);
}

static void test_buffer_grows_and_hands_over(void **state)
{
    (void)state;
    struct html h = {0};
    for (int i = 0; i < 2000; i++)
        html_printf(&h, "<li>%d</li>", i);
    assert_non_null(strstr(h.data, "<li>1999</li>"));
    size_t len = 0;
    char *s = html_take(&h, &len);
    assert_int_equal(len, strlen(s));
    assert_null(h.data);
    free(s);
    s = html_take(&h, &len); /* an empty buffer hands over "" */
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_escapes_markup),
        cmocka_unit_test(test_text_keeps_utf8_and_replaces_invalid),
        cmocka_unit_test(test_url_accepts_site_paths_and_http),
        cmocka_unit_test(test_url_refuses_other_schemes),
        cmocka_unit_test(test_percent_encoding),
        cmocka_unit_test(test_json_script_cannot_close_the_element),
        cmocka_unit_test(test_buffer_grows_and_hands_over),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
