/*
 * trpc_procs_orders.h - the order.* tRPC procedures (trpc_procs_orders.c), listed in the
 * procedure table of trpc_procs.c. Each is a trpc_fn (trpc.h).
 */
#ifndef KHEDMA_TRPC_PROCS_ORDERS_H
#define KHEDMA_TRPC_PROCS_ORDERS_H

#include <json-c/json.h>
#include "khedma/ctx.h"
#include "khedma/errors.h"

/* order.checkout {paymentMethod, packageId, gigId?} */
enum errkind trpc_procs_orders_checkout(struct ctx *c, json_object *in, json_object **out,
                                        struct err *e);
/* order.create {amount, transactionId, orderId, gigId, packageId} */
enum errkind trpc_procs_orders_create(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e);
/* order.list {as?, status?, page?, limit?} */
enum errkind trpc_procs_orders_list(struct ctx *c, json_object *in, json_object **out,
                                    struct err *e);
/* order.byId {id} */
enum errkind trpc_procs_orders_by_id(struct ctx *c, json_object *in, json_object **out,
                                     struct err *e);
/* order.deliver, order.accept, order.requestRevision, order.cancel {id, reason?}: the Order
 * after the move. */
enum errkind trpc_procs_orders_deliver(struct ctx *c, json_object *in, json_object **out,
                                       struct err *e);
enum errkind trpc_procs_orders_accept(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e);
enum errkind trpc_procs_orders_request_revision(struct ctx *c, json_object *in, json_object **out,
                                                struct err *e);
enum errkind trpc_procs_orders_cancel(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e);

#endif
