/*
 * order_moves.h - the moves of an order after payment (docs/api.md, "Order lifecycle"): deliver,
 * accept, request a revision, cancel, each one transaction under the order's row lock that also
 * writes the order event (with its notifications and outgoing webhooks); and the order's event
 * history. The rules themselves are in lifecycle.h. Knows nothing about HTTP.
 */
#ifndef KHEDMA_ORDER_MOVES_H
#define KHEDMA_ORDER_MOVES_H

#include <json-c/json.h>
#include "khedma/accounts.h"
#include "khedma/db.h"
#include "khedma/errors.h"
#include "khedma/lifecycle.h"

#define MOVE_REASON_MAX 1000 /* characters, as order_events.reason and orders.cancel_reason */

/* Make the move as user (a party or an admin; anyone else gets E_NOT_FOUND "Order not found").
 * reason may be NULL. On success *order is the Order after the move. Refusals: E_CONFLICT (final
 * or wrong state), E_FORBIDDEN (not this party's move). */
enum errkind order_moves_make(struct db *db, const struct user *user, const char *order_id,
                              enum lifecycle_move move, const char *reason, json_object **order,
                              struct err *e);

/* GET /api/orders/{id}/events: [{id, type, from, to, actorId, at, reason}], oldest first, for the
 * order's parties and admins (E_NOT_FOUND for anyone else). */
enum errkind order_moves_events(struct db *db, const struct user *user, const char *order_id,
                                json_object **out, struct err *e);

#endif
