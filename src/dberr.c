/*
 * dberr.c - maps a failed database call to a client-safe service error (see dberr.h). The
 * database's own message is logged here and never leaves the process.
 */
#include "khedma/dberr.h"
#include "khedma/log.h"

enum errkind db_fail(struct db *db, int status, struct err *e)
{
    if (db_in_transaction(db))
        db_rollback(db);
    if (status == DB_DOWN)
        return err_set(e, E_UNAVAILABLE, "Database unavailable");
    if (status == DB_DEADLOCK)
        return err_set(e, E_CONFLICT, "The request conflicted with another one; try again");
    log_error("database error: %s", db_last_error(db));
    return err_set(e, E_INTERNAL, "Internal error");
}
