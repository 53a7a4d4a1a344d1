/*
 * order_counts.c - per-party order counters (see order_counts.h).
 *
 * A change is one INSERT ... ON DUPLICATE KEY UPDATE n = n + delta over the rows it moves (a
 * missing row is created), so it costs one statement in the order's transaction whatever the
 * number of orders. Its rows are listed in primary-key order: every transaction then takes the
 * counter rows' locks in one global order, and two changes of different orders never wait for
 * each other in a cycle through the counters. The rows are per user, so only the changes of one
 * user's orders queue on the same rows, each for the rest of its short transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/order_counts.h"

#define MAX_ROWS 4

struct delta {
    const char *user_id;
    const char *side; /* "client" < "freelancer", as the ENUM sorts */
    enum lifecycle_status status;
    long long n;
};

static int cmp_delta(const void *a, const void *b)
{
    const struct delta *x = a, *y = b;
    int c = strcmp(x->user_id, y->user_id);
    if (c == 0)
        c = strcmp(x->side, y->side);
    return c != 0 ? c : (int)x->status - (int)y->status;
}

static const char ADD_ROW[] = "(?, ?, ?, ?)";
static const char ADD_ONE[] = "INSERT INTO order_counts (user_id, side, status, n) VALUES ";
static const char ADD_TAIL[] = " ON DUPLICATE KEY UPDATE n = n + VALUES(n)";

/* Add the deltas (n of them, at most MAX_ROWS) in primary-key order. */
static int apply(struct db *db, struct delta *d, size_t n)
{
    qsort(d, n, sizeof *d, cmp_delta);
    char sql[sizeof ADD_ONE + MAX_ROWS * (sizeof ADD_ROW + 2) + sizeof ADD_TAIL];
    struct db_param p[MAX_ROWS * 4];
    size_t len = (size_t)snprintf(sql, sizeof sql, "%s", ADD_ONE);
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s%s", i ? ", " : "", ADD_ROW);
        p[i * 4] = DBP_S(d[i].user_id);
        p[i * 4 + 1] = DBP_S(d[i].side);
        p[i * 4 + 2] = DBP_S(lifecycle_status_name(d[i].status));
        p[i * 4 + 3] = DBP_I(d[i].n);
    }
    snprintf(sql + len, sizeof sql - len, "%s", ADD_TAIL);
    return db_exec(db, sql, p, n * 4, NULL, NULL);
}

int order_counts_created(struct db *db, const char *client_id, const char *freelancer_id)
{
    struct delta d[] = {{client_id, "client", LIFECYCLE_PENDING, 1},
                        {freelancer_id, "freelancer", LIFECYCLE_PENDING, 1}};
    return apply(db, d, 2);
}

int order_counts_moved(struct db *db, const char *client_id, const char *freelancer_id,
                       enum lifecycle_status from, enum lifecycle_status to)
{
    struct delta d[] = {{client_id, "client", from, -1},
                        {client_id, "client", to, 1},
                        {freelancer_id, "freelancer", from, -1},
                        {freelancer_id, "freelancer", to, 1}};
    return apply(db, d, 4);
}

/* ---- reading --------------------------------------------------------------------------------- */

#define STATUS_PLACES 4
#define USERS_MAX 128 /* filter.userId $in takes at most 100 values, padded to 128 */

static const char TOTAL_HEAD[] =
    "SELECT CAST(COALESCE(SUM(n), 0) AS SIGNED) FROM order_counts WHERE side = ? "
    "AND status IN (?, ?, ?, ?) AND user_id IN (";

/* Users are padded to a power of two placeholders (the last repeated, which IN ignores), as
 * order_query.c pads its lists, so that few SQL texts are prepared. */
static size_t padded(size_t n)
{
    size_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

enum errkind order_counts_total(struct db *db, const struct oq_count_plan *p, long long *total,
                                struct err *e)
{
    *total = 0;
    size_t nusers = p->users ? p->users->nvalues : 1;
    if ((p->statuses & OQ_STATUS_ALL) == 0 || nusers == 0 || nusers > 100)
        return nusers > 100 ? err_set(e, E_INTERNAL, "Internal error") : E_OK;
    struct db_param params[2 + STATUS_PLACES + USERS_MAX];
    size_t np = 0, places = padded(nusers);
    params[np++] = DBP_S(p->freelancer ? "freelancer" : "client");
    const char *names[STATUS_PLACES], *first = NULL;
    for (size_t i = 0, k = 0; i < STATUS_PLACES; i++) {
        names[i] = NULL;
        if (p->statuses & (1u << i)) {
            names[k++] = lifecycle_status_name((enum lifecycle_status)i);
            first = first ? first : names[k - 1];
        }
    }
    for (size_t i = 0; i < STATUS_PLACES; i++)
        params[np++] = DBP_S(names[i] ? names[i] : first);
    char sql[sizeof TOTAL_HEAD + USERS_MAX * 3 + 2];
    size_t len = (size_t)snprintf(sql, sizeof sql, "%s", TOTAL_HEAD);
    for (size_t i = 0; i < places; i++) {
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s", i ? ", ?" : "?");
        const char *u = p->users ? p->users->values[i < nusers ? i : nusers - 1] : p->viewer_id;
        params[np++] = DBP_S(u);
    }
    snprintf(sql + len, sizeof sql - len, ")");
    struct db_result *r = NULL;
    int rc = db_exec(db, sql, params, np, &r, NULL);
    if (rc == DB_OK && r->rows == 1)
        *total = db_result_int(r, 0, 0, 0);
    db_result_free(r);
    if (*total < 0)
        *total = 0; /* only a counter out of step could say so; check-order-counts reports it */
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

/* ---- checking -------------------------------------------------------------------------------- */

/* One statement, so one read view under READ COMMITTED: the counters and the orders are compared
 * at the same instant even while orders change. */
static const char CHECK_SQL[] =
    "SELECT user_id, side, status, CAST(SUM(c) AS SIGNED), CAST(SUM(e) AS SIGNED) FROM ("
    "SELECT user_id, 'client' AS side, CAST(status AS CHAR) AS status, 0 AS c, COUNT(*) AS e "
    "FROM orders GROUP BY user_id, status "
    "UNION ALL SELECT freelancer_id, 'freelancer', CAST(status AS CHAR), 0, COUNT(*) "
    "FROM orders GROUP BY freelancer_id, status "
    "UNION ALL SELECT user_id, CAST(side AS CHAR), CAST(status AS CHAR), n, 0 FROM order_counts"
    ") x GROUP BY user_id, side, status HAVING SUM(c) <> SUM(e) ORDER BY user_id, side, status";

long long order_counts_check(struct db *db, FILE *out)
{
    struct db_result *r = NULL;
    if (db_exec(db, CHECK_SQL, NULL, 0, &r, NULL) != DB_OK) {
        fprintf(out, "order_counts: the check failed: %s\n", db_last_error(db));
        return -1;
    }
    for (size_t i = 0; i < r->rows; i++)
        fprintf(out, "order_counts: %s %s %s: counter %s, orders %s\n", db_result_get(r, i, 0),
                db_result_get(r, i, 1), db_result_get(r, i, 2), db_result_get(r, i, 3),
                db_result_get(r, i, 4));
    long long n = (long long)r->rows;
    db_result_free(r);
    return n;
}
