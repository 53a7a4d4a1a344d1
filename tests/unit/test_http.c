/*
 * test_http.c - unit tests for http.c: percent decoding, query and cookie parsing, header names,
 * request ids, building a request from nginx's FastCGI params, the JSON content-type check and
 * the CGI response serialiser (including header injection attempts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "khedma/http.h"
#include "khedma/percent.h"

/* ---- percent_decode ---- */

static void check_decode(const char *in, bool plus, const char *want)
{
    size_t n = 0;
    char *out = percent_decode(in, strlen(in), plus, &n);
    assert_non_null(out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    free(out);
}

static void test_percent_decode_valid(void **state)
{
    check_decode("", false, "");
    check_decode("abc", false, "abc");
    check_decode("a%20b", false, "a b");
    check_decode("%2b%2B", false, "++");
    check_decode("a+b", false, "a+b");
    check_decode("a+b", true, "a b");
    check_decode("%2Fapi%2f", false, "/api/");
    check_decode("%C3%A9t%C3%A9", false, "\xc3\xa9t\xc3\xa9");
    check_decode("100%25", false, "100%");
}

static void test_percent_decode_malformed(void **state)
{
    const char *bad[] = {"%", "%4", "a%zz", "%g0", "%0g", "abc%", "%%", "%00", "a%00b", "%-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(percent_decode(bad[i], strlen(bad[i]), true, NULL));
}

static void test_percent_decode_respects_len(void **state)
{
    /* Only the first len bytes count: "%4" at the end of the span is malformed even if the
     * byte after it would complete the escape. */
    assert_null(percent_decode("%41", 2, false, NULL));
    char *out = percent_decode("%41BC", 3, false, NULL);
    assert_string_equal(out, "A");
    free(out);
}

/* ---- http_parse_query ---- */

static void test_query_repeated_keys_in_order(void **state)
{
    struct kv_list l = {0};
    assert_int_equal(http_parse_query("a=1&b=2&a=3", &l), 0);
    assert_int_equal(l.len, 3);
    assert_string_equal(l.items[0].key, "a");
    assert_string_equal(l.items[0].value, "1");
    assert_string_equal(l.items[1].key, "b");
    assert_string_equal(l.items[2].key, "a");
    assert_string_equal(l.items[2].value, "3");
    assert_string_equal(kv_list_get(&l, "a"), "1");
    assert_null(kv_list_get(&l, "c"));
    kv_list_free(&l);
}

static void test_query_plus_and_encoded_plus(void **state)
{
    struct kv_list l = {0};
    assert_int_equal(http_parse_query("q=hello+world&sum=1%2B1&k%20y=v+%26+w", &l), 0);
    assert_string_equal(kv_list_get(&l, "q"), "hello world");
    assert_string_equal(kv_list_get(&l, "sum"), "1+1");
    assert_string_equal(kv_list_get(&l, "k y"), "v & w");
    kv_list_free(&l);
}

static void test_query_empty_pairs_and_bare_keys(void **state)
{
    struct kv_list l = {0};
    assert_int_equal(http_parse_query("&&a&&b=&c=1=2&", &l), 0);
    assert_int_equal(l.len, 3);
    assert_string_equal(kv_list_get(&l, "a"), "");
    assert_string_equal(kv_list_get(&l, "b"), "");
    assert_string_equal(kv_list_get(&l, "c"), "1=2");
    kv_list_free(&l);

    assert_int_equal(http_parse_query("", &l), 0);
    assert_int_equal(l.len, 0);
    assert_int_equal(http_parse_query(NULL, &l), 0);
    assert_int_equal(l.len, 0);
    kv_list_free(&l);
}

static void test_query_malformed_is_all_or_nothing(void **state)
{
    struct kv_list l = {0};
    kv_list_add(&l, "kept", "yes");
    assert_int_equal(http_parse_query("a=1&b=%zz&c=3", &l), -1);
    assert_int_equal(l.len, 1);
    assert_int_equal(http_parse_query("a=1&b=x%00y", &l), -1);
    assert_int_equal(http_parse_query("bad%0=1", &l), -1);
    assert_int_equal(http_parse_query("a=%", &l), -1);
    assert_int_equal(l.len, 1);
    assert_string_equal(kv_list_get(&l, "kept"), "yes");
    kv_list_free(&l);
}

static void test_query_trpc_input(void **state)
{
    struct kv_list l = {0};
    assert_int_equal(
        http_parse_query("batch=1&input=%7B%220%22%3A%7B%22id%22%3A%22c1%22%7D%7D", &l), 0);
    assert_string_equal(kv_list_get(&l, "batch"), "1");
    assert_string_equal(kv_list_get(&l, "input"), "{\"0\":{\"id\":\"c1\"}}");
    kv_list_free(&l);
}

/* ---- http_parse_cookies ---- */

static void test_cookies_spaces_and_quotes(void **state)
{
    struct kv_list l = {0};
    http_parse_cookies("  a=1;b=2 ;  c = 3 ; q=\"quoted value\"; e=\"\"; lone=\"", &l);
    assert_int_equal(l.len, 6);
    assert_string_equal(kv_list_get(&l, "a"), "1");
    assert_string_equal(kv_list_get(&l, "b"), "2");
    assert_string_equal(kv_list_get(&l, "c"), "3");
    assert_string_equal(kv_list_get(&l, "q"), "quoted value");
    assert_string_equal(kv_list_get(&l, "e"), "");
    assert_string_equal(kv_list_get(&l, "lone"), "\"");
    kv_list_free(&l);
}

static void test_cookies_empty_and_invalid(void **state)
{
    struct kv_list l = {0};
    http_parse_cookies("", &l);
    http_parse_cookies(NULL, &l);
    http_parse_cookies(";;; ;", &l);
    http_parse_cookies("noequals; =nameless; empty=", &l);
    assert_int_equal(l.len, 1);
    assert_string_equal(kv_list_get(&l, "empty"), "");
    kv_list_free(&l);
}

static void test_cookies_values_not_decoded(void **state)
{
    struct kv_list l = {0};
    http_parse_cookies("khedma_session=abc%20def==; x=a=b", &l);
    assert_string_equal(kv_list_get(&l, "khedma_session"), "abc%20def==");
    assert_string_equal(kv_list_get(&l, "x"), "a=b");
    kv_list_free(&l);
}

static void test_cookies_many(void **state)
{
    char header[4096] = "";
    char piece[32];
    for (int i = 0; i < 100; i++) {
        snprintf(piece, sizeof piece, "%sc%d=v%d", i ? "; " : "", i, i);
        strcat(header, piece);
    }
    struct kv_list l = {0};
    http_parse_cookies(header, &l);
    assert_int_equal(l.len, 100);
    assert_string_equal(l.items[0].key, "c0");
    assert_string_equal(kv_list_get(&l, "c57"), "v57");
    assert_string_equal(l.items[99].value, "v99");
    kv_list_free(&l);
}

/* ---- header names and request ids ---- */

static void test_header_name_from_param(void **state)
{
    char out[64];
    assert_true(http_header_name_from_param("HTTP_X_REQUEST_ID", out, sizeof out));
    assert_string_equal(out, "x-request-id");
    assert_true(http_header_name_from_param("HTTP_HOST", out, sizeof out));
    assert_string_equal(out, "host");
    assert_true(http_header_name_from_param("HTTP_X_YOUCANPAY_SIGNATURE", out, sizeof out));
    assert_string_equal(out, "x-youcanpay-signature");
    assert_false(http_header_name_from_param("CONTENT_TYPE", out, sizeof out));
    assert_false(http_header_name_from_param("HTTP_", out, sizeof out));
    assert_false(http_header_name_from_param("HTTPS", out, sizeof out));
    assert_false(http_header_name_from_param(NULL, out, sizeof out));
    char tiny[5];
    assert_false(http_header_name_from_param("HTTP_ACCEPT", tiny, sizeof tiny));
    assert_true(http_header_name_from_param("HTTP_HOST", tiny, sizeof tiny));
}

static void test_request_id_valid(void **state)
{
    char id65[66], id64[65];
    memset(id65, 'a', 65);
    id65[65] = '\0';
    memset(id64, 'Z', 64);
    id64[64] = '\0';
    assert_true(http_request_id_valid("a"));
    assert_true(http_request_id_valid("Abc-123_x.y"));
    assert_true(http_request_id_valid(id64));
    assert_false(http_request_id_valid(id65));
    assert_false(http_request_id_valid(""));
    assert_false(http_request_id_valid(NULL));
    assert_false(http_request_id_valid("has space"));
    assert_false(http_request_id_valid("semi;colon"));
    assert_false(http_request_id_valid("new\r\nline"));
    assert_false(http_request_id_valid("caf\xc3\xa9"));
}

/* ---- request_from_params ---- */

/* What nginx's stock fastcgi_params plus our config send for a browser POST. */
static char *nginx_params[] = {
    "QUERY_STRING=filter.status=%24in%3Apending%2Cprocessing&page=2&q=a+b",
    "REQUEST_METHOD=POST",
    "CONTENT_TYPE=application/json; charset=utf-8",
    "CONTENT_LENGTH=27",
    "SCRIPT_NAME=/api/orders/c123/deliver",
    "REQUEST_URI=/api/orders/c123%2Dx/"
    "deliver?filter.status=%24in%3Apending%2Cprocessing&page=2&q=a+b",
    "DOCUMENT_URI=/api/orders/c123-x/deliver",
    "DOCUMENT_ROOT=/srv/khedma/web",
    "SERVER_PROTOCOL=HTTP/1.1",
    "REQUEST_SCHEME=http",
    "HTTPS=",
    "GATEWAY_INTERFACE=CGI/1.1",
    "SERVER_SOFTWARE=nginx/1.22.1",
    "REMOTE_ADDR=203.0.113.7",
    "REMOTE_PORT=53122",
    "SERVER_ADDR=127.0.0.1",
    "SERVER_PORT=8080",
    "SERVER_NAME=localhost",
    "REDIRECT_STATUS=200",
    "HTTP_HOST=127.0.0.1:8080",
    "HTTP_USER_AGENT=Mozilla/5.0 (X11; Linux x86_64)",
    "HTTP_ACCEPT=application/json, text/plain, */*",
    "HTTP_CONTENT_TYPE=application/json; charset=utf-8",
    "HTTP_CONTENT_LENGTH=27",
    "HTTP_COOKIE=theme=dark; khedma_session=tok%2Ben; other=\"q\"",
    "HTTP_AUTHORIZATION=Bearer abc.def",
    "HTTP_X_REQUEST_ID=req-42.A_b",
    "HTTP_ORIGIN=http://127.0.0.1:8080",
    "NOEQUALSIGN",
    NULL,
};

static void test_request_from_nginx_params(void **state)
{
    struct request r;
    assert_int_equal(request_from_params(&r, nginx_params), 0);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.path, "/api/orders/c123-x/deliver");
    assert_string_equal(r.raw_query, "filter.status=%24in%3Apending%2Cprocessing&page=2&q=a+b");
    assert_string_equal(request_query(&r, "filter.status"), "$in:pending,processing");
    assert_string_equal(request_query(&r, "page"), "2");
    assert_string_equal(request_query(&r, "q"), "a b");
    assert_string_equal(r.content_type, "application/json; charset=utf-8");
    assert_int_equal(r.content_length, 27);
    assert_string_equal(r.remote_addr, "203.0.113.7");
    assert_string_equal(request_header(&r, "host"), "127.0.0.1:8080");
    assert_string_equal(request_header(&r, "authorization"), "Bearer abc.def");
    assert_string_equal(request_header(&r, "origin"), "http://127.0.0.1:8080");
    assert_string_equal(request_header(&r, "Content-Type"), "application/json; charset=utf-8");
    assert_null(request_header(&r, "x-missing"));
    assert_string_equal(request_cookie(&r, "khedma_session"), "tok%2Ben");
    assert_string_equal(request_cookie(&r, "theme"), "dark");
    assert_string_equal(request_cookie(&r, "other"), "q");
    assert_string_equal(r.request_id, "req-42.A_b");
    assert_true(request_is_json(&r));
    assert_null(r.body);
    assert_true(r.started_us > 0);

    request_set_body(&r, "{\"reason\":\"late\"}xx", 17);
    assert_int_equal(r.body_len, 17);
    assert_string_equal(r.body, "{\"reason\":\"late\"}");
    request_set_body(&r, "{}", 2);
    assert_string_equal(r.body, "{}");
    request_free(&r);
    assert_null(r.method);
}

/* Build a request from a short list of params given as varargs, NULL-terminated. */
/* The parameters are strings ended by (char *)NULL: a bare NULL may not be a pointer in a
 * variadic call. */
static int request_from(struct request *r, ...)
{
    char *envp[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, r);
    for (char *p; n < 15 && (p = va_arg(ap, char *)) != NULL;)
        envp[n++] = p;
    va_end(ap);
    envp[n] = NULL;
    return request_from_params(r, envp);
}

static void assert_generated_id(const char *id)
{
    assert_int_equal(strlen(id), 24);
    for (const char *p = id; *p; p++)
        assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'));
}

static void test_request_id_echo_and_replace(void **state)
{
    struct request r;
    char long_id[100] = "HTTP_X_REQUEST_ID=";
    memset(long_id + strlen(long_id), 'b', 65);

    request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=/", long_id, (char *)NULL);
    assert_generated_id(r.request_id);
    request_free(&r);

    long_id[strlen(long_id) - 1] = '\0'; /* 64 characters: echoed */
    request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=/", long_id, (char *)NULL);
    assert_int_equal(strlen(r.request_id), 64);
    request_free(&r);

    request_from(&r, "REQUEST_METHOD=GET", "HTTP_X_REQUEST_ID=bad id<script>", (char *)NULL);
    assert_generated_id(r.request_id);
    request_free(&r);

    request_from(&r, "REQUEST_METHOD=GET", "HTTP_X_REQUEST_ID=", (char *)NULL);
    assert_generated_id(r.request_id);
    char first[REQUEST_ID_MAX + 1];
    strcpy(first, r.request_id);
    request_free(&r);

    request_from(&r, "REQUEST_METHOD=GET", (char *)NULL);
    assert_generated_id(r.request_id);
    assert_string_not_equal(r.request_id, first);
    request_free(&r);
}

static void test_request_path_sources(void **state)
{
    struct request r;
    /* REQUEST_URI wins and is decoded ('+' stays a plus in paths). */
    assert_int_equal(request_from(&r, "REQUEST_METHOD=GET", "DOCUMENT_URI=/other",
                                  "REQUEST_URI=/api/gigs/a%20b+c/x", (char *)NULL),
                     0);
    assert_string_equal(r.path, "/api/gigs/a b+c/x");
    assert_string_equal(r.raw_query, "");
    request_free(&r);

    /* Without QUERY_STRING the query comes from REQUEST_URI. */
    request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=/api/trpc/gig.list?batch=1&input=%7B%7D",
                 (char *)NULL);
    assert_string_equal(r.path, "/api/trpc/gig.list");
    assert_string_equal(request_query(&r, "input"), "{}");
    request_free(&r);

    request_from(&r, "REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", (char *)NULL);
    assert_string_equal(r.path, "/healthz");
    request_free(&r);

    request_from(&r, "REQUEST_METHOD=GET", "SCRIPT_NAME=/api", "PATH_INFO=/auth/me", (char *)NULL);
    assert_string_equal(r.path, "/api/auth/me");
    request_free(&r);

    request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=http://example.com/a?x=1", (char *)NULL);
    assert_string_equal(r.path, "/a");
    assert_string_equal(request_query(&r, "x"), "1");
    request_free(&r);

    request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=?x=1", (char *)NULL);
    assert_string_equal(r.path, "/");
    request_free(&r);

    request_from(&r, "REQUEST_METHOD=GET", (char *)NULL);
    assert_string_equal(r.path, "/");
    assert_string_equal(r.raw_query, "");
    assert_string_equal(r.remote_addr, "");
    assert_null(r.content_type);
    assert_int_equal(r.content_length, -1);
    request_free(&r);
}

static void test_request_malformed_still_usable(void **state)
{
    struct request r;
    assert_int_equal(request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=/api/a%00b",
                                  "HTTP_X_REQUEST_ID=keep-me", (char *)NULL),
                     -1);
    assert_string_equal(r.path, "/api/a%00b");
    assert_string_equal(r.request_id, "keep-me");
    request_free(&r);

    assert_int_equal(request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=/api/%zz", (char *)NULL),
                     -1);
    request_free(&r);

    assert_int_equal(request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=/x?a=%zz",
                                  "QUERY_STRING=a=%zz", (char *)NULL),
                     -1);
    assert_string_equal(r.path, "/x");
    assert_int_equal(r.query.len, 0);
    request_free(&r);

    assert_int_equal(request_from(&r, "REQUEST_URI=/x", (char *)NULL), -1);
    assert_string_equal(r.method, "");
    request_free(&r);
}

static void test_request_content_length(void **state)
{
    struct request r;
    request_from(&r, "REQUEST_METHOD=POST", "CONTENT_LENGTH=", (char *)NULL);
    assert_int_equal(r.content_length, -1);
    request_free(&r);
    request_from(&r, "REQUEST_METHOD=POST", "CONTENT_LENGTH=0", (char *)NULL);
    assert_int_equal(r.content_length, 0);
    request_free(&r);
    request_from(&r, "REQUEST_METHOD=POST", "CONTENT_LENGTH=1048577", (char *)NULL);
    assert_int_equal(r.content_length, 1048577);
    assert_string_equal(request_header(&r, "content-length"), "1048577");
    request_free(&r);
    request_from(&r, "REQUEST_METHOD=POST", "CONTENT_LENGTH=-5", (char *)NULL);
    assert_int_equal(r.content_length, -1);
    request_free(&r);
    request_from(&r, "REQUEST_METHOD=POST", "CONTENT_LENGTH=99999999999999999999999", (char *)NULL);
    assert_int_equal(r.content_length, -1);
    request_free(&r);
}

static void test_request_body_empty(void **state)
{
    struct request r;
    request_from(&r, "REQUEST_METHOD=POST", (char *)NULL);
    request_set_body(&r, "abc", 3);
    request_set_body(&r, "", 0);
    assert_null(r.body);
    assert_int_equal(r.body_len, 0);
    /* Bodies may hold NUL bytes; the length is what counts. */
    request_set_body(&r, "a\0b", 3);
    assert_int_equal(r.body_len, 3);
    assert_int_equal(r.body[2], 'b');
    request_free(&r);
    request_free(&r); /* freeing twice is harmless */
}

/* ---- request_is_json ---- */

static bool json_for(const char *content_type)
{
    char param[128];
    struct request r;
    snprintf(param, sizeof param, "CONTENT_TYPE=%s", content_type);
    request_from(&r, "REQUEST_METHOD=POST", param, (char *)NULL);
    bool is_json = request_is_json(&r);
    request_free(&r);
    return is_json;
}

static void test_request_is_json(void **state)
{
    assert_true(json_for("application/json"));
    assert_true(json_for("application/json; charset=utf-8"));
    assert_true(json_for("application/json;charset=UTF-8"));
    assert_true(json_for("Application/JSON"));
    assert_true(json_for("application/json ; charset=utf-8"));
    assert_false(json_for("application/jsonp"));
    assert_false(json_for("application/json-patch+json"));
    assert_false(json_for("text/plain"));
    assert_false(json_for("application/x-www-form-urlencoded"));
    assert_false(json_for("multipart/form-data; boundary=x"));
    assert_false(json_for(""));
    assert_false(json_for("application/js"));

    struct request r;
    request_from(&r, "REQUEST_METHOD=POST", (char *)NULL);
    assert_false(request_is_json(&r));
    request_free(&r);
    /* Only the HTTP_ copy arrived: still recognised. */
    request_from(&r, "REQUEST_METHOD=POST", "HTTP_CONTENT_TYPE=application/json", (char *)NULL);
    assert_true(request_is_json(&r));
    request_free(&r);
}

/* ---- responses ---- */

static void test_response_serialize_basic(void **state)
{
    struct response resp;
    size_t len;
    response_init(&resp);
    assert_int_equal(resp.status, 200);
    response_header(&resp, "X-Request-Id", "abc");
    response_header(&resp, "Set-Cookie", "a=1; Path=/");
    response_header(&resp, "Set-Cookie", "b=2; Path=/");
    response_body(&resp, "hello", 5);
    char *out = response_serialize(&resp, &len);
    const char *want = "Status: 200 OK\r\n"
                       "X-Request-Id: abc\r\n"
                       "Set-Cookie: a=1; Path=/\r\n"
                       "Set-Cookie: b=2; Path=/\r\n"
                       "Content-Length: 5\r\n"
                       "\r\n"
                       "hello";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    free(out);
    response_free(&resp);
}

static void test_response_json(void **state)
{
    struct response resp;
    size_t len;
    response_init(&resp);
    response_header(&resp, "content-type", "text/plain");
    json_object *o = json_object_new_object();
    json_object_object_add(o, "url", json_object_new_string("http://x/y"));
    json_object_object_add(o, "ok", json_object_new_boolean(1));
    response_json(&resp, 201, o);
    char *out = response_serialize(&resp, &len);
    const char *want = "Status: 201 Created\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: 30\r\n"
                       "\r\n"
                       "{\"url\":\"http://x/y\",\"ok\":true}";
    assert_string_equal(out, want);
    free(out);
    response_free(&resp);
}

static void test_response_header_injection_dropped(void **state)
{
    struct response resp;
    response_init(&resp);
    response_header(&resp, "Location", "/ok\r\nSet-Cookie: evil=1");
    response_header(&resp, "X-A", "line\nbreak");
    response_header(&resp, "X-B", "carriage\rreturn");
    response_header(&resp, "X-C", "bell\x07");
    response_header(&resp, "Bad Name", "v");
    response_header(&resp, "Bad:Name", "v");
    response_header(&resp, "", "v");
    response_header(&resp, "Content-Length", "999");
    response_header(&resp, "Status", "302 Found");
    response_header(&resp, "X-Tab", "a\tb");
    response_header(&resp, "X-Empty", "");
    response_body(&resp, "{}", 2);
    char *out = response_serialize(&resp, NULL);
    const char *want = "Status: 200 OK\r\n"
                       "X-Tab: a\tb\r\n"
                       "X-Empty: \r\n"
                       "Content-Length: 2\r\n"
                       "\r\n"
                       "{}";
    assert_string_equal(out, want);
    assert_null(strstr(out, "evil"));
    free(out);
    response_free(&resp);
}

static void test_response_set_header_and_204(void **state)
{
    struct response resp;
    response_init(&resp);
    response_header(&resp, "X-Request-Id", "one");
    response_set_header(&resp, "x-request-id", "two");
    resp.status = 204;
    char *out = response_serialize(&resp, NULL);
    assert_string_equal(out, "Status: 204 No Content\r\nx-request-id: two\r\n\r\n");
    free(out);
    response_free(&resp);

    response_init(&resp);
    resp.status = 1234;
    out = response_serialize(&resp, NULL);
    assert_string_equal(out, "Status: 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
    free(out);
    response_free(&resp);
}

static void test_request_encoded_slash_and_target_len(void **state)
{
    struct request r;
    request_from(&r, "REQUEST_METHOD=POST", "REQUEST_URI=/api/auth/login%2f", (char *)NULL);
    assert_string_equal(r.path, "/api/auth/login/");
    assert_true(r.path_encoded_slash);
    assert_int_equal(r.target_len, strlen("/api/auth/login%2f"));
    request_free(&r);

    request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=/api%2Fauth/me?x=%2f", (char *)NULL);
    assert_true(r.path_encoded_slash);
    request_free(&r);

    /* An encoded slash in the query, or another escape, is not one in the path. */
    request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=/api/gigs/a%2Dz%20?q=%2F", (char *)NULL);
    assert_false(r.path_encoded_slash);
    assert_int_equal(r.target_len, strlen("/api/gigs/a%2Dz%20?q=%2F"));
    request_free(&r);

    request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=http://example.com/a%2F?x=1", (char *)NULL);
    assert_true(r.path_encoded_slash);
    assert_int_equal(r.target_len, strlen("/a%2F?x=1"));
    request_free(&r);

    /* Without REQUEST_URI the length comes from the decoded parts. */
    request_from(&r, "REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "QUERY_STRING=a=1",
                 (char *)NULL);
    assert_false(r.path_encoded_slash);
    assert_int_equal(r.target_len, strlen("/healthz?a=1"));
    request_free(&r);
}

/* Cache-Control and Vary after response_cache_policy for one request/response pair. */
static void cache_headers(const char *method, const char *header, bool sets_cookie,
                          const char **cache_control, const char **vary, struct response *resp)
{
    struct request r;
    request_from(&r, method, "REQUEST_URI=/api/gigs", header, (char *)NULL);
    response_init(resp);
    if (sets_cookie)
        response_header(resp, "Set-Cookie", "khedma_session=x; Path=/");
    response_cache_policy(&r, resp, 1);
    *cache_control = kv_list_get(&resp->headers, "Cache-Control");
    *vary = kv_list_get(&resp->headers, "Vary");
    request_free(&r);
}

static void test_response_cache_policy(void **state)
{
    struct response resp;
    const char *cc, *vary;
    /* Anonymous GET and HEAD: public, left as they are, but varying on the credentials. */
    cache_headers("REQUEST_METHOD=GET", NULL, false, &cc, &vary, &resp);
    assert_null(cc);
    assert_string_equal(vary, "Cookie, Authorization");
    response_free(&resp);
    cache_headers("REQUEST_METHOD=HEAD", "HTTP_ACCEPT=*/*", false, &cc, &vary, &resp);
    assert_null(cc);
    response_free(&resp);

    /* Any credential, any unsafe method, or a cookie being set: never stored. */
    const char *cases[][2] = {
        {"REQUEST_METHOD=GET", "HTTP_COOKIE=khedma_session=abc"},
        {"REQUEST_METHOD=GET", "HTTP_AUTHORIZATION=Bearer abc"},
        {"REQUEST_METHOD=POST", NULL},
        {"REQUEST_METHOD=PATCH", "HTTP_ACCEPT=*/*"},
        {"REQUEST_METHOD=DELETE", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cache_headers(cases[i][0], cases[i][1], false, &cc, &vary, &resp);
        assert_non_null(cc);
        assert_string_equal(cc, "no-store");
        assert_string_equal(vary, "Cookie, Authorization");
        response_free(&resp);
    }
    cache_headers("REQUEST_METHOD=GET", NULL, true, &cc, &vary, &resp);
    assert_string_equal(cc, "no-store");
    response_free(&resp);

    /* A handler's own Cache-Control is replaced on a private answer, kept on a public one. */
    struct request r;
    request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=/x", "HTTP_COOKIE=a=b", (char *)NULL);
    response_init(&resp);
    response_header(&resp, "cache-control", "public, max-age=60");
    response_cache_policy(&r, &resp, 1);
    char *out = response_serialize(&resp, NULL);
    assert_null(strstr(out, "max-age"));
    assert_non_null(strstr(out, "Cache-Control: no-store\r\n"));
    free(out);
    response_free(&resp);
    request_free(&r);
    request_from(&r, "REQUEST_METHOD=GET", "REQUEST_URI=/x", (char *)NULL);
    response_init(&resp);
    response_header(&resp, "Cache-Control", "public, max-age=60");
    response_cache_policy(&r, &resp, 1);
    assert_string_equal(kv_list_get(&resp.headers, "Cache-Control"), "public, max-age=60");
    response_free(&resp);
    request_free(&r);
}

/* X-Accel-Expires of one answer to a request (NULL when absent). */
static char *accel_expires(const char *method, const char *header, bool public_read, int status,
                           bool sets_cookie, int cache_s)
{
    struct request r;
    struct response resp;
    request_from(&r, method, "REQUEST_URI=/api/gigs", header, (char *)NULL);
    response_init(&resp);
    resp.status = status;
    resp.public_read = public_read;
    if (sets_cookie)
        response_header(&resp, "Set-Cookie", "khedma_session=x; Path=/");
    response_cache_policy(&r, &resp, cache_s);
    const char *v = kv_list_get_ci(&resp.headers, "x-accel-expires");
    char *copy = v ? strdup(v) : NULL;
    response_free(&resp);
    request_free(&r);
    return copy;
}

static void test_public_cache_header(void **state)
{
    char *v = accel_expires("REQUEST_METHOD=GET", NULL, true, 200, false, 1);
    assert_string_equal(v, "1");
    free(v);
    v = accel_expires("REQUEST_METHOD=GET", "HTTP_ACCEPT=*/*", true, 200, false, 30);
    assert_string_equal(v, "30");
    free(v);
    /* A credential, another method, an error, a cookie being set, a route that is not a public
     * read, or the cache turned off: never. */
    assert_null(
        accel_expires("REQUEST_METHOD=GET", "HTTP_COOKIE=khedma_session=a", true, 200, false, 1));
    assert_null(accel_expires("REQUEST_METHOD=GET", "HTTP_COOKIE=theme=dark", true, 200, false, 1));
    assert_null(
        accel_expires("REQUEST_METHOD=GET", "HTTP_AUTHORIZATION=Bearer a", true, 200, false, 1));
    assert_null(accel_expires("REQUEST_METHOD=HEAD", NULL, true, 200, false, 1));
    assert_null(accel_expires("REQUEST_METHOD=POST", NULL, true, 200, false, 1));
    assert_null(accel_expires("REQUEST_METHOD=GET", NULL, true, 404, false, 1));
    assert_null(accel_expires("REQUEST_METHOD=GET", NULL, true, 503, false, 1));
    assert_null(accel_expires("REQUEST_METHOD=GET", NULL, true, 200, true, 1));
    assert_null(accel_expires("REQUEST_METHOD=GET", NULL, false, 200, false, 1));
    assert_null(accel_expires("REQUEST_METHOD=GET", NULL, true, 200, false, 0));
}

static void test_response_binary_body(void **state)
{
    struct response resp;
    size_t len;
    response_init(&resp);
    response_body(&resp, "a\0b", 3);
    response_body(&resp, "x\0yz", 4); /* replaces */
    char *out = response_serialize(&resp, &len);
    const char head[] = "Status: 200 OK\r\nContent-Length: 4\r\n\r\n";
    assert_int_equal(len, sizeof head - 1 + 4);
    assert_memory_equal(out + sizeof head - 1, "x\0yz", 4);
    free(out);
    response_free(&resp);
}

static void test_http_reason(void **state)
{
    const int used[] = {200, 201, 204, 207, 400, 401, 403, 404, 405,
                        409, 412, 413, 415, 422, 429, 500, 502, 503};
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
        assert_string_not_equal(http_reason(used[i]), "Unknown");
    assert_string_equal(http_reason(207), "Multi-Status");
    assert_string_equal(http_reason(422), "Unprocessable Content");
    assert_string_equal(http_reason(503), "Service Unavailable");
    assert_string_equal(http_reason(599), "Unknown");
}

/* Only a POST to the upload route may send more than MAX_BODY. */
static void test_request_body_limit(void **state)
{
    (void)state;
    struct request r;
    memset(&r, 0, sizeof r);
    char post[] = "POST", get[] = "GET", upload[] = UPLOAD_PATH, other[] = "/dashboard/settings",
         longer[] = UPLOAD_PATH "x";
    r.method = post;
    r.path = upload;
    assert_int_equal(request_body_limit(&r), UPLOAD_MAX_BODY);
    assert_true(UPLOAD_MAX_BODY > 5 * 1024 * 1024 && MAX_BODY == 1024 * 1024);
    r.path = other;
    assert_int_equal(request_body_limit(&r), MAX_BODY);
    r.path = longer;
    assert_int_equal(request_body_limit(&r), MAX_BODY);
    r.method = get;
    r.path = upload;
    assert_int_equal(request_body_limit(&r), MAX_BODY);
    r.method = NULL;
    assert_int_equal(request_body_limit(&r), MAX_BODY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent_decode_valid),
        cmocka_unit_test(test_percent_decode_malformed),
        cmocka_unit_test(test_percent_decode_respects_len),
        cmocka_unit_test(test_query_repeated_keys_in_order),
        cmocka_unit_test(test_query_plus_and_encoded_plus),
        cmocka_unit_test(test_query_empty_pairs_and_bare_keys),
        cmocka_unit_test(test_query_malformed_is_all_or_nothing),
        cmocka_unit_test(test_query_trpc_input),
        cmocka_unit_test(test_cookies_spaces_and_quotes),
        cmocka_unit_test(test_cookies_empty_and_invalid),
        cmocka_unit_test(test_cookies_values_not_decoded),
        cmocka_unit_test(test_cookies_many),
        cmocka_unit_test(test_header_name_from_param),
        cmocka_unit_test(test_request_id_valid),
        cmocka_unit_test(test_request_from_nginx_params),
        cmocka_unit_test(test_request_id_echo_and_replace),
        cmocka_unit_test(test_request_path_sources),
        cmocka_unit_test(test_request_malformed_still_usable),
        cmocka_unit_test(test_request_content_length),
        cmocka_unit_test(test_request_body_empty),
        cmocka_unit_test(test_request_is_json),
        cmocka_unit_test(test_response_serialize_basic),
        cmocka_unit_test(test_response_json),
        cmocka_unit_test(test_response_header_injection_dropped),
        cmocka_unit_test(test_response_set_header_and_204),
        cmocka_unit_test(test_response_binary_body),
        cmocka_unit_test(test_request_encoded_slash_and_target_len),
        cmocka_unit_test(test_response_cache_policy),
        cmocka_unit_test(test_public_cache_header),
        cmocka_unit_test(test_http_reason),
        cmocka_unit_test(test_request_body_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
