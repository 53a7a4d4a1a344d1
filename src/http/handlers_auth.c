/*
 * handlers_auth.c - the REST routes of docs/api.md, "Accounts and sessions": signup, login, logout,
 * me and the profile update. Thin on purpose: read the body, call the accounts service, encode the
 * answer; every rule lives in accounts.c so tRPC and REST cannot drift apart.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/handlers_auth.h"
#include "khedma/accounts.h"
#include "khedma/config.h"
#include "khedma/rest.h"

/* 2xx answer {user, token} with the session cookie set: what signup and login both return. */
static void answer_session(struct ctx *c, int status, struct user *u, char *token)
{
    json_object *data = json_object_new_object();
    json_object_object_add(data, "user", accounts_user_to_json(u));
    json_object_object_add(data, "token", json_object_new_string(token));
    ctx_set_session_cookie(c, token);
    rest_ok(c, status, data);
    /* The token is in the response now; no copy of it needs to outlive this call. */
    memset(token, 0, TOKEN_LEN + 1);
    accounts_user_free(u);
}

/* The service behind signup or login; on E_TOO_MANY *retry_after_s says when to come back. */
typedef enum errkind (*session_service)(struct ctx *c, json_object *in, struct user *u,
                                        char token[TOKEN_LEN + 1], long *retry_after_s,
                                        struct err *e);

/* Shared by signup and login: same body rules, same success shape, only the status differs. */
static void session_route(struct ctx *c, int status, session_service service)
{
    json_object *in = rest_body_object(c, false);
    if (!in)
        return;
    struct user u;
    memset(&u, 0, sizeof(u));
    char token[TOKEN_LEN + 1] = {0};
    struct err e = {0};
    long retry_after_s = 0;
    if (service(c, in, &u, token, &retry_after_s, &e) == E_OK) {
        answer_session(c, status, &u, token);
    } else {
        rest_error(c, &e);
        if (e.kind == E_TOO_MANY && retry_after_s > 0) {
            char value[24];
            snprintf(value, sizeof(value), "%ld", retry_after_s);
            response_set_header(c->resp, "Retry-After", value);
        }
    }
    err_clear(&e);
    json_object_put(in);
}

static enum errkind signup_service(struct ctx *c, json_object *in, struct user *u,
                                   char token[TOKEN_LEN + 1], long *retry_after_s, struct err *e)
{
    *retry_after_s = 0;
    return accounts_signup(c->db, in, u, token, e);
}

/* The throttle counts by REMOTE_ADDR: the address of whoever connected to the web server. No
 * forwarded-for header is read, since nothing here says which proxies could be trusted to set
 * it; behind a proxy the address limit applies to the proxy and the account limit still holds. */
static enum errkind login_service(struct ctx *c, json_object *in, struct user *u,
                                  char token[TOKEN_LEN + 1], long *retry_after_s, struct err *e)
{
    return accounts_login(c->db, in, c->req->remote_addr, u, token, retry_after_s, e);
}

void handlers_auth_signup(struct ctx *c)
{
    session_route(c, 201, signup_service);
}

void handlers_auth_login(struct ctx *c)
{
    session_route(c, 200, login_service);
}

void handlers_auth_logout(struct ctx *c)
{
    if (!rest_require_user(c))
        return;
    struct err e = {0};
    if (accounts_logout(c->db, c->token_hash, &e) != E_OK) {
        rest_error(c, &e);
        err_clear(&e);
        return;
    }
    ctx_set_session_cookie(c, NULL);
    rest_ok(c, 200, NULL);
}

void handlers_auth_me(struct ctx *c)
{
    const struct user *u = rest_require_user(c);
    if (!u)
        return;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "user", accounts_user_to_json(u));
    rest_ok(c, 200, data);
}

void handlers_auth_patch_me(struct ctx *c)
{
    if (!rest_require_user(c))
        return;
    json_object *in = rest_body_object(c, false);
    if (!in)
        return;
    struct user fresh;
    memset(&fresh, 0, sizeof(fresh));
    struct err e = {0};
    if (accounts_update(c->db, c->user.id, in, &fresh, &e) == E_OK) {
        json_object *data = json_object_new_object();
        json_object_object_add(data, "user", accounts_user_to_json(&fresh));
        rest_ok(c, 200, data);
        accounts_user_free(&fresh);
    } else {
        rest_error(c, &e);
    }
    err_clear(&e);
    json_object_put(in);
}
