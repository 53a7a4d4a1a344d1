/*
 * test_login_throttle.c - unit tests for the pure parts of the failed-login throttle: the
 * decision (limits per account and per address, Retry-After from the oldest counted minute) and
 * the subjects an attempt is counted under.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/login_throttle.h"

static struct login_count count(long failures, long oldest_age_s)
{
    return (struct login_count){failures, oldest_age_s};
}

static void test_under_limits_allowed(void **state)
{
    (void)state;
    struct login_count none = count(0, -1);
    assert_int_equal(login_throttle_decide(&none, &none), 0);
    /* The counts include the attempt being decided: the tenth failure may still be tried. */
    struct login_count email = count(LOGIN_MAX_FAILURES_PER_EMAIL, 300);
    struct login_count address = count(LOGIN_MAX_FAILURES_PER_ADDRESS, 600);
    assert_int_equal(login_throttle_decide(&email, &address), 0);
}

static void test_account_over_limit(void **state)
{
    (void)state;
    struct login_count email = count(LOGIN_MAX_FAILURES_PER_EMAIL + 1, 300);
    struct login_count address = count(1, 0);
    /* Wait until the oldest counted minute leaves the 15-minute window. */
    assert_int_equal(login_throttle_decide(&email, &address), LOGIN_WINDOW_S - 300);
}

static void test_address_over_limit(void **state)
{
    (void)state;
    struct login_count email = count(1, 0);
    struct login_count address = count(LOGIN_MAX_FAILURES_PER_ADDRESS + 1, 60);
    assert_int_equal(login_throttle_decide(&email, &address), LOGIN_WINDOW_S - 60);
}

static void test_both_over_takes_longer_wait(void **state)
{
    (void)state;
    struct login_count email = count(LOGIN_MAX_FAILURES_PER_EMAIL + 5, 800);
    struct login_count address = count(LOGIN_MAX_FAILURES_PER_ADDRESS + 5, 100);
    assert_int_equal(login_throttle_decide(&email, &address), LOGIN_WINDOW_S - 100);
}

static void test_retry_after_at_least_one(void **state)
{
    (void)state;
    struct login_count none = count(0, -1);
    /* A minute on the edge of the window (or a clock step) never gives 0 or less. */
    struct login_count edge = count(LOGIN_MAX_FAILURES_PER_EMAIL + 1, LOGIN_WINDOW_S);
    assert_int_equal(login_throttle_decide(&edge, &none), 1);
    struct login_count past = count(LOGIN_MAX_FAILURES_PER_EMAIL + 1, LOGIN_WINDOW_S + 30);
    assert_int_equal(login_throttle_decide(&past, &none), 1);
    struct login_count unknown_age = count(LOGIN_MAX_FAILURES_PER_EMAIL + 1, -1);
    assert_int_equal(login_throttle_decide(&unknown_age, &none), LOGIN_WINDOW_S);
}

static void test_attempt_subjects(void **state)
{
    (void)state;
    struct login_attempt a, b;
    login_throttle_attempt_init(&a, "amina@example.com", "192.0.2.7");
    assert_int_equal(strlen(a.email_key), SHA256_HEX_LEN);
    assert_null(strstr(a.email_key, "amina"));
    assert_string_equal(a.address_key, "192.0.2.7");
    assert_false(a.reserved);
    login_throttle_attempt_init(&b, "amina@example.com", "2001:db8::1");
    assert_string_equal(a.email_key, b.email_key);
    assert_string_equal(b.address_key, "2001:db8::1");
    login_throttle_attempt_init(&b, "other@example.com", "");
    assert_string_not_equal(a.email_key, b.email_key);
    assert_string_equal(b.address_key, "-");
    /* Too long to be an address: hashed, never cut (two such values must not collide). */
    char long_addr[200];
    memset(long_addr, 'a', sizeof long_addr - 1);
    long_addr[sizeof long_addr - 1] = '\0';
    login_throttle_attempt_init(&a, "x@example.com", long_addr);
    long_addr[150] = 'b';
    login_throttle_attempt_init(&b, "x@example.com", long_addr);
    assert_int_equal(strlen(a.address_key), SHA256_HEX_LEN);
    assert_string_not_equal(a.address_key, b.address_key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_under_limits_allowed),
        cmocka_unit_test(test_account_over_limit),
        cmocka_unit_test(test_address_over_limit),
        cmocka_unit_test(test_both_over_takes_longer_wait),
        cmocka_unit_test(test_retry_after_at_least_one),
        cmocka_unit_test(test_attempt_subjects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
