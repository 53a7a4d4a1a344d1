/*
 * order_moves.c - deliver, accept, request a revision and cancel (see order_moves.h), plus the
 * order's event history.
 *
 * A move is one transaction around order_store_transition(), which locks the order, lets the
 * state machine rule, writes what it decided and records the event (with its notifications and
 * webhook deliveries). Two concurrent moves on one order therefore run one after the other, and
 * the second is judged on the first's result (a double accept gives one completion and one 409,
 * never two earnings).
 */
#include <stdio.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/cuid.h"
#include "khedma/jsonx.h"
#include "khedma/lifecycle.h"
#include "khedma/order_json.h"
#include "khedma/order_moves.h"
#include "khedma/order_store.h"
#include "khedma/timeutil.h"

/* The move's transaction, run by dberr_tx_retry: it may run again from its BEGIN. */
struct move_tx {
    const struct user *user;
    const char *order_id;
    enum lifecycle_move move;
    const char *reason;
};

static enum errkind move_tx(struct db *db, void *arg, struct err *e)
{
    const struct move_tx *x = arg;
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct order_change c = {x->move, x->user, x->reason, NULL, NULL, 0};
    if (order_store_transition(db, x->order_id, &c, NULL, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

enum errkind order_moves_make(struct db *db, const struct user *user, const char *order_id,
                              enum lifecycle_move move, const char *reason, json_object **order,
                              struct err *e)
{
    struct move_tx x = {user, order_id, move, reason};
    if (dberr_tx_retry(db, move_tx, &x, e) != E_OK)
        return e->kind;
    return order_json_load(db, order_id, order, e);
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
        return dberr_fail(db, rc, e);
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
    jsonx_add_str(ev, "at", timeutil_iso_from_db(db_result_get(r, row, 5), at) == 0 ? at : NULL);
    jsonx_add_str(ev, "reason", db_result_get(r, row, 6));
    return ev;
}

enum errkind order_moves_events(struct db *db, const struct user *user, const char *order_id,
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
        return dberr_fail(db, rc, e);
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < r->rows; i++)
        json_object_array_add(list, event_json(r, i));
    db_result_free(r);
    *out = list;
    return E_OK;
}
