/*
 * accounts.c - users and sessions (docs/api.md, "Accounts and sessions"). Input is validated here,
 * field by field, so REST and tRPC reject the same things with the same messages; every write is
 * one transaction; uniqueness of e-mail and username is decided by the table's UNIQUE keys, never
 * by a check-then-insert that two concurrent signups could both pass.
 *
 * Session tokens leave this module once, in the signup or login answer; the database only ever
 * sees their SHA-256, so a leaked sessions table signs nobody in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/accounts.h"
#include "khedma/log.h"
#include "khedma/login_throttle.h"
#include "khedma/read_model.h"
#include "khedma/timeutil.h"
#include "khedma/utf8.h"
#include "khedma/validate.h"

#define NAME_MAX_CHARS 100
#define PASSWORD_MIN_CHARS 8
#define PASSWORD_MAX_CHARS 1024
#define TX_ATTEMPTS 3 /* deadlocks are retried this many times before giving up */

/* Columns of struct user, in the order user_from_row() reads them. */
#define USER_COLS                                                                                  \
    "u.id, u.name, u.username, u.email, u.phone, u.role, u.order_updates_notifications, "          \
    "u.inbox_notifications, u.created_at"
#define USER_NCOLS 9

/* Verified against when the e-mail is unknown, so a login for a missing account costs the same
 * Argon2id work as one with a wrong password and response time does not reveal which e-mails
 * are registered. Its parameters (m=19 MiB, t=2, p=1) must stay those crypto.c hashes new
 * passwords with; the random password behind it was thrown away. */
static const char DUMMY_HASH[] = "$argon2id$v=19$m=19456,t=2,p=1$jSUvYRAiIq5J/aa7dbIJeQ$"
                                 "Fe8wkhbOYDsSA4JCVoL+Po4a4psQhCxazZsZ/1/bZEk";

void accounts_user_free(struct user *u)
{
    if (!u)
        return;
    free(u->name);
    free(u->username);
    free(u->email);
    free(u->phone);
    u->name = u->username = u->email = u->phone = NULL;
}

json_object *accounts_user_to_json(const struct user *u)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(u->id));
    json_object_object_add(o, "name", json_object_new_string(u->name ? u->name : ""));
    json_object_object_add(o, "username", json_object_new_string(u->username ? u->username : ""));
    json_object_object_add(o, "email", json_object_new_string(u->email ? u->email : ""));
    json_object_object_add(o, "phone", u->phone ? json_object_new_string(u->phone) : NULL);
    json_object_object_add(o, "role", json_object_new_string(u->role));
    json_object_object_add(o, "orderUpdatesNotifications",
                           json_object_new_boolean(u->order_updates_notifications));
    json_object_object_add(o, "inboxNotifications",
                           json_object_new_boolean(u->inbox_notifications));
    json_object_object_add(o, "createdAt", json_object_new_string(u->created_at));
    return o;
}

/* ---- database plumbing ---------------------------------------------------------------------- */

/* Turn a failed database call into the service's error. An open transaction is rolled back
 * first so the worker's connection is clean for the next request. */
static enum errkind db_failed(struct db *db, int rc, const char *what, struct err *e)
{
    if (db_in_transaction(db))
        db_rollback(db);
    if (rc == DB_DOWN)
        return err_set(e, E_UNAVAILABLE, "Database unavailable");
    log_error("accounts: %s failed (%d): %s", what, rc, db_last_error(db));
    return err_set(e, E_INTERNAL, "Internal server error");
}

static bool cell_true(const char *cell)
{
    return cell && strcmp(cell, "0") != 0;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Fill u from USER_COLS starting at column col0 of row 0. Returns 0, or -1 when out of memory or
 * the row is not what the schema promises (both are internal errors for the caller). */
static int user_from_row(const struct db_result *r, size_t col0, struct user *u)
{
    const char *id = db_result_get(r, 0, col0);
    const char *role = db_result_get(r, 0, col0 + 5);
    if (!id || strlen(id) > CUID_LEN || !role || strlen(role) >= sizeof(u->role))
        return -1;
    memset(u, 0, sizeof(*u));
    strcpy(u->id, id);
    strcpy(u->role, role);
    u->name = dup_or_null(db_result_get(r, 0, col0 + 1));
    u->username = dup_or_null(db_result_get(r, 0, col0 + 2));
    u->email = dup_or_null(db_result_get(r, 0, col0 + 3));
    u->phone = dup_or_null(db_result_get(r, 0, col0 + 4));
    u->order_updates_notifications = cell_true(db_result_get(r, 0, col0 + 6));
    u->inbox_notifications = cell_true(db_result_get(r, 0, col0 + 7));
    if (!u->name || !u->username || !u->email ||
        timeutil_iso_from_db(db_result_get(r, 0, col0 + 8), u->created_at) != 0) {
        accounts_user_free(u);
        return -1;
    }
    return 0;
}

/* Read one user by id into u (inside the caller's transaction, if any). */
static enum errkind load_user(struct db *db, const char *id, struct user *u, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, "SELECT " USER_COLS " FROM users u WHERE u.id = ?", DB_PARAMS(DBP_S(id)),
                     &r, NULL);
    if (rc != DB_OK)
        return db_failed(db, rc, "load user", e);
    enum errkind kind = E_OK;
    if (r->rows == 0)
        kind = err_set(e, E_NOT_FOUND, "User not found");
    else if (r->cols < USER_NCOLS || user_from_row(r, 0, u) != 0)
        kind = db_failed(db, DB_ERR, "decode user", e);
    db_result_free(r);
    return kind;
}

static int insert_session(struct db *db, const char *user_id, const char *thash)
{
    return db_exec(
        db,
        "INSERT INTO sessions (token_hash, user_id, created_at, last_used_at, expires_at) "
        "VALUES (?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), "
        "UTC_TIMESTAMP(3) + INTERVAL ? DAY)",
        DB_PARAMS(DBP_S(thash), DBP_S(user_id), DBP_I(SESSION_TTL_DAYS)), NULL, NULL);
}

/* ---- input validation ----------------------------------------------------------------------- */

enum fstate { F_ABSENT, F_NULL, F_STRING, F_WRONG_TYPE, F_BAD_TEXT };

/* Look up in[key] as a string. Embedded NULs and invalid UTF-8 (json-c lets "\ud800" through)
 * are refused here, once, so nothing downstream can be fooled by a C string that ends early. */
static enum fstate get_string(json_object *in, const char *key, const char **out)
{
    json_object *v = NULL;
    *out = NULL;
    if (!in || !json_object_is_type(in, json_type_object) ||
        !json_object_object_get_ex(in, key, &v))
        return F_ABSENT;
    if (!v)
        return F_NULL;
    if (!json_object_is_type(v, json_type_string))
        return F_WRONG_TYPE;
    const char *s = json_object_get_string(v);
    size_t len = (size_t)json_object_get_string_len(v);
    if (strlen(s) != len || !utf8_valid(s, len))
        return F_BAD_TEXT;
    *out = s;
    return F_STRING;
}

/* "<label> <problem>", e.g. "Email is required". */
static void field_error(struct err *e, const char *field, const char *label, const char *problem)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "%s %s", label, problem);
    err_field(e, field, msg);
}

/* A string field that must be present. NULL (with a field error) when absent, null or not text. */
static const char *required_string(json_object *in, const char *key, const char *label,
                                   struct err *e)
{
    const char *s = NULL;
    switch (get_string(in, key, &s)) {
    case F_STRING:
        return s;
    case F_ABSENT:
    case F_NULL:
        field_error(e, key, label, "is required");
        break;
    case F_WRONG_TYPE:
        field_error(e, key, label, "must be a string");
        break;
    case F_BAD_TEXT:
        field_error(e, key, label, "contains invalid characters");
        break;
    }
    return NULL;
}

/* Trimmed display name: 1-100 characters, no control characters. */
static char *check_name(const char *raw, struct err *e)
{
    char *name = validate_trim_dup(raw);
    if (!name) {
        err_field(e, "name", "Name could not be read");
        return NULL;
    }
    size_t chars = utf8_length(name, strlen(name));
    const char *msg = NULL;
    if (chars == 0)
        msg = "Name is required";
    else if (chars > NAME_MAX_CHARS)
        msg = "Name must be at most 100 characters";
    for (const unsigned char *p = (const unsigned char *)name; !msg && *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            msg = "Name must not contain control characters";
    if (msg) {
        err_field(e, "name", msg);
        free(name);
        return NULL;
    }
    return name;
}

/* Trimmed, lower-cased e-mail (stored lower-case so the UNIQUE key is case-insensitive whatever
 * the column's collation). NULL with a field error when invalid. */
static char *normalize_email(const char *raw)
{
    char *email = validate_trim_dup(raw);
    if (!email)
        return NULL;
    for (char *p = email; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return email;
}

static char *check_email(const char *raw, struct err *e)
{
    char *email = normalize_email(raw);
    if (!email || !validate_email(email)) {
        err_field(e, "email", "Invalid email address");
        free(email);
        return NULL;
    }
    return email;
}

static void check_password(const char *pw, struct err *e)
{
    size_t chars = utf8_length(pw, strlen(pw));
    if (chars < PASSWORD_MIN_CHARS)
        err_field(e, "password", "Password must be at least 8 characters");
    else if (chars > PASSWORD_MAX_CHARS)
        err_field(e, "password", "Password must be at most 1024 characters");
}

/* phone? : absent -> *present = false; null or "" -> clear (*out = NULL); otherwise a trimmed
 * valid number. Returns false (with a field error) when the value is unacceptable. */
static bool check_phone(json_object *in, bool *present, char **out, struct err *e)
{
    const char *raw = NULL;
    *out = NULL;
    enum fstate st = get_string(in, "phone", &raw);
    *present = st != F_ABSENT;
    if (st == F_ABSENT || st == F_NULL)
        return true;
    if (st != F_STRING) {
        err_field(e, "phone",
                  st == F_WRONG_TYPE ? "Phone must be a string or null"
                                     : "Phone contains invalid characters");
        return false;
    }
    char *phone = validate_trim_dup(raw);
    if (!phone || phone[0] == '\0') {
        free(phone);
        return phone != NULL;
    }
    if (!validate_phone(phone)) {
        err_field(e, "phone", "Invalid phone number");
        free(phone);
        return false;
    }
    *out = phone;
    return true;
}

/* ---- signup --------------------------------------------------------------------------------- */

struct signup_in {
    char *name, *email, *username, *phone;
    const char *password;
};

static void signup_in_free(struct signup_in *s)
{
    free(s->name);
    free(s->email);
    free(s->username);
    free(s->phone);
}

/* Validate every field and collect every problem, so a form can show them all at once. */
static enum errkind parse_signup(json_object *in, struct signup_in *s, struct err *e)
{
    memset(s, 0, sizeof(*s));
    const char *raw = required_string(in, "name", "Name", e);
    if (raw)
        s->name = check_name(raw, e);
    if ((raw = required_string(in, "email", "Email", e)))
        s->email = check_email(raw, e);
    if ((raw = required_string(in, "username", "Username", e))) {
        if (!validate_username(raw))
            err_field(e, "username", "Username must be 3-30 characters of a-z, 0-9, _ and -");
        else if (validate_username_reserved(raw))
            err_field(e, "username", "This username is reserved, please choose another");
        else
            s->username = strdup(raw);
    }
    if ((s->password = required_string(in, "password", "Password", e)))
        check_password(s->password, e);
    bool present;
    check_phone(in, &present, &s->phone, e);
    if (e->fields)
        return err_set(e, E_UNPROCESSABLE, "Validation failed");
    if (!s->name || !s->email || !s->username)
        return err_set(e, E_INTERNAL, "Internal server error"); /* strdup failed */
    return E_OK;
}

/* After a duplicate-key error: say which unique key it was. Runs in the failed transaction, which
 * MariaDB keeps open; the conflicting row is committed (InnoDB made our insert wait for it).
 * Returns E_CONFLICT, or E_OK when neither is taken (the row was deleted since: retry). */
static enum errkind explain_duplicate(struct db *db, const struct signup_in *s, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT EXISTS(SELECT 1 FROM users WHERE email = ?), "
                     "EXISTS(SELECT 1 FROM users WHERE username = ?)",
                     DB_PARAMS(DBP_S(s->email), DBP_S(s->username)), &r, NULL);
    if (rc != DB_OK)
        return db_failed(db, rc, "signup duplicate check", e);
    bool email_taken = r->rows > 0 && cell_true(db_result_get(r, 0, 0));
    bool username_taken = r->rows > 0 && cell_true(db_result_get(r, 0, 1));
    db_result_free(r);
    db_rollback(db);
    if (email_taken) {
        err_set(e, E_CONFLICT, "Email already taken");
        err_field(e, "email", "Email already taken");
    }
    if (username_taken) {
        if (!email_taken)
            err_set(e, E_CONFLICT, "Username already taken");
        err_field(e, "username", "Username already taken");
    }
    return e->kind == E_CONFLICT ? E_CONFLICT : E_OK;
}

/* One attempt at the signup transaction: user row, session row, read back. *retry is set when a
 * deadlock or a vanished duplicate makes another attempt worthwhile. */
static enum errkind signup_tx(struct db *db, const struct signup_in *s, const char *pw_hash,
                              const char *thash, struct user *u, bool *retry, struct err *e)
{
    char id_buf[CUID_LEN + 1];
    cuid_new(id_buf);
    const char *id = id_buf;
    *retry = false;
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc = db_exec(db,
                     "INSERT INTO users (id, name, username, email, phone, password_hash, role, "
                     "order_updates_notifications, inbox_notifications, created_at, updated_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, 'user', 1, 1, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))",
                     DB_PARAMS(DBP_S(id), DBP_S(s->name), DBP_S(s->username), DBP_S(s->email),
                               DBP_S(s->phone), DBP_S(pw_hash)),
                     NULL, NULL);
    if (rc == DB_DUPLICATE) {
        enum errkind kind = explain_duplicate(db, s, e);
        *retry = kind == E_OK;
        return kind == E_OK ? err_set(e, E_CONFLICT, "Email or username already taken") : kind;
    }
    if (rc == DB_OK)
        rc = insert_session(db, id, thash);
    if (rc == DB_OK) {
        enum errkind kind = load_user(db, id, u, e);
        if (kind != E_OK)
            return kind; /* load_user rolled back */
        rc = db_commit(db);
        if (rc != DB_OK)
            accounts_user_free(u);
    }
    if (rc == DB_OK)
        return E_OK;
    *retry = rc == DB_DEADLOCK || rc == DB_DUPLICATE; /* a session-hash clash: new token */
    return db_failed(db, rc, "signup", e);
}

enum errkind accounts_signup(struct db *db, json_object *in, struct user *u,
                             char token[TOKEN_LEN + 1], struct err *e)
{
    struct signup_in s;
    enum errkind kind = parse_signup(in, &s, e);
    if (kind != E_OK) {
        signup_in_free(&s);
        return kind;
    }
    /* Hash before the transaction: Argon2id takes tens of milliseconds that no lock should
     * be held for. */
    char pw_hash[PASSWORD_HASH_MAX];
    if (crypto_password_hash(s.password, pw_hash) != 0) {
        signup_in_free(&s);
        return err_set(e, E_INTERNAL, "Internal server error");
    }
    bool retry = true;
    for (int attempt = 0; retry && attempt < TX_ATTEMPTS; attempt++) {
        char thash[SHA256_HEX_LEN + 1];
        crypto_token_new(token);
        crypto_token_hash(token, thash);
        err_clear(e);
        kind = signup_tx(db, &s, pw_hash, thash, u, &retry, e);
    }
    if (kind != E_OK)
        memset(token, 0, TOKEN_LEN + 1);
    signup_in_free(&s);
    return kind;
}

/* ---- login / logout ------------------------------------------------------------------------- */

/* Session for a verified user, with that user's expired sessions swept in the same transaction
 * so the table does not grow with every login forever. */
static enum errkind login_tx(struct db *db, const char *user_id, const char *thash, struct err *e)
{
    int rc = DB_OK;
    for (int attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
        rc = db_begin(db);
        if (rc == DB_OK)
            rc = db_exec(
                db, "DELETE FROM sessions WHERE user_id = ? AND expires_at <= UTC_TIMESTAMP(3)",
                DB_PARAMS(DBP_S(user_id)), NULL, NULL);
        if (rc == DB_OK)
            rc = insert_session(db, user_id, thash);
        if (rc == DB_OK)
            rc = db_commit(db);
        if (rc == DB_OK)
            return E_OK;
        if (db_in_transaction(db))
            db_rollback(db);
        if (rc != DB_DEADLOCK)
            break;
    }
    return db_failed(db, rc, "login", e);
}

/* Look the account up by e-mail; E_OK with *found false when there is none. The password hash
 * is copied into hash (never into u, which travels to the response). */
static enum errkind find_login(struct db *db, const char *email, struct user *u, bool *found,
                               char hash[PASSWORD_HASH_MAX], struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, "SELECT " USER_COLS ", u.password_hash FROM users u WHERE u.email = ?",
                     DB_PARAMS(DBP_S(email)), &r, NULL);
    if (rc != DB_OK)
        return db_failed(db, rc, "login lookup", e);
    *found = false;
    enum errkind kind = E_OK;
    if (r->rows > 0) {
        const char *h = db_result_get(r, 0, USER_NCOLS);
        if (!h || strlen(h) >= PASSWORD_HASH_MAX || user_from_row(r, 0, u) != 0) {
            kind = db_failed(db, DB_ERR, "decode login user", e);
        } else {
            strcpy(hash, h);
            *found = true;
        }
    }
    db_result_free(r);
    return kind;
}

/* Look the account up and check the password; E_UNAUTHORIZED when either is wrong. */
static enum errkind verify_login(struct db *db, const char *email, const char *password,
                                 struct user *u, struct err *e)
{
    char hash[PASSWORD_HASH_MAX];
    bool found = false;
    enum errkind kind = find_login(db, email, u, &found, hash, e);
    if (kind != E_OK)
        return kind;
    /* The same Argon2id verification runs whether or not the account exists. */
    bool ok = crypto_password_verify(found ? hash : DUMMY_HASH, password) && found;
    if (!ok) {
        if (found)
            accounts_user_free(u);
        return err_set(e, E_UNAUTHORIZED, "Invalid credentials");
    }
    return E_OK;
}

enum errkind accounts_login(struct db *db, json_object *in, const char *client_addr, struct user *u,
                            char token[TOKEN_LEN + 1], long *retry_after_s, struct err *e)
{
    *retry_after_s = 0;
    const char *raw_email = required_string(in, "email", "Email", e);
    const char *password = required_string(in, "password", "Password", e);
    if (e->fields)
        return err_set(e, E_UNPROCESSABLE, "Validation failed");
    char *email = normalize_email(raw_email);
    if (!email)
        return err_set(e, E_INTERNAL, "Internal server error");
    struct login_attempt attempt;
    login_throttle_attempt_init(&attempt, email, client_addr);
    enum errkind kind = login_throttle_begin(db, &attempt, retry_after_s, e);
    if (kind == E_OK) {
        kind = verify_login(db, email, password, u, e);
        /* Only a wrong password stays counted; a database failure says nothing about it. */
        login_throttle_finish(db, &attempt,
                              kind == E_OK             ? LOGIN_SUCCEEDED
                              : kind == E_UNAUTHORIZED ? LOGIN_FAILED
                                                       : LOGIN_UNDECIDED);
    }
    free(email);
    if (kind != E_OK)
        return kind;
    char thash[SHA256_HEX_LEN + 1];
    crypto_token_new(token);
    crypto_token_hash(token, thash);
    kind = login_tx(db, u->id, thash, e);
    if (kind != E_OK) {
        accounts_user_free(u);
        memset(token, 0, TOKEN_LEN + 1);
    }
    return kind;
}

/* What crypto_token_hash() produces: 64 lower-case hex digits. Anything else cannot be a session,
 * and is turned away without a query. */
static bool valid_token_hash(const char *h)
{
    if (!h || strlen(h) != SHA256_HEX_LEN)
        return false;
    for (; *h; h++)
        if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
            return false;
    return true;
}

enum errkind accounts_logout(struct db *db, const char *token_hash, struct err *e)
{
    if (!valid_token_hash(token_hash))
        return E_OK; /* nothing can match it: already signed out */
    int rc = db_exec(db, "DELETE FROM sessions WHERE token_hash = ?", DB_PARAMS(DBP_S(token_hash)),
                     NULL, NULL);
    return rc == DB_OK ? E_OK : db_failed(db, rc, "logout", e);
}

/* ---- session lookup ------------------------------------------------------------------------- */

/* Slide the expiry to SESSION_TTL_DAYS after now. Called at most once a minute per session (the
 * lookup says when), so a busy client does not cost a write per request. A failure here is only
 * logged: the session was valid, and the next request will try again. */
static void touch_session(struct db *db, const char *thash)
{
    int rc = db_exec(db,
                     "UPDATE sessions SET last_used_at = UTC_TIMESTAMP(3), "
                     "expires_at = UTC_TIMESTAMP(3) + INTERVAL ? DAY "
                     "WHERE token_hash = ? AND expires_at > UTC_TIMESTAMP(3)",
                     DB_PARAMS(DBP_I(SESSION_TTL_DAYS), DBP_S(thash)), NULL, NULL);
    if (rc != DB_OK && rc != DB_DOWN)
        log_warn("accounts: session touch failed (%d): %s", rc, db_last_error(db));
}

enum errkind accounts_session_user(struct db *db, const char *token_hash, struct user *u,
                                   struct err *e)
{
    if (!valid_token_hash(token_hash))
        return err_set(e, E_UNAUTHORIZED, "Authentication required");
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT " USER_COLS ", s.token_hash, "
                     "s.last_used_at < UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE "
                     "FROM sessions s JOIN users u ON u.id = s.user_id "
                     "WHERE s.token_hash = ? AND s.expires_at > UTC_TIMESTAMP(3)",
                     DB_PARAMS(DBP_S(token_hash)), &r, NULL);
    if (rc != DB_OK)
        return db_failed(db, rc, "session lookup", e);
    /* The index found the row; the constant-time comparison makes sure a case-insensitive
     * collation cannot have matched a differently spelled hash. */
    const char *stored = r->rows > 0 ? db_result_get(r, 0, USER_NCOLS) : NULL;
    if (!stored || !crypto_secret_equal(stored, token_hash, false)) {
        db_result_free(r);
        return err_set(e, E_UNAUTHORIZED, "Authentication required");
    }
    bool stale = cell_true(db_result_get(r, 0, USER_NCOLS + 1));
    int bad = user_from_row(r, 0, u);
    db_result_free(r);
    if (bad)
        return db_failed(db, DB_ERR, "decode session user", e);
    if (stale)
        touch_session(db, token_hash);
    return E_OK;
}

/* ---- profile update and admin flag ---------------------------------------------------------- */

struct update_in {
    char *name; /* NULL: unchanged */
    bool phone_set;
    char *phone;       /* with phone_set: NULL clears */
    int order_updates; /* -1 unchanged, else 0/1 */
    int inbox;
};

/* A boolean field: -1 when absent; a field error when present but not true/false. */
static int check_flag(json_object *in, const char *key, const char *label, struct err *e)
{
    json_object *v = NULL;
    if (!in || !json_object_is_type(in, json_type_object) ||
        !json_object_object_get_ex(in, key, &v))
        return -1;
    if (!v || !json_object_is_type(v, json_type_boolean)) {
        field_error(e, key, label, "must be a boolean");
        return -1;
    }
    return json_object_get_boolean(v) ? 1 : 0;
}

static enum errkind parse_update(json_object *in, struct update_in *p, struct err *e)
{
    memset(p, 0, sizeof(*p));
    const char *raw = NULL;
    switch (get_string(in, "name", &raw)) {
    case F_ABSENT:
        break;
    case F_STRING:
        p->name = check_name(raw, e);
        break;
    case F_NULL:
    case F_WRONG_TYPE:
        err_field(e, "name", "Name must be a string");
        break;
    case F_BAD_TEXT:
        err_field(e, "name", "Name contains invalid characters");
        break;
    }
    check_phone(in, &p->phone_set, &p->phone, e);
    p->order_updates = check_flag(in, "orderUpdatesNotifications", "orderUpdatesNotifications", e);
    p->inbox = check_flag(in, "inboxNotifications", "inboxNotifications", e);
    if (e->fields)
        return err_set(e, E_UNPROCESSABLE, "Validation failed");
    return E_OK;
}

/* One statement whatever the combination of fields: each "IF(?, new, column)" keeps the column
 * when its flag is 0, so the SQL text (and its prepared statement) never varies. */
static int apply_update(struct db *db, const char *user_id, const struct update_in *p)
{
    return db_exec(db,
                   "UPDATE users SET name = IF(?, ?, name), phone = IF(?, ?, phone), "
                   "order_updates_notifications = IF(?, ?, order_updates_notifications), "
                   "inbox_notifications = IF(?, ?, inbox_notifications), "
                   "updated_at = UTC_TIMESTAMP(3) WHERE id = ?",
                   DB_PARAMS(DBP_I(p->name != NULL), DBP_S(p->name), DBP_I(p->phone_set),
                             DBP_S(p->phone), DBP_I(p->order_updates >= 0),
                             DBP_I(p->order_updates > 0), DBP_I(p->inbox >= 0), DBP_I(p->inbox > 0),
                             DBP_S(user_id)),
                   NULL, NULL);
}

enum errkind accounts_update(struct db *db, const char *user_id, json_object *in, struct user *u,
                             struct err *e)
{
    struct update_in p;
    enum errkind kind = parse_update(in, &p, e);
    bool changes = p.name || p.phone_set || p.order_updates >= 0 || p.inbox >= 0;
    for (int attempt = 0; kind == E_OK && attempt < TX_ATTEMPTS; attempt++) {
        int rc = db_begin(db);
        if (rc == DB_OK && changes)
            rc = apply_update(db, user_id, &p);
        if (rc != DB_OK) {
            kind = db_failed(db, rc, "update user", e);
            if (rc == DB_DEADLOCK && attempt + 1 < TX_ATTEMPTS) {
                err_clear(e);
                kind = E_OK;
                continue;
            }
            break;
        }
        /* The name shows on each of the user's public gig pages (the read model): same
         * transaction. */
        if (p.name && (kind = read_model_owner_changed(db, user_id, e)) != E_OK)
            break; /* rolled back */
        kind = load_user(db, user_id, u, e);
        if (kind != E_OK)
            break; /* load_user rolled back */
        rc = db_commit(db);
        if (rc == DB_OK)
            break;
        accounts_user_free(u);
        kind = db_failed(db, rc, "update user", e);
        if (rc == DB_DEADLOCK && attempt + 1 < TX_ATTEMPTS) {
            err_clear(e);
            kind = E_OK;
        }
    }
    free(p.name);
    free(p.phone);
    return kind;
}

enum errkind accounts_make_admin(struct db *db, const char *email, struct err *e)
{
    char *norm = normalize_email(email ? email : "");
    if (!norm)
        return err_set(e, E_INTERNAL, "Internal server error");
    struct db_result *r = NULL;
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc = db_exec(db, "SELECT id FROM users WHERE email = ? FOR UPDATE", DB_PARAMS(DBP_S(norm)),
                     &r, NULL);
    bool found = rc == DB_OK && r->rows > 0;
    db_result_free(r);
    if (rc == DB_OK && found)
        rc = db_exec(db,
                     "UPDATE users SET role = 'admin', updated_at = UTC_TIMESTAMP(3) "
                     "WHERE email = ?",
                     DB_PARAMS(DBP_S(norm)), NULL, NULL);
    free(norm);
    if (rc != DB_OK)
        return db_failed(db, rc, "make admin", e);
    if (!found) {
        db_rollback(db);
        return err_set(e, E_NOT_FOUND, "User not found");
    }
    rc = db_commit(db);
    return rc == DB_OK ? E_OK : db_failed(db, rc, "make admin", e);
}
