/*
 * order_create.h - order.create (docs/api.md, "tRPC"): the client names a paid gateway
 * transaction; the server verifies it and confirms the client's checkout or records a new, paid
 * order. Knows nothing about HTTP.
 */
#ifndef KHEDMA_ORDER_CREATE_H
#define KHEDMA_ORDER_CREATE_H

#include <json-c/json.h>
#include "khedma/accounts.h"
#include "khedma/db.h"
#include "khedma/errors.h"

struct order_create {
    const char *amount; /* decimal string */
    const char *transaction_id;
    const char *order_id;
    const char *gig_id;
    const char *package_id;
};
/* On success *order is the paid Order. */
enum errkind order_create_paid(struct db *db, const struct user *client,
                               const struct order_create *in, json_object **order, struct err *e);

#endif
