/*
 * ctx.h - what a handler sees for one request: the parsed request, the response being built, the
 * worker's database connection, the route's path parameters and the signed-in user (if any).
 * Everything here lives for one request only.
 */
#ifndef KHEDMA_CTX_H
#define KHEDMA_CTX_H

#include <stdbool.h>
#include "khedma/accounts.h"
#include "khedma/crypto.h"
#include "khedma/db.h"
#include "khedma/errors.h"
#include "khedma/http.h"
#include "khedma/router.h"

struct ctx {
    struct request *req;
    struct response *resp;
    struct db *db;
    struct route_match match;
    struct user user; /* valid when signed_in */
    bool signed_in;
    bool auth_checked; /* ctx_user() ran already */
    bool by_cookie;    /* the session came from the cookie, not a bearer token */
    char token_hash[SHA256_HEX_LEN + 1];
};

/* Look up the session from "Authorization: Bearer" or the khedma_session cookie (once per request).
 * Returns the user or NULL when not signed in; on a database failure sets *dberr (503). */
const struct user *ctx_user(struct ctx *c, enum errkind *dberr);
/* True when a state-changing request authenticated by the cookie alone passes the CSRF rule
 * (docs/api.md, "Conventions"): Content-Type application/json, or an allowed Origin. Always true
 * for bearer tokens and safe methods. */
bool ctx_csrf_ok(const struct ctx *c);
/* The one gate of every protected route and procedure: the signed-in user, or NULL with e set to
 * the database's error ("Database unavailable", 503), E_UNAUTHORIZED with anonymous_message (each
 * transport words it its own way), or E_FORBIDDEN "Cross-site request refused" when ctx_csrf_ok
 * fails. */
const struct user *ctx_require_user(struct ctx *c, const char *anonymous_message, struct err *e);

/* True when origin is KHEDMA_PUBLIC_URL's or one of KHEDMA_ALLOWED_ORIGINS (the CSRF rule). */
bool ctx_origin_allowed(const char *origin);
/* Set (token) or clear (NULL) the khedma_session cookie on the response: the one place the
 * cookie's attributes are decided, for the REST routes and the web pages alike. */
void ctx_set_session_cookie(struct ctx *c, const char *token);

#endif
