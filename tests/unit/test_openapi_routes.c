/*
 * test_openapi_routes.c - the REST routes of the route table (src/http/app.c) and the operations of
 * docs/openapi.yaml are the same set of (method, path template) pairs: a route added without its
 * description, or a described path the server does not serve, fails here. The tRPC transport
 * (method "*", /api/trpc/{path*}) is not a REST route and is described in docs/api.md instead.
 *
 * docs/openapi.yaml is read with a small line scanner rather than a YAML library: under the
 * top-level `paths:` key a path is a key indented by two spaces that starts with '/', and an
 * operation is an HTTP method key indented by four. The file is written that way (block style,
 * two-space indentation); a path item written in flow style is not read, so it shows up as a
 * missing route rather than passing unseen. The scanner's own tests below hold it to that.
 *
 * The file is OPENAPI_YAML (set by Makefile.am to $(abs_top_srcdir)/docs/openapi.yaml, so
 * `make distcheck` reads the unpacked sources), or KHEDMA_OPENAPI_YAML when set.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/app.h"

#ifndef OPENAPI_YAML
#define OPENAPI_YAML "docs/openapi.yaml"
#endif

#define MAX_OPS 256
#define FIELD_MAX 128

struct op {
    char method[16]; /* upper case, as in the route table */
    char path[FIELD_MAX];
};

struct ops {
    size_t n;
    struct op items[MAX_OPS];
};

static const char *const http_methods[] = {"get",     "put",  "post",  "delete",
                                           "options", "head", "patch", "trace"};

/* The key of a "key:" line at exactly `indent` spaces, unquoted, into out; false otherwise. */
static bool key_at(const char *line, size_t len, size_t indent, char *out, size_t outlen)
{
    if (len <= indent || strspn(line, " ") != indent || line[indent] == '#')
        return false;
    const char *k = line + indent;
    size_t klen = len - indent;
    while (klen > 0 && (k[klen - 1] == ' ' || k[klen - 1] == '\r'))
        klen--;
    if (klen < 2 || k[klen - 1] != ':')
        return false; /* a key with an inline value is not a path or an operation */
    klen--;
    if (klen >= 2 && (k[0] == '\'' || k[0] == '"') && k[klen - 1] == k[0]) {
        k++;
        klen -= 2;
    }
    if (klen == 0 || klen >= outlen)
        return false;
    memcpy(out, k, klen);
    out[klen] = '\0';
    return true;
}

static bool is_http_method(const char *key)
{
    for (size_t i = 0; i < sizeof http_methods / sizeof http_methods[0]; i++) {
        if (strcmp(key, http_methods[i]) == 0)
            return true;
    }
    return false;
}

static void add_op(struct ops *ops, const char *method, const char *path)
{
    assert_true(ops->n < MAX_OPS);
    struct op *o = &ops->items[ops->n++];
    snprintf(o->method, sizeof o->method, "%s", method);
    for (char *p = o->method; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    snprintf(o->path, sizeof o->path, "%s", path);
}

/* The (method, path) pairs under the top-level `paths:` key of an OpenAPI document. */
static void scan_openapi(const char *text, struct ops *ops)
{
    bool in_paths = false;
    char path[FIELD_MAX] = "";
    ops->n = 0;
    for (const char *line = text; *line;) {
        size_t len = strcspn(line, "\n");
        char key[FIELD_MAX];
        bool blank = strspn(line, " \r") == len || line[strspn(line, " ")] == '#';
        if (!blank && line[0] != ' ') {
            in_paths = strncmp(line, "paths:", 6) == 0;
            path[0] = '\0';
        } else if (in_paths && !blank && strspn(line, " ") == 2) {
            /* A new path item; anything at this level that is not one ends the last. */
            bool is_path = key_at(line, len, 2, key, sizeof key) && key[0] == '/';
            snprintf(path, sizeof path, "%s", is_path ? key : "");
        } else if (in_paths && path[0] && key_at(line, len, 4, key, sizeof key) &&
                   is_http_method(key)) {
            add_op(ops, key, path);
        }
        line += len + (line[len] == '\n');
    }
}

/* The REST routes of the route table: /api and /healthz (the tRPC catch-all, method "*", and
 * the web storefront's HTML pages left out). */
static void table_ops(struct ops *ops)
{
    size_t n = 0;
    const struct route *routes = app_routes(&n);
    ops->n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = routes[i].pattern;
        bool rest = strncmp(p, "/api/", 5) == 0 || strcmp(p, "/healthz") == 0;
        if (rest && strcmp(routes[i].method, "*") != 0)
            add_op(ops, routes[i].method, routes[i].pattern);
    }
}

static bool has_op(const struct ops *ops, const struct op *o)
{
    for (size_t i = 0; i < ops->n; i++) {
        if (strcmp(ops->items[i].method, o->method) == 0 &&
            strcmp(ops->items[i].path, o->path) == 0)
            return true;
    }
    return false;
}

/* How many pairs are in one set and not the other; each is printed, so a failure names them. */
static size_t differences(const struct ops *table, const struct ops *spec, bool quiet)
{
    size_t d = 0;
    for (size_t i = 0; i < table->n; i++) {
        if (!has_op(spec, &table->items[i])) {
            if (!quiet)
                printf("# route %s %s is not in docs/openapi.yaml\n", table->items[i].method,
                       table->items[i].path);
            d++;
        }
    }
    for (size_t i = 0; i < spec->n; i++) {
        if (!has_op(table, &spec->items[i])) {
            if (!quiet)
                printf("# docs/openapi.yaml has %s %s, which the route table does not serve\n",
                       spec->items[i].method, spec->items[i].path);
            d++;
        }
    }
    return d;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            cap *= 2;
            char *grown = realloc(buf, cap);
            assert_non_null(grown); /* a test: failing here ends it, buf's leak is moot */
            buf = grown;
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* An OpenAPI text with one path item per route of `table`, plus `extra` appended to paths. */
static char *spec_from(const struct ops *table, size_t skip, const char *extra)
{
    size_t cap = 256 + strlen(extra) + table->n * (FIELD_MAX + 64);
    char *text = malloc(cap);
    assert_non_null(text);
    size_t len = (size_t)snprintf(text, cap, "openapi: 3.1.0\npaths:\n");
    for (size_t i = 0; i < table->n; i++) {
        if (i == skip)
            continue;
        char method[16];
        snprintf(method, sizeof method, "%s", table->items[i].method);
        for (char *p = method; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        len += (size_t)snprintf(text + len, cap - len,
                                "  '%s':\n    %s:\n      summary: x\n      description: |\n"
                                "        get:\n",
                                table->items[i].path, method);
    }
    snprintf(text + len, cap - len, "%scomponents:\n  schemas: {}\n", extra);
    return text;
}

/* ---- the check itself ---- */

static void test_route_table_and_openapi_list_the_same_operations(void **state)
{
    (void)state;
    const char *env = getenv("KHEDMA_OPENAPI_YAML");
    char *text = read_file(env && *env ? env : OPENAPI_YAML);
    struct ops spec, table;
    scan_openapi(text, &spec);
    table_ops(&table);
    assert_true(table.n > 20); /* the table is there, not an empty accessor */
    assert_int_equal(differences(&table, &spec, false), 0);
    assert_int_equal(spec.n, table.n); /* and no operation is described twice */
    free(text);
}

/* ---- the scanner and the comparison can fail ---- */

static void test_scanner_reads_paths_and_methods_only(void **state)
{
    (void)state;
    static const char text[] = "openapi: 3.1.0\n"
                               "info:\n  title: t\n  /not-a-path:\n    get:\n"
                               "paths:\n"
                               "  # a comment\n"
                               "  /healthz:\n"
                               "    get:\n"
                               "      description: |\n"
                               "        post:\n"
                               "    parameters:\n"
                               "    post:\n"
                               "\n"
                               "  '/api/orders/{id}':\n"
                               "    summary: s\n"
                               "    patch:\n"
                               "  /inline: {get: {}}\n"
                               "    get:\n"
                               "webhooks:\n"
                               "  orderEvent:\n    post:\n"
                               "components:\n  /x:\n    get:\n";
    struct ops ops;
    scan_openapi(text, &ops);
    assert_int_equal(ops.n, 3);
    assert_string_equal(ops.items[0].method, "GET");
    assert_string_equal(ops.items[0].path, "/healthz");
    assert_string_equal(ops.items[1].method, "POST");
    assert_string_equal(ops.items[1].path, "/healthz");
    assert_string_equal(ops.items[2].method, "PATCH");
    assert_string_equal(ops.items[2].path, "/api/orders/{id}");
}

static void test_a_complete_description_has_no_differences(void **state)
{
    (void)state;
    struct ops table, spec;
    table_ops(&table);
    char *text = spec_from(&table, (size_t)-1, "");
    scan_openapi(text, &spec);
    assert_int_equal(differences(&table, &spec, true), 0);
    free(text);
}

static void test_a_route_missing_from_the_description_fails(void **state)
{
    (void)state;
    struct ops table, spec;
    table_ops(&table);
    for (size_t skip = 0; skip < table.n; skip++) {
        char *text = spec_from(&table, skip, "");
        scan_openapi(text, &spec);
        assert_int_equal(differences(&table, &spec, true), 1);
        free(text);
    }
}

static void test_a_path_the_server_does_not_serve_fails(void **state)
{
    (void)state;
    struct ops table, spec;
    table_ops(&table);
    /* A new path, and a known path with a method the table does not route. */
    static const char *const extras[] = {"  /api/orders/{id}/refund:\n    post:\n",
                                         "  /api/orders/{id}:\n    delete:\n",
                                         "  /api/orders/:\n    get:\n"};
    for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
        char *text = spec_from(&table, (size_t)-1, extras[i]);
        scan_openapi(text, &spec);
        assert_int_equal(differences(&table, &spec, true), 1);
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_table_and_openapi_list_the_same_operations),
        cmocka_unit_test(test_scanner_reads_paths_and_methods_only),
        cmocka_unit_test(test_a_complete_description_has_no_differences),
        cmocka_unit_test(test_a_route_missing_from_the_description_fails),
        cmocka_unit_test(test_a_path_the_server_does_not_serve_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
