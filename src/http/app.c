/*
 * app.c - the route table and the per-request dispatch: match the route (404 and 405 in the REST
 * envelope), run the handler, and make sure a response always leaves.
 *
 * Everything under /api/trpc is answered in tRPC's shape, whatever goes wrong: a tRPC client
 * cannot read a REST envelope. Requests whose target is too long or whose path is not canonical
 * (trailing or doubled slash, dot segment, encoded slash) are refused before routing.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/app.h"
#include "khedma/handlers_auth.h"
#include "khedma/handlers_gigs.h"
#include "khedma/handlers_health.h"
#include "khedma/handlers_lifecycle.h"
#include "khedma/handlers_orders.h"
#include "khedma/handlers_orders_read.h"
#include "khedma/rest.h"
#include "khedma/router.h"
#include "khedma/trpc_procs.h"

static const struct route routes[] = {
    {"GET", "/healthz", handlers_health_get},
    {"POST", "/api/auth/signup", handlers_auth_signup},
    {"POST", "/api/auth/login", handlers_auth_login},
    {"POST", "/api/auth/logout", handlers_auth_logout},
    {"GET", "/api/auth/me", handlers_auth_me},
    {"PATCH", "/api/users/me", handlers_auth_patch_me},
    {"GET", "/api/categories", handlers_gigs_categories},
    {"GET", "/api/gigs", handlers_gigs_search},
    {"GET", "/api/gigs/{username}/{slug}", handlers_gigs_details},
    {"GET", "/api/users/{username}/gigs", handlers_gigs_user_gigs},
    {"POST", "/api/orders/checkout", handlers_orders_checkout},
    {"POST", "/api/orders", handlers_orders_create},
    {"POST", "/api/orders/{id}/confirm-transfer", handlers_orders_confirm_transfer},
    {"GET", "/api/orders", handlers_orders_read_list},
    {"GET", "/api/orders/{id}", handlers_orders_read_get},
    {"POST", "/api/payments/youcanpay/webhook", handlers_orders_youcanpay_webhook},
    {"POST", "/api/payments/paytabs/callback", handlers_orders_paytabs_callback},
    {"POST", "/api/orders/{id}/deliver", handlers_lifecycle_deliver},
    {"POST", "/api/orders/{id}/accept", handlers_lifecycle_accept},
    {"POST", "/api/orders/{id}/revision", handlers_lifecycle_revision},
    {"POST", "/api/orders/{id}/cancel", handlers_lifecycle_cancel},
    {"GET", "/api/orders/{id}/events", handlers_lifecycle_events},
    {"POST", "/api/orders/{id}/review", handlers_lifecycle_review},
    {"GET", "/api/notifications", handlers_lifecycle_notifications},
    {"POST", "/api/notifications/read-all", handlers_lifecycle_notifications_read_all},
    {"POST", "/api/notifications/{id}/read", handlers_lifecycle_notification_read},
    {"*", "/api/trpc/{path*}", trpc_procs_handle},
};

const struct route *app_routes(size_t *count)
{
    *count = sizeof routes / sizeof routes[0];
    return routes;
}

static bool is_trpc_path(const char *path)
{
    static const char prefix[] = "/api/trpc";
    size_t n = sizeof prefix - 1;
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

void app_refuse(struct ctx *c, int status, enum errkind kind, const char *message)
{
    const char *path = c->req->path;
    if (path && is_trpc_path(path))
        trpc_procs_refuse(c, kind, message);
    else
        rest_fail(c, status, message, NULL);
}

/* False, with the answer written, when the request cannot be routed as it was spelled. */
static bool target_acceptable(struct ctx *c)
{
    const struct request *r = c->req;
    bool trpc = is_trpc_path(r->path);
    if (r->target_len > MAX_TARGET) {
        char msg[80];
        snprintf(msg, sizeof msg, "Request URI too long (limit %d bytes)", MAX_TARGET);
        if (trpc)
            trpc_procs_refuse(c, E_TOO_LARGE, msg);
        else
            rest_fail(c, 414, msg, NULL);
        return false;
    }
    if (r->path_encoded_slash || !router_path_canonical(r->path)) {
        if (trpc)
            trpc_procs_refuse(c, E_NOT_FOUND, "Not found");
        else
            rest_fail(c, 404, "Not found", NULL);
        return false;
    }
    return true;
}

void app_handle(struct ctx *c)
{
    if (!target_acceptable(c))
        return;
    enum route_result rr = router_match(routes, sizeof(routes) / sizeof(routes[0]), c->req->method,
                                        c->req->path, &c->match);
    switch (rr) {
    case ROUTE_NOT_FOUND:
        rest_fail(c, 404, "Not found", NULL);
        break;
    case ROUTE_METHOD_NOT_ALLOWED:
        rest_fail(c, 405, "Method not allowed", NULL);
        response_header(c->resp, "Allow", c->match.allowed);
        break;
    case ROUTE_FOUND:
        c->match.route->handler(c);
        break;
    }
    if (c->resp->status == 0)
        rest_fail(c, 500, "Internal server error", NULL);
}
