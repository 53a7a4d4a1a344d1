/*
 * dberr.h - turning a db.h status into a service error, written once for every service, and
 * running a transaction again when the database failed it only for the moment.
 *
 * DB_DEADLOCK (a deadlock or a lock-wait timeout) and DB_DOWN (the server could not be reached or
 * the connection was lost) are transient: the same transaction may well succeed a moment later.
 * Both become E_UNAVAILABLE (503, answered with Retry-After, never kept under an idempotency key);
 * anything else is a generic internal error (500) whose detail goes to the log only.
 */
#ifndef KHEDMA_DBERR_H
#define KHEDMA_DBERR_H

#include "khedma/db.h"
#include "khedma/errors.h"

/* Attempts dberr_tx_retry() makes before it answers E_UNAVAILABLE. */
#define DB_TX_ATTEMPTS 3

/* Fill e from a failed db status (rolling back an open transaction) and return its kind. */
enum errkind dberr_fail(struct db *db, int status, struct err *e);

/* One unit of work: a whole transaction from its BEGIN to its COMMIT (or a single autocommit
 * statement), which ends it either way and reports failures through e, as dberr_fail() does. It
 * may run more than once, so it must not have effects outside the database (no gateway calls). */
typedef enum errkind (*db_tx_fn)(struct db *db, void *arg, struct err *e);

/* Run fn; when it fails with E_UNAVAILABLE (a transient database failure), run it again from the
 * start after a short jittered pause, up to DB_TX_ATTEMPTS times in all. Returns fn's last
 * result; E_UNAVAILABLE then means "try again later". */
enum errkind dberr_tx_retry(struct db *db, db_tx_fn fn, void *arg, struct err *e);

/* The pause before attempt `attempt` + 1 (attempt >= 1), given a random number `r`: a base that
 * doubles per attempt (25 ms, 50 ms, ...) plus up to as much again of jitter, so that
 * transactions that collided do not collide again in step. */
long dberr_retry_delay_ms(int attempt, unsigned int r);

#endif
