/*
 * test_router.c - unit tests for router.c: literal and parameter segments, the rest-of-path
 * wildcard, 404 versus 405 with the allow list, trailing slashes, HEAD served by GET, "*" methods
 * and the parameter length limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "khedma/router.h"

/* Handlers are only compared by address, never called. */
static void h_me(struct ctx *c)
{
}
static void h_signup(struct ctx *c)
{
}
static void h_orders_list(struct ctx *c)
{
}
static void h_orders_create(struct ctx *c)
{
}
static void h_order_get(struct ctx *c)
{
}
static void h_order_action(struct ctx *c)
{
}
static void h_order_events(struct ctx *c)
{
}
static void h_gig_details(struct ctx *c)
{
}
static void h_trpc(struct ctx *c)
{
}
static void h_root(struct ctx *c)
{
}
static void h_users_me(struct ctx *c)
{
}

static const struct route routes[] = {
    {"GET", "/", h_root, CACHE_NEVER},
    {"GET", "/api/auth/me", h_me, CACHE_NEVER},
    {"POST", "/api/auth/signup", h_signup, CACHE_NEVER},
    {"GET", "/api/orders", h_orders_list, CACHE_NEVER},
    {"POST", "/api/orders", h_orders_create, CACHE_NEVER},
    {"GET", "/api/orders/{id}", h_order_get, CACHE_NEVER},
    {"GET", "/api/orders/{id}/events", h_order_events, CACHE_NEVER},
    {"POST", "/api/orders/{id}/{action}", h_order_action, CACHE_NEVER},
    {"GET", "/api/gigs/{username}/{slug}", h_gig_details, CACHE_NEVER},
    {"PATCH", "/api/users/me/", h_users_me, CACHE_NEVER},
    {"*", "/api/trpc/{path*}", h_trpc, CACHE_NEVER},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static enum route_result match(const char *method, const char *path, struct route_match *m)
{
    return router_match(routes, NROUTES, method, path, m);
}

static void test_literal_routes(void **state)
{
    struct route_match m;
    assert_int_equal(match("GET", "/api/auth/me", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_me);
    assert_int_equal(m.nparams, 0);
    assert_int_equal(match("POST", "/api/auth/signup", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_signup);
    assert_int_equal(match("GET", "/", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_root);
    /* Literals are exact: case and extra or missing segments matter. */
    assert_int_equal(match("GET", "/api/auth/ME", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/api/auth", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/api/auth/me/x", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/api/auth/mee", &m), ROUTE_NOT_FOUND);
    assert_null(m.route);
}

static void test_params(void **state)
{
    struct route_match m;
    assert_int_equal(match("GET", "/api/orders/cabc123", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_order_get);
    assert_string_equal(router_param(&m, "id"), "cabc123");
    assert_null(router_param(&m, "i"));
    assert_null(router_param(&m, "idx"));

    assert_int_equal(match("GET", "/api/orders/c1/events", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_order_events);

    assert_int_equal(match("POST", "/api/orders/c1/deliver", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_order_action);
    assert_int_equal(m.nparams, 2);
    assert_string_equal(router_param(&m, "id"), "c1");
    assert_string_equal(router_param(&m, "action"), "deliver");

    assert_int_equal(match("GET", "/api/gigs/amina/logo-design", &m), ROUTE_FOUND);
    assert_string_equal(router_param(&m, "username"), "amina");
    assert_string_equal(router_param(&m, "slug"), "logo-design");

    /* A parameter takes exactly one non-empty segment. */
    assert_int_equal(match("GET", "/api/orders//events", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/api/gigs/amina", &m), ROUTE_NOT_FOUND);
    assert_null(router_param(NULL, "id"));
}

static void test_wildcard(void **state)
{
    struct route_match m;
    assert_int_equal(match("GET", "/api/trpc/gig.getGigDetails", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_trpc);
    assert_string_equal(router_param(&m, "path"), "gig.getGigDetails");

    assert_int_equal(match("POST", "/api/trpc/gig.createDraft,order.list", &m), ROUTE_FOUND);
    assert_string_equal(router_param(&m, "path"), "gig.createDraft,order.list");

    assert_int_equal(match("GET", "/api/trpc/a/b/c", &m), ROUTE_FOUND);
    assert_string_equal(router_param(&m, "path"), "a/b/c");

    /* No procedure: the tRPC handler answers NOT_FOUND in its own format. */
    assert_int_equal(match("GET", "/api/trpc", &m), ROUTE_FOUND);
    assert_string_equal(router_param(&m, "path"), "");
    /* Not canonical: app.c answers it in tRPC's shape before routing. */
    assert_int_equal(match("GET", "/api/trpc/", &m), ROUTE_NOT_FOUND);

    assert_int_equal(match("GET", "/api/trpcx/a", &m), ROUTE_NOT_FOUND);
}

static void test_any_method(void **state)
{
    struct route_match m;
    const char *methods[] = {"GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        assert_int_equal(match(methods[i], "/api/trpc/x", &m), ROUTE_FOUND);
        assert_ptr_equal(m.route->handler, h_trpc);
    }
}

static void test_not_found_vs_method_not_allowed(void **state)
{
    struct route_match m;
    assert_int_equal(match("GET", "/nope", &m), ROUTE_NOT_FOUND);
    assert_string_equal(m.allowed, "");

    assert_int_equal(match("DELETE", "/api/orders", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allowed, "GET, POST");
    assert_null(m.route);

    assert_int_equal(match("GET", "/api/auth/signup", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allowed, "POST");

    assert_int_equal(match("POST", "/api/auth/me", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allowed, "GET");

    /* "/api/orders/c1/events" matches GET .../events and POST .../{action}. */
    assert_int_equal(match("PUT", "/api/orders/c1/events", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allowed, "GET, POST");
    assert_int_equal(match("POST", "/api/orders/c1/events", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_order_action);

    /* Paths that do not start with '/' match nothing. */
    assert_int_equal(match("GET", "api/auth/me", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", NULL, &m), ROUTE_NOT_FOUND);
}

static void test_allow_list_dedup_and_limit(void **state)
{
    static const struct route many[] = {
        {"GET", "/x", h_root, CACHE_NEVER},
        {"GET", "/x", h_me, CACHE_NEVER},
        {"POST", "/x", h_root, CACHE_NEVER},
        {"PUT", "/x", h_root, CACHE_NEVER},
        {"PATCH", "/x", h_root, CACHE_NEVER},
        {"DELETE", "/x", h_root, CACHE_NEVER},
        {"OPTIONS", "/x", h_root, CACHE_NEVER},
        {"PROPFIND", "/x", h_root, CACHE_NEVER},
        {"PROPPATCH", "/x", h_root, CACHE_NEVER},
        {"MKCOL", "/x", h_root, CACHE_NEVER},
        {"VERSION-CONTROL", "/x", h_root, CACHE_NEVER},
    };
    struct route_match m;
    assert_int_equal(router_match(many, sizeof many / sizeof many[0], "TRACE", "/x", &m),
                     ROUTE_METHOD_NOT_ALLOWED);
    assert_true(strlen(m.allowed) < sizeof m.allowed);
    assert_true(strncmp(m.allowed, "GET, POST, PUT, PATCH, DELETE", 29) == 0);
    assert_null(strstr(m.allowed, "GET, GET"));
}

static void test_trailing_slash(void **state)
{
    struct route_match m;
    /* Only the canonical spelling routes: nginx's exact locations (and their limits) would not
     * match the others. */
    assert_int_equal(match("GET", "/api/auth/me/", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/api/orders/c1/", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/api/auth/me//", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("POST", "/api/auth/signup/", &m), ROUTE_NOT_FOUND);
    assert_int_equal(m.allowed[0], '\0');
    /* The pattern's own trailing slash is ignored. */
    assert_int_equal(match("PATCH", "/api/users/me", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_users_me);
    assert_int_equal(match("PATCH", "/api/users/me/", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/", &m), ROUTE_FOUND);
}

static void test_path_canonical(void **state)
{
    assert_true(router_path_canonical("/"));
    assert_true(router_path_canonical("/api/auth/login"));
    assert_true(router_path_canonical("/api/trpc/gig.a,gig.b"));
    assert_true(router_path_canonical("/api/gigs/a..b/.x"));
    assert_false(router_path_canonical(NULL));
    assert_false(router_path_canonical(""));
    assert_false(router_path_canonical("api/auth/login"));
    assert_false(router_path_canonical("/api/auth/login/"));
    assert_false(router_path_canonical("//"));
    assert_false(router_path_canonical("/api//auth/login"));
    assert_false(router_path_canonical("/api/./auth"));
    assert_false(router_path_canonical("/api/auth/.."));
    assert_false(router_path_canonical("/."));
}

static void test_head_uses_get(void **state)
{
    struct route_match m;
    assert_int_equal(match("HEAD", "/api/auth/me", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_me);
    assert_int_equal(match("HEAD", "/api/orders/c9", &m), ROUTE_FOUND);
    assert_string_equal(router_param(&m, "id"), "c9");
    assert_int_equal(match("HEAD", "/api/auth/signup", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allowed, "POST");
}

static void test_long_segment(void **state)
{
    struct route_match m;
    char path[ROUTE_PARAM_MAX + 64];
    char *seg = path + strlen("/api/orders/");

    strcpy(path, "/api/orders/");
    memset(seg, 'a', ROUTE_PARAM_MAX - 1);
    seg[ROUTE_PARAM_MAX - 1] = '\0';
    assert_int_equal(match("GET", path, &m), ROUTE_FOUND);
    assert_int_equal(strlen(router_param(&m, "id")), ROUTE_PARAM_MAX - 1);

    memset(seg, 'a', ROUTE_PARAM_MAX);
    seg[ROUTE_PARAM_MAX] = '\0';
    assert_int_equal(match("GET", path, &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("POST", path, &m), ROUTE_NOT_FOUND);

    /* The wildcard has no such limit: a tRPC batch of a hundred procedures stays one route. */
    char trpc[64 * 1024] = "/api/trpc/";
    size_t used = strlen(trpc);
    for (int i = 0; i < 2000; i++) {
        memcpy(trpc + used, "gig.delete,", 11);
        used += 11;
    }
    trpc[used - 1] = '\0';
    assert_int_equal(match("GET", trpc, &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_trpc);
    assert_int_equal(strlen(router_param(&m, "path")), used - 1 - strlen("/api/trpc/"));
    assert_ptr_equal(router_param(&m, "path"), trpc + strlen("/api/trpc/"));
}

static void test_too_many_params_never_match(void **state)
{
    static const struct route wide[] = {
        {"GET", "/{a}/{b}/{c}/{d}/{e}", h_root, CACHE_NEVER},
        {"GET", "/{a}/{b}/{c}/{d}", h_me, CACHE_NEVER},
        {"GET", "/w/{rest*}/x", h_trpc,
         CACHE_NEVER}, /* wildcard not last: invalid, never matches */
    };
    struct route_match m;
    assert_int_equal(router_match(wide, 3, "GET", "/1/2/3/4/5", &m), ROUTE_NOT_FOUND);
    assert_int_equal(router_match(wide, 3, "GET", "/1/2/3/4", &m), ROUTE_FOUND);
    assert_string_equal(router_param(&m, "d"), "4");
    assert_int_equal(router_match(wide, 3, "GET", "/w/y/x", &m), ROUTE_NOT_FOUND);
}

static void test_first_match_wins(void **state)
{
    static const struct route ordered[] = {
        {"GET", "/api/gigs/search", h_me, CACHE_NEVER},
        {"GET", "/api/gigs/{username}", h_gig_details, CACHE_NEVER},
    };
    struct route_match m;
    assert_int_equal(router_match(ordered, 2, "GET", "/api/gigs/search", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_me);
    assert_int_equal(router_match(ordered, 2, "GET", "/api/gigs/amina", &m), ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_gig_details);
    assert_int_equal(router_match(ordered, 0, "GET", "/api/gigs/amina", &m), ROUTE_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_routes),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_wildcard),
        cmocka_unit_test(test_any_method),
        cmocka_unit_test(test_not_found_vs_method_not_allowed),
        cmocka_unit_test(test_allow_list_dedup_and_limit),
        cmocka_unit_test(test_trailing_slash),
        cmocka_unit_test(test_path_canonical),
        cmocka_unit_test(test_head_uses_get),
        cmocka_unit_test(test_long_segment),
        cmocka_unit_test(test_too_many_params_never_match),
        cmocka_unit_test(test_first_match_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
