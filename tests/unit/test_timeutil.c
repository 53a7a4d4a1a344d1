/*
 * test_timeutil.c - unit tests for the clocks and the DATETIME(3) <-> ISO-8601 conversions,
 * including offsets that cross day, month and year boundaries and malformed input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "khedma/timeutil.h"

static void assert_iso_from_db(const char *db, const char *want)
{
    char out[ISO_TIME_LEN + 1];
    assert_int_equal(timeutil_iso_from_db(db, out), 0);
    assert_string_equal(out, want);
}

static void assert_db_from_iso(const char *iso, const char *want)
{
    char out[24];
    assert_int_equal(timeutil_db_from_iso(iso, out), 0);
    assert_string_equal(out, want);
}

static void test_iso_from_db_fractions(void **state)
{
    assert_iso_from_db("2026-11-22 07:17:00", "2026-11-22T07:17:00.000Z");
    assert_iso_from_db("2026-11-22 07:17:00.123", "2026-11-22T07:17:00.123Z");
    assert_iso_from_db("2026-11-22 07:17:00.5", "2026-11-22T07:17:00.500Z");
    assert_iso_from_db("2026-11-22 07:17:00.123456", "2026-11-22T07:17:00.123Z");
    assert_iso_from_db("2026-11-22 07:17:00.999999", "2026-11-22T07:17:00.999Z");
    assert_iso_from_db("2024-02-29 23:59:59.000", "2024-02-29T23:59:59.000Z");
}

static void test_iso_from_db_rejects(void **state)
{
    char out[ISO_TIME_LEN + 1];
    const char *bad[] = {
        "",
        "garbage",
        "2026-11-22",
        "2026-11-22T07:17:00.000",     /* DB text uses a space */
        "2026-11-22 07:17:00.",        /* dot without digits */
        "2026-11-22 07:17:00.1234567", /* more than 6 digits */
        "2026-11-22 07:17:00.000 ",
        "2026-13-01 00:00:00",
        "2026-02-29 00:00:00", /* not a leap year */
        "2026-04-31 00:00:00",
        "2026-11-22 24:00:00",
        "2026-11-22 07:60:00",
        "2026-11-22 07:17:60",
        "2026-1-22 07:17:00",
        "+026-11-22 07:17:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (timeutil_iso_from_db(bad[i], out) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(timeutil_iso_from_db(NULL, out), -1);
}

static void test_iso_from_ms(void **state)
{
    char out[ISO_TIME_LEN + 1];
    timeutil_iso_from_ms(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    timeutil_iso_from_ms(1795331820000LL, out);
    assert_string_equal(out, "2026-11-22T07:17:00.000Z");
    timeutil_iso_from_ms(951782400123LL, out); /* leap day of a century leap year */
    assert_string_equal(out, "2000-02-29T00:00:00.123Z");
    timeutil_iso_from_ms(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    timeutil_iso_from_ms(253402300800000LL * 10, out); /* beyond 9999 keeps the fixed width */
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
}

static void test_iso_from_ms_matches_libc(void **state)
{
    /* A spread of instants checked against gmtime_r, which does not share our arithmetic. */
    long long ms = 0;
    for (int i = 0; i < 2000; i++) {
        ms += 86400000LL * 37 + 3600000LL * 5 + 61001;
        time_t secs = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        char want[64], out[ISO_TIME_LEN + 1];
        strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(want + strlen(want), sizeof want - strlen(want), ".%03dZ", (int)(ms % 1000));
        timeutil_iso_from_ms(ms, out);
        assert_string_equal(out, want);
    }
}

static void test_db_from_iso_forms(void **state)
{
    assert_db_from_iso("2026-11-22T07:17:00.000Z", "2026-11-22 07:17:00.000");
    assert_db_from_iso("2026-11-22T07:17:00Z", "2026-11-22 07:17:00.000");
    assert_db_from_iso("2026-11-22T07:17:00.1Z", "2026-11-22 07:17:00.100");
    assert_db_from_iso("2026-11-22T07:17:00.123456789Z", "2026-11-22 07:17:00.123");
    assert_db_from_iso("2026-11-22T07:17:00", "2026-11-22 07:17:00.000");
    assert_db_from_iso("2026-11-22 07:17:00", "2026-11-22 07:17:00.000");
    assert_db_from_iso("2026-11-22", "2026-11-22 00:00:00.000");
}

static void test_db_from_iso_offsets(void **state)
{
    assert_db_from_iso("2026-11-22T08:17:00.000+01:00", "2026-11-22 07:17:00.000");
    assert_db_from_iso("2026-11-22T08:17:00+0100", "2026-11-22 07:17:00.000");
    assert_db_from_iso("2026-11-22T02:17:00.250-05:00", "2026-11-22 07:17:00.250");
    /* Offsets that cross midnight, a month end, a year end and a leap day. */
    assert_db_from_iso("2026-01-01T00:30:00+01:00", "2025-12-31 23:30:00.000");
    assert_db_from_iso("2026-12-31T23:30:00-01:00", "2027-01-01 00:30:00.000");
    assert_db_from_iso("2024-03-01T00:00:00+05:30", "2024-02-29 18:30:00.000");
    assert_db_from_iso("2026-11-22T07:17:00+00:00", "2026-11-22 07:17:00.000");
}

static void test_db_from_iso_rejects(void **state)
{
    char out[24];
    const char *bad[] = {
        "",
        "garbage",
        "2026-13-01",
        "2026-00-10",
        "2026-02-30",
        "2026-11-31T00:00:00Z",
        "2026-11-22T",
        "2026-11-22T07:17Z",
        "2026-11-22T25:00:00Z",
        "2026-11-22T07:17:00.Z",
        "2026-11-22T07:17:00+1",
        "2026-11-22T07:17:00+24:00",
        "2026-11-22T07:17:00Zjunk",
        "2026-11-22junk",
        "26-11-22",
        "9999-12-31T23:00:00-02:00", /* leaves the four-digit year range */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (timeutil_db_from_iso(bad[i], out) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(timeutil_db_from_iso(NULL, out), -1);
}

static void test_round_trip(void **state)
{
    char iso[ISO_TIME_LEN + 1], db[24], back[ISO_TIME_LEN + 1];
    timeutil_iso_from_ms(1795331820123LL, iso);
    assert_int_equal(timeutil_db_from_iso(iso, db), 0);
    assert_int_equal(timeutil_iso_from_db(db, back), 0);
    assert_string_equal(iso, back);
}

static void test_clocks(void **state)
{
    long long a = timeutil_now_us();
    struct timespec pause = {0, 2000000};
    nanosleep(&pause, NULL);
    long long b = timeutil_now_us();
    assert_true(b - a >= 2000);
    assert_true(b - a < 5000000);
    long long w = timeutil_wall_ms();
    long long t = (long long)time(NULL) * 1000;
    assert_true(llabs(w - t) < 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_from_db_fractions),
        cmocka_unit_test(test_iso_from_db_rejects),
        cmocka_unit_test(test_iso_from_ms),
        cmocka_unit_test(test_iso_from_ms_matches_libc),
        cmocka_unit_test(test_db_from_iso_forms),
        cmocka_unit_test(test_db_from_iso_offsets),
        cmocka_unit_test(test_db_from_iso_rejects),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
