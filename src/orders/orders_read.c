/*
 * orders_read.c - the read side of orders (docs/api.md, "Orders API"): a filtered,
 * sorted page of the viewer's orders, and one order for one of its parties. Shared by
 * GET /api/orders[/{id}] and the tRPC procedures order.list and order.byId.
 *
 * A list is two statements whatever the page size: the count, then the page through
 * ORDER_JSON_SELECT. The count of the unfiltered and status-only shapes (and of the admin-wide
 * view by filter.userId, with or without status) is a sum of per-party counters
 * (order_counts.h), whatever the number of orders; any other shape is a COUNT(*) over orders
 * alone (every filter is on an orders column and every join of ORDER_JSON_SELECT follows a
 * foreign key, so the joins cannot change the count). The page query is skipped when
 * the page starts past the last order. Visibility is part of the WHERE clause
 * (order_query_render), so an order the viewer may not see and one that does not exist are the
 * same answer.
 *
 * The page is a deferred join: a derived table picks the page's ids from orders alone (an index
 * range, usually covering), and only those rows are joined. Measured at a million orders
 * (bench/orders_query.sh): with the WHERE and ORDER BY applied to the whole join, InnoDB's
 * sampled statistics (which put ~11,000 distinct values on 200 gig ids) made the optimizer start
 * from gigs and sort every order of the client in an on-disk temporary table (the text columns
 * rule out the memory engine): 38 s, where the deferred join takes under a millisecond. The
 * page's rows are then put in order in C (order_query_sort) instead of by an outer ORDER BY,
 * which would sort the joined rows through that same on-disk temporary table (0.25 ms more).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/jsonx.h"
#include "khedma/order_counts.h"
#include "khedma/order_json.h"
#include "khedma/order_query.h"
#include "khedma/orders_read.h"
#include "khedma/pagination.h"

#define ORDER_NOT_FOUND "Order not found"

static const char COUNT_SELECT[] = "SELECT COUNT(*) ";
/* MariaDB takes no LIMIT in an IN subquery, but does in a derived table inside one. */
static const char PAGE_IDS_OPEN[] = "WHERE o.id IN (SELECT k.id FROM (SELECT o.id ";
static const char PAGE_IDS_CLOSE[] = ") k)";
/* One order for a party: the id picks the row by primary key, the rest checks the viewer. */
static const char PARTY_WHERE[] = "WHERE o.id = ? AND (o.user_id = ? OR o.freelancer_id = ?)";

static bool is_admin(const struct user *u)
{
    return strcmp(u->role, "admin") == 0;
}

/* The parts one after another in a new string, NULL when out of memory. */
static char *join(const char *const *parts, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(parts[i]);
    char *s = malloc(len + 1), *p = s;
    for (size_t i = 0; s && i < n; i++) {
        size_t l = strlen(parts[i]);
        memcpy(p, parts[i], l);
        p += l;
    }
    if (s)
        *p = '\0';
    return s;
}
#define JOIN(...)                                                                                  \
    join((const char *const[]){__VA_ARGS__},                                                       \
         sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* Run one read whose SQL text was built for this call (freed here). */
static enum errkind run(struct db *db, char *sql, const struct db_param *params, size_t n,
                        struct db_result **r, struct err *e)
{
    *r = NULL;
    if (!sql)
        return err_set(e, E_INTERNAL, "Internal error");
    int rc = db_exec(db, sql, params, n, r, NULL);
    free(sql);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

/* totalItems: from the per-party counters when the query is one of their shapes (a few
 * primary-key reads however many orders match), else a COUNT(*) on the query's index. */
static enum errkind count_orders(struct db *db, const struct order_query *q, const char *viewer_id,
                                 bool admin, const struct oq_sql *s, long long *total,
                                 struct err *e)
{
    struct oq_count_plan plan;
    if (order_query_count_plan(q, viewer_id, admin, &plan))
        return order_counts_total(db, &plan, total, e);
    struct db_result *r;
    enum errkind k = run(db, JOIN(COUNT_SELECT, s->from, s->where), s->params, s->nwhere, &r, e);
    if (k == E_OK)
        *total = r->rows == 1 ? db_result_int(r, 0, 0, 0) : 0;
    db_result_free(r);
    return k;
}

static enum errkind page_items(struct db *db, const struct order_query *q, const struct oq_sql *s,
                               json_object *items, struct err *e)
{
    char *sql =
        JOIN(ORDER_JSON_SELECT, PAGE_IDS_OPEN, s->from, s->where, " ", s->tail, PAGE_IDS_CLOSE);
    struct db_result *r;
    enum errkind k = run(db, sql, s->params, s->nparams, &r, e);
    for (size_t i = 0; k == E_OK && i < r->rows; i++)
        json_object_array_add(items, order_json_from_row(r, i));
    db_result_free(r);
    order_query_sort(q, items);
    return k;
}

enum errkind orders_read_list(struct db *db, const struct user *viewer, const struct order_query *q,
                              json_object **out, struct err *e)
{
    bool admin = is_admin(viewer);
    if (q->uses_user_id && !admin)
        return err_set(e, E_FORBIDDEN, "filter.userId is only available to admins");
    struct oq_sql s;
    if (order_query_render(q, viewer->id, admin, &s) != 0)
        return err_set(e, E_INTERNAL, "Internal error");
    long long total = 0, offset = (long long)(q->page - 1) * q->limit;
    json_object *items = json_object_new_array();
    enum errkind k = count_orders(db, q, viewer->id, admin, &s, &total, e);
    if (k == E_OK && total > offset)
        k = page_items(db, q, &s, items, e);
    order_query_sql_free(&s);
    if (k != E_OK) {
        json_object_put(items);
        return k;
    }
    *out = pagination_page(items, total, q->page, q->limit);
    return E_OK;
}

enum errkind orders_read_get(struct db *db, const struct user *viewer, const char *order_id,
                             json_object **out, struct err *e)
{
    if (is_admin(viewer))
        return order_json_load(db, order_id, out, e);
    struct db_result *r;
    enum errkind k = run(db, JOIN(ORDER_JSON_SELECT, PARTY_WHERE),
                         DB_PARAMS(DBP_S(order_id), DBP_S(viewer->id), DBP_S(viewer->id)), &r, e);
    if (k == E_OK && r->rows == 1)
        *out = order_json_from_row(r, 0);
    else if (k == E_OK)
        k = err_set(e, E_NOT_FOUND, ORDER_NOT_FOUND);
    db_result_free(r);
    return k;
}
