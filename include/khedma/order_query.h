/*
 * order_query.h - the query language of GET /api/orders (docs/api.md, "Orders API") and of
 * the tRPC order.list input, parsed into a typed description and rendered into SQL whose only
 * variable parts are whitelisted column names and '?' placeholders. No database here: the
 * parser and the renderer are pure so that every rule can be unit tested.
 *
 * Query string grammar (repeated keys allowed; each filter adds one AND-ed condition):
 *   filter.<field>=<op>:<value>   fields id, status, amount, idempotencyKey, paymentReference,
 *                                 gigId, createdAt, userId (admins only; reported in uses_user_id)
 *   <op>   $eq (default when the value does not start with '$'), $in:a,b,c, $gt, $gte, $lt,
 *          $lte, $btw:a,b, $null (no value), $not:value, $not:$eq:value, $not:$in:a,b,
 *          $not:$null. Ordering operators ($gt ... $btw) apply to amount and createdAt only.
 *   sortBy=<createdAt|amount|status>:<ASC|DESC>   (default createdAt:DESC; one key)
 *   page=<1..1000000> (default 1), limit=<1..100> (default 25), as=<client|freelancer>
 * Anything malformed is E_BAD_REQUEST with a message naming the parameter and the same text in
 * e->fields under the parameter's name; every bad parameter is reported, not only the first.
 */
#ifndef KHEDMA_ORDER_QUERY_H
#define KHEDMA_ORDER_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/db.h"
#include "khedma/errors.h"
#include "khedma/kv_list.h"

#define OQ_MAX_FILTERS 16 /* filter.* parameters in one query */
#define OQ_MAX_VALUES 100 /* values of one $in list */
#define OQ_LIMIT_DEFAULT 25
#define OQ_LIMIT_MAX 100
#define OQ_PAGE_MAX 1000000 /* page * limit stays far below 2^31 */

enum oq_field {
    OQF_ID,
    OQF_STATUS,
    OQF_AMOUNT,
    OQF_IDEMPOTENCY_KEY,
    OQF_PAYMENT_REFERENCE,
    OQF_GIG_ID,
    OQF_CREATED_AT,
    OQF_USER_ID,
    OQF_COUNT
};

enum oq_op {
    OQ_EQ,
    OQ_IN,
    OQ_GT,
    OQ_GTE,
    OQ_LT,
    OQ_LTE,
    OQ_BTW,
    OQ_NULL,
    OQ_NOT,      /* $not:value - anything but value (an absent value counts as "not value") */
    OQ_NOT_IN,   /* $not:$in:a,b */
    OQ_NOT_NULL, /* $not:$null */
};

enum oq_sort { OQS_CREATED_AT, OQS_AMOUNT, OQS_STATUS };
enum oq_as { OQ_AS_CLIENT, OQ_AS_FREELANCER };

/* One condition. values are normalised for SQL: createdAt as a UTC DATETIME(3) string
 * ("2026-11-22 07:17:00.000"), amounts as validated decimal text, the rest as given. */
struct oq_cond {
    enum oq_field field;
    enum oq_op op;
    size_t nvalues; /* 0 for $null / $not:$null, 2 for $btw, 1..OQ_MAX_VALUES for the lists */
    char **values;  /* owned */
};

struct order_query {
    struct oq_cond conds[OQ_MAX_FILTERS];
    size_t nconds;
    enum oq_sort sort;
    bool sort_desc;
    int page;
    int limit;
    enum oq_as as;
    bool uses_user_id; /* a filter.userId condition is present (admins only) */
};

/* The defaults: no filters, createdAt DESC, page 1, limit 25, as client. */
void order_query_init(struct order_query *q);
/* Parse a GET /api/orders query string (already percent-decoded). Parameters other than
 * filter.*, sortBy, page, limit and as are ignored. On failure q holds nothing to free. */
enum errkind order_query_parse(const struct kv_list *query, struct order_query *q, struct err *e);
/* Add one filter given as "<op>:<value>" text for field name `field` ("amount"), reporting
 * errors under `param` ("filter.amount", or "status" for tRPC). */
enum errkind order_query_add_filter(struct order_query *q, const char *field, const char *spec,
                                    const char *param, struct err *e);
/* tRPC order.list input {as?, status?, page?, limit?} (NULL = no input). Field errors are
 * keyed by the input's own names, for zodError. */
enum errkind order_query_from_json(json_object *in, struct order_query *q, struct err *e);
void order_query_free(struct order_query *q);

/* Rendered SQL. from is "FROM orders o" with its index hints, where starts with "WHERE " and
 * holds the visibility condition first; tail is "ORDER BY ... LIMIT ? OFFSET ?". params are
 * where's parameters (the first nwhere, enough for "SELECT COUNT(*) " + from + where) followed by
 * the limit and the offset; they point into the query and viewer_id, which must outlive them. */
struct oq_sql {
    const char *from; /* static text */
    char *where;
    char *tail;
    struct db_param *params;
    size_t nwhere;
    size_t nparams;
};

/* Visibility: as=client -> o.user_id = viewer, as=freelancer -> o.freelancer_id = viewer. An
 * admin whose query has a filter.userId condition sees every user's orders, so the visibility
 * condition is left out (and `as` has no effect); in every other case it is there, so a query
 * can never widen what its viewer sees. Returns 0, or -1 when out of memory. */
int order_query_render(const struct order_query *q, const char *viewer_id, bool admin,
                       struct oq_sql *out);
void order_query_sql_free(struct oq_sql *s);

/* A query whose matches the per-party order counters (order_counts.h) can count exactly: every
 * condition is on status, except, in the admin-wide view, one filter.userId $eq or $in. Status
 * conditions of any operator narrow one set of statuses (status is never NULL). */
#define OQ_STATUS_ALL 0xfu /* bit i: the i-th of pending, processing, completed, cancelled */
struct oq_count_plan {
    bool freelancer;             /* the freelancer side's counters, else the client side's */
    const char *viewer_id;       /* the one user whose counters are summed, or NULL: */
    const struct oq_cond *users; /* the admin-wide view's filter.userId (points into the query) */
    unsigned statuses;           /* OQ_STATUS_ALL narrowed by the status conditions */
};
/* True (and *p filled) when the counters can answer the query's totalItems; its visibility is
 * order_query_render's. */
bool order_query_count_plan(const struct order_query *q, const char *viewer_id, bool admin,
                            struct oq_count_plan *p);

/* Sort an array of Order objects (createdAt, totalAmount, status, id) in the query's order:
 * the ORDER BY that chose the page, applied to the page's rows in C. */
void order_query_sort(const struct order_query *q, json_object *orders);

#endif
