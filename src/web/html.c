/*
 * html.c - the page buffer and the context-specific escaping of every value a page shows
 * (include/khedma/html.h). A page is built whole in memory and handed to the response once, so
 * a half-written page never leaves.
 */
#include "khedma/html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/utf8.h"

/* Allocation failure aborts, as everywhere in a worker (kv_list.c): a page cannot be half sent. */
static void reserve(struct html *h, size_t extra)
{
    if (h->len + extra + 1 <= h->cap)
        return;
    size_t cap = h->cap ? h->cap : 4096;
    while (cap < h->len + extra + 1)
        cap *= 2;
    char *p = realloc(h->data, cap);
    if (!p)
        abort();
    h->data = p;
    h->cap = cap;
}

void html_raw_n(struct html *h, const char *s, size_t n)
{
    reserve(h, n);
    memcpy(h->data + h->len, s, n);
    h->len += n;
    h->data[h->len] = '\0';
}

void html_raw(struct html *h, const char *s)
{
    if (s)
        html_raw_n(h, s, strlen(s));
}

void html_printf(struct html *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    reserve(h, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(h->data + h->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    h->len += (size_t)n;
}

static void escape(struct html *h, const char *s)
{
    if (!s)
        return;
    size_t len = strlen(s);
    reserve(h, len);
    for (size_t i = 0; i < len;) {
        unsigned char ch = (unsigned char)s[i];
        const char *rep = NULL;
        switch (ch) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            break;
        }
        if (rep) {
            html_raw(h, rep);
            i++;
            continue;
        }
        if (ch < 0x80) {
            /* C0 controls other than tab and newlines are not allowed in HTML text. */
            if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
                html_raw(h, "\xEF\xBF\xBD");
            else
                html_raw_n(h, s + i, 1);
            i++;
            continue;
        }
        size_t n = utf8_seq_len(s + i, len - i);
        if (n == 0) {
            html_raw(h, "\xEF\xBF\xBD");
            i++;
        } else {
            html_raw_n(h, s + i, n);
            i += n;
        }
    }
}

void html_text(struct html *h, const char *s)
{
    escape(h, s);
}

void html_attr(struct html *h, const char *s)
{
    escape(h, s);
}

static int has_prefix_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != *prefix)
            return 0;
    }
    return 1;
}

int html_url_ok(const char *url)
{
    if (!url || !*url)
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '\\')
            return 0;
    if (url[0] == '/')
        return url[1] != '/';
    if (has_prefix_ci(url, "https://"))
        return url[8] != '\0' && url[8] != '/';
    if (has_prefix_ci(url, "http://"))
        return url[7] != '\0' && url[7] != '/';
    return 0;
}

int html_url(struct html *h, const char *url)
{
    if (!html_url_ok(url)) {
        html_raw(h, "#");
        return 0;
    }
    escape(h, url);
    return 1;
}

static int unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

static void percent_encode(struct html *h, const char *s, int space_plus)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!s)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p)) {
            html_raw_n(h, (const char *)p, 1);
        } else if (*p == ' ' && space_plus) {
            html_raw(h, "+");
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            html_raw_n(h, e, 3);
        }
    }
}

void html_path_segment(struct html *h, const char *s)
{
    percent_encode(h, s, 0);
}

void html_query_value(struct html *h, const char *s)
{
    percent_encode(h, s, 1);
}

void html_json_script(struct html *h, json_object *o)
{
    const char *s =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '<')
            html_raw(h, "\\u003c");
        else if (*p == '>')
            html_raw(h, "\\u003e");
        else if (*p == '&')
            html_raw(h, "\\u0026");
        else if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
            html_raw(h, p[2] == 0xA8 ? "\\u2028" : "\\u2029");
            p += 2;
        } else
            html_raw_n(h, (const char *)p, 1);
    }
}

char *html_take(struct html *h, size_t *len)
{
    char *d = h->data;
    if (len)
        *len = h->len;
    if (!d) {
        d = calloc(1, 1);
        if (!d)
            abort();
    }
    h->data = NULL;
    h->len = h->cap = 0;
    return d;
}

void html_free(struct html *h)
{
    free(h->data);
    h->data = NULL;
    h->len = h->cap = 0;
}
