/*
 * earnings.c - a freelancer's earnings, listed newest first with their sum (earnings.h). Both
 * statements are one range of ix_earnings_freelancer (freelancer_id, created_at).
 */
#include "khedma/earnings.h"

#include "khedma/dberr.h"
#include "khedma/jsonx.h"
#include "khedma/pagination.h"
#include "khedma/timeutil.h"

static json_object *earning_json(const struct db_result *r, size_t row)
{
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "orderId", db_result_get(r, row, 0));
    jsonx_add_str(o, "gigTitle", db_result_get(r, row, 1));
    jsonx_add_str(o, "amount", db_result_get(r, row, 2));
    jsonx_add_str(o, "currency", db_result_get(r, row, 3));
    char iso[ISO_TIME_LEN + 1];
    const char *t = db_result_get(r, row, 4);
    jsonx_add_str(o, "createdAt", t && timeutil_iso_from_db(t, iso) == 0 ? iso : NULL);
    return o;
}

enum errkind earnings_list(struct db *db, const char *freelancer_id, long page, long limit,
                           json_object **out, struct err *e)
{
    struct db_result *sum = NULL, *r = NULL;
    int rc = db_exec(db,
                     "SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS DECIMAL(14,2)) "
                     "FROM earnings WHERE freelancer_id = ?",
                     DB_PARAMS(DBP_S(freelancer_id)), &sum, NULL);
    if (rc == DB_OK)
        rc = db_exec(
            db,
            "SELECT e.order_id, g.title, e.amount, o.currency, e.created_at "
            "FROM earnings e JOIN orders o ON o.id = e.order_id "
            "LEFT JOIN gigs g ON g.id = o.gig_id WHERE e.freelancer_id = ? "
            "ORDER BY e.created_at DESC, e.id DESC LIMIT ? OFFSET ?",
            DB_PARAMS(DBP_S(freelancer_id), DBP_I(limit), DBP_I((long long)(page - 1) * limit)), &r,
            NULL);
    if (rc != DB_OK) {
        db_result_free(sum);
        return dberr_fail(db, rc, e);
    }
    long long total = db_result_int(sum, 0, 0, 0);
    const char *amount = db_result_get(sum, 0, 1);
    json_object *items = json_object_new_array();
    for (size_t i = 0; i < r->rows; i++)
        json_object_array_add(items, earning_json(r, i));
    *out = pagination_page(items, total, page, limit);
    jsonx_add_str(*out, "total", amount ? amount : "0.00");
    db_result_free(r);
    db_result_free(sum);
    return E_OK;
}
