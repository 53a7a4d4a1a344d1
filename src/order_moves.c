/*
 * order_moves.c - deliver, accept, request a revision and cancel (see order_moves.h), plus the
 * order's event history.
 *
 * A move is one transaction: lock the order and its payment (SELECT ... FOR UPDATE), read the
 * facts lifecycle_decide() needs, let it rule, write what it decided, record the event (which
 * also writes the notifications and webhook deliveries), commit. Two concurrent moves on one
 * order therefore run one after the other, and the second is judged on the first's result (a
 * double accept gives one completion and one 409, never two earnings).
 */
#include <stdio.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/ids.h"
#include "khedma/jsonx.h"
#include "khedma/order_moves.h"
#include "khedma/orders.h"
#include "khedma/timeutil.h"

/* The order as locked for a move. */
struct locked_order {
    char client[CUID_LEN + 1];
    char freelancer[CUID_LEN + 1];
    char total[32];
    struct lifecycle_order facts;
};

/* Reads the locked row into lo; false when a column holds something the state machine does not
 * know (a schema out of step with the code), which the caller treats as an internal error. */
static bool read_locked(const struct db_result *r, struct locked_order *lo)
{
    snprintf(lo->client, sizeof(lo->client), "%s", db_result_get(r, 0, 0));
    snprintf(lo->freelancer, sizeof(lo->freelancer), "%s", db_result_get(r, 0, 1));
    snprintf(lo->total, sizeof(lo->total), "%s", db_result_get(r, 0, 7));
    lo->facts.delivered = db_result_int(r, 0, 3, 0) != 0;
    lo->facts.due_passed = db_result_int(r, 0, 4, 0) != 0;
    lo->facts.revisions_used = db_result_int(r, 0, 5, 0);
    lo->facts.revisions_allowed = db_result_int(r, 0, 6, 0);
    return lifecycle_status_parse(db_result_get(r, 0, 2), &lo->facts.status) &&
           lifecycle_payment_parse(db_result_get(r, 0, 8), &lo->facts.payment);
}

/* Lock the order and its payment. "Due" is judged by the database clock, the same clock that
 * wrote due_at at confirmation. E_NOT_FOUND (rolled back) when there is no such order. */
static enum errkind lock_order(struct db *db, const char *order_id, struct locked_order *lo,
                               struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT o.user_id, o.freelancer_id, o.status, o.delivered_at IS NOT NULL, "
                     "o.due_at IS NOT NULL AND o.due_at <= UTC_TIMESTAMP(3), o.revisions_used, "
                     "o.revisions_allowed, o.total_amount, pay.status FROM orders o "
                     "LEFT JOIN payments pay ON pay.order_id = o.id WHERE o.id = ? FOR UPDATE",
                     DB_PARAMS(DBP_S(order_id)), &r, NULL);
    if (rc != DB_OK)
        return db_fail(db, rc, e);
    bool found = r->rows == 1, known = found && read_locked(r, lo);
    db_result_free(r);
    if (!found) {
        db_rollback(db);
        return err_set(e, E_NOT_FOUND, "Order not found");
    }
    return known ? E_OK : db_fail(db, DB_ERR, e);
}

/* The freelancer's earning: the whole order amount, once per order (uq_earnings_order). */
static int record_earning(struct db *db, const char *order_id, const struct locked_order *lo)
{
    char id[CUID_LEN + 1];
    cuid_new(id);
    return db_exec(
        db, "INSERT INTO earnings (id, order_id, freelancer_id, amount) VALUES (?, ?, ?, ?)",
        DB_PARAMS(DBP_S(id), DBP_S(order_id), DBP_S(lo->freelancer), DBP_S(lo->total)), NULL, NULL);
}

static int apply_cancel(struct db *db, const char *order_id, const struct locked_order *lo,
                        const struct lifecycle_decision *d, const char *reason)
{
    int rc = db_exec(db,
                     "UPDATE orders SET status = 'cancelled', cancelled_at = UTC_TIMESTAMP(3), "
                     "cancel_reason = ? WHERE id = ?",
                     DB_PARAMS(DBP_S(reason), DBP_S(order_id)), NULL, NULL);
    /* refunding: the jobs process asks PayTabs for the refund; YouCan Pay's transaction.refunded
     * event (gateway_events.c) marks it refunded. failed: a checkout that was never paid. */
    if (rc == DB_OK && d->payment != lo->facts.payment && lifecycle_payment_name(d->payment))
        rc = db_exec(db, "UPDATE payments SET status = ? WHERE order_id = ?",
                     DB_PARAMS(DBP_S(lifecycle_payment_name(d->payment)), DBP_S(order_id)), NULL,
                     NULL);
    return rc;
}

/* Write what the decision says, inside the move's transaction. */
static int apply_move(struct db *db, const char *order_id, enum lifecycle_move move,
                      const struct locked_order *lo, const struct lifecycle_decision *d,
                      const char *reason)
{
    int rc = DB_OK;
    switch (move) {
    case LIFECYCLE_DELIVER:
        rc = db_exec(db, "UPDATE orders SET delivered_at = UTC_TIMESTAMP(3) WHERE id = ?",
                     DB_PARAMS(DBP_S(order_id)), NULL, NULL);
        break;
    case LIFECYCLE_REVISION:
        rc = db_exec(db,
                     "UPDATE orders SET delivered_at = NULL, revisions_used = revisions_used + 1 "
                     "WHERE id = ?",
                     DB_PARAMS(DBP_S(order_id)), NULL, NULL);
        break;
    case LIFECYCLE_ACCEPT:
        rc = db_exec(db,
                     "UPDATE orders SET status = 'completed', completed_at = UTC_TIMESTAMP(3) "
                     "WHERE id = ?",
                     DB_PARAMS(DBP_S(order_id)), NULL, NULL);
        if (rc == DB_OK)
            rc = record_earning(db, order_id, lo);
        break;
    case LIFECYCLE_CANCEL:
        rc = apply_cancel(db, order_id, lo, d, reason);
        break;
    }
    return rc;
}

/* The move's transaction, run by db_tx_retry: it may run again from its BEGIN. */
struct move_tx {
    const struct user *user;
    const char *order_id;
    enum lifecycle_move move;
    const char *reason;
};

static enum errkind move_tx(struct db *db, void *arg, struct err *e)
{
    const struct move_tx *x = arg;
    const struct user *user = x->user;
    struct locked_order lo;
    memset(&lo, 0, sizeof(lo));
    int rc = db_begin(db);
    if (rc != DB_OK)
        return db_fail(db, rc, e);
    if (lock_order(db, x->order_id, &lo, e) != E_OK)
        return e->kind;
    enum lifecycle_role role =
        lifecycle_role_for(strcmp(user->id, lo.client) == 0, strcmp(user->id, lo.freelancer) == 0,
                           strcmp(user->role, "admin") == 0, x->move);
    struct lifecycle_decision d = lifecycle_decide(&lo.facts, role, x->move);
    if (d.kind != E_OK) {
        db_rollback(db);
        return err_set(e, d.kind, "%s", d.message);
    }
    rc = apply_move(db, x->order_id, x->move, &lo, &d, x->reason);
    if (rc == DB_DUPLICATE) { /* an earning already there: completed by someone else */
        db_rollback(db);
        return err_set(e, E_CONFLICT, "Order is completed");
    }
    if (rc != DB_OK)
        return db_fail(db, rc, e);
    struct order_move m = {
        x->order_id, d.event,  lifecycle_status_name(lo.facts.status), lifecycle_status_name(d.to),
        user->id,    x->reason};
    if (order_event_record(db, &m, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    return rc == DB_OK ? E_OK : db_fail(db, rc, e);
}

enum errkind orders_move(struct db *db, const struct user *user, const char *order_id,
                         enum lifecycle_move move, const char *reason, json_object **order,
                         struct err *e)
{
    struct move_tx x = {user, order_id, move, reason};
    if (db_tx_retry(db, move_tx, &x, e) != E_OK)
        return e->kind;
    return order_load(db, order_id, order, e);
}

/* Parties and admins see an order's history; anyone else learns nothing, not even that the
 * order exists. */
static enum errkind check_visible(struct db *db, const struct user *user, const char *order_id,
                                  struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, "SELECT user_id, freelancer_id FROM orders WHERE id = ?",
                     DB_PARAMS(DBP_S(order_id)), &r, NULL);
    if (rc != DB_OK)
        return db_fail(db, rc, e);
    bool visible = r->rows == 1 && (strcmp(db_result_get(r, 0, 0), user->id) == 0 ||
                                    strcmp(db_result_get(r, 0, 1), user->id) == 0 ||
                                    strcmp(user->role, "admin") == 0);
    db_result_free(r);
    return visible ? E_OK : err_set(e, E_NOT_FOUND, "Order not found");
}

static json_object *event_json(const struct db_result *r, size_t row)
{
    json_object *ev = json_object_new_object();
    char at[ISO_TIME_LEN + 1];
    jsonx_add_str(ev, "id", db_result_get(r, row, 0));
    jsonx_add_str(ev, "type", db_result_get(r, row, 1));
    jsonx_add_str(ev, "from", db_result_get(r, row, 2));
    jsonx_add_str(ev, "to", db_result_get(r, row, 3));
    jsonx_add_str(ev, "actorId", db_result_get(r, row, 4));
    jsonx_add_str(ev, "at", iso_from_db(db_result_get(r, row, 5), at) == 0 ? at : NULL);
    jsonx_add_str(ev, "reason", db_result_get(r, row, 6));
    return ev;
}

enum errkind orders_events(struct db *db, const struct user *user, const char *order_id,
                           json_object **out, struct err *e)
{
    if (check_visible(db, user, order_id, e) != E_OK)
        return e->kind;
    struct db_result *r = NULL;
    /* ix_order_events_order_seq. Moves on one order are serialised by its row lock, so the
     * database-assigned seq is the order they happened in - created_at can tie within one
     * millisecond, and ids made by two workers in that millisecond do not sort (0004). */
    int rc = db_exec(db,
                     "SELECT id, type, from_status, to_status, actor_id, created_at, reason "
                     "FROM order_events WHERE order_id = ? ORDER BY seq",
                     DB_PARAMS(DBP_S(order_id)), &r, NULL);
    if (rc != DB_OK)
        return db_fail(db, rc, e);
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < r->rows; i++)
        json_object_array_add(list, event_json(r, i));
    db_result_free(r);
    *out = list;
    return E_OK;
}
