/*
 * app.h - the application as the worker sees it: one entry point per request, plus the route
 * table that wires REST, tRPC and health handlers.
 */
#ifndef KHEDMA_APP_H
#define KHEDMA_APP_H

#include "khedma/ctx.h"

/* Route and run one request; always leaves a complete response in c->resp. */
void app_handle(struct ctx *c);

/* The route table (*count entries), for the test that compares it with docs/openapi.yaml. */
const struct route *app_routes(size_t *count);

/* Refuse a request the worker could not even read (a malformed URI, a body too large or cut
 * short) in the shape its client expects: a tRPC error under /api/trpc, else the REST envelope
 * with `status`. */
void app_refuse(struct ctx *c, int status, enum errkind kind, const char *message);

/* Handlers (one file per area). */
void handle_healthz(struct ctx *c);
void handle_auth_signup(struct ctx *c);
void handle_auth_login(struct ctx *c);
void handle_auth_logout(struct ctx *c);
void handle_auth_me(struct ctx *c);
void handle_users_me_patch(struct ctx *c);
/* Public gig reads (handlers_gigs.c). */
void handle_categories(struct ctx *c);
void handle_gigs_search(struct ctx *c);
void handle_gig_details(struct ctx *c);
void handle_user_gigs(struct ctx *c);
/* Checkout, payment confirmation and gateway events (handlers_orders.c). */
void handle_orders_checkout(struct ctx *c);
void handle_orders_create(struct ctx *c);
void handle_orders_confirm_transfer(struct ctx *c);
void handle_youcanpay_webhook(struct ctx *c);
void handle_paytabs_callback(struct ctx *c);
/* Order moves, events, reviews and notifications (handlers_lifecycle.c). */
void handle_order_deliver(struct ctx *c);
void handle_order_accept(struct ctx *c);
void handle_order_revision(struct ctx *c);
void handle_order_cancel(struct ctx *c);
void handle_order_events(struct ctx *c);
void handle_order_review(struct ctx *c);
void handle_notifications_list(struct ctx *c);
void handle_notification_read(struct ctx *c);
void handle_notifications_read_all(struct ctx *c);
/* tRPC order.deliver, order.accept, order.requestRevision, order.cancel (handlers_lifecycle.c). */
enum errkind trpc_order_deliver(struct ctx *c, json_object *in, json_object **out, struct err *e);
enum errkind trpc_order_accept(struct ctx *c, json_object *in, json_object **out, struct err *e);
enum errkind trpc_order_request_revision(struct ctx *c, json_object *in, json_object **out,
                                         struct err *e);
enum errkind trpc_order_cancel(struct ctx *c, json_object *in, json_object **out, struct err *e);
/* Order reads: GET /api/orders and GET /api/orders/{id} (handlers_orders_read.c). */
void handle_orders_list(struct ctx *c);
void handle_order_get(struct ctx *c);
/* /api/trpc/{path*}: the tRPC procedures (trpc_procs.c). */
void handle_trpc(struct ctx *c);
/* A request under /api/trpc refused before routing, answered in tRPC's error shape. */
void handle_trpc_refused(struct ctx *c, enum errkind kind, const char *message);

#endif
