/*
 * test_errors.c - unit tests for the error kinds: every kind's HTTP status and tRPC code
 * (docs/api.md, "REST envelope and errors"), the reverse mapping from HTTP statuses, and the err
 * struct's message and field list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/errors.h"

struct expected {
    enum errkind kind;
    int http;
    int number;
    const char *name;
};

static const struct expected documented[] = {
    {E_PARSE, 400, -32700, "PARSE_ERROR"},
    {E_BAD_REQUEST, 400, -32600, "BAD_REQUEST"},
    {E_UNAUTHORIZED, 401, -32001, "UNAUTHORIZED"},
    {E_FORBIDDEN, 403, -32003, "FORBIDDEN"},
    {E_NOT_FOUND, 404, -32004, "NOT_FOUND"},
    {E_METHOD, 405, -32005, "METHOD_NOT_SUPPORTED"},
    {E_CONFLICT, 409, -32009, "CONFLICT"},
    {E_PRECONDITION, 412, -32012, "PRECONDITION_FAILED"},
    {E_TOO_LARGE, 413, -32013, "PAYLOAD_TOO_LARGE"},
    {E_UNSUPPORTED, 415, -32015, "UNSUPPORTED_MEDIA_TYPE"},
    {E_UNPROCESSABLE, 422, -32022, "UNPROCESSABLE_CONTENT"},
    {E_TOO_MANY, 429, -32029, "TOO_MANY_REQUESTS"},
    {E_INTERNAL, 500, -32603, "INTERNAL_SERVER_ERROR"},
    {E_BAD_GATEWAY, 502, -32603, "BAD_GATEWAY"},
    {E_UNAVAILABLE, 503, -32603, "SERVICE_UNAVAILABLE"},
};

static void test_documented_mapping(void **state)
{
    for (size_t i = 0; i < sizeof documented / sizeof documented[0]; i++) {
        const struct expected *x = &documented[i];
        assert_int_equal(errkind_http_status(x->kind), x->http);
        assert_int_equal(errkind_trpc_number(x->kind), x->number);
        assert_string_equal(errkind_trpc_name(x->kind), x->name);
    }
}

static void test_unknown_kind_is_internal(void **state)
{
    enum errkind bogus = (enum errkind)999;
    assert_int_equal(errkind_http_status(bogus), 500);
    assert_int_equal(errkind_trpc_number(bogus), -32603);
    assert_string_equal(errkind_trpc_name(bogus), "INTERNAL_SERVER_ERROR");
}

static void test_from_http_status(void **state)
{
    assert_int_equal(errkind_from_http_status(200), E_OK);
    assert_int_equal(errkind_from_http_status(400), E_BAD_REQUEST);
    assert_int_equal(errkind_from_http_status(401), E_UNAUTHORIZED);
    assert_int_equal(errkind_from_http_status(403), E_FORBIDDEN);
    assert_int_equal(errkind_from_http_status(404), E_NOT_FOUND);
    assert_int_equal(errkind_from_http_status(405), E_METHOD);
    assert_int_equal(errkind_from_http_status(409), E_CONFLICT);
    assert_int_equal(errkind_from_http_status(412), E_PRECONDITION);
    assert_int_equal(errkind_from_http_status(413), E_TOO_LARGE);
    assert_int_equal(errkind_from_http_status(414), E_TOO_LARGE);
    assert_int_equal(errkind_from_http_status(415), E_UNSUPPORTED);
    assert_int_equal(errkind_from_http_status(422), E_UNPROCESSABLE);
    assert_int_equal(errkind_from_http_status(429), E_TOO_MANY);
    assert_int_equal(errkind_from_http_status(418), E_BAD_REQUEST);
    assert_int_equal(errkind_from_http_status(500), E_INTERNAL);
    assert_int_equal(errkind_from_http_status(502), E_BAD_GATEWAY);
    assert_int_equal(errkind_from_http_status(503), E_UNAVAILABLE);
    assert_int_equal(errkind_from_http_status(504), E_BAD_GATEWAY);
    assert_int_equal(errkind_from_http_status(599), E_INTERNAL);
    /* Round trip for every kind with its own status. */
    for (size_t i = 1; i < sizeof documented / sizeof documented[0]; i++)
        assert_int_equal(errkind_from_http_status(documented[i].http), documented[i].kind);
}

static void test_err_set(void **state)
{
    struct err e = {0};
    assert_int_equal(err_set(&e, E_NOT_FOUND, "Gig %s not found (%d)", "abc", 7), E_NOT_FOUND);
    assert_int_equal(e.kind, E_NOT_FOUND);
    assert_string_equal(e.message, "Gig abc not found (7)");
    assert_null(e.fields);

    /* A message longer than the buffer is truncated, never overflowed. */
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    err_set(&e, E_INTERNAL, "%s", big);
    assert_int_equal(strlen(e.message), sizeof e.message - 1);
    err_clear(&e);
}

static void test_err_field(void **state)
{
    struct err e = {0};
    err_field(&e, "email", "Invalid email");
    err_field(&e, "password", "Too short");
    err_field(&e, "password", "Needs a digit");
    assert_int_equal(e.kind, E_BAD_REQUEST);
    assert_string_equal(e.message, "Validation failed");
    assert_string_equal(json_object_to_json_string_ext(e.fields, JSON_C_TO_STRING_PLAIN),
                        "{\"email\":[\"Invalid email\"],"
                        "\"password\":[\"Too short\",\"Needs a digit\"]}");
    err_clear(&e);
    assert_int_equal(e.kind, E_OK);
    assert_null(e.fields);
    assert_string_equal(e.message, "");
}

static void test_err_field_keeps_kind_and_message(void **state)
{
    struct err e = {0};
    err_set(&e, E_UNPROCESSABLE, "Bad package");
    err_field(&e, "basic.price", "Must be at least 10");
    assert_int_equal(e.kind, E_UNPROCESSABLE);
    assert_string_equal(e.message, "Bad package");
    err_clear(&e);
    /* Clearing twice is harmless. */
    err_clear(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_mapping),
        cmocka_unit_test(test_unknown_kind_is_internal),
        cmocka_unit_test(test_from_http_status),
        cmocka_unit_test(test_err_set),
        cmocka_unit_test(test_err_field),
        cmocka_unit_test(test_err_field_keeps_kind_and_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
