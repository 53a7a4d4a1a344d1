/*
 * router.h - maps (method, path) to a handler. Patterns are literal segments and {name}
 * parameters, e.g. "/api/orders/{id}/events". A path that matches a pattern under another method
 * is a 405 (with the allowed methods), one that matches nothing is a 404.
 */
#ifndef KHEDMA_ROUTER_H
#define KHEDMA_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include "khedma/http.h"

struct ctx;
typedef void (*handler_fn)(struct ctx *c);

struct route {
    const char *method; /* "GET", "POST", ... or "*" for any */
    const char *pattern;
    handler_fn handler;
    enum cache_scope cache; /* CACHE_PUBLIC: an anonymous GET answer may be cached (http.h) */
};

#define ROUTE_MAX_PARAMS 4
#define ROUTE_PARAM_MAX 256

struct route_match {
    const struct route *route;
    size_t nparams;
    struct {
        const char *name; /* points into the pattern; length in name_len */
        size_t name_len;
        char value[ROUTE_PARAM_MAX]; /* one path segment */
        /* A "{name*}" capture points into the matched path instead: it may be as long as the
         * path itself (a tRPC batch of a hundred procedures), so it cannot have a fixed size. */
        const char *rest;
    } params[ROUTE_MAX_PARAMS];
    char allowed[64]; /* on 405: "GET, POST" */
};

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED };

/* A pattern ending in "/{name*}" captures the rest of the path (used for /api/trpc/{path*}); the
 * capture points into path, which must outlive m. Only canonical paths match (see below). */
enum route_result router_match(const struct route *routes, size_t n, const char *method,
                               const char *path, struct route_match *m);
/* Value of a parameter by name, NULL when absent. */
const char *router_param(const struct route_match *m, const char *name);
/* True for a canonical (already percent-decoded) path: starts with '/', no empty segment (so no
 * trailing slash and no "//", "/" itself excepted) and no "." or ".." segment. nginx applies its
 * locations (and their rate limits) to the normalised path, so any other spelling of a route
 * could reach a handler past a limit meant for it; such paths are answered 404. */
bool router_path_canonical(const char *path);

#endif
