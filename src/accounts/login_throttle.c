/*
 * login_throttle.c - the failed-login throttle (login_throttle.h): counters per account and per
 * client address in login_failures (migration 0006), one row per subject and UTC minute, summed
 * over the last LOGIN_WINDOW_S seconds.
 *
 * Every statement runs on its own (autocommit), outside the login's transaction: a count must
 * survive whatever happens to the login itself, and a counter row is locked only for the one
 * statement that changes it. Time comes from the database, so hosts with drifting clocks still
 * agree on the window.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/log.h"
#include "khedma/login_throttle.h"

/* The UTC minute an attempt falls in (the session time zone is UTC, see db.h). */
#define BUCKET_NOW "FROM_UNIXTIME(UNIX_TIMESTAMP() DIV 60 * 60)"

static long seconds_over(const struct login_count *c, long limit)
{
    if (c->failures <= limit)
        return 0;
    long wait = LOGIN_WINDOW_S - (c->oldest_age_s < 0 ? 0 : c->oldest_age_s);
    return wait < 1 ? 1 : wait;
}

long login_throttle_decide(const struct login_count *email, const struct login_count *address)
{
    long a = seconds_over(email, LOGIN_MAX_FAILURES_PER_EMAIL);
    long b = seconds_over(address, LOGIN_MAX_FAILURES_PER_ADDRESS);
    return a > b ? a : b;
}

void login_throttle_attempt_init(struct login_attempt *a, const char *email, const char *address)
{
    memset(a, 0, sizeof *a);
    crypto_token_hash(email ? email : "", a->email_key);
    const char *addr = address && address[0] ? address : "-";
    /* An address always fits (IPv6 text is at most 45 bytes); anything longer is hashed rather
     * than cut, so two long values never share a counter by accident. */
    if (strlen(addr) <= SHA256_HEX_LEN)
        snprintf(a->address_key, sizeof a->address_key, "%s", addr);
    else
        crypto_token_hash(addr, a->address_key);
}

static enum errkind failed(struct db *db, int rc, const char *what, struct err *e)
{
    if (rc == DB_DOWN)
        return err_set(e, E_UNAVAILABLE, "Database unavailable");
    log_error("login throttle: %s failed (%d): %s", what, rc, db_last_error(db));
    return err_set(e, E_INTERNAL, "Internal server error");
}

static int reserve(struct db *db, const struct login_attempt *a)
{
    return db_exec(db,
                   "INSERT INTO login_failures (kind, subject, bucket, failures) "
                   "VALUES ('email', ?, " BUCKET_NOW ", 1), ('address', ?, " BUCKET_NOW ", 1) "
                   "ON DUPLICATE KEY UPDATE failures = failures + 1",
                   DB_PARAMS(DBP_S(a->email_key), DBP_S(a->address_key)), NULL, NULL);
}

static int count(struct db *db, const struct login_attempt *a, struct login_count *email,
                 struct login_count *address)
{
    struct db_result *r = NULL;
    int rc = db_exec(
        db,
        "SELECT kind, SUM(failures), "
        "TIMESTAMPDIFF(SECOND, MIN(bucket), UTC_TIMESTAMP()) "
        "FROM login_failures "
        "WHERE ((kind = 'email' AND subject = ?) OR (kind = 'address' AND subject = ?)) "
        "AND bucket > UTC_TIMESTAMP() - INTERVAL ? SECOND AND failures > 0 "
        "GROUP BY kind",
        DB_PARAMS(DBP_S(a->email_key), DBP_S(a->address_key), DBP_I(LOGIN_WINDOW_S)), &r, NULL);
    *email = *address = (struct login_count){0, -1};
    if (rc != DB_OK)
        return rc;
    for (size_t i = 0; i < r->rows; i++) {
        const char *kind = db_result_get(r, i, 0);
        struct login_count *c = kind && strcmp(kind, "email") == 0 ? email : address;
        c->failures = (long)db_result_int(r, i, 1, 0);
        c->oldest_age_s = (long)db_result_int(r, i, 2, -1);
    }
    db_result_free(r);
    return DB_OK;
}

/* Take one reserved attempt back from a subject's newest minute. */
static void give_back(struct db *db, const char *kind, const char *subject)
{
    int rc = db_exec(db,
                     "UPDATE login_failures SET failures = failures - 1 "
                     "WHERE kind = ? AND subject = ? AND failures > 0 ORDER BY bucket DESC LIMIT 1",
                     DB_PARAMS(DBP_S(kind), DBP_S(subject)), NULL, NULL);
    if (rc != DB_OK)
        log_warn("login throttle: giving an attempt back failed (%d): %s", rc, db_last_error(db));
}

enum errkind login_throttle_begin(struct db *db, struct login_attempt *a, long *retry_after_s,
                                  struct err *e)
{
    struct login_count email, address;
    *retry_after_s = 0;
    int rc = reserve(db, a);
    if (rc != DB_OK)
        return failed(db, rc, "reserve", e);
    a->reserved = true;
    rc = count(db, a, &email, &address);
    if (rc != DB_OK) {
        login_throttle_finish(db, a, LOGIN_UNDECIDED);
        return failed(db, rc, "count", e);
    }
    long wait = login_throttle_decide(&email, &address);
    if (wait == 0)
        return E_OK;
    /* A refused attempt verified nothing, so it is not a failure: counting it would let a
     * stream of refused attempts keep an account locked for ever. */
    login_throttle_finish(db, a, LOGIN_UNDECIDED);
    *retry_after_s = wait;
    return err_set(e, E_TOO_MANY, LOGIN_THROTTLE_MESSAGE);
}

void login_throttle_finish(struct db *db, struct login_attempt *a, enum login_outcome outcome)
{
    if (!a->reserved || outcome == LOGIN_FAILED) {
        a->reserved = false;
        return;
    }
    a->reserved = false;
    if (outcome == LOGIN_SUCCEEDED) {
        int rc = db_exec(db, "DELETE FROM login_failures WHERE kind = 'email' AND subject = ?",
                         DB_PARAMS(DBP_S(a->email_key)), NULL, NULL);
        if (rc != DB_OK)
            log_warn("login throttle: clearing an account failed (%d): %s", rc, db_last_error(db));
    } else {
        give_back(db, "email", a->email_key);
    }
    give_back(db, "address", a->address_key);
}
