/*
 * test_pagination.c - unit tests for the paged-list object every paged list answers with: its
 * exact text (key order included, as clients compare it) and the page count's rounding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/pagination.h"

static void check_page(long long total, long page, long limit, const char *want_pagination)
{
    json_object *items = json_object_new_array();
    json_object_array_add(items, json_object_new_int(7));
    json_object *o = pagination_page(items, total, page, limit);
    char want[256];
    snprintf(want, sizeof want, "{\"items\":[7],\"pagination\":%s}", want_pagination);
    assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), want);
    json_object_put(o);
}

static void test_page_text(void **state)
{
    (void)state;
    check_page(51, 2, 25, "{\"totalItems\":51,\"currentPage\":2,\"pageSize\":25,\"totalPages\":3}");
}

static void test_total_pages_rounding(void **state)
{
    (void)state;
    check_page(0, 1, 25, "{\"totalItems\":0,\"currentPage\":1,\"pageSize\":25,\"totalPages\":0}");
    check_page(1, 1, 25, "{\"totalItems\":1,\"currentPage\":1,\"pageSize\":25,\"totalPages\":1}");
    check_page(50, 9, 25, "{\"totalItems\":50,\"currentPage\":9,\"pageSize\":25,\"totalPages\":2}");
    check_page(101, 1, 1,
               "{\"totalItems\":101,\"currentPage\":1,\"pageSize\":1,\"totalPages\":101}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_text),
        cmocka_unit_test(test_total_pages_rounding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
