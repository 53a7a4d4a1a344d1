/*
 * fuzz_order_query.c - the orders filter language (order_query.c): the first input byte picks
 * the form and the viewer. Even: the rest is a GET /api/orders query string
 * ("filter.amount=$btw:10,20&sortBy=amount:ASC"), percent-decoded and parsed; odd: it is the
 * tRPC order.list input as JSON. An accepted query is rendered into SQL, as a user or an admin.
 * Checks that the SQL's only variable parts are placeholders: the rendered text never contains
 * a quote, a semicolon or a comment, and the parameter count matches the '?' count.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/jsonx.h"
#include "khedma/http.h"
#include "khedma/order_query.h"
#include "fuzz.h"

static size_t count_char(const char *s, char ch)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += *s == ch;
    return n;
}

static void check_sql(const char *s)
{
    FZ_CHECK(s != NULL);
    FZ_CHECK(strpbrk(s, "'\";\\") == NULL);
    FZ_CHECK(strstr(s, "--") == NULL && strstr(s, "/*") == NULL && strstr(s, "#") == NULL);
}

static void render(const struct order_query *q, bool admin)
{
    struct oq_sql sql;
    if (order_query_render(q, "viewer-id", admin, &sql) != 0)
        return;
    check_sql(sql.from);
    check_sql(sql.where);
    check_sql(sql.tail);
    FZ_CHECK(sql.nwhere <= sql.nparams);
    FZ_CHECK(count_char(sql.where, '?') + count_char(sql.from, '?') == sql.nwhere);
    FZ_CHECK(count_char(sql.tail, '?') == sql.nparams - sql.nwhere);
    order_query_sql_free(&sql);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    struct order_query q;
    struct err e = {0};
    enum errkind k;
    if (flags & 1) {
        json_object *in = NULL;
        if (!jsonx_parse_value((const char *)data + 1, size - 1, &in))
            return 0;
        k = order_query_from_json(in, &q, &e);
        json_object_put(in);
    } else {
        char *qs = fz_dup(data + 1, size - 1);
        struct kv_list query = {0};
        bool decoded = http_parse_query(qs, &query) == 0;
        if (decoded)
            k = order_query_parse(&query, &q, &e);
        kv_list_free(&query);
        free(qs);
        if (!decoded)
            return 0; /* a bad escape: the transport answers 400 before the parser runs */
    }
    if (k == E_OK) {
        FZ_CHECK(q.nconds <= OQ_MAX_FILTERS);
        FZ_CHECK(q.page >= 1 && q.page <= OQ_PAGE_MAX);
        FZ_CHECK(q.limit >= 1 && q.limit <= OQ_LIMIT_MAX);
        render(&q, (flags & 2) != 0);
        order_query_free(&q);
    } else {
        FZ_CHECK(e.message[0] != '\0' || k != E_BAD_REQUEST);
    }
    err_clear(&e);
    return 0;
}
