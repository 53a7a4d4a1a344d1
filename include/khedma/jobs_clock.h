/*
 * jobs_clock.h - the clock and the schedule that every background job shares.
 *
 * Every job reads "now" from the database (UTC_TIMESTAMP(3)), not from the host, so several hosts
 * agree on what is due; tests shift that clock by a number of seconds written in the file named by
 * KHEDMA_TEST_CLOCK_FILE (test-only), re-read at every tick, so time-based jobs run without sleeps.
 */
#ifndef KHEDMA_JOBS_CLOCK_H
#define KHEDMA_JOBS_CLOCK_H

#include <stdbool.h>

/* The jobs' "now" as SQL: one parameter, the clock's offset in seconds (DBP_I(clock->offset_s)). */
#define JOBS_NOW "(UTC_TIMESTAMP(3) + INTERVAL ? SECOND)"

struct jobs_clock {
    long long offset_s; /* added to the database's UTC_TIMESTAMP(3); 0 outside tests */
    long tick_ms;       /* KHEDMA_JOBS_TICK_MS: schedules leave room for one tick (0: none) */
};

/* The test clock file's content: an integer number of seconds, optionally signed, surrounded by
 * optional whitespace, at most ten years either way. False for anything else. */
bool jobs_clock_parse_offset(const char *text, long long *out);
/* Offset from KHEDMA_TEST_CLOCK_FILE when it is set (a missing or malformed file counts as 0,
 * with a warning), else 0; tick_ms 0 (the jobs loop sets it). */
void jobs_clock_read(struct jobs_clock *clock);

/* Seconds before the jobs ask a gateway about a payment again after `checks` calls: 60 s doubling
 * per call, at most two hours. */
long jobs_clock_check_delay(int checks);

#endif
