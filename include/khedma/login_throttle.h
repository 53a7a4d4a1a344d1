/*
 * login_throttle.h - failed logins counted in the database, per account (e-mail) and per client
 * address, so password guessing is limited however the request reached khedmad (any proxy, any
 * spelling of the path) and on however many hosts.
 *
 * An attempt is reserved (counted as a failure) before the password is verified and given back
 * when it succeeds or is refused, so concurrent attempts cannot all pass a check that each saw
 * below the limit. A refused attempt never reaches the password check, whether the password is
 * right or not.
 */
#ifndef KHEDMA_LOGIN_THROTTLE_H
#define KHEDMA_LOGIN_THROTTLE_H

#include <stdbool.h>

#include "khedma/crypto.h"
#include "khedma/db.h"
#include "khedma/errors.h"

#define LOGIN_WINDOW_S (15 * 60)
#define LOGIN_MAX_FAILURES_PER_EMAIL 10
#define LOGIN_MAX_FAILURES_PER_ADDRESS 50
#define LOGIN_THROTTLE_MESSAGE "Too many login attempts; try again later"

/* Failures in the window for one subject, this attempt included, and the age in seconds of the
 * oldest counted minute (-1 when none). */
struct login_count {
    long failures;
    long oldest_age_s;
};

/* 0 when the attempt may go on; otherwise the seconds until the oldest counted failure of a
 * subject over its limit leaves the window (at least 1): the Retry-After. */
long login_throttle_decide(const struct login_count *email, const struct login_count *address);

/* The two subjects of one attempt. */
struct login_attempt {
    char email_key[SHA256_HEX_LEN + 1]; /* hex SHA-256 of the normalised e-mail */
    char address_key[SHA256_HEX_LEN + 1];
    bool reserved;
};

/* Fill the subjects: email must be normalised; address is REMOTE_ADDR ("" counts as "-"). */
void login_throttle_attempt_init(struct login_attempt *a, const char *email, const char *address);

/* Count the attempt and decide. E_OK: go on and call login_throttle_finish() afterwards.
 * E_TOO_MANY: refused, *retry_after_s set, nothing left to do. Anything else: a database failure
 * (set in e). */
enum errkind login_throttle_begin(struct db *db, struct login_attempt *a, long *retry_after_s,
                                  struct err *e);

enum login_outcome {
    LOGIN_SUCCEEDED, /* clears the account's failures, gives the address its attempt back */
    LOGIN_FAILED,    /* wrong password: the attempt stays counted */
    LOGIN_UNDECIDED, /* no verdict (database failure): the attempt is given back */
};

/* After the password check. Errors are only logged: the answer is already decided. */
void login_throttle_finish(struct db *db, struct login_attempt *a, enum login_outcome outcome);

#endif
