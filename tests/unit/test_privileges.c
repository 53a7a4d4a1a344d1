/*
 * test_privileges.c - unit tests for the choice of the user khedmad becomes when started as root
 * (privileges_target) and for privileges_become's refusals. The drop itself is proven by the
 * integration test tests/integration/test_privileges.py against the running test stack.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "khedma/privileges.h"

static bool khedma_exists(const char *name)
{
    return strcmp(name, "khedma") == 0 || strcmp(name, "nobody") == 0;
}

static bool only_nobody(const char *name)
{
    return strcmp(name, "nobody") == 0;
}

static void test_not_root_changes_nothing(void **state)
{
    (void)state;
    assert_null(privileges_target(1000, NULL, khedma_exists));
    assert_null(privileges_target(1000, "khedma", khedma_exists));
    assert_null(privileges_target(33, "root", khedma_exists));
}

static void test_root_default_user(void **state)
{
    (void)state;
    assert_string_equal(privileges_target(0, NULL, khedma_exists), "khedma");
    assert_string_equal(privileges_target(0, "", khedma_exists), "khedma");
    /* Without the khedma user (khedmad installed by hand), nobody rather than root. */
    assert_string_equal(privileges_target(0, NULL, only_nobody), "nobody");
}

static void test_root_configured_user(void **state)
{
    (void)state;
    assert_string_equal(privileges_target(0, "www-data", khedma_exists), "www-data");
    /* Only the explicit word keeps root. */
    assert_null(privileges_target(0, "root", khedma_exists));
}

static void test_become_refuses_unknown_and_uid0_users(void **state)
{
    (void)state;
    char why[160] = "";
    assert_int_equal(privileges_become("no-such-user-khedma-test", why, sizeof why), -1);
    assert_non_null(strstr(why, "no such user"));
    why[0] = '\0';
    assert_int_equal(privileges_become("root", why, sizeof why), -1);
    assert_non_null(strstr(why, "uid 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_root_changes_nothing),
        cmocka_unit_test(test_root_default_user),
        cmocka_unit_test(test_root_configured_user),
        cmocka_unit_test(test_become_refuses_unknown_and_uid0_users),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
