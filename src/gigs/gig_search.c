/*
 * gig_search.c - reads and checks the public gig search's parameters (include/khedma/gig_search.h)
 * for the REST search and the web search pages alike, so both refuse the same values with the
 * same messages. Only the request's own syntax is checked here (numbers, ranges, lengths, UTF-8);
 * what matches is gigs_read_search's business.
 */
#include "khedma/gig_search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/utf8.h"

#define SEARCH_TEXT_MAX 100 /* characters of q: titles hold at most 80 */
#define SEARCH_SLUG_MAX 100 /* characters of category: the column's width */
/* Whole dirhams of a price bound: package prices stop at ten million (8 digits). */
#define PRICE_INT_DIGITS_MAX 9
#define DIGITS "0123456789"

/* A 400 entry for one parameter; the first one also becomes the envelope's message. */
static void bad_param(struct err *e, const char *name, const char *message)
{
    if (e->message[0] == '\0')
        snprintf(e->message, sizeof e->message, "%s", message);
    err_field(e, name, message);
}

static const char *present(const char *v)
{
    return v && *v ? v : NULL;
}

/* page / limit: plain decimal digits within [min, max]; dflt when absent. */
static int int_param(const char *raw, const char *name, int dflt, int min, int max,
                     const char *message, struct err *e)
{
    const char *s = present(raw);
    if (!s)
        return dflt;
    size_t digits = strspn(s, DIGITS);
    if (digits == 0 || s[digits] != '\0' || digits > 9) {
        bad_param(e, name, message);
        return dflt;
    }
    long v = strtol(s, NULL, 10);
    if (v < min || v > max) {
        bad_param(e, name, message);
        return dflt;
    }
    return (int)v;
}

/* minPrice / maxPrice: a non-negative amount in MAD with at most two decimals ("150", "99.5"). */
static const char *price_param(const char *raw, const char *name, const char *message,
                               struct err *e)
{
    const char *s = present(raw);
    if (!s)
        return NULL;
    size_t whole = strspn(s, DIGITS);
    const char *rest = s + whole;
    bool frac_ok = true;
    if (*rest == '.') {
        size_t frac = strspn(rest + 1, DIGITS);
        frac_ok = frac >= 1 && frac <= 2;
        rest += 1 + frac;
    }
    if (whole == 0 || whole > PRICE_INT_DIGITS_MAX || !frac_ok || *rest != '\0') {
        bad_param(e, name, message);
        return NULL;
    }
    return s;
}

/* q and category: valid UTF-8 of bounded size (anything else cannot match and is a client bug). */
static const char *text_param(const char *raw, const char *name, size_t max_chars,
                              const char *message, struct err *e)
{
    const char *s = present(raw);
    if (!s)
        return NULL;
    size_t len = strlen(s);
    if (!utf8_valid(s, len) || utf8_length(s, len) > max_chars) {
        bad_param(e, name, message);
        return NULL;
    }
    return s;
}

bool gig_search_parse(const struct gig_search_query *in, struct gig_search *s, struct err *e)
{
    memset(s, 0, sizeof *s);
    s->q = text_param(in->q, "q", SEARCH_TEXT_MAX, "q must be at most 100 characters of text", e);
    s->category = text_param(in->category, "category", SEARCH_SLUG_MAX,
                             "category must be a category slug or id of at most 100 characters", e);
    s->min_price =
        price_param(in->min_price, "minPrice",
                    "minPrice must be a non-negative number with at most two decimals", e);
    s->max_price =
        price_param(in->max_price, "maxPrice",
                    "maxPrice must be a non-negative number with at most two decimals", e);
    s->page = int_param(in->page, "page", 1, 1, GIG_SEARCH_PAGE_MAX,
                        "page must be an integer from 1 to 1000000", e);
    s->limit = int_param(in->limit, "limit", GIG_SEARCH_LIMIT_DEFAULT, 1, GIG_SEARCH_LIMIT_MAX,
                         "limit must be an integer from 1 to 100", e);
    return e->kind == E_OK;
}
