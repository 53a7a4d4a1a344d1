/*
 * dberr.c - maps a failed database call to a client-safe service error, and retries a
 * transaction the database failed only for the moment (see dberr.h). The database's own message
 * is logged here and never leaves the process.
 */
#include <errno.h>
#include <time.h>

#include <sodium.h>

#include "khedma/db.h"
#include "khedma/dberr.h"
#include "khedma/errors.h"
#include "khedma/log.h"

#define RETRY_BASE_MS 25L

enum errkind dberr_fail(struct db *db, int status, struct err *e)
{
    if (db_in_transaction(db))
        db_rollback(db);
    if (status == DB_DOWN)
        return err_set(e, E_UNAVAILABLE, "Database unavailable");
    if (status == DB_DEADLOCK)
        return err_set(e, E_UNAVAILABLE, "Temporarily unavailable; try again");
    log_error("database error: %s", db_last_error(db));
    return err_set(e, E_INTERNAL, "Internal error");
}

long dberr_retry_delay_ms(int attempt, unsigned int r)
{
    if (attempt < 1)
        attempt = 1;
    if (attempt > 6)
        attempt = 6;
    long base = RETRY_BASE_MS << (attempt - 1);
    return base + (long)(r % (unsigned int)(base + 1));
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        /* interrupted by a signal: sleep what is left */
    }
}

enum errkind dberr_tx_retry(struct db *db, db_tx_fn fn, void *arg, struct err *e)
{
    for (int attempt = 1;; attempt++) {
        enum errkind k = fn(db, arg, e);
        if (db_in_transaction(db)) {
            /* fn must end its transaction; one left open must not leak into the next request. */
            log_error("a transaction was left open; rolled back");
            db_rollback(db);
        }
        if (k != E_UNAVAILABLE)
            return k;
        if (attempt >= DB_TX_ATTEMPTS) {
            log_warn("transaction failed %d times on a transient database error; answered 503",
                     attempt);
            return k;
        }
        log_info("transient database error; the transaction runs again (attempt %d of %d)",
                 attempt + 1, DB_TX_ATTEMPTS);
        err_clear(e);
        pause_ms(dberr_retry_delay_ms(attempt, randombytes_random()));
    }
}
