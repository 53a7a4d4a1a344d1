/*
 * test_jobs.c - unit tests for the jobs' clock and schedule: parsing the test clock file,
 * reading it through KHEDMA_TEST_CLOCK_FILE (missing, malformed, re-read), the backoff of
 * gateway checks, and the rule of the 24-hour checkout expiry (never cancel an order whose
 * payment may have succeeded without the gateway saying it did not).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "khedma/jobs_clock.h"
#include "khedma/jobs_payments.h"
#include "khedma/jobs_vip.h"

static void test_parse_offset(void **state)
{
    long long v = -1;
    assert_true(jobs_clock_parse_offset("0", &v));
    assert_int_equal(v, 0);
    assert_true(jobs_clock_parse_offset("259200\n", &v));
    assert_int_equal(v, 259200);
    assert_true(jobs_clock_parse_offset("  +90000 ", &v));
    assert_int_equal(v, 90000);
    assert_true(jobs_clock_parse_offset("-3600", &v));
    assert_int_equal(v, -3600);
}

static void test_parse_offset_refuses(void **state)
{
    const char *bad[] = {"",
                         "  ",
                         "\n",
                         "3d",
                         "1.5",
                         "0x10",
                         "12 34",
                         "-",
                         "+",
                         "abc",
                         "99999999999999999999",
                         "400000000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long long v = 42;
        assert_false(jobs_clock_parse_offset(bad[i], &v));
        assert_int_equal(v, 42); /* untouched */
    }
    long long v;
    assert_false(jobs_clock_parse_offset(NULL, &v));
}

static void write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void test_clock_read(void **state)
{
    char path[] = "/tmp/khedma-test-clock-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct jobs_clock c = {.offset_s = 7};

    unsetenv("KHEDMA_TEST_CLOCK_FILE");
    jobs_clock_read(&c);
    assert_int_equal(c.offset_s, 0);

    setenv("KHEDMA_TEST_CLOCK_FILE", path, 1);
    write_file(path, "90000\n");
    jobs_clock_read(&c);
    assert_int_equal(c.offset_s, 90000);
    /* Re-read every time: a running jobs process follows the file. */
    write_file(path, "-60");
    jobs_clock_read(&c);
    assert_int_equal(c.offset_s, -60);
    write_file(path, "tomorrow");
    jobs_clock_read(&c);
    assert_int_equal(c.offset_s, 0);
    unlink(path);
    jobs_clock_read(&c); /* gone: no offset */
    assert_int_equal(c.offset_s, 0);
    unsetenv("KHEDMA_TEST_CLOCK_FILE");
}

static void test_check_delay(void **state)
{
    assert_int_equal(jobs_clock_check_delay(0), 60);
    assert_int_equal(jobs_clock_check_delay(1), 120);
    assert_int_equal(jobs_clock_check_delay(2), 240);
    assert_int_equal(jobs_clock_check_delay(6), 3840);
    assert_int_equal(jobs_clock_check_delay(7), 7200);
    assert_int_equal(jobs_clock_check_delay(1000), 7200);
    assert_int_equal(jobs_clock_check_delay(-5), 60);
    /* A pending payment is asked about a bounded number of times in its 24 hours. */
    long t = 0;
    int checks = 0;
    while (t < 24 * 3600)
        t += jobs_clock_check_delay(checks++);
    assert_true(checks <= 20);
}

/* A declined VIP charge is retried a day later, three times (1, 2 and 3 days after the period's
 * end); the fourth decline (the period-end charge and three retries) ends it. */
static void test_vip_retry_schedule(void **state)
{
    (void)state;
    long after = -1;
    assert_true(jobs_vip_retry_after(1, &after));
    assert_int_equal(after, 86400);
    /* From the first decline (past_due_since): a retry a day, not a day after each decline run
     * late, and never all at once. */
    assert_true(jobs_vip_retry_after(2, &after));
    assert_int_equal(after, 2 * 86400);
    assert_true(jobs_vip_retry_after(3, &after));
    assert_int_equal(after, 3 * 86400);
    after = -1;
    assert_false(jobs_vip_retry_after(4, &after));
    assert_false(jobs_vip_retry_after(100, &after));
    assert_false(jobs_vip_retry_after(0, &after));
    assert_int_equal(after, -1);
}

static enum expiry_action decide(const char *provider, bool page_issued, enum expiry_lookup l)
{
    struct expiry_facts f = {provider, page_issued, l};
    return jobs_payments_expiry_decide(&f);
}

static void test_expiry_confirms_or_asks_later(void **state)
{
    const char *gateways[] = {"youcanpay", "paytabs"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(decide(gateways[i], true, LOOKUP_PAID), EXPIRE_CONFIRM);
        assert_int_equal(decide(gateways[i], true, LOOKUP_UNREACHABLE), EXPIRE_ASK_LATER);
        /* A gateway that cannot be asked is never taken for a "no". */
        assert_int_equal(decide(gateways[i], false, LOOKUP_UNREACHABLE), EXPIRE_ASK_LATER);
    }
}

static void test_expiry_cancels_only_the_provably_unpaid(void **state)
{
    /* No gateway: a transfer nobody confirmed. */
    assert_int_equal(decide("bank_transfer", false, LOOKUP_NONE), EXPIRE_CANCEL);
    /* No payment page ever handed out. */
    assert_int_equal(decide("youcanpay", false, LOOKUP_NONE), EXPIRE_CANCEL);
    assert_int_equal(decide("youcanpay", false, LOOKUP_NOT_FOUND), EXPIRE_CANCEL);
    assert_int_equal(decide("paytabs", false, LOOKUP_NONE), EXPIRE_CANCEL);
    /* PayTabs answers for the page itself. */
    assert_int_equal(decide("paytabs", true, LOOKUP_FAILED), EXPIRE_CANCEL_FAILED);
    assert_int_equal(decide("paytabs", true, LOOKUP_PENDING), EXPIRE_CANCEL);
    assert_int_equal(decide("paytabs", true, LOOKUP_NOT_FOUND), EXPIRE_CANCEL);
}

static void test_expiry_flags_what_may_be_paid(void **state)
{
    /* A YouCan Pay page was issued: whatever one transaction says, another may be paid. */
    enum expiry_lookup l[] = {LOOKUP_NONE, LOOKUP_NOT_FOUND, LOOKUP_PENDING, LOOKUP_FAILED,
                              LOOKUP_PAID_ELSEWHERE};
    for (size_t i = 0; i < sizeof l / sizeof l[0]; i++)
        assert_int_equal(decide("youcanpay", true, l[i]), EXPIRE_REVIEW);
    assert_int_equal(decide("paytabs", true, LOOKUP_PAID_ELSEWHERE), EXPIRE_REVIEW);
    /* A provider this version does not know is not cancelled blind. */
    assert_int_equal(decide("applepay", true, LOOKUP_NONE), EXPIRE_REVIEW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_offset),
        cmocka_unit_test(test_parse_offset_refuses),
        cmocka_unit_test(test_clock_read),
        cmocka_unit_test(test_check_delay),
        cmocka_unit_test(test_vip_retry_schedule),
        cmocka_unit_test(test_expiry_confirms_or_asks_later),
        cmocka_unit_test(test_expiry_cancels_only_the_provably_unpaid),
        cmocka_unit_test(test_expiry_flags_what_may_be_paid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
