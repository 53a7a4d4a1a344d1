/*
 * multipart.c - multipart/form-data bodies (include/khedma/multipart.h): the boundary from the
 * Content-Type, then the parts, each with its Content-Disposition and Content-Type headers and
 * its content left in place in the body.
 */
#include "khedma/multipart.h"

#include <string.h>
#include <strings.h>

/* RFC 2046 bchars, without the space (no browser puts one in, and a trailing one is illegal). */
static bool boundary_char(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           strchr("'()+_,-./:=?", ch) != NULL;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* A parameter value at s (a quoted string with backslash escapes, or a token up to ';') into
 * out. Returns the position after it, or NULL when it is malformed or longer than outlen - 1. */
static const char *param_value(const char *s, const char *end, char *out, size_t outlen)
{
    size_t n = 0;
    if (s < end && *s == '"') {
        s++;
        while (s < end && *s != '"') {
            if (*s == '\\' && s + 1 < end)
                s++;
            if (n + 1 >= outlen)
                return NULL;
            out[n++] = *s++;
        }
        if (s >= end)
            return NULL;
        s++;
    } else {
        while (s < end && *s != ';' && *s != ' ' && *s != '\t') {
            if (n + 1 >= outlen)
                return NULL;
            out[n++] = *s++;
        }
    }
    out[n] = '\0';
    return s;
}

bool multipart_boundary(const char *content_type, char out[MULTIPART_BOUNDARY_MAX + 1])
{
    static const char type[] = "multipart/form-data";
    if (!content_type || strncasecmp(content_type, type, sizeof type - 1) != 0)
        return false;
    const char *s = content_type + sizeof type - 1;
    const char *end = s + strlen(s);
    while (s < end) {
        s = skip_ws(s);
        if (*s != ';')
            return false;
        s = skip_ws(s + 1);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (!eq)
            return false;
        bool is_boundary = (size_t)(eq - s) == 8 && strncasecmp(s, "boundary", 8) == 0;
        char value[MULTIPART_BOUNDARY_MAX + 2];
        const char *next = param_value(eq + 1, end, value, sizeof value);
        if (!next)
            return false;
        if (is_boundary) {
            size_t n = strlen(value);
            if (n == 0 || n > MULTIPART_BOUNDARY_MAX)
                return false;
            for (size_t i = 0; i < n; i++)
                if (!boundary_char((unsigned char)value[i]))
                    return false;
            memcpy(out, value, n + 1);
            return true;
        }
        s = next;
    }
    return false;
}

/* The parameter key of a Content-Disposition header line into out; false when absent,
 * malformed or too long. */
static bool disposition_param(const char *line, const char *end, const char *key, char *out,
                              size_t outlen, bool *malformed)
{
    size_t klen = strlen(key);
    const char *s = line;
    while (s < end) {
        const char *semi = memchr(s, ';', (size_t)(end - s));
        if (!semi)
            return false;
        s = semi + 1;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (!eq)
            return false;
        bool wanted = (size_t)(eq - s) == klen && strncasecmp(s, key, klen) == 0;
        /* The value is read even when it is not the one wanted: a quoted one may hold a ';'. */
        char skip[MULTIPART_NAME_MAX * 4];
        const char *next = wanted ? param_value(eq + 1, end, out, outlen)
                                  : param_value(eq + 1, end, skip, sizeof skip);
        if (!next) {
            *malformed = true;
            return false;
        }
        if (wanted)
            return true;
        s = next;
    }
    return false;
}

static bool header_is(const char *line, const char *end, const char *name, const char **value)
{
    size_t n = strlen(name);
    if ((size_t)(end - line) <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return false;
    *value = line + n + 1;
    while (*value < end && (**value == ' ' || **value == '\t'))
        (*value)++;
    return true;
}

/* The header block of one part: lines ending with CRLF up to an empty line. Fills name,
 * filename, content_type. Returns false when malformed. */
static bool part_headers(const char *s, const char *end, struct multipart_part *p)
{
    bool have_disposition = false;
    while (s < end) {
        const char *eol = memchr(s, '\r', (size_t)(end - s));
        if (!eol || eol + 1 >= end || eol[1] != '\n' || memchr(s, '\n', (size_t)(eol - s)))
            return false; /* a bare LF inside a header line */
        const char *value;
        if (header_is(s, eol, "content-disposition", &value)) {
            bool bad = false;
            if ((size_t)(eol - value) < 9 || strncasecmp(value, "form-data", 9) != 0 ||
                have_disposition)
                return false;
            if (!disposition_param(value, eol, "name", p->name, sizeof p->name, &bad) || bad ||
                !p->name[0])
                return false;
            p->is_file =
                disposition_param(value, eol, "filename", p->filename, sizeof p->filename, &bad);
            if (bad)
                return false;
            have_disposition = true;
        } else if (header_is(s, eol, "content-type", &value)) {
            size_t n = (size_t)(eol - value);
            if (n >= sizeof p->content_type)
                return false;
            memcpy(p->content_type, value, n);
            p->content_type[n] = '\0';
        }
        s = eol + 2;
    }
    return have_disposition;
}

/* The next delimiter: "\r\n--boundary" followed by "--" or CRLF. Text that merely starts like
 * one ("--boundaryX") is content. */
static const char *find_delimiter(const char *s, const char *end, const char *delim, size_t dlen)
{
    while (s < end) {
        const char *d = memmem(s, (size_t)(end - s), delim, dlen);
        if (!d)
            return NULL;
        const char *after = d + dlen;
        if (end - after < 2 || (after[0] == '-' && after[1] == '-') ||
            (after[0] == '\r' && after[1] == '\n'))
            return d; /* at the very end: the caller reports the truncation */
        s = d + 1;
    }
    return NULL;
}

enum multipart_result multipart_parse(const char *body, size_t len, const char *boundary,
                                      size_t max_part, struct multipart *m)
{
    memset(m, 0, sizeof *m);
    size_t blen = strlen(boundary);
    if (!body || blen == 0 || blen > MULTIPART_BOUNDARY_MAX)
        return MULTIPART_MALFORMED;
    /* delim is "\r\n--" boundary; the first one may come without the CRLF at the very start. */
    char delim[MULTIPART_BOUNDARY_MAX + 5] = "\r\n--";
    memcpy(delim + 4, boundary, blen);
    size_t dlen = blen + 4;
    const char *end = body + len;
    const char *s;
    if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
        s = body + dlen - 2;
    } else {
        const char *first = memmem(body, len, delim, dlen); /* after a preamble */
        if (!first)
            return MULTIPART_MALFORMED;
        s = first + dlen;
    }
    for (;;) {
        /* After a delimiter: "--" closes the body, CRLF opens a part. */
        if (end - s >= 2 && s[0] == '-' && s[1] == '-')
            return m->n > 0 ? MULTIPART_OK : MULTIPART_MALFORMED;
        if (end - s < 2 || s[0] != '\r' || s[1] != '\n')
            return MULTIPART_MALFORMED;
        s += 2;
        if (m->n == MULTIPART_MAX_PARTS)
            return MULTIPART_TOO_MANY;
        struct multipart_part *p = &m->parts[m->n];
        const char *hend = memmem(s, (size_t)(end - s), "\r\n\r\n", 4);
        if (!hend || !part_headers(s, hend + 2, p))
            return MULTIPART_MALFORMED;
        const char *data = hend + 4;
        const char *next = find_delimiter(data, end, delim, dlen);
        if (!next) {
            /* Truncated: a part whose content already exceeds the limit is reported as that. */
            if ((size_t)(end - data) > max_part) {
                m->n++;
                return MULTIPART_TOO_LARGE;
            }
            return MULTIPART_MALFORMED;
        }
        m->n++;
        if ((size_t)(next - data) > max_part)
            return MULTIPART_TOO_LARGE;
        p->data = data;
        p->len = (size_t)(next - data);
        s = next + dlen;
    }
}

const struct multipart_part *multipart_get(const struct multipart *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->parts[i].name, name) == 0)
            return &m->parts[i];
    return NULL;
}
