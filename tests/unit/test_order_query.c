/*
 * test_order_query.c - unit tests for the GET /api/orders query language (order_query.h):
 * every filter field with every operator (rendered SQL and bound values, or the 400 when the
 * field does not support the operator), the defaults, sorting, paging, as=client|freelancer,
 * the admin-only filter.userId and the visibility condition, repeated keys, $in padding, every
 * error (each naming its parameter in the message and in the field errors) and the tRPC
 * order.list input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/jsonx.h"
#include "khedma/http.h"
#include "khedma/order_query.h"

#define VIEWER "cviewer000000000000000001"
#define ID1 "cabcdefghijklmnopqrstuvwx"
#define ID2 "c000000000000000000000002"
#define ID3 "c000000000000000000000003"
/* A viewer's page never walks an index of all orders for its ORDER BY; an admin-wide one may. */
#define PARTY_FROM                                                                                 \
    "FROM orders o IGNORE INDEX FOR ORDER BY (ix_orders_created, ix_orders_status_created, "       \
    "ix_orders_status_delivered) "
#define ALL_FROM "FROM orders o "

/* ---- helpers --------------------------------------------------------------------------------- */

static enum errkind parse(const char *qs, struct order_query *q, struct err *e)
{
    struct kv_list l = {0};
    assert_int_equal(http_parse_query(qs, &l), 0);
    enum errkind k = order_query_parse(&l, q, e);
    kv_list_free(&l);
    return k;
}

/* Parse qs, which must be valid. */
static void parse_ok(const char *qs, struct order_query *q)
{
    struct err e = {0};
    if (parse(qs, q, &e) != E_OK)
        fail_msg("%s: %s", qs, e.message);
    assert_null(e.fields);
}

/* The messages for one parameter, or NULL. */
static json_object *field_list(const struct err *e, const char *param)
{
    json_object *list = NULL;
    if (!e->fields || !json_object_object_get_ex(e->fields, param, &list))
        return NULL;
    return list;
}

/* qs must fail with a 400 naming param in the message and in the field errors, and leave no
 * conditions behind. */
static void expect_bad(const char *qs, const char *param)
{
    struct order_query q;
    struct err e = {0};
    if (parse(qs, &q, &e) != E_BAD_REQUEST)
        fail_msg("%s: expected a 400", qs);
    if (strncmp(e.message, param, strlen(param)) != 0)
        fail_msg("%s: message '%s' does not name %s", qs, e.message, param);
    json_object *list = field_list(&e, param);
    if (!list || json_object_array_length(list) == 0)
        fail_msg("%s: no field error for %s", qs, param);
    assert_int_equal(q.nconds, 0);
    err_clear(&e);
}

/* Render and compare the WHERE text and every bound string value (NULL-terminated list). */
static void expect_sql(const struct order_query *q, bool admin, const char *where,
                       const char *const *values)
{
    struct oq_sql s;
    assert_int_equal(order_query_render(q, VIEWER, admin, &s), 0);
    assert_string_equal(s.from, admin && q->uses_user_id ? ALL_FROM : PARTY_FROM);
    assert_string_equal(s.where, where);
    size_t n = 0;
    while (values[n])
        n++;
    assert_int_equal(s.nwhere, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(s.params[i].type, DBP_STR);
        assert_string_equal(s.params[i].s, values[i]);
    }
    assert_int_equal(s.nparams, n + 2);
    assert_int_equal(s.params[n].type, DBP_INT);
    assert_int_equal(s.params[n + 1].type, DBP_INT);
    order_query_sql_free(&s);
}

/* ---- defaults and options -------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    struct order_query q;
    parse_ok("", &q);
    assert_int_equal(q.nconds, 0);
    assert_int_equal(q.sort, OQS_CREATED_AT);
    assert_true(q.sort_desc);
    assert_int_equal(q.page, 1);
    assert_int_equal(q.limit, 25);
    assert_int_equal(q.as, OQ_AS_CLIENT);
    assert_false(q.uses_user_id);

    struct oq_sql s;
    assert_int_equal(order_query_render(&q, VIEWER, false, &s), 0);
    assert_string_equal(s.from, PARTY_FROM);
    assert_string_equal(s.where, "WHERE o.user_id = ?");
    assert_string_equal(s.tail, "ORDER BY o.created_at DESC, o.id DESC LIMIT ? OFFSET ?");
    assert_int_equal(s.nwhere, 1);
    assert_int_equal(s.nparams, 3);
    assert_string_equal(s.params[0].s, VIEWER);
    assert_int_equal(s.params[1].i, 25);
    assert_int_equal(s.params[2].i, 0);
    order_query_sql_free(&s);
    order_query_free(&q);

    /* Empty option values count as absent; unknown parameters are ignored. */
    parse_ok("page=&limit=&as=&sortBy=&utm_source=x&_=123", &q);
    assert_int_equal(q.page, 1);
    assert_int_equal(q.limit, 25);
    assert_int_equal(q.as, OQ_AS_CLIENT);
    assert_int_equal(q.sort, OQS_CREATED_AT);
    order_query_free(&q);
}

static void expect_tail(const char *qs, const char *tail)
{
    struct order_query q;
    struct oq_sql s;
    parse_ok(qs, &q);
    assert_int_equal(order_query_render(&q, VIEWER, false, &s), 0);
    assert_string_equal(s.tail, tail);
    order_query_sql_free(&s);
    order_query_free(&q);
}

static void test_sort(void **state)
{
    expect_tail("sortBy=createdAt:ASC", "ORDER BY o.created_at ASC, o.id ASC LIMIT ? OFFSET ?");
    expect_tail("sortBy=createdAt:DESC", "ORDER BY o.created_at DESC, o.id DESC LIMIT ? OFFSET ?");
    expect_tail("sortBy=amount:DESC", "ORDER BY o.total_amount DESC, o.id DESC LIMIT ? OFFSET ?");
    expect_tail("sortBy=amount:asc", "ORDER BY o.total_amount ASC, o.id ASC LIMIT ? OFFSET ?");
    expect_tail("sortBy=status:ASC",
                "ORDER BY o.status ASC, o.created_at ASC, o.id ASC LIMIT ? OFFSET ?");
    expect_tail("sortBy=status:Desc",
                "ORDER BY o.status DESC, o.created_at DESC, o.id DESC LIMIT ? OFFSET ?");

    expect_bad("sortBy=price:ASC", "sortBy");
    expect_bad("sortBy=amount", "sortBy");
    expect_bad("sortBy=amount:", "sortBy");
    expect_bad("sortBy=amount:UP", "sortBy");
    expect_bad("sortBy=:DESC", "sortBy");
    expect_bad("sortBy=createdAt:DESC:x", "sortBy");
    expect_bad("sortBy=amount:ASC&sortBy=status:ASC", "sortBy");
}

static void test_page_limit(void **state)
{
    struct order_query q;
    struct oq_sql s;
    parse_ok("page=3&limit=10", &q);
    assert_int_equal(order_query_render(&q, VIEWER, false, &s), 0);
    assert_int_equal(s.params[s.nparams - 2].i, 10);
    assert_int_equal(s.params[s.nparams - 1].i, 20);
    order_query_sql_free(&s);
    order_query_free(&q);

    parse_ok("page=1000000&limit=100", &q);
    assert_int_equal(q.page, 1000000);
    assert_int_equal(q.limit, 100);
    assert_int_equal(order_query_render(&q, VIEWER, false, &s), 0);
    assert_int_equal(s.params[s.nparams - 1].i, 99999900LL);
    order_query_sql_free(&s);
    order_query_free(&q);

    parse_ok("limit=1", &q);
    assert_int_equal(q.limit, 1);
    order_query_free(&q);

    const char *bad_pages[] = {"page=0",       "page=-1", "page=1.5",         "page=abc",
                               "page=1000001", "page=+2", "page=99999999999", "page=1&page=2"};
    for (size_t i = 0; i < sizeof bad_pages / sizeof bad_pages[0]; i++)
        expect_bad(bad_pages[i], "page");
    const char *bad_limits[] = {"limit=0",  "limit=101", "limit=ten",
                                "limit=-5", "limit=2e1", "limit=10&limit=10"};
    for (size_t i = 0; i < sizeof bad_limits / sizeof bad_limits[0]; i++)
        expect_bad(bad_limits[i], "limit");
}

static void test_as(void **state)
{
    struct order_query q;
    const char *viewer[] = {VIEWER, NULL};
    parse_ok("as=client", &q);
    expect_sql(&q, false, "WHERE o.user_id = ?", viewer);
    order_query_free(&q);
    parse_ok("as=freelancer", &q);
    assert_int_equal(q.as, OQ_AS_FREELANCER);
    expect_sql(&q, false, "WHERE o.freelancer_id = ?", viewer);
    /* An admin without filter.userId sees their own side like everyone else. */
    expect_sql(&q, true, "WHERE o.freelancer_id = ?", viewer);
    order_query_free(&q);

    expect_bad("as=admin", "as");
    expect_bad("as=Client", "as");
    expect_bad("as=client&as=freelancer", "as");
}

/* ---- every field with every operator ----------------------------------------------------------
 */

struct field_case {
    const char *name, *column, *ph;
    const char *v1, *sql1, *v2, *sql2; /* two values in query form and in SQL form, v1 <= v2 */
    bool ordered, nullable;
};

static const struct field_case fields[] = {
    {"id", "o.id", "?", ID1, ID1, ID2, ID2, false, false},
    {"status", "o.status", "?", "pending", "pending", "completed", "completed", false, false},
    {"amount", "o.total_amount", "CAST(? AS DECIMAL(12,2))", "10.5", "10.5", "500", "500", true,
     false},
    {"idempotencyKey", "o.idempotency_key", "?", "key-1", "key-1", "key-2", "key-2", false, true},
    {"paymentReference", "o.payment_reference", "?", "REF-1", "REF-1", "REF-2", "REF-2", false,
     true},
    {"gigId", "o.gig_id", "?", ID2, ID2, ID3, ID3, false, false},
    {"createdAt", "o.created_at", "CAST(? AS DATETIME(3))", "2026-01-01T00:00:00.000Z",
     "2026-01-01 00:00:00.000", "2026-02-01", "2026-02-01 00:00:00.000", true, false},
    {"userId", "o.user_id", "?", ID3, ID3, ID1, ID1, false, false},
};

enum op_shape { ONE, TWO_LIST, TWO_BTW, NONE };

struct op_case {
    const char *prefix; /* spec = prefix + value(s) */
    const char *sql_op; /* between the column and the placeholder(s) */
    enum op_shape shape;
    bool ordered, negated;
};

static const struct op_case op_cases[] = {
    {"", " = ", ONE, false, false},
    {"$eq:", " = ", ONE, false, false},
    {"$in:", " IN ", TWO_LIST, false, false},
    {"$gt:", " > ", ONE, true, false},
    {"$gte:", " >= ", ONE, true, false},
    {"$lt:", " < ", ONE, true, false},
    {"$lte:", " <= ", ONE, true, false},
    {"$btw:", " BETWEEN ", TWO_BTW, true, false},
    {"$null", " IS NULL", NONE, false, false},
    {"$not:", " <> ", ONE, false, true},
    {"$not:$eq:", " <> ", ONE, false, true},
    {"$not:$in:", " NOT IN ", TWO_LIST, false, true},
    {"$not:$null", " IS NOT NULL", NONE, false, false},
};

/* The WHERE the renderer must produce for one field and operator (what the matrix checks). */
static void expected_where(const struct field_case *f, const struct op_case *o, bool admin,
                           char *out, size_t size)
{
    char cond[512];
    const char *ph = f->ph;
    if (o->shape == ONE)
        snprintf(cond, sizeof cond, "%s%s%s", f->column, o->sql_op, ph);
    else if (o->shape == TWO_LIST)
        snprintf(cond, sizeof cond, "%s%s(%s, %s)", f->column, o->sql_op, ph, ph);
    else if (o->shape == TWO_BTW)
        snprintf(cond, sizeof cond, "%s%s%s AND %s", f->column, o->sql_op, ph, ph);
    else
        snprintf(cond, sizeof cond, "%s%s", f->column, o->sql_op);
    char wrapped[600];
    if (o->negated && f->nullable)
        snprintf(wrapped, sizeof wrapped, "(%s IS NULL OR %s)", f->column, cond);
    else
        snprintf(wrapped, sizeof wrapped, "%s", cond);
    if (admin)
        snprintf(out, size, "WHERE %s", wrapped);
    else
        snprintf(out, size, "WHERE o.user_id = ? AND %s", wrapped);
}

static void check_case(const struct field_case *f, const struct op_case *o)
{
    char qs[512], where[700];
    if (o->shape == ONE)
        snprintf(qs, sizeof qs, "filter.%s=%s%s", f->name, o->prefix, f->v1);
    else if (o->shape == NONE)
        snprintf(qs, sizeof qs, "filter.%s=%s", f->name, o->prefix);
    else
        snprintf(qs, sizeof qs, "filter.%s=%s%s,%s", f->name, o->prefix, f->v1, f->v2);
    char param[64];
    snprintf(param, sizeof param, "filter.%s", f->name);
    if (o->ordered && !f->ordered) {
        expect_bad(qs, param);
        return;
    }
    struct order_query q;
    parse_ok(qs, &q);
    assert_int_equal(q.nconds, 1);
    bool admin = strcmp(f->name, "userId") == 0;
    assert_int_equal(q.uses_user_id, admin);
    expected_where(f, o, admin, where, sizeof where);
    const char *values[4] = {NULL};
    size_t n = 0;
    if (!admin)
        values[n++] = VIEWER;
    if (o->shape != NONE)
        values[n++] = f->sql1;
    if (o->shape == TWO_LIST || o->shape == TWO_BTW)
        values[n++] = f->sql2;
    expect_sql(&q, admin, where, values);
    order_query_free(&q);
}

static void test_field_op_matrix(void **state)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        for (size_t j = 0; j < sizeof op_cases / sizeof op_cases[0]; j++)
            check_case(&fields[i], &op_cases[j]);
}

/* ---- values ---------------------------------------------------------------------------------- */

static void expect_sql_value(const char *qs, const char *sql_value)
{
    struct order_query q;
    parse_ok(qs, &q);
    assert_int_equal(q.nconds, 1);
    assert_string_equal(q.conds[0].values[0], sql_value);
    order_query_free(&q);
}

static void test_values(void **state)
{
    expect_sql_value("filter.amount=0", "0");
    expect_sql_value("filter.amount=$gt:-5", "-5");
    expect_sql_value("filter.amount=10.50", "10.50");
    expect_sql_value("filter.amount=007", "007");
    expect_sql_value("filter.amount=9999999999.99", "9999999999.99");
    expect_sql_value("filter.createdAt=2026-11-22T08:17:00%2B01:00", "2026-11-22 07:17:00.000");
    expect_sql_value("filter.createdAt=2026-11-22", "2026-11-22 00:00:00.000");
    expect_sql_value("filter.createdAt=$gte:2026-11-22T07:17:00.5Z", "2026-11-22 07:17:00.500");
    /* Every status is known. */
    expect_sql_value("filter.status=pending", "pending");
    expect_sql_value("filter.status=processing", "processing");
    expect_sql_value("filter.status=completed", "completed");
    expect_sql_value("filter.status=cancelled", "cancelled");
    /* $eq takes the whole rest as one value, commas and '$' included. */
    expect_sql_value("filter.idempotencyKey=$eq:a,b", "a,b");
    expect_sql_value("filter.paymentReference=$eq:$weird", "$weird");
    expect_sql_value("filter.paymentReference=REF%20with%20spaces", "REF with spaces");
    expect_sql_value("filter.idempotencyKey=cl%C3%A9", "cl\xc3\xa9");
    /* Equal $btw bounds are a range of one. */
    struct order_query q;
    parse_ok("filter.amount=$btw:5,5.00", &q);
    order_query_free(&q);
}

static void test_value_errors(void **state)
{
    const char *cases[][2] = {
        {"filter.status=shipped", "filter.status"},
        {"filter.status=PENDING", "filter.status"},
        {"filter.status=", "filter.status"},
        {"filter.amount=abc", "filter.amount"},
        {"filter.amount=1.234", "filter.amount"},
        {"filter.amount=1e3", "filter.amount"},
        {"filter.amount=.5", "filter.amount"},
        {"filter.amount=5.", "filter.amount"},
        {"filter.amount=-", "filter.amount"},
        {"filter.amount=12345678901", "filter.amount"},
        {"filter.amount=$gt:", "filter.amount"},
        {"filter.createdAt=2026-13-01", "filter.createdAt"},
        {"filter.createdAt=yesterday", "filter.createdAt"},
        {"filter.createdAt=$lt:2026-02-30T00:00:00Z", "filter.createdAt"},
        {"filter.id=123", "filter.id"},
        {"filter.id=CABCDEFGHIJKLMNOPQRSTUVWX", "filter.id"},
        {"filter.gigId=$in:" ID1 ",nope", "filter.gigId"},
        {"filter.userId=$not:x", "filter.userId"},
        {"filter.idempotencyKey=", "filter.idempotencyKey"},
        {"filter.idempotencyKey=%FF%FE", "filter.idempotencyKey"},
        {"filter.paymentReference=$not:", "filter.paymentReference"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_bad(cases[i][0], cases[i][1]);

    /* Text longer than its column cannot match anything: 400. */
    char qs[400];
    snprintf(qs, sizeof qs, "filter.idempotencyKey=%0256d", 1);
    expect_bad(qs, "filter.idempotencyKey");
    snprintf(qs, sizeof qs, "filter.idempotencyKey=%0255d", 1);
    struct order_query q;
    parse_ok(qs, &q);
    order_query_free(&q);
    snprintf(qs, sizeof qs, "filter.paymentReference=%0129d", 1);
    expect_bad(qs, "filter.paymentReference");
}

static void test_operator_errors(void **state)
{
    const char *cases[][2] = {
        {"filter.amount=$foo:1", "filter.amount"},
        {"filter.amount=$GT:1", "filter.amount"},
        {"filter.amount=$", "filter.amount"},
        {"filter.amount=$gt", "filter.amount"},
        {"filter.status=$in", "filter.status"},
        {"filter.status=$in:", "filter.status"},
        {"filter.status=$in:pending,,completed", "filter.status"},
        {"filter.status=$in:pending,", "filter.status"},
        {"filter.amount=$btw:5", "filter.amount"},
        {"filter.amount=$btw:1,2,3", "filter.amount"},
        {"filter.amount=$btw:10,5", "filter.amount"},
        {"filter.createdAt=$btw:2026-02-01,2026-01-01", "filter.createdAt"},
        {"filter.paymentReference=$null:x", "filter.paymentReference"},
        {"filter.paymentReference=$null:", "filter.paymentReference"},
        {"filter.status=$gt:pending", "filter.status"},
        {"filter.id=$btw:" ID1 "," ID2, "filter.id"},
        {"filter.amount=$not:$gt:5", "filter.amount"},
        {"filter.amount=$not:$btw:1,2", "filter.amount"},
        {"filter.amount=$not:$bogus", "filter.amount"},
        {"filter.amount=$not:$in", "filter.amount"},
        {"filter.amount=$not:$null:1", "filter.amount"},
        {"filter.amount=$not", "filter.amount"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_bad(cases[i][0], cases[i][1]);
}

static void test_unknown_fields(void **state)
{
    expect_bad("filter.price=5", "filter.price");
    expect_bad("filter.Amount=5", "filter.Amount");
    expect_bad("filter.=5", "filter.");
    expect_bad("filter.freelancerId=" ID1, "filter.freelancerId");
    /* A name too long (or not UTF-8) to echo is reported as "filter". */
    char qs[200];
    snprintf(qs, sizeof qs, "filter.%0100d=1", 7);
    expect_bad(qs, "filter");
    expect_bad("filter.%FF=1", "filter");
}

static void test_list_limits(void **state)
{
    char qs[4096];
    size_t n = (size_t)snprintf(qs, sizeof qs, "filter.amount=$in:1");
    for (int i = 2; i <= OQ_MAX_VALUES; i++)
        n += (size_t)snprintf(qs + n, sizeof qs - n, ",%d", i);
    struct order_query q;
    parse_ok(qs, &q);
    assert_int_equal(q.conds[0].nvalues, OQ_MAX_VALUES);
    order_query_free(&q);
    snprintf(qs + n, sizeof qs - n, ",%d", OQ_MAX_VALUES + 1);
    expect_bad(qs, "filter.amount");

    n = 0;
    for (int i = 0; i < OQ_MAX_FILTERS; i++)
        n += (size_t)snprintf(qs + n, sizeof qs - n, "%sfilter.amount=$gte:%d", i ? "&" : "", i);
    parse_ok(qs, &q);
    assert_int_equal(q.nconds, OQ_MAX_FILTERS);
    order_query_free(&q);
    snprintf(qs + n, sizeof qs - n, "&filter.status=pending");
    expect_bad(qs, "filter.status");
}

/* ---- combinations ---------------------------------------------------------------------------- */

static void test_repeated_keys(void **state)
{
    struct order_query q;
    parse_ok("filter.amount=$gte:10&filter.status=$in:pending,processing&filter.amount=$lt:100"
             "&filter.createdAt=$btw:2026-01-01,2026-12-31T23:59:59.999Z&page=2&limit=5",
             &q);
    assert_int_equal(q.nconds, 4);
    const char *values[] = {VIEWER,
                            "10",
                            "pending",
                            "processing",
                            "100",
                            "2026-01-01 00:00:00.000",
                            "2026-12-31 23:59:59.999",
                            NULL};
    expect_sql(&q, false,
               "WHERE o.user_id = ? AND o.total_amount >= CAST(? AS DECIMAL(12,2)) AND o.status "
               "IN (?, ?) AND o.total_amount < CAST(? AS DECIMAL(12,2)) AND o.created_at BETWEEN "
               "CAST(? AS DATETIME(3)) AND CAST(? AS DATETIME(3))",
               values);
    struct oq_sql s;
    assert_int_equal(order_query_render(&q, VIEWER, false, &s), 0);
    assert_int_equal(s.nparams, 9);
    assert_int_equal(s.params[7].i, 5);
    assert_int_equal(s.params[8].i, 5);
    order_query_sql_free(&s);
    order_query_free(&q);

    /* Same field twice with $eq is kept as two conditions (an empty result, as asked). */
    parse_ok("filter.status=pending&filter.status=completed", &q);
    assert_int_equal(q.nconds, 2);
    order_query_free(&q);
}

static void test_in_padding(void **state)
{
    struct order_query q;
    struct oq_sql s;
    parse_ok("filter.status=$in:pending,processing,completed", &q);
    assert_int_equal(q.conds[0].nvalues, 3);
    assert_int_equal(order_query_render(&q, VIEWER, false, &s), 0);
    assert_string_equal(s.where, "WHERE o.user_id = ? AND o.status IN (?, ?, ?, ?)");
    assert_int_equal(s.nwhere, 5);
    assert_string_equal(s.params[1].s, "pending");
    assert_string_equal(s.params[2].s, "processing");
    assert_string_equal(s.params[3].s, "completed");
    assert_string_equal(s.params[4].s, "completed");
    order_query_sql_free(&s);
    order_query_free(&q);

    parse_ok("filter.status=$in:pending", &q);
    assert_int_equal(order_query_render(&q, VIEWER, false, &s), 0);
    assert_string_equal(s.where, "WHERE o.user_id = ? AND o.status IN (?)");
    order_query_sql_free(&s);
    order_query_free(&q);

    char qs[4096];
    size_t n = (size_t)snprintf(qs, sizeof qs, "filter.amount=$not:$in:1");
    for (int i = 2; i <= 65; i++)
        n += (size_t)snprintf(qs + n, sizeof qs - n, ",%d", i);
    parse_ok(qs, &q);
    assert_int_equal(order_query_render(&q, VIEWER, false, &s), 0);
    assert_int_equal(s.nwhere, 1 + 128);
    assert_string_equal(s.params[128].s, "65");
    order_query_sql_free(&s);
    order_query_free(&q);
}

static void test_user_id_visibility(void **state)
{
    struct order_query q;
    parse_ok("filter.userId=" ID3 "&filter.status=pending", &q);
    assert_true(q.uses_user_id);
    /* A non-admin never gets here (the service answers 403), but if one did, the visibility
     * condition would still hold. */
    const char *non_admin[] = {VIEWER, ID3, "pending", NULL};
    expect_sql(&q, false, "WHERE o.user_id = ? AND o.user_id = ? AND o.status = ?", non_admin);
    const char *admin[] = {ID3, "pending", NULL};
    expect_sql(&q, true, "WHERE o.user_id = ? AND o.status = ?", admin);
    order_query_free(&q);

    /* as has no effect once an admin uses filter.userId. */
    parse_ok("as=freelancer&filter.userId=$not:$null", &q);
    const char *all[] = {NULL};
    expect_sql(&q, true, "WHERE o.user_id IS NOT NULL", all);
    order_query_free(&q);

    parse_ok("filter.status=pending", &q);
    assert_false(q.uses_user_id);
    const char *own[] = {VIEWER, "pending", NULL};
    expect_sql(&q, true, "WHERE o.user_id = ? AND o.status = ?", own);
    order_query_free(&q);
}

static void test_all_errors_reported(void **state)
{
    struct order_query q;
    struct err e = {0};
    assert_int_equal(
        parse("filter.amount=x&limit=0&filter.status=shipped&as=me&filter.bogus=1", &q, &e),
        E_BAD_REQUEST);
    assert_string_equal(e.message, "filter.amount must be a number with at most two decimals");
    assert_non_null(field_list(&e, "filter.amount"));
    assert_non_null(field_list(&e, "limit"));
    assert_non_null(field_list(&e, "filter.status"));
    assert_non_null(field_list(&e, "as"));
    assert_non_null(field_list(&e, "filter.bogus"));
    assert_int_equal(json_object_object_length(e.fields), 5);
    assert_int_equal(q.nconds, 0);
    err_clear(&e);

    /* A good filter before a bad one is released too (checked under the sanitizers). */
    assert_int_equal(parse("filter.status=pending&filter.amount=$in:1,2&filter.id=x", &q, &e),
                     E_BAD_REQUEST);
    assert_int_equal(q.nconds, 0);
    err_clear(&e);
}

/* ---- tRPC order.list input ------------------------------------------------------------------- */

static enum errkind from_json(const char *text, struct order_query *q, struct err *e)
{
    json_object *in = text ? jsonx_parse(text, strlen(text)) : NULL;
    if (text)
        assert_non_null(in);
    enum errkind k = order_query_from_json(in, q, e);
    json_object_put(in);
    return k;
}

static void test_from_json(void **state)
{
    struct order_query q;
    struct err e = {0};
    assert_int_equal(from_json(NULL, &q, &e), E_OK);
    assert_int_equal(q.nconds, 0);
    assert_int_equal(q.limit, 25);
    assert_int_equal(from_json("{}", &q, &e), E_OK);
    assert_int_equal(from_json("{\"as\":null,\"status\":null,\"page\":null}", &q, &e), E_OK);
    assert_int_equal(q.page, 1);

    assert_int_equal(
        from_json("{\"as\":\"freelancer\",\"status\":\"completed\",\"page\":2,\"limit\":5}", &q,
                  &e),
        E_OK);
    assert_int_equal(q.as, OQ_AS_FREELANCER);
    assert_int_equal(q.page, 2);
    assert_int_equal(q.limit, 5);
    const char *values[] = {VIEWER, "completed", NULL};
    expect_sql(&q, false, "WHERE o.freelancer_id = ? AND o.status = ?", values);
    order_query_free(&q);

    const char *bad[][2] = {
        {"{\"as\":\"admin\"}", "as"},
        {"{\"as\":1}", "as"},
        {"{\"status\":\"shipped\"}", "status"},
        {"{\"status\":\"$in:pending\"}", "status"},
        {"{\"status\":[\"pending\"]}", "status"},
        {"{\"page\":0}", "page"},
        {"{\"page\":1.5}", "page"},
        {"{\"page\":\"2\"}", "page"},
        {"{\"limit\":101}", "limit"},
        {"{\"limit\":0}", "limit"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (from_json(bad[i][0], &q, &e) != E_BAD_REQUEST)
            fail_msg("%s: expected BAD_REQUEST", bad[i][0]);
        if (!field_list(&e, bad[i][1]))
            fail_msg("%s: no field error for %s", bad[i][0], bad[i][1]);
        assert_int_equal(q.nconds, 0);
        err_clear(&e);
    }
    assert_int_equal(from_json("[1]", &q, &e), E_BAD_REQUEST);
    err_clear(&e);
}

/* ---- ordering a page in C -------------------------------------------------------------------- */

static json_object *order(const char *id, const char *status, const char *amount,
                          const char *created)
{
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "id", id);
    jsonx_add_str(o, "status", status);
    jsonx_add_decimal(o, "totalAmount", amount);
    jsonx_add_str(o, "createdAt", created);
    return o;
}

/* The ids of the sorted array, joined by spaces. */
static void expect_order(const char *qs, const char *ids)
{
    struct order_query q;
    parse_ok(qs, &q);
    json_object *a = json_object_new_array();
    json_object_array_add(a, order("c1", "completed", "100", "2026-01-02T00:00:00.000Z"));
    json_object_array_add(a, order("c2", "pending", "99.99", "2026-01-03T00:00:00.000Z"));
    json_object_array_add(a, order("c3", "pending", "1000", "2026-01-01T00:00:00.000Z"));
    json_object_array_add(a, order("c4", "cancelled", "100", "2026-01-02T00:00:00.000Z"));
    json_object_array_add(a, order("c5", "processing", "100.00", "2026-01-01T00:00:00.001Z"));
    order_query_sort(&q, a);
    char got[64] = "";
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        strcat(got, i ? " " : "");
        strcat(got, jsonx_str(json_object_array_get_idx(a, i), "id"));
    }
    if (strcmp(got, ids) != 0)
        fail_msg("%s: got %s, expected %s", qs, got, ids);
    json_object_put(a);
    order_query_free(&q);
}

static void test_sort_page(void **state)
{
    expect_order("", "c2 c4 c1 c5 c3");
    expect_order("sortBy=createdAt:ASC", "c3 c5 c1 c4 c2");
    /* equal amounts (100, 100.00) break on id */
    expect_order("sortBy=amount:ASC", "c2 c1 c4 c5 c3");
    expect_order("sortBy=amount:DESC", "c3 c5 c4 c1 c2");
    /* lifecycle order, then time, then id */
    expect_order("sortBy=status:ASC", "c3 c2 c5 c1 c4");
    expect_order("sortBy=status:DESC", "c4 c1 c5 c2 c3");
}

/* ---- counter shapes -------------------------------------------------------------------------- */

/* qs (parsed for an admin when admin) is a counter shape of that side and those statuses; an
 * admin-wide one sums the users of its filter.userId (ID1, ID2), any other the viewer. */
static void expect_plan(const char *qs, bool admin, bool freelancer, unsigned statuses)
{
    struct order_query q;
    struct oq_count_plan p;
    parse_ok(qs, &q);
    if (!order_query_count_plan(&q, VIEWER, admin, &p))
        fail_msg("%s: expected a counter shape", qs);
    assert_int_equal(p.freelancer, freelancer);
    assert_int_equal(p.statuses, statuses);
    if (q.uses_user_id) {
        assert_null(p.viewer_id);
        assert_non_null(p.users);
        assert_int_equal(p.users->nvalues, 2);
        assert_string_equal(p.users->values[0], ID1);
        assert_string_equal(p.users->values[1], ID2);
    } else {
        assert_string_equal(p.viewer_id, VIEWER);
        assert_null(p.users);
    }
    order_query_free(&q);
}

static void expect_no_plan(const char *qs, bool admin)
{
    struct order_query q;
    struct oq_count_plan p;
    parse_ok(qs, &q);
    if (order_query_count_plan(&q, VIEWER, admin, &p))
        fail_msg("%s: counted from the counters, but cannot be", qs);
    order_query_free(&q);
}

static void test_count_plan(void **state)
{
    (void)state;
    const unsigned pending = 1, processing = 2, completed = 4, cancelled = 8;
    expect_plan("", false, false, OQ_STATUS_ALL);
    expect_plan("as=freelancer&sortBy=amount:ASC&page=3&limit=7", false, true, OQ_STATUS_ALL);
    expect_plan("", true, false, OQ_STATUS_ALL); /* an admin without filter.userId: own orders */
    expect_plan("filter.status=completed", false, false, completed);
    expect_plan("as=freelancer&filter.status=$in:pending,processing", false, true,
                pending | processing);
    expect_plan("filter.status=$not:cancelled", false, false, pending | processing | completed);
    expect_plan("filter.status=$not:$in:pending,cancelled", false, false, processing | completed);
    expect_plan("filter.status=$not:$null", false, false, OQ_STATUS_ALL);
    expect_plan("filter.status=$null", false, false, 0);
    expect_plan("filter.status=$in:pending,completed&filter.status=$not:pending", false, false,
                completed);
    expect_plan("filter.userId=$in:" ID1 "," ID2, true, false, OQ_STATUS_ALL);
    expect_plan("as=freelancer&filter.userId=$in:" ID1 "," ID2 "&filter.status=cancelled", true,
                false, cancelled); /* the admin-wide view is by client: `as` has no effect */
    expect_no_plan("filter.amount=$gte:5", false);
    expect_no_plan("filter.status=pending&filter.gigId=" ID1, false);
    expect_no_plan("filter.createdAt=$btw:2026-01-01,2026-02-01", false);
    expect_no_plan("filter.paymentReference=$null", false);
    expect_no_plan("filter.userId=$not:" ID1, true);
    expect_no_plan("filter.userId=" ID1 "&filter.userId=" ID2, true);
    expect_no_plan("filter.userId=" ID1 "&filter.amount=$lt:9", true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),           cmocka_unit_test(test_sort),
        cmocka_unit_test(test_page_limit),         cmocka_unit_test(test_as),
        cmocka_unit_test(test_field_op_matrix),    cmocka_unit_test(test_values),
        cmocka_unit_test(test_value_errors),       cmocka_unit_test(test_operator_errors),
        cmocka_unit_test(test_unknown_fields),     cmocka_unit_test(test_list_limits),
        cmocka_unit_test(test_repeated_keys),      cmocka_unit_test(test_in_padding),
        cmocka_unit_test(test_user_id_visibility), cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_from_json),          cmocka_unit_test(test_sort_page),
        cmocka_unit_test(test_count_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
