/*
 * html.h - a growable text buffer for HTML pages and the escaping every value written into a page
 * goes through. Each writer escapes for one context: element text, a double-quoted attribute
 * value, an attribute that holds a URL, JSON inside a <script type="application/ld+json">. Only
 * html_raw and html_printf write bytes as given, and they are for the page's own markup.
 */
#ifndef KHEDMA_HTML_H
#define KHEDMA_HTML_H

#include <stdarg.h>
#include <stddef.h>
#include <json-c/json.h>

struct html {
    char *data; /* NUL-terminated, NULL until the first write */
    size_t len, cap;
};

/* The page's own markup, written as is (never user data). */
void html_raw(struct html *h, const char *s);
void html_raw_n(struct html *h, const char *s, size_t n);
/* printf into the buffer: for trusted formats whose arguments are numbers or trusted literals. */
void html_printf(struct html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text inside an element: & < > " ' escaped; NULL writes nothing. Invalid UTF-8 bytes become
 * U+FFFD so a browser cannot be led into another encoding's reading of them. */
void html_text(struct html *h, const char *s);
/* A value inside a double-quoted attribute: the same escapes as html_text. */
void html_attr(struct html *h, const char *s);
/* A URL inside a double-quoted attribute (href, src, action): a path on this site ("/..." but
 * not "//...") or an absolute http(s) URL is written escaped; anything else (javascript:,
 * data:, protocol-relative, control characters) is written as "#". Returns 1 when the URL was
 * accepted, 0 when it was replaced. */
int html_url(struct html *h, const char *url);
/* True when html_url would accept url. */
int html_url_ok(const char *url);
/* A path segment inside a URL attribute: percent-encodes everything but unreserved characters
 * (a username, a slug, an id typed into a path). */
void html_path_segment(struct html *h, const char *s);
/* A query value inside a URL attribute: percent-encoded, then attribute-escaped. */
void html_query_value(struct html *h, const char *s);
/* JSON for a <script type="application/ld+json"> block: serialised compactly, then < > & and
 * U+2028/U+2029 written as \u escapes so the text can never close the script element. */
void html_json_script(struct html *h, json_object *o);
/* Hand the text over (caller frees) and leave h empty. */
char *html_take(struct html *h, size_t *len);
void html_free(struct html *h);

#endif
