/*
 * accounts.h - users and sessions (docs/api.md, "Accounts and sessions"): signup, login, logout,
 * session lookup, profile update and the admin flag. Knows nothing about HTTP: returns error kinds
 * and messages.
 */
#ifndef KHEDMA_ACCOUNTS_H
#define KHEDMA_ACCOUNTS_H

#include <stdbool.h>
#include <json-c/json.h>
#include "khedma/crypto.h"
#include "khedma/db.h"
#include "khedma/errors.h"
#include "khedma/cuid.h"

#define SESSION_TTL_DAYS 30

struct user {
    char id[CUID_LEN + 1];
    char *name;
    char *username;
    char *email;
    char *phone;  /* NULL when none */
    char role[8]; /* "user" or "admin" */
    bool order_updates_notifications;
    bool inbox_notifications;
    char created_at[32]; /* ISO-8601 */
};

void accounts_user_free(struct user *u);
/* The public user object (includes email: only ever sent to that user). */
json_object *accounts_user_to_json(const struct user *u);

/* in: {name, email, username, password, phone?}. On success fills u and a new session token. */
enum errkind accounts_signup(struct db *db, json_object *in, struct user *u,
                             char token[TOKEN_LEN + 1], struct err *e);
/* 401 "Invalid credentials" whether or not the email exists (same work done either way).
 * client_addr is the client's address for the failed-login throttle (login_throttle.h): while
 * the account or the address is over its limit the answer is E_TOO_MANY with *retry_after_s
 * set, before any password is checked. */
enum errkind accounts_login(struct db *db, json_object *in, const char *client_addr, struct user *u,
                            char token[TOKEN_LEN + 1], long *retry_after_s, struct err *e);
enum errkind accounts_logout(struct db *db, const char *token_hash, struct err *e);
/* Session lookup by token hash: E_OK and u filled, E_UNAUTHORIZED when unknown or expired, or
 * E_UNAVAILABLE. Touches last_used_at (sessions expire after SESSION_TTL_DAYS unused). */
enum errkind accounts_session_user(struct db *db, const char *token_hash, struct user *u,
                                   struct err *e);
/* in: {name?, phone?, orderUpdatesNotifications?, inboxNotifications?}; u is refreshed. */
enum errkind accounts_update(struct db *db, const char *user_id, json_object *in, struct user *u,
                             struct err *e);
enum errkind accounts_make_admin(struct db *db, const char *email, struct err *e);

#endif
