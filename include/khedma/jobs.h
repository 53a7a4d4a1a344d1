/*
 * jobs.h - the background jobs process: a loop that runs one tick of every job (jobs_orders.h,
 * jobs_payments.h, webhook_sender.h and the purges here), then sleeps, until it is told to stop.
 *
 * Each job claims its rows with SELECT ... FOR UPDATE SKIP LOCKED in short transactions and never
 * holds a lock across a network call, so two jobs processes never do the same work twice.
 */
#ifndef KHEDMA_JOBS_H
#define KHEDMA_JOBS_H

#include "khedma/db.h"
#include "khedma/jobs_clock.h"

/* One tick of every job, in order: purges, auto-completion, checkout expiry, reconciliation,
 * refunds, with outgoing webhooks sent before each of them and once more at the end (so the events
 * the other jobs wrote go out in the same tick). Skipped, with one warning, while the database is
 * unreachable. */
void jobs_tick(struct db *db, const struct jobs_clock *clock);
/* The jobs process (forked by the master): run ticks every KHEDMA_JOBS_TICK_MS until told to
 * stop (process.h). Returns the process exit code. */
int jobs_run(void);
/* `khedmad jobs-once`: open the database, run one tick, exit code 0 (1 when the database cannot be
 * opened). */
int jobs_run_once(void);

/* Deletes expired sessions, idempotency keys older than 24 h and stale login-failure counters.
 * Returns how many rows it deleted, or -1 after a database error (logged). */
int jobs_purge(struct db *db, const struct jobs_clock *clock);

#endif
