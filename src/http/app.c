/*
 * app.c - the route table and the per-request dispatch: match the route (404 and 405 in the REST
 * envelope), run the handler, and make sure a response always leaves.
 *
 * The table also says which routes are public reads (CACHE_PUBLIC: the same answer for every
 * anonymous caller); response_cache_policy (http.h) decides from that whether nginx may cache.
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
#include "khedma/handlers_apple.h"
#include "khedma/handlers_health.h"
#include "khedma/handlers_lifecycle.h"
#include "khedma/handlers_orders.h"
#include "khedma/handlers_orders_read.h"
#include "khedma/handlers_vip.h"
#include "khedma/metrics_http.h"
#include "khedma/rest.h"
#include "khedma/router.h"
#include "khedma/trpc_procs.h"
#include "khedma/web.h"
#include "khedma/web_auth.h"
#include "khedma/web_notifications.h"
#include "khedma/web_order.h"
#include "khedma/web_orders.h"
#include "khedma/web_dashboard.h"
#include "khedma/web_gig_editor.h"
#include "khedma/web_uploads.h"
#include "khedma/web_vip.h"
#include "khedma/web_gig.h"
#include "khedma/web_public.h"
#include "khedma/web_seo.h"

static const struct route routes[] = {
    {"GET", "/healthz", handlers_health_get, CACHE_NEVER},
    {"POST", "/api/auth/signup", handlers_auth_signup, CACHE_NEVER},
    {"POST", "/api/auth/login", handlers_auth_login, CACHE_NEVER},
    {"POST", "/api/auth/logout", handlers_auth_logout, CACHE_NEVER},
    {"GET", "/api/auth/me", handlers_auth_me, CACHE_NEVER},
    {"PATCH", "/api/users/me", handlers_auth_patch_me, CACHE_NEVER},
    {"GET", "/api/categories", handlers_gigs_categories, CACHE_PUBLIC},
    {"GET", "/api/gigs", handlers_gigs_search, CACHE_PUBLIC},
    {"GET", "/api/gigs/{username}/{slug}", handlers_gigs_details, CACHE_PUBLIC},
    {"GET", "/api/users/{username}/gigs", handlers_gigs_user_gigs, CACHE_PUBLIC},
    {"POST", "/api/orders/checkout", handlers_orders_checkout, CACHE_NEVER},
    {"POST", "/api/orders", handlers_orders_create, CACHE_NEVER},
    {"POST", "/api/orders/{id}/confirm-transfer", handlers_orders_confirm_transfer, CACHE_NEVER},
    {"GET", "/api/orders", handlers_orders_read_list, CACHE_NEVER},
    {"GET", "/api/orders/{id}", handlers_orders_read_get, CACHE_NEVER},
    {"POST", "/api/payments/youcanpay/webhook", handlers_orders_youcanpay_webhook, CACHE_NEVER},
    {"POST", "/api/payments/paytabs/callback", handlers_orders_paytabs_callback, CACHE_NEVER},
    {"POST", "/api/subscriptions/apple/transactions", handlers_apple_transactions, CACHE_NEVER},
    {"POST", "/api/subscriptions/apple/notifications", handlers_apple_notifications, CACHE_NEVER},
    {"POST", "/api/orders/{id}/deliver", handlers_lifecycle_deliver, CACHE_NEVER},
    {"POST", "/api/orders/{id}/accept", handlers_lifecycle_accept, CACHE_NEVER},
    {"POST", "/api/orders/{id}/revision", handlers_lifecycle_revision, CACHE_NEVER},
    {"POST", "/api/orders/{id}/cancel", handlers_lifecycle_cancel, CACHE_NEVER},
    {"GET", "/api/orders/{id}/events", handlers_lifecycle_events, CACHE_NEVER},
    {"POST", "/api/orders/{id}/review", handlers_lifecycle_review, CACHE_NEVER},
    {"GET", "/api/vip-packages", handlers_vip_packages, CACHE_PUBLIC},
    {"GET", "/api/subscriptions/me", handlers_vip_my_subscription, CACHE_NEVER},
    {"POST", "/api/subscriptions/me/cancel", handlers_vip_cancel, CACHE_NEVER},
    {"GET", "/api/notifications", handlers_lifecycle_notifications, CACHE_NEVER},
    {"POST", "/api/notifications/read-all", handlers_lifecycle_notifications_read_all, CACHE_NEVER},
    {"POST", "/api/notifications/{id}/read", handlers_lifecycle_notification_read, CACHE_NEVER},
    /* Per procedure: trpc_procs.c's table says which are public reads. */
    {"*", "/api/trpc/{path*}", trpc_procs_handle, CACHE_NEVER},

    /* The web storefront (src/web/, docs/web.md): HTML pages at the original web app's paths.
     * Public pages are CACHE_PUBLIC like the public API reads; pages for a signed-in viewer
     * never are (they carry the session cookie, see response_cache_policy). */
    /* web: public pages */
    {"GET", "/", web_public_home, CACHE_PUBLIC},
    {"GET", "/services", web_public_services, CACHE_PUBLIC},
    {"GET", "/services/search", web_public_search, CACHE_PUBLIC},
    {"GET", "/services/{category}", web_public_category, CACHE_PUBLIC},
    {"GET", "/sitemap.xml", web_seo_sitemap, CACHE_PUBLIC},
    {"GET", "/robots.txt", web_seo_robots, CACHE_PUBLIC},
    /* Prometheus metrics, for KHEDMA_METRICS_ALLOW's addresses only (metrics_http.c). */
    {"GET", "/metrics", metrics_http_handle, CACHE_NEVER},
    /* web: accounts and ordering */
    {"GET", "/auth/sign-up", web_auth_sign_up_get, CACHE_NEVER},
    {"POST", "/auth/sign-up", web_auth_sign_up_post, CACHE_NEVER},
    {"GET", "/auth/sign-in", web_auth_sign_in_get, CACHE_NEVER},
    {"POST", "/auth/sign-in", web_auth_sign_in_post, CACHE_NEVER},
    {"POST", "/auth/sign-out", web_auth_sign_out, CACHE_NEVER},
    {"GET", "/order/{username}/{slug}/{package}", web_order_get, CACHE_NEVER},
    {"POST", "/order/{username}/{slug}/{package}", web_order_post, CACHE_NEVER},
    {"GET", "/orders/{id}/payment-success", web_order_payment_success, CACHE_NEVER},
    {"GET", "/orders/{id}/payment-failed", web_order_payment_failed, CACHE_NEVER},
    {"GET", "/orders/{id}/payment-return", web_order_payment_return, CACHE_NEVER},
    {"POST", "/orders/{id}/payment-return", web_order_payment_return_post, CACHE_NEVER},
    /* web: dashboard */
    {"GET", "/dashboard/orders", web_orders_list, CACHE_NEVER},
    {"GET", "/dashboard/orders/{id}", web_orders_detail, CACHE_NEVER},
    {"POST", "/dashboard/orders/{id}", web_orders_move, CACHE_NEVER},
    {"GET", "/dashboard/notifications", web_notifications_list, CACHE_NEVER},
    {"POST", "/dashboard/notifications/read-all", web_notifications_read_all, CACHE_NEVER},
    {"POST", "/dashboard/notifications/{id}/read", web_notifications_read, CACHE_NEVER},
    {"GET", "/dashboard", web_dashboard_home, CACHE_NEVER},
    {"GET", "/dashboard/earnings", web_dashboard_earnings, CACHE_NEVER},
    {"GET", "/dashboard/vip", web_vip_page, CACHE_NEVER},
    {"POST", "/dashboard/vip", web_vip_subscribe, CACHE_NEVER},
    {"POST", "/dashboard/vip/cancel", web_vip_cancel, CACHE_NEVER},
    {"POST", "/dashboard/vip/return", web_vip_return, CACHE_NEVER},
    {"GET", "/dashboard/settings", web_dashboard_settings, CACHE_NEVER},
    {"POST", "/dashboard/settings", web_dashboard_settings_save, CACHE_NEVER},
    {"GET", "/dashboard/gigs", web_gig_editor_list, CACHE_NEVER},
    {"POST", "/dashboard/gigs", web_gig_editor_create, CACHE_NEVER},
    /* web: gig editor and uploads */
    {"GET", "/dashboard/gigs/{id}/overview", web_gig_editor_overview, CACHE_NEVER},
    {"POST", "/dashboard/gigs/{id}/overview", web_gig_editor_overview_save, CACHE_NEVER},
    {"GET", "/dashboard/gigs/{id}/pricing", web_gig_editor_pricing, CACHE_NEVER},
    {"POST", "/dashboard/gigs/{id}/pricing", web_gig_editor_pricing_save, CACHE_NEVER},
    {"GET", "/dashboard/gigs/{id}/description", web_gig_editor_description, CACHE_NEVER},
    {"POST", "/dashboard/gigs/{id}/description", web_gig_editor_description_save, CACHE_NEVER},
    {"GET", "/dashboard/gigs/{id}/gallery", web_gig_editor_gallery, CACHE_NEVER},
    {"POST", "/dashboard/gigs/{id}/gallery", web_gig_editor_gallery_save, CACHE_NEVER},
    {"GET", "/dashboard/gigs/{id}/publish", web_gig_editor_publish, CACHE_NEVER},
    {"POST", "/dashboard/gigs/{id}/publish", web_gig_editor_publish_save, CACHE_NEVER},
    {"GET", "/dashboard/gigs/{id}/delete", web_gig_editor_delete, CACHE_NEVER},
    {"POST", "/dashboard/gigs/{id}/delete", web_gig_editor_delete_save, CACHE_NEVER},
    {"POST", UPLOAD_PATH, web_uploads_gallery, CACHE_NEVER},
    {"GET", "/dashboard/gallery/too-large", web_uploads_too_large, CACHE_NEVER},
    /* web: the seller profile and gig pages last, after every literal first segment (signup
     * refuses those words as usernames, validate.c) */
    {"GET", "/{username}", web_gig_profile, CACHE_PUBLIC},
    {"GET", "/{username}/{slug}", web_gig_page, CACHE_PUBLIC},
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

/* The JSON transports: everything under /api, and /healthz. Every other path is a web page and
 * is answered in HTML, errors included. */
static bool is_api_path(const char *path)
{
    static const char prefix[] = "/api";
    size_t n = sizeof prefix - 1;
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool is_json_path(const char *path)
{
    return !path || is_api_path(path) || strcmp(path, "/healthz") == 0;
}

void app_refuse(struct ctx *c, int status, enum errkind kind, const char *message)
{
    const char *path = c->req->path;
    if (path && is_trpc_path(path))
        trpc_procs_refuse(c, kind, message);
    else if (!is_json_path(path))
        web_error_page(c, status, message);
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
        else if (!is_json_path(r->path))
            web_error_page(c, 414, "This address is too long.");
        else
            rest_fail(c, 414, msg, NULL);
        return false;
    }
    if (r->path_encoded_slash || !router_path_canonical(r->path)) {
        if (trpc)
            trpc_procs_refuse(c, E_NOT_FOUND, "Not found");
        else if (!is_json_path(r->path))
            web_not_found(c);
        else
            rest_fail(c, 404, "Not found", NULL);
        return false;
    }
    return true;
}

/* The routes of the JSON transports: the table's leading rows, before the first web page. A JSON
 * path is matched against these only, since the web's "/{username}/{slug}" would otherwise take
 * "/api/anything" (and answer a POST to an unknown API path 405). */
static size_t json_route_count(void)
{
    size_t n = 0;
    while (n < sizeof routes / sizeof routes[0] && is_json_path(routes[n].pattern))
        n++;
    return n;
}

void app_handle(struct ctx *c)
{
    if (!target_acceptable(c))
        return;
    size_t nroutes =
        is_json_path(c->req->path) ? json_route_count() : sizeof routes / sizeof routes[0];
    enum route_result rr = router_match(routes, nroutes, c->req->method, c->req->path, &c->match);
    switch (rr) {
    case ROUTE_NOT_FOUND:
        if (is_json_path(c->req->path))
            rest_fail(c, 404, "Not found", NULL);
        else
            web_not_found(c);
        break;
    case ROUTE_METHOD_NOT_ALLOWED:
        if (is_json_path(c->req->path))
            rest_fail(c, 405, "Method not allowed", NULL);
        else
            web_error_page(c, 405, "This page cannot be used that way.");
        response_header(c->resp, "Allow", c->match.allowed);
        break;
    case ROUTE_FOUND:
        c->resp->public_read = c->match.route->cache == CACHE_PUBLIC;
        c->match.route->handler(c);
        break;
    }
    if (c->resp->status == 0) {
        if (is_json_path(c->req->path))
            rest_fail(c, 500, "Internal server error", NULL);
        else
            web_error_page(c, 500, "Something went wrong on our side. Please try again.");
    }
}
