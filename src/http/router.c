/*
 * router.c - maps (method, path) to a handler from a static route table.
 *
 * Patterns are made of '/'-separated segments: literals, which must equal the path segment
 * byte for byte, "{name}", which captures one non-empty segment, and a final "{name*}", which
 * captures the rest of the path including any '/'. Routes are tried in table order and the first
 * whose pattern and method both match wins. When the path matches only under other methods the
 * answer is 405 with those methods listed (for the Allow header); otherwise 404.
 *
 * Only canonical paths route: "/api/auth/login/" is not "/api/auth/login" (nginx's exact
 * locations, which carry the rate limits, would not match it either). A pattern's own trailing
 * slash is ignored. HEAD is served by GET routes (nginx drops the body), and a method of "*"
 * accepts anything. The path given here is already percent-decoded by http.c, so the router never
 * decodes anything itself.
 */
#include "khedma/router.h"

#include <stdbool.h>
#include <string.h>

/* Walks the segments of a path or pattern: "/a/b" has "a" and "b", "/" has none. */
struct segments {
    const char *next, *end;
    bool done;
};

static void segments_init(struct segments *s, const char *str, size_t len)
{
    s->next = str + 1;
    s->end = str + len;
    s->done = len <= 1;
}

static bool segments_next(struct segments *s, const char **seg, size_t *seglen)
{
    if (s->done)
        return false;
    const char *slash = memchr(s->next, '/', (size_t)(s->end - s->next));
    *seg = s->next;
    *seglen = (size_t)((slash ? slash : s->end) - s->next);
    if (slash)
        s->next = slash + 1;
    else
        s->done = true;
    return true;
}

/* Pattern length without one trailing slash; the root "/" keeps its slash. */
static size_t trimmed_len(const char *s)
{
    size_t len = strlen(s);
    if (len > 1 && s[len - 1] == '/')
        len--;
    return len;
}

/* Store one captured parameter; false when there is no room for it, which fails the match. */
static bool add_param(struct route_match *m, const char *name, size_t name_len, const char *value,
                      size_t value_len)
{
    if (m->nparams >= ROUTE_MAX_PARAMS || value_len >= ROUTE_PARAM_MAX)
        return false;
    m->params[m->nparams].name = name;
    m->params[m->nparams].name_len = name_len;
    memcpy(m->params[m->nparams].value, value, value_len);
    m->params[m->nparams].value[value_len] = '\0';
    m->params[m->nparams].rest = NULL;
    m->nparams++;
    return true;
}

/* Store a rest-of-path capture: it runs to the end of the path, so it is NUL-terminated there
 * and is kept as a pointer, whatever its length. */
static bool add_rest_param(struct route_match *m, const char *name, size_t name_len,
                           const char *value)
{
    if (m->nparams >= ROUTE_MAX_PARAMS)
        return false;
    m->params[m->nparams].name = name;
    m->params[m->nparams].name_len = name_len;
    m->params[m->nparams].value[0] = '\0';
    m->params[m->nparams].rest = value;
    m->nparams++;
    return true;
}

/* "{name}" or "{name*}": sets the name span and whether it is the rest-of-path kind. */
static bool parse_param_segment(const char *seg, size_t len, size_t *name_len, bool *rest)
{
    if (len < 3 || seg[0] != '{' || seg[len - 1] != '}')
        return false;
    *rest = seg[len - 2] == '*';
    *name_len = len - 2 - (*rest ? 1 : 0);
    return *name_len > 0;
}

/* Match path against pattern only (not the method), capturing parameters into m. */
static bool pattern_matches(const char *pattern, const char *path, size_t path_len,
                            struct route_match *m)
{
    struct segments ps, ss;
    const char *pseg, *sseg;
    size_t plen, slen, name_len;
    bool rest;
    segments_init(&ps, pattern, trimmed_len(pattern));
    segments_init(&ss, path, path_len);
    m->nparams = 0;
    while (segments_next(&ps, &pseg, &plen)) {
        bool is_param = parse_param_segment(pseg, plen, &name_len, &rest);
        if (is_param && rest) {
            /* Only valid as the last segment; what is left of the path may be empty. */
            if (!ps.done)
                return false;
            return add_rest_param(m, pseg + 1, name_len, ss.done ? "" : ss.next);
        }
        if (!segments_next(&ss, &sseg, &slen))
            return false;
        if (is_param) {
            if (slen == 0 || !add_param(m, pseg + 1, name_len, sseg, slen))
                return false;
        } else if (plen != slen || memcmp(pseg, sseg, plen) != 0) {
            return false;
        }
    }
    return ss.done;
}

static bool method_matches(const char *route_method, const char *method)
{
    if (strcmp(route_method, "*") == 0 || strcmp(route_method, method) == 0)
        return true;
    /* A HEAD is a GET without the body; nginx strips the body from what we send. */
    return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

/* Add method to the ", "-separated allow list unless it is there already or would not fit. */
static void allow_method(char *allowed, size_t size, const char *method)
{
    size_t mlen = strlen(method);
    for (const char *p = allowed; *p;) {
        size_t n = strcspn(p, ",");
        if (n == mlen && memcmp(p, method, mlen) == 0)
            return;
        p += n;
        while (*p == ',' || *p == ' ')
            p++;
    }
    size_t used = strlen(allowed);
    size_t sep = used ? 2 : 0;
    if (used + sep + mlen + 1 > size)
        return;
    if (sep)
        memcpy(allowed + used, ", ", 2);
    memcpy(allowed + used + sep, method, mlen + 1);
}

enum route_result router_match(const struct route *routes, size_t n, const char *method,
                               const char *path, struct route_match *m)
{
    struct route_match candidate;
    memset(m, 0, sizeof *m);
    if (!path || path[0] != '/')
        return ROUTE_NOT_FOUND;
    if (!method)
        method = "";
    if (!router_path_canonical(path))
        return ROUTE_NOT_FOUND;
    size_t path_len = strlen(path);
    for (size_t i = 0; i < n; i++) {
        memset(&candidate, 0, sizeof candidate);
        if (!pattern_matches(routes[i].pattern, path, path_len, &candidate))
            continue;
        if (method_matches(routes[i].method, method)) {
            *m = candidate;
            m->route = &routes[i];
            return ROUTE_FOUND;
        }
        allow_method(m->allowed, sizeof m->allowed, routes[i].method);
    }
    return m->allowed[0] ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}

const char *router_param(const struct route_match *m, const char *name)
{
    if (!m || !name)
        return NULL;
    size_t len = strlen(name);
    for (size_t i = 0; i < m->nparams; i++)
        if (m->params[i].name_len == len && memcmp(m->params[i].name, name, len) == 0)
            return m->params[i].rest ? m->params[i].rest : m->params[i].value;
    return NULL;
}

bool router_path_canonical(const char *path)
{
    if (!path || path[0] != '/')
        return false;
    if (path[1] == '\0')
        return true;
    struct segments s;
    const char *seg;
    size_t len;
    segments_init(&s, path, strlen(path));
    while (segments_next(&s, &seg, &len)) {
        bool dots = (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.');
        if (len == 0 || dots)
            return false;
    }
    return true;
}
