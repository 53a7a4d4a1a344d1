/*
 * paytabs_vip.c - the PayTabs calls of VIP subscriptions (paytabs_vip.h): capture and void of a
 * trial's authorisation, and the recurring sale that charges a renewal with the saved token.
 *
 * Only the jobs process and the cancel path call these, never a request handler waiting on a
 * customer, so an unknown outcome (no answer) is reported as such and the caller decides when
 * to try again; a declined charge is an answer, not an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "khedma/config.h"
#include "khedma/httpclient.h"
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/money.h"
#include "khedma/paytabs.h"
#include "khedma/paytabs_vip.h"

#define PROFILE_DIGITS_MAX 18

/* As paytabs.c: a JSON number when all digits (PayTabs documents a number), else a string. */
static json_object *profile_json(const char *profile_id)
{
    size_t n = strlen(profile_id);
    if (n > 0 && n <= PROFILE_DIGITS_MAX && strspn(profile_id, "0123456789") == n)
        return json_object_new_int64(strtoll(profile_id, NULL, 10));
    return json_object_new_string(profile_id);
}

static bool present(const char *s)
{
    return s && *s;
}

/* The fields all three requests share; NULL when the cart is incomplete. */
static json_object *cart_request(const char *profile_id, const char *tran_type,
                                 const char *tran_class, const char *tran_ref,
                                 const struct paytabs_vip_cart *cart, const char *description)
{
    char amount[32];
    if (!present(profile_id) || !present(tran_ref) || strlen(tran_ref) > GATEWAY_REF_MAX || !cart ||
        !present(cart->order_number) || !money_normalize(cart->amount, amount))
        return NULL;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "profile_id", profile_json(profile_id));
    jsonx_add_str(o, "tran_type", tran_type);
    jsonx_add_str(o, "tran_class", tran_class);
    jsonx_add_str(o, "tran_ref", tran_ref);
    jsonx_add_str(o, "cart_id", cart->order_number);
    jsonx_add_str(o, "cart_currency", present(cart->currency) ? cart->currency : "MAD");
    json_object_object_add(o, "cart_amount",
                           json_object_new_double_s(strtod(amount, NULL), amount));
    jsonx_add_str(o, "cart_description", description);
    return o;
}

static void describe(char *out, size_t len, const char *what, const struct paytabs_vip_cart *cart)
{
    snprintf(out, len, "%s order number %s", what,
             cart && cart->order_number ? cart->order_number : "");
}

json_object *paytabs_vip_build_capture(const char *profile_id, const char *auth_ref,
                                       const struct paytabs_vip_cart *cart)
{
    char description[160];
    describe(description, sizeof description, "Payment for Subscription", cart);
    return cart_request(profile_id, "capture", "ecom", auth_ref, cart, description);
}

json_object *paytabs_vip_build_void(const char *profile_id, const char *auth_ref,
                                    const struct paytabs_vip_cart *cart)
{
    char description[160];
    describe(description, sizeof description, "Trial cancelled for Subscription", cart);
    return cart_request(profile_id, "void", "ecom", auth_ref, cart, description);
}

json_object *paytabs_vip_build_recurring(const char *profile_id, const char *token,
                                         const char *original_ref,
                                         const struct paytabs_vip_cart *cart)
{
    char description[160];
    if (!present(token) || strlen(token) > PAYTABS_VIP_TOKEN_MAX)
        return NULL;
    describe(description, sizeof description, "Payment for Subscription", cart);
    json_object *o = cart_request(profile_id, "sale", "recurring", original_ref, cart, description);
    if (o)
        jsonx_add_str(o, "token", token);
    return o;
}

bool paytabs_vip_parse_result(const char *body, size_t len, struct paytabs_vip_result *res)
{
    memset(res, 0, sizeof *res);
    json_object *root = jsonx_parse(body, len);
    json_object *pr = jsonx_obj(root, "payment_result");
    const char *status = jsonx_str(pr, "response_status");
    const char *ref = jsonx_str(root, "tran_ref");
    bool ok = present(status) && gateway_util_copy(res->status, sizeof res->status, status);
    if (ok && ref && !gateway_util_copy(res->tran_ref, sizeof res->tran_ref, ref))
        ok = false;
    if (ok && strcasecmp(res->status, "A") == 0 && !res->tran_ref[0])
        ok = false;
    if (ok)
        snprintf(res->message, sizeof res->message, "%s",
                 jsonx_str(pr, "response_message") ? jsonx_str(pr, "response_message") : "");
    else
        memset(res, 0, sizeof *res);
    json_object_put(root);
    return ok;
}

/* PayTabs refuses a request it cannot act on (unknown reference, already captured, bad token)
 * with a 4xx and {code, message}: a definite "no", reported as status E with its message. */
static bool parse_refusal(const struct httpclient_response *r, struct paytabs_vip_result *res)
{
    if (r->status < 400 || r->status >= 500 || r->status == 401 || r->status == 408 ||
        r->status == 429)
        return false;
    json_object *root = jsonx_parse(r->body, r->len);
    const char *message = jsonx_str(root, "message");
    bool ok = message != NULL;
    if (ok) {
        memset(res, 0, sizeof *res);
        snprintf(res->status, sizeof res->status, "E");
        snprintf(res->message, sizeof res->message, "%s", message);
    }
    json_object_put(root);
    return ok;
}

/* Sends body (taking it), reads the answer into res. op names the call in logs, with the
 * order number; never the token. */
static enum errkind send(const char *op, json_object *body, const struct paytabs_vip_cart *cart,
                         struct paytabs_vip_result *res, struct err *e)
{
    memset(res, 0, sizeof *res);
    if (!body) {
        log_error("paytabs %s: cannot build the request (reference, token, order or amount)", op);
        return err_set(e, E_INTERNAL, "Cannot prepare the payment");
    }
    struct httpclient_response r;
    int rc = paytabs_post(op, "/payment/request", body, &r);
    json_object_put(body);
    if (rc != 0) {
        httpclient_response_free(&r);
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    }
    bool ok =
        (r.status == 200 && paytabs_vip_parse_result(r.body, r.len, res)) || parse_refusal(&r, res);
    if (!ok)
        log_warn("paytabs %s for subscription order %s: unexpected answer (HTTP %ld, %zu bytes)",
                 op, cart->order_number, r.status, r.len);
    else if (strcasecmp(res->status, "A") != 0)
        log_info("paytabs %s for subscription order %s: status %s", op, cart->order_number,
                 res->status);
    httpclient_response_free(&r);
    return ok ? E_OK : err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
}

static const char *profile(void)
{
    return g_config && g_config->paytabs_profile_id ? g_config->paytabs_profile_id : "";
}

/* Without a profile nothing can be built: the gateway is unavailable, as paytabs.c says it. */
static bool unconfigured(const char *op, struct paytabs_vip_result *res, struct err *e)
{
    memset(res, 0, sizeof *res);
    if (present(profile()) && present(g_config->paytabs_server_key))
        return false;
    log_error("paytabs %s: KHEDMA_PAYTABS_SERVER_KEY and KHEDMA_PAYTABS_PROFILE_ID must be set",
              op);
    err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    return true;
}

enum errkind paytabs_vip_capture(const char *auth_ref, const struct paytabs_vip_cart *cart,
                                 struct paytabs_vip_result *res, struct err *e)
{
    if (unconfigured("capture", res, e))
        return e->kind;
    return send("capture", paytabs_vip_build_capture(profile(), auth_ref, cart), cart, res, e);
}

enum errkind paytabs_vip_void(const char *auth_ref, const struct paytabs_vip_cart *cart,
                              struct paytabs_vip_result *res, struct err *e)
{
    if (unconfigured("void", res, e))
        return e->kind;
    return send("void", paytabs_vip_build_void(profile(), auth_ref, cart), cart, res, e);
}

enum errkind paytabs_vip_recurring(const char *token, const char *original_ref,
                                   const struct paytabs_vip_cart *cart,
                                   struct paytabs_vip_result *res, struct err *e)
{
    if (unconfigured("recurring", res, e))
        return e->kind;
    return send("recurring", paytabs_vip_build_recurring(profile(), token, original_ref, cart),
                cart, res, e);
}
