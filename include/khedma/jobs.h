/*
 * jobs.h - the background jobs of contract section 7 and the clock they share.
 *
 * Every job reads "now" from the database (UTC_TIMESTAMP(3)), not from the host, so several hosts
 * agree on what is due; tests shift that clock by a number of seconds written in the file named by
 * KHEDMA_TEST_CLOCK_FILE (test-only), re-read at every tick, so time-based jobs run without sleeps.
 * Each job claims its rows with SELECT ... FOR UPDATE SKIP LOCKED in short transactions and never
 * holds a lock across a network call, so two jobs processes never do the same work twice.
 */
#ifndef KHEDMA_JOBS_H
#define KHEDMA_JOBS_H

#include <stdbool.h>
#include "khedma/db.h"

/* The jobs' "now" as SQL: one parameter, the clock's offset in seconds (DBP_I(clock->offset_s)). */
#define JOBS_NOW "(UTC_TIMESTAMP(3) + INTERVAL ? SECOND)"

struct jobs_clock {
    long long offset_s; /* added to the database's UTC_TIMESTAMP(3); 0 outside tests */
    long tick_ms;       /* KHEDMA_JOBS_TICK_MS: schedules leave room for one tick (0: none) */
};

/* The test clock file's content: an integer number of seconds, optionally signed, surrounded by
 * optional whitespace, at most ten years either way. False for anything else. */
bool jobs_parse_offset(const char *text, long long *out);
/* Offset from KHEDMA_TEST_CLOCK_FILE when it is set (a missing or malformed file counts as 0,
 * with a warning), else 0. */
void jobs_clock_read(struct jobs_clock *clock);

/* Seconds before the jobs ask a gateway about a payment again after `checks` calls: 60 s doubling
 * per call, at most two hours. */
long jobs_check_delay(int checks);

/* One tick of every job, in order: purges, auto-completion, checkout expiry, reconciliation,
 * refunds, with outgoing webhooks sent before each of them and once more at the end (so the events
 * the other jobs wrote go out in the same tick). Skipped, with one warning, while the database is
 * unreachable. */
void jobs_tick(struct db *db, const struct jobs_clock *clock);
/* `khedmad jobs-once`: open the database, run one tick, exit code 0 (1 when the database cannot be
 * opened). */
int jobs_run_once(void);

/* The jobs themselves. Each returns how many rows it acted on, or -1 after a database error
 * (logged). */
int jobs_purge(struct db *db, const struct jobs_clock *clock);

#endif
