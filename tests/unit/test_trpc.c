/*
 * test_trpc.c - unit tests for the tRPC wire protocol, driven through trpc_handle with a fake
 * procedure table and a request built in memory: single and batched queries and mutations,
 * absent inputs, the whole-request failures (bad JSON, bad UTF-8, batch input shape, content
 * type, batch size), wrong methods both ways, unknown procedures, the error shape with zodError,
 * 207 Multi-Status, and superjson in and out (input unwrapping, Date markers in nested objects
 * and arrays, escaped keys, the error wrapping).
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
#include "khedma/trpc.h"

/* ---- fake procedures ---- */

static int calls_made;      /* procedures actually run */
static bool saw_null_input; /* the last call's input was NULL */

static enum errkind echo(struct ctx *c, json_object *input, json_object **output, struct err *e)
{
    calls_made++;
    saw_null_input = input == NULL;
    *output = json_object_new_object();
    json_object_object_add(*output, "input", json_object_get(input));
    return E_OK;
}

/* cppcheck-suppress constParameter ; the signature is the procedure table's */
static enum errkind say_ok(struct ctx *c, json_object *input, json_object **output, struct err *e)
{
    calls_made++;
    saw_null_input = input == NULL;
    *output = json_object_new_string("ok");
    return E_OK;
}

static enum errkind nothing(struct ctx *c, json_object *input, json_object **output, struct err *e)
{
    calls_made++;
    return E_OK; /* leaves *output NULL: JSON null */
}

static enum errkind missing(struct ctx *c, json_object *input, json_object **output, struct err *e)
{
    calls_made++;
    return err_set(e, E_NOT_FOUND, "Gig not found");
}

static enum errkind conflict(struct ctx *c, json_object *input, json_object **output, struct err *e)
{
    calls_made++;
    /* An output set before failing must be released by the transport (valgrind checks). */
    *output = json_object_new_string("half-built");
    return err_set(e, E_CONFLICT, "Already confirmed");
}

static enum errkind invalid(struct ctx *c, json_object *input, json_object **output, struct err *e)
{
    calls_made++;
    err_field(e, "title", "Title must be 1 to 80 characters");
    err_field(e, "basic.price", "Price must be between 10 and 10000000");
    return E_BAD_REQUEST;
}

static enum errkind bare_error(struct ctx *c, json_object *input, json_object **output,
                               struct err *e)
{
    calls_made++;
    return E_INTERNAL; /* no message: the code name stands in */
}

static const char dated_output[] =
    "{\"id\":\"g1\",\"createdAt\":\"2026-11-22T07:17:00.000Z\",\"title\":\"2026-11-22T07:17:00."
    "000Z\","
    "\"updatedAt\":\"not a date\",\"at\":\"2026-01-02T03:04:05Z\",\"paidAt\":\"2026-01-02T03:04:05."
    "123+02:00\",\"owner\":{\"name\":\"Sara\",\"createdAt\":\"2025-01-01T00:00:00.000Z\"},"
    "\"packages\":[{\"id\":\"p1\",\"createdAt\":\"2026-11-22T07:17:00.000Z\",\"updatedAt\":"
    "\"2026-11-22T07:18:00.000Z\"},{\"id\":\"p2\",\"createdAt\":null}],"
    "\"events\":[[{\"at\":\"2026-11-22T07:19:00.000Z\"}]],"
    "\"description\":{\"blocks\":[{\"type\":\"p\",\"data\":{\"createdAt\":"
    "\"2026-11-22T07:17:00.000Z\"}}]},"
    "\"a.b\":{\"c\\\\d\":{\"readAt\":\"2026-11-22T07:17:00.000Z\"}},"
    "\"format\":\"2026-11-22T07:17:00.000Zx\",\"count\":3,\"createdAt2\":\"x\"}";

static enum errkind dated(struct ctx *c, json_object *input, json_object **output, struct err *e)
{
    calls_made++;
    *output = jsonx_parse(dated_output, strlen(dated_output));
    return E_OK;
}

static enum errkind dated_list(struct ctx *c, json_object *input, json_object **output,
                               struct err *e)
{
    static const char text[] = "[{\"id\":\"a\",\"createdAt\":\"2026-11-22T07:17:00.000Z\"},"
                               "{\"id\":\"b\",\"createdAt\":\"2026-11-23T07:17:00.000Z\"}]";
    calls_made++;
    *output = jsonx_parse(text, strlen(text));
    return E_OK;
}

static const struct trpc_proc procs[] = {
    {"t.echo", TRPC_QUERY, echo, CACHE_NEVER},
    {"t.ok", TRPC_QUERY, say_ok, CACHE_PUBLIC},
    {"t.nothing", TRPC_QUERY, nothing, CACHE_NEVER},
    {"t.missing", TRPC_QUERY, missing, CACHE_PUBLIC},
    {"t.create", TRPC_MUTATION, echo, CACHE_NEVER},
    {"t.conflict", TRPC_MUTATION, conflict, CACHE_NEVER},
    {"t.invalid", TRPC_MUTATION, invalid, CACHE_NEVER},
    {"t.bare", TRPC_QUERY, bare_error, CACHE_NEVER},
    {"t.dated", TRPC_QUERY, dated, CACHE_NEVER},
    {"t.datedList", TRPC_QUERY, dated_list, CACHE_NEVER},
};

/* ---- a request in memory ---- */

struct reply {
    int status;
    json_object *body;
    char allow[32];
    bool public_read;
};

struct call_opts {
    const char *method; /* "GET" unless set */
    const char *path;
    const char *input; /* GET: ?input= (already decoded); POST: the body */
    bool batch, superjson;
    const char *content_type; /* POST: application/json unless set */
};

static struct reply run(struct call_opts o)
{
    struct request req = {0};
    struct response resp;
    response_init(&resp);
    req.method = strdup(o.method ? o.method : "GET");
    req.content_length = -1;
    if (o.batch)
        kv_list_add(&req.query, "batch", "1");
    if (strcmp(req.method, "POST") == 0) {
        req.content_type = strdup(o.content_type ? o.content_type : "application/json");
        if (o.input)
            request_set_body(&req, o.input, strlen(o.input));
    } else if (o.input) {
        kv_list_add(&req.query, "input", o.input);
    }
    struct ctx c = {.req = &req, .resp = &resp};
    calls_made = 0;
    trpc_handle(&c, procs, sizeof procs / sizeof procs[0], o.path, o.superjson);

    struct reply r = {.status = resp.status, .public_read = resp.public_read};
    assert_non_null(resp.body);
    assert_string_equal(kv_list_get(&resp.headers, "Content-Type"), "application/json");
    r.body = jsonx_parse(resp.body, resp.body_len);
    assert_non_null(r.body);
    const char *allow = kv_list_get(&resp.headers, "Allow");
    snprintf(r.allow, sizeof r.allow, "%s", allow ? allow : "");
    response_free(&resp);
    request_free(&req);
    return r;
}

/* The reply's body equals the expected JSON text (object member order ignored). */
static void assert_body(struct reply *r, const char *expected)
{
    json_object *want = jsonx_parse(expected, strlen(expected));
    assert_non_null(want);
    if (!json_object_equal(r->body, want)) {
        fprintf(stderr, "got:  %s\nwant: %s\n", jsonx_to_string(r->body), jsonx_to_string(want));
        fail();
    }
    json_object_put(want);
    json_object_put(r->body);
    r->body = NULL;
}

/* ---- single calls ---- */

static void test_query_with_url_input(void **state)
{
    struct reply r =
        run((struct call_opts){.path = "t.echo", .input = "{\"id\":\"c1\",\"n\":[1,2]}"});
    assert_int_equal(r.status, 200);
    assert_body(&r, "{\"result\":{\"data\":{\"input\":{\"id\":\"c1\",\"n\":[1,2]}}}}");
    assert_int_equal(calls_made, 1);
}

static void test_query_without_input(void **state)
{
    struct reply r = run((struct call_opts){.path = "t.ok"});
    assert_int_equal(r.status, 200);
    assert_true(saw_null_input);
    assert_body(&r, "{\"result\":{\"data\":\"ok\"}}");

    /* An empty input parameter is no input too (v11 reads it that way); so is JSON null. */
    r = run((struct call_opts){.path = "t.ok", .input = ""});
    assert_true(saw_null_input);
    assert_body(&r, "{\"result\":{\"data\":\"ok\"}}");
    r = run((struct call_opts){.path = "t.ok", .input = "null"});
    assert_int_equal(r.status, 200);
    assert_true(saw_null_input);
    assert_body(&r, "{\"result\":{\"data\":\"ok\"}}");

    /* A procedure that returns no output gives data null. */
    r = run((struct call_opts){.path = "t.nothing"});
    assert_body(&r, "{\"result\":{\"data\":null}}");
}

static void test_mutation_body(void **state)
{
    struct reply r = run(
        (struct call_opts){.method = "POST", .path = "t.create", .input = "{\"title\":\"Logo\"}"});
    assert_int_equal(r.status, 200);
    assert_body(&r, "{\"result\":{\"data\":{\"input\":{\"title\":\"Logo\"}}}}");

    /* createDraft-style: no body at all. Content-Type with a charset is still JSON. */
    r = run((struct call_opts){
        .method = "POST", .path = "t.create", .content_type = "application/json; charset=utf-8"});
    assert_int_equal(r.status, 200);
    assert_true(saw_null_input);
    assert_body(&r, "{\"result\":{\"data\":{\"input\":null}}}");

    /* A scalar input is passed as is. */
    r = run((struct call_opts){.method = "POST", .path = "t.create", .input = "\"text\""});
    assert_body(&r, "{\"result\":{\"data\":{\"input\":\"text\"}}}");
}

static void test_error_shape(void **state)
{
    struct reply r = run((struct call_opts){.path = "t.missing", .input = "{\"id\":\"x\"}"});
    assert_int_equal(r.status, 404);
    assert_body(&r, "{\"error\":{\"message\":\"Gig not found\",\"code\":-32004,\"data\":"
                    "{\"code\":\"NOT_FOUND\",\"httpStatus\":404,\"path\":\"t.missing\"}}}");

    r = run((struct call_opts){.method = "POST", .path = "t.conflict"});
    assert_int_equal(r.status, 409);
    assert_body(&r, "{\"error\":{\"message\":\"Already confirmed\",\"code\":-32009,\"data\":"
                    "{\"code\":\"CONFLICT\",\"httpStatus\":409,\"path\":\"t.conflict\"}}}");

    r = run((struct call_opts){.path = "t.bare"});
    assert_int_equal(r.status, 500);
    assert_body(&r,
                "{\"error\":{\"message\":\"INTERNAL_SERVER_ERROR\",\"code\":-32603,\"data\":"
                "{\"code\":\"INTERNAL_SERVER_ERROR\",\"httpStatus\":500,\"path\":\"t.bare\"}}}");
}

static void test_zod_error(void **state)
{
    struct reply r = run((struct call_opts){.method = "POST", .path = "t.invalid", .input = "{}"});
    assert_int_equal(r.status, 400);
    assert_body(&r, "{\"error\":{\"message\":\"Validation failed\",\"code\":-32600,\"data\":"
                    "{\"code\":\"BAD_REQUEST\",\"httpStatus\":400,\"path\":\"t.invalid\","
                    "\"zodError\":{\"formErrors\":[],\"fieldErrors\":{"
                    "\"title\":[\"Title must be 1 to 80 characters\"],"
                    "\"basic.price\":[\"Price must be between 10 and 10000000\"]}}}}}");
}

/* ---- public reads ---- */

/* Only a successful answer whose every call is a CACHE_PUBLIC procedure is a public read. */
static void test_public_read_marking(void **state)
{
    struct reply r = run((struct call_opts){.path = "t.ok"});
    assert_int_equal(r.status, 200);
    assert_true(r.public_read);
    json_object_put(r.body);
    r = run((struct call_opts){.path = "t.ok,t.ok", .batch = true});
    assert_int_equal(r.status, 200);
    assert_true(r.public_read);
    json_object_put(r.body);

    /* A private procedure, alone or in a batch, a failed public one, an unknown path. */
    const struct call_opts private_ones[] = {
        {.path = "t.echo"},
        {.path = "t.ok,t.echo", .batch = true},
        {.path = "t.missing", .input = "{\"id\":\"x\"}"},
        {.path = "t.ok,t.missing", .batch = true},
        {.path = "t.ok,t.nope", .batch = true},
        {.path = "t.ok", .input = "{"},
    };
    for (size_t i = 0; i < sizeof private_ones / sizeof private_ones[0]; i++) {
        r = run(private_ones[i]);
        assert_false(r.public_read);
        json_object_put(r.body);
    }
}

/* ---- whole-request failures ---- */

static void test_bad_json(void **state)
{
    const char *bad[] = {"{", "{\"id\":}", "{'id':1}", "[1,]", "{\"a\":1} x", "NaN"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct reply r = run((struct call_opts){.path = "t.echo", .input = bad[i]});
        assert_int_equal(r.status, 400);
        assert_int_equal(calls_made, 0);
        assert_body(&r, "{\"error\":{\"message\":\"Input is not valid JSON\",\"code\":-32700,"
                        "\"data\":{\"code\":\"PARSE_ERROR\",\"httpStatus\":400}}}");
    }
    struct reply r = run((struct call_opts){.method = "POST", .path = "t.create", .input = "{"});
    assert_int_equal(r.status, 400);
    assert_body(&r, "{\"error\":{\"message\":\"Input is not valid JSON\",\"code\":-32700,"
                    "\"data\":{\"code\":\"PARSE_ERROR\",\"httpStatus\":400}}}");

    /* In a batch the request fails as a whole: one error object, not an array. */
    r = run((struct call_opts){.path = "t.echo,t.ok", .batch = true, .input = "{\"0\":"});
    assert_int_equal(r.status, 400);
    assert_int_equal(calls_made, 0);
    assert_true(json_object_is_type(r.body, json_type_object));
    json_object_put(r.body);
}

static void test_bad_utf8(void **state)
{
    struct reply r = run((struct call_opts){.path = "t.echo", .input = "{\"id\":\"\xc3\x28\"}"});
    assert_int_equal(r.status, 400);
    assert_body(&r, "{\"error\":{\"message\":\"Input is not valid UTF-8\",\"code\":-32700,"
                    "\"data\":{\"code\":\"PARSE_ERROR\",\"httpStatus\":400}}}");

    r = run((struct call_opts){.method = "POST", .path = "t.create", .input = "\"\xed\xa0\x80\""});
    assert_int_equal(r.status, 400);
    json_object_put(r.body);

    /* A path with invalid UTF-8 would be echoed into the reply: refused before that. */
    r = run((struct call_opts){.path = "t.\xff"});
    assert_int_equal(r.status, 400);
    json_object_put(r.body);
}

static void test_content_type(void **state)
{
    struct reply r = run((struct call_opts){
        .method = "POST", .path = "t.create", .input = "{}", .content_type = "text/plain"});
    assert_int_equal(r.status, 415);
    assert_int_equal(calls_made, 0);
    assert_body(&r, "{\"error\":{\"message\":\"Unsupported content-type: use application/json\","
                    "\"code\":-32015,\"data\":{\"code\":\"UNSUPPORTED_MEDIA_TYPE\","
                    "\"httpStatus\":415}}}");
}

static void test_batch_input_shape_and_size(void **state)
{
    struct reply r =
        run((struct call_opts){.path = "t.echo,t.ok", .batch = true, .input = "[1,2]"});
    assert_int_equal(r.status, 400);
    assert_body(&r, "{\"error\":{\"message\":\"\\\"input\\\" needs to be an object when doing a "
                    "batch call\",\"code\":-32600,\"data\":{\"code\":\"BAD_REQUEST\","
                    "\"httpStatus\":400}}}");

    char path[2048] = "t.ok";
    for (int i = 1; i < TRPC_MAX_BATCH; i++)
        strcat(path, ",t.ok");
    r = run((struct call_opts){.path = path, .batch = true});
    assert_int_equal(r.status, 200);
    assert_int_equal(json_object_array_length(r.body), TRPC_MAX_BATCH);
    json_object_put(r.body);
    strcat(path, ",t.ok");
    r = run((struct call_opts){.path = path, .batch = true});
    assert_int_equal(r.status, 400);
    assert_int_equal(calls_made, 0);
    json_object_put(r.body);
}

/* ---- methods and paths ---- */

static void test_wrong_method(void **state)
{
    struct reply r = run((struct call_opts){.path = "t.create", .input = "{}"});
    assert_int_equal(r.status, 405);
    assert_int_equal(calls_made, 0);
    assert_string_equal(r.allow, "POST");
    assert_body(&r, "{\"error\":{\"message\":\"Unsupported GET-request to mutation procedure at "
                    "path \\\"t.create\\\"\",\"code\":-32005,\"data\":{\"code\":"
                    "\"METHOD_NOT_SUPPORTED\",\"httpStatus\":405,\"path\":\"t.create\"}}}");

    r = run((struct call_opts){.method = "POST", .path = "t.echo", .input = "{}"});
    assert_int_equal(r.status, 405);
    assert_int_equal(calls_made, 0);
    assert_string_equal(r.allow, "GET");
    assert_body(&r, "{\"error\":{\"message\":\"Unsupported POST-request to query procedure at "
                    "path \\\"t.echo\\\"\",\"code\":-32005,\"data\":{\"code\":"
                    "\"METHOD_NOT_SUPPORTED\",\"httpStatus\":405,\"path\":\"t.echo\"}}}");

    r = run((struct call_opts){.method = "PUT", .path = "t.echo", .input = "{}"});
    assert_int_equal(r.status, 405);
    json_object_put(r.body);

    /* HEAD answers like GET. */
    r = run((struct call_opts){.method = "HEAD", .path = "t.ok"});
    assert_int_equal(r.status, 200);
    json_object_put(r.body);
}

static void test_unknown_procedure(void **state)
{
    struct reply r = run((struct call_opts){.path = "t.nope"});
    assert_int_equal(r.status, 404);
    assert_string_equal(r.allow, "");
    assert_body(&r, "{\"error\":{\"message\":\"No procedure found on path \\\"t.nope\\\"\","
                    "\"code\":-32004,\"data\":{\"code\":\"NOT_FOUND\",\"httpStatus\":404,"
                    "\"path\":\"t.nope\"}}}");

    /* Without batch=1 a comma is part of one (unknown) path. */
    r = run((struct call_opts){.path = "t.ok,t.ok"});
    assert_int_equal(r.status, 404);
    assert_int_equal(calls_made, 0);
    json_object_put(r.body);

    r = run((struct call_opts){.path = ""});
    assert_int_equal(r.status, 404);
    json_object_put(r.body);

    /* A very long path is kept out of the message but still reported in data.path. */
    char path[400];
    memset(path, 'x', 300);
    path[300] = '\0';
    r = run((struct call_opts){.path = path});
    assert_int_equal(r.status, 404);
    json_object *error = json_object_object_get(r.body, "error");
    json_object *data = json_object_object_get(error, "data");
    assert_string_equal(json_object_get_string(json_object_object_get(data, "path")), path);
    assert_null(strstr(json_object_get_string(json_object_object_get(error, "message")), "xxx"));
    json_object_put(r.body);
}

/* ---- batches ---- */

static void test_batch_get(void **state)
{
    struct reply r = run((struct call_opts){
        .path = "t.echo,t.ok,t.echo", .batch = true, .input = "{\"0\":{\"id\":\"a\"},\"2\":7}"});
    assert_int_equal(r.status, 200);
    assert_int_equal(calls_made, 3);
    assert_body(&r, "[{\"result\":{\"data\":{\"input\":{\"id\":\"a\"}}}},"
                    "{\"result\":{\"data\":\"ok\"}},"
                    "{\"result\":{\"data\":{\"input\":7}}}]");

    /* No input parameter at all: every call gets none. */
    r = run((struct call_opts){.path = "t.echo,t.echo", .batch = true});
    assert_int_equal(r.status, 200);
    assert_body(&r, "[{\"result\":{\"data\":{\"input\":null}}},"
                    "{\"result\":{\"data\":{\"input\":null}}}]");

    /* One call is still an array when batched. */
    r = run((struct call_opts){.path = "t.ok", .batch = true, .input = "{}"});
    assert_body(&r, "[{\"result\":{\"data\":\"ok\"}}]");
}

static void test_batch_post_mixed_statuses(void **state)
{
    struct reply r = run((struct call_opts){.method = "POST",
                                            .path = "t.create,t.conflict,t.create",
                                            .batch = true,
                                            .input = "{\"0\":{\"n\":1},\"2\":{\"n\":3}}"});
    assert_int_equal(r.status, 207);
    assert_int_equal(calls_made, 3);
    assert_body(&r, "[{\"result\":{\"data\":{\"input\":{\"n\":1}}}},"
                    "{\"error\":{\"message\":\"Already confirmed\",\"code\":-32009,\"data\":{"
                    "\"code\":\"CONFLICT\",\"httpStatus\":409,\"path\":\"t.conflict\"}}},"
                    "{\"result\":{\"data\":{\"input\":{\"n\":3}}}}]");

    /* All failing the same way: their common status, not 207. */
    r = run((struct call_opts){.path = "t.missing,t.missing", .batch = true, .input = "{}"});
    assert_int_equal(r.status, 404);
    json_object_put(r.body);
}

static void test_batch_unknown_and_wrong_method_calls(void **state)
{
    struct reply r = run((struct call_opts){
        .path = "t.echo,t.nope,t.create", .batch = true, .input = "{\"0\":1,\"1\":2,\"2\":3}"});
    assert_int_equal(r.status, 207);
    assert_int_equal(calls_made, 1); /* the other calls still ran */
    assert_body(&r, "[{\"result\":{\"data\":{\"input\":1}}},"
                    "{\"error\":{\"message\":\"No procedure found on path \\\"t.nope\\\"\","
                    "\"code\":-32004,\"data\":{\"code\":\"NOT_FOUND\",\"httpStatus\":404,"
                    "\"path\":\"t.nope\"}}},"
                    "{\"error\":{\"message\":\"Unsupported GET-request to mutation procedure at "
                    "path \\\"t.create\\\"\",\"code\":-32005,\"data\":{\"code\":"
                    "\"METHOD_NOT_SUPPORTED\",\"httpStatus\":405,\"path\":\"t.create\"}}}]");

    /* A batch refused entirely by method: 405 with the methods that would work. */
    r = run((struct call_opts){.method = "POST", .path = "t.ok,t.echo", .batch = true});
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "GET");
    json_object_put(r.body);
}

/* ---- superjson ---- */

static void test_superjson_input(void **state)
{
    struct reply r = run((struct call_opts){
        .path = "t.echo",
        .superjson = true,
        .input = "{\"json\":{\"id\":\"c1\",\"at\":\"2026-01-01T00:00:00.000Z\"},\"meta\":{"
                 "\"values\":{\"at\":[\"Date\"]},\"v\":1}}"});
    assert_int_equal(r.status, 200);
    assert_body(&r, "{\"result\":{\"data\":{\"json\":{\"input\":{\"id\":\"c1\",\"at\":"
                    "\"2026-01-01T00:00:00.000Z\"}},\"meta\":{\"values\":{\"input.at\":[\"Date\"]},"
                    "\"v\":1}}}}");

    /* superjson.serialize(undefined) is {}: no input. */
    r = run((struct call_opts){.path = "t.ok", .superjson = true, .input = "{}"});
    assert_true(saw_null_input);
    assert_body(&r, "{\"result\":{\"data\":{\"json\":\"ok\"}}}");

    /* Mutations and batches unwrap each input. */
    r = run((struct call_opts){.method = "POST",
                               .path = "t.create,t.create",
                               .batch = true,
                               .superjson = true,
                               .input = "{\"0\":{\"json\":{\"n\":1}},\"1\":{}}"});
    assert_int_equal(r.status, 200);
    assert_body(&r, "[{\"result\":{\"data\":{\"json\":{\"input\":{\"n\":1}}}}},"
                    "{\"result\":{\"data\":{\"json\":{\"input\":null}}}}]");

    /* null output */
    r = run((struct call_opts){.path = "t.nothing", .superjson = true});
    assert_body(&r, "{\"result\":{\"data\":{\"json\":null}}}");
}

static void test_superjson_date_meta(void **state)
{
    char expected[4096];
    snprintf(expected, sizeof expected,
             "{\"result\":{\"data\":{\"json\":%s,\"meta\":{\"values\":{"
             "\"createdAt\":[\"Date\"],\"at\":[\"Date\"],\"paidAt\":[\"Date\"],"
             "\"owner.createdAt\":[\"Date\"],\"packages.0.createdAt\":[\"Date\"],"
             "\"packages.0.updatedAt\":[\"Date\"],\"events.0.0.at\":[\"Date\"],"
             "\"a\\\\.b.c\\\\\\\\d.readAt\":[\"Date\"]},\"v\":1}}}}",
             dated_output);
    struct reply r = run((struct call_opts){.path = "t.dated", .superjson = true});
    assert_int_equal(r.status, 200);
    assert_body(&r, expected);

    /* Top-level arrays of objects: paths start at the index. */
    r = run((struct call_opts){.path = "t.datedList", .superjson = true});
    assert_body(&r, "{\"result\":{\"data\":{\"json\":[{\"id\":\"a\",\"createdAt\":"
                    "\"2026-11-22T07:17:00.000Z\"},{\"id\":\"b\",\"createdAt\":"
                    "\"2026-11-23T07:17:00.000Z\"}],\"meta\":{\"values\":{"
                    "\"0.createdAt\":[\"Date\"],\"1.createdAt\":[\"Date\"]},\"v\":1}}}}");

    /* Without the transformer the same output goes out bare. */
    r = run((struct call_opts){.path = "t.datedList"});
    assert_body(&r, "{\"result\":{\"data\":[{\"id\":\"a\",\"createdAt\":"
                    "\"2026-11-22T07:17:00.000Z\"},{\"id\":\"b\",\"createdAt\":"
                    "\"2026-11-23T07:17:00.000Z\"}]}}");
}

static void test_superjson_errors(void **state)
{
    struct reply r = run((struct call_opts){.path = "t.missing", .superjson = true});
    assert_int_equal(r.status, 404);
    assert_body(&r, "{\"error\":{\"json\":{\"message\":\"Gig not found\",\"code\":-32004,"
                    "\"data\":{\"code\":\"NOT_FOUND\",\"httpStatus\":404,\"path\":"
                    "\"t.missing\"}}}}");

    r = run((struct call_opts){.method = "POST", .path = "t.invalid", .superjson = true});
    assert_int_equal(r.status, 400);
    assert_body(&r, "{\"error\":{\"json\":{\"message\":\"Validation failed\",\"code\":-32600,"
                    "\"data\":{\"code\":\"BAD_REQUEST\",\"httpStatus\":400,\"path\":\"t.invalid\","
                    "\"zodError\":{\"formErrors\":[],\"fieldErrors\":{"
                    "\"title\":[\"Title must be 1 to 80 characters\"],"
                    "\"basic.price\":[\"Price must be between 10 and 10000000\"]}}}}}}");

    r = run((struct call_opts){.path = "t.ok", .superjson = true, .input = "{bad"});
    assert_int_equal(r.status, 400);
    assert_body(&r, "{\"error\":{\"json\":{\"message\":\"Input is not valid JSON\",\"code\":"
                    "-32700,\"data\":{\"code\":\"PARSE_ERROR\",\"httpStatus\":400}}}}");

    r = run((struct call_opts){.method = "POST",
                               .path = "t.create,t.conflict",
                               .batch = true,
                               .superjson = true,
                               .input = "{\"0\":{\"json\":1},\"1\":{\"json\":2}}"});
    assert_int_equal(r.status, 207);
    assert_body(&r, "[{\"result\":{\"data\":{\"json\":{\"input\":1}}}},"
                    "{\"error\":{\"json\":{\"message\":\"Already confirmed\",\"code\":-32009,"
                    "\"data\":{\"code\":\"CONFLICT\",\"httpStatus\":409,\"path\":"
                    "\"t.conflict\"}}}}]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_with_url_input),
        cmocka_unit_test(test_query_without_input),
        cmocka_unit_test(test_mutation_body),
        cmocka_unit_test(test_error_shape),
        cmocka_unit_test(test_zod_error),
        cmocka_unit_test(test_public_read_marking),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_batch_input_shape_and_size),
        cmocka_unit_test(test_wrong_method),
        cmocka_unit_test(test_unknown_procedure),
        cmocka_unit_test(test_batch_get),
        cmocka_unit_test(test_batch_post_mixed_statuses),
        cmocka_unit_test(test_batch_unknown_and_wrong_method_calls),
        cmocka_unit_test(test_superjson_input),
        cmocka_unit_test(test_superjson_date_meta),
        cmocka_unit_test(test_superjson_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
