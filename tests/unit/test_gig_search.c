/*
 * test_gig_search.c - unit tests for the public gig search's parameters (gig_search_parse), which
 * GET /api/gigs and the web search pages share: defaults, accepted values, and each refusal named
 * by its query parameter with the API's message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/gig_search.h"
#include "khedma/jsonx.h"

static void test_defaults_and_empty_values(void **state)
{
    (void)state;
    struct gig_search_query in = {.q = "", .min_price = "", .page = NULL};
    struct gig_search s;
    struct err e = {0};
    assert_true(gig_search_parse(&in, &s, &e));
    assert_null(s.q);
    assert_null(s.min_price);
    assert_int_equal(s.page, 1);
    assert_int_equal(s.limit, GIG_SEARCH_LIMIT_DEFAULT);
}

static void test_accepted_values(void **state)
{
    (void)state;
    struct gig_search_query in = {.q = "logo",
                                  .category = "logo-design",
                                  .min_price = "99.5",
                                  .max_price = "1000.25",
                                  .page = "3",
                                  .limit = "100"};
    struct gig_search s;
    struct err e = {0};
    assert_true(gig_search_parse(&in, &s, &e));
    assert_string_equal(s.q, "logo");
    assert_string_equal(s.category, "logo-design");
    assert_string_equal(s.min_price, "99.5");
    assert_string_equal(s.max_price, "1000.25");
    assert_int_equal(s.page, 3);
    assert_int_equal(s.limit, 100);
}

/* One bad parameter: false, E_BAD_REQUEST, the field named, and its message as e's. */
static void refused(struct gig_search_query in, const char *field, const char *message)
{
    struct gig_search s;
    struct err e = {0};
    assert_false(gig_search_parse(&in, &s, &e));
    assert_int_equal(e.kind, E_BAD_REQUEST);
    assert_true(jsonx_has(e.fields, field));
    assert_string_equal(e.message, message);
    err_clear(&e);
}

static void test_refusals_name_the_parameter(void **state)
{
    (void)state;
    const char *price = "minPrice must be a non-negative number with at most two decimals";
    refused((struct gig_search_query){.min_price = "abc"}, "minPrice", price);
    refused((struct gig_search_query){.min_price = "-1"}, "minPrice", price);
    refused((struct gig_search_query){.min_price = "1.234"}, "minPrice", price);
    refused((struct gig_search_query){.min_price = "1."}, "minPrice", price);
    refused((struct gig_search_query){.min_price = "1234567890"}, "minPrice", price);
    refused((struct gig_search_query){.max_price = "1e3"}, "maxPrice",
            "maxPrice must be a non-negative number with at most two decimals");
    refused((struct gig_search_query){.page = "0"}, "page",
            "page must be an integer from 1 to 1000000");
    refused((struct gig_search_query){.page = "1000001"}, "page",
            "page must be an integer from 1 to 1000000");
    refused((struct gig_search_query){.limit = "101"}, "limit",
            "limit must be an integer from 1 to 100");
    refused((struct gig_search_query){.q = "\xff"}, "q",
            "q must be at most 100 characters of text");
    char long_q[102];
    memset(long_q, 'x', 101);
    long_q[101] = '\0';
    refused((struct gig_search_query){.q = long_q}, "q",
            "q must be at most 100 characters of text");
}

static void test_every_bad_parameter_is_listed(void **state)
{
    (void)state;
    struct gig_search_query in = {.min_price = "x", .max_price = "y", .page = "z"};
    struct gig_search s;
    struct err e = {0};
    assert_false(gig_search_parse(&in, &s, &e));
    assert_true(jsonx_has(e.fields, "minPrice"));
    assert_true(jsonx_has(e.fields, "maxPrice"));
    assert_true(jsonx_has(e.fields, "page"));
    assert_false(jsonx_has(e.fields, "q"));
    err_clear(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_empty_values),
        cmocka_unit_test(test_accepted_values),
        cmocka_unit_test(test_refusals_name_the_parameter),
        cmocka_unit_test(test_every_bad_parameter_is_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
