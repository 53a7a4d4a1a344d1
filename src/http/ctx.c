/*
 * ctx.c - who is making this request: the session behind a bearer token or the khedma_session
 * cookie, looked up once per request, and the CSRF rule (docs/api.md, "Conventions") for requests
 * that a browser could have been tricked into sending with that cookie.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "khedma/config.h"
#include "khedma/ctx.h"

#define SESSION_COOKIE "khedma_session"

/* A token as crypto_token_new() writes it: TOKEN_LEN characters of base64url. Anything else is not
 * worth a database round trip (and is refused before it can reach one). */
static bool token_shape_ok(const char *t, size_t len)
{
    if (len != TOKEN_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = t[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        if (!ok)
            return false;
    }
    return true;
}

/* The token and where it came from. An Authorization header with the Bearer scheme (any case,
 * per RFC 9110) wins; another scheme is ignored and the cookie is used instead. Returns NULL
 * and *len 0 when the request carries neither. */
static const char *find_token(const struct request *req, size_t *len, bool *by_cookie)
{
    const char *auth = request_header(req, "authorization");
    *by_cookie = false;
    if (auth) {
        while (*auth == ' ' || *auth == '\t')
            auth++;
        if (strncasecmp(auth, "Bearer", 6) == 0 && (auth[6] == ' ' || auth[6] == '\t')) {
            const char *t = auth + 6;
            while (*t == ' ' || *t == '\t')
                t++;
            size_t n = strcspn(t, " \t");
            *len = n;
            return t;
        }
    }
    const char *cookie = request_cookie(req, SESSION_COOKIE);
    if (cookie) {
        *by_cookie = true;
        *len = strlen(cookie);
        return cookie;
    }
    *len = 0;
    return NULL;
}

const struct user *ctx_user(struct ctx *c, enum errkind *dberr)
{
    if (dberr)
        *dberr = E_OK;
    if (c->auth_checked)
        return c->signed_in ? &c->user : NULL;
    size_t len = 0;
    bool by_cookie = false;
    const char *token = find_token(c->req, &len, &by_cookie);
    if (!token || !token_shape_ok(token, len)) {
        c->auth_checked = true;
        return NULL;
    }
    char copy[TOKEN_LEN + 1];
    memcpy(copy, token, len);
    copy[len] = '\0';
    crypto_token_hash(copy, c->token_hash);
    struct err e = {0};
    enum errkind kind = accounts_session_user(c->db, c->token_hash, &c->user, &e);
    err_clear(&e);
    if (kind == E_OK) {
        c->signed_in = true;
        c->by_cookie = by_cookie;
    } else if (kind != E_UNAUTHORIZED) {
        /* Not a verdict on the token: leave auth_checked unset so a later call may retry. */
        if (dberr)
            *dberr = kind;
        return NULL;
    }
    c->auth_checked = true;
    return c->signed_in ? &c->user : NULL;
}

/* Scheme, host and port of a configured URL, i.e. what a browser sends as Origin for pages
 * served from it: "https://Shop.example.ma/app/" -> "https://Shop.example.ma". */
static size_t origin_len(const char *url, size_t len)
{
    const char *sep = strstr(url, "://");
    if (!sep || (size_t)(sep - url) >= len)
        return len;
    const char *host = sep + 3;
    size_t n = (size_t)(host - url);
    while (n < len && url[n] != '/' && url[n] != '?' && url[n] != '#')
        n++;
    return n;
}

/* Origins compare case-insensitively: scheme and host are both case-insensitive, and a port
 * has no case. */
static bool origin_matches(const char *origin, const char *url, size_t url_len)
{
    size_t n = origin_len(url, url_len);
    while (n > 0 && (url[n - 1] == ' ' || url[n - 1] == '\t'))
        n--;
    while (n > 0 && (*url == ' ' || *url == '\t')) {
        url++;
        n--;
    }
    return n > 0 && strlen(origin) == n && strncasecmp(origin, url, n) == 0;
}

bool ctx_origin_allowed(const char *origin)
{
    if (!g_config || !origin || strcmp(origin, "null") == 0)
        return false;
    if (g_config->public_url &&
        origin_matches(origin, g_config->public_url, strlen(g_config->public_url)))
        return true;
    for (const char *p = g_config->allowed_origins; p && *p;) {
        size_t n = strcspn(p, ",");
        if (origin_matches(origin, p, n))
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

bool ctx_csrf_ok(const struct ctx *c)
{
    const char *m = c->req->method ? c->req->method : "";
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0)
        return true;
    /* A bearer token is never attached by a browser on its own, so only cookie sessions need
     * proof that the page sending the request is ours. A cross-site form cannot send
     * application/json without a CORS preflight, and a cross-site script cannot forge Origin. */
    if (!c->signed_in || !c->by_cookie)
        return true;
    if (request_is_json(c->req))
        return true;
    return ctx_origin_allowed(request_header(c->req, "origin"));
}

const struct user *ctx_require_user(struct ctx *c, const char *anonymous_message, struct err *e)
{
    enum errkind dberr = E_OK;
    const struct user *u = ctx_user(c, &dberr);
    if (dberr != E_OK)
        err_set(e, dberr, "Database unavailable");
    else if (!u)
        err_set(e, E_UNAUTHORIZED, "%s", anonymous_message);
    else if (!ctx_csrf_ok(c))
        err_set(e, E_FORBIDDEN, "Cross-site request refused");
    else
        return u;
    return NULL;
}

#define SESSION_MAX_AGE (SESSION_TTL_DAYS * 24 * 60 * 60)

/* HttpOnly keeps the token away from page scripts; SameSite=Lax keeps it off cross-site POSTs
 * in current browsers (the CSRF check in ctx.c covers the others); Secure when served over
 * https. A token of NULL writes the expired cookie that makes the browser drop it. */
void ctx_set_session_cookie(struct ctx *c, const char *token)
{
    char cookie[160];
    bool secure = g_config && g_config->secure_cookies;
    snprintf(cookie, sizeof(cookie),
             "khedma_session=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d%s", token ? token : "",
             token ? SESSION_MAX_AGE : 0, secure ? "; Secure" : "");
    response_header(c->resp, "Set-Cookie", cookie);
}
