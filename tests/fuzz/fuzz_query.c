/*
 * fuzz_query.c - query strings and cookies (http.c): the input is parsed as a query string
 * ("a=1&b=%20"), percent-decoded both ways (path and query rules), and read as a Cookie header;
 * its first line is also taken as a FastCGI param name (HTTP_* to a header name) and a request
 * id. The parsed query is also read as the public gig search's parameters (gig_search.c). Checks
 * what callers rely on: decoded text holds no NUL and is never longer than the input; an accepted
 * search has its page and limit in range.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/gig_search.h"
#include "khedma/http.h"
#include "khedma/percent.h"
#include "fuzz.h"

static void check_list(const struct kv_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        FZ_CHECK(l->items[i].key && l->items[i].value);
}

static void search(const struct kv_list *q)
{
    const struct gig_search_query in = {
        .q = kv_list_get(q, "q"),
        .category = kv_list_get(q, "category"),
        .min_price = kv_list_get(q, "minPrice"),
        .max_price = kv_list_get(q, "maxPrice"),
        .page = kv_list_get(q, "page"),
        .limit = kv_list_get(q, "limit"),
    };
    struct gig_search s;
    struct err e = {0};
    if (gig_search_parse(&in, &s, &e)) {
        FZ_CHECK(s.page >= 1 && s.page <= GIG_SEARCH_PAGE_MAX);
        FZ_CHECK(s.limit >= 1 && s.limit <= GIG_SEARCH_LIMIT_MAX);
    } else {
        FZ_CHECK(e.kind == E_BAD_REQUEST && e.fields && e.message[0]);
    }
    err_clear(&e);
}

static void decode(const char *s, size_t len, bool plus_as_space)
{
    size_t out_len = 0;
    char *out = percent_decode(s, len, plus_as_space, &out_len);
    if (out) {
        FZ_CHECK(out_len <= len);
        FZ_CHECK(strlen(out) == out_len); /* no NUL inside */
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_dup(data, size);
    size_t len = strlen(s);

    struct kv_list query = {0};
    if (http_parse_query(s, &query) == 0) {
        check_list(&query);
        search(&query);
    }
    (void)kv_list_get(&query, "input");
    kv_list_free(&query);

    decode(s, len, true);
    decode(s, len, false);

    struct kv_list cookies = {0};
    http_parse_cookies(s, &cookies);
    check_list(&cookies);
    kv_list_free(&cookies);

    const uint8_t *rest;
    size_t rest_len;
    char *head = fz_head(data, size, &rest, &rest_len);
    char name[128];
    if (http_header_name_from_param(head, name, sizeof name))
        FZ_CHECK(strlen(name) < sizeof name);
    if (http_request_id_valid(head))
        FZ_CHECK(strlen(head) >= 1 && strlen(head) <= REQUEST_ID_MAX);
    free(head);
    free(s);
    return 0;
}
