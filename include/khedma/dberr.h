/*
 * dberr.h - turning a db.h status into a service error, written once for every service:
 * DB_DOWN is "Database unavailable" (503), anything else a generic internal error (500) whose
 * detail goes to the log only, never to the client.
 */
#ifndef KHEDMA_DBERR_H
#define KHEDMA_DBERR_H

#include "khedma/db.h"
#include "khedma/errors.h"

/* Fill e from a failed db status (rolling back an open transaction) and return its kind. */
enum errkind db_fail(struct db *db, int status, struct err *e);

#endif
