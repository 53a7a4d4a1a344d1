/*
 * gateway_util.h - what the card gateway modules (youcanpay.c, paytabs.c) and their dispatcher
 * (gateway.c) share, kept below all three so that no gateway module calls its dispatcher: the
 * types that cross the gateway interface, the shape of a gateway's operations table, and the
 * helpers both clients use (URL escaping, bounded copies, signature checks).
 *
 * Amounts cross this interface as decimal strings in MAD major units ("500.00"); a client that
 * speaks minor units converts on the wire. Strings in results are "" when absent.
 */
#ifndef KHEDMA_GATEWAY_UTIL_H
#define KHEDMA_GATEWAY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/errors.h"

/* The gateways the rest of the code names. Each value is the index of the gateway's entry in
 * the dispatcher's table (gateway.c); a gateway that no caller names needs no constant here. */
enum gateway_provider { GATEWAY_YOUCANPAY, GATEWAY_PAYTABS };

/* Longest reference (transaction id, tran_ref, token id, order id) taken from or sent to a
 * gateway: the size of the char[129] fields below, less the NUL. */
#define GATEWAY_REF_MAX 128
/* The client-safe message of every E_BAD_GATEWAY (the detail goes to the log). */
#define GATEWAY_MSG_UNAVAILABLE "Payment gateway unavailable"

struct gateway_customer {
    const char *name;
    const char *email;
    const char *phone;
    const char *ip;
};

struct gateway_checkout_request {
    const char *order_id;    /* our order id: YouCan Pay order_id / PayTabs cart_id */
    const char *amount;      /* MAD major units, "500.00" */
    const char *currency;    /* "MAD" */
    const char *description; /* PayTabs cart_description */
    struct gateway_customer customer;
};

struct gateway_checkout_result {
    /* YouCan Pay */
    char token_id[GATEWAY_REF_MAX + 1];
    char payment_url[2048];
    /* PayTabs */
    char tran_ref[GATEWAY_REF_MAX + 1];
    char redirect_url[2048];
    /* PayTabs: the request body sent (cart_*, customer_details), for the checkout response.
     * Owned; release with gateway_checkout_result_free() (gateway.h). NULL for YouCan Pay. */
    json_object *paytabs_request;
};

enum gateway_txn_status { GATEWAY_TXN_PAID, GATEWAY_TXN_PENDING, GATEWAY_TXN_FAILED };

struct gateway_transaction {
    char id[GATEWAY_REF_MAX + 1];       /* YouCan Pay transaction id / PayTabs tran_ref */
    char order_id[GATEWAY_REF_MAX + 1]; /* YouCan Pay order_id / PayTabs cart_id */
    enum gateway_txn_status status;
    char amount[32]; /* MAD major units as a decimal string with 2 places ("500.00") */
    char currency[8];
};

/* What an incoming event asks for, once read from a gateway's format. */
enum gateway_event_action {
    GATEWAY_EVENT_PAID,
    GATEWAY_EVENT_FAILED,
    GATEWAY_EVENT_REFUNDED,
    GATEWAY_EVENT_NONE
};

/* One incoming event (webhook or callback). Strings are "" when absent (too long ones are cut to
 * fit). */
struct gateway_event {
    enum gateway_provider provider;
    char id[GATEWAY_REF_MAX + 1];
    char type[65];
    char order_id[GATEWAY_REF_MAX + 1];
    char transaction_id[GATEWAY_REF_MAX + 1];
    char amount[32]; /* major units, 2 places; empty when absent */
    char currency[8];
    enum gateway_event_action action;
};

/* One gateway's operations. Each gateway module exports exactly one of these; the dispatcher
 * (gateway.c) lists them in its table and calls nothing else of the module. Every call reads its
 * keys from g_config, has the total timeout of KHEDMA_GATEWAY_TIMEOUT_MS (httpclient.h), and
 * reports E_BAD_GATEWAY with GATEWAY_MSG_UNAVAILABLE when the gateway cannot be reached or answers
 * nonsense (the detail is logged without secrets). */
struct gateway_ops {
    /* The gateway's name: a KHEDMA_CARD_GATEWAY value and payments.provider ("youcanpay"). */
    const char *name;
    /* Create the payment the customer is sent to (res arrives zeroed). */
    enum errkind (*checkout)(const struct gateway_checkout_request *req,
                             struct gateway_checkout_result *res, struct err *e);
    /* Look a payment up by the gateway's reference (t arrives zeroed): E_OK with t filled,
     * E_NOT_FOUND when the gateway has no such transaction. */
    enum errkind (*lookup)(const char *ref, struct gateway_transaction *t, struct err *e);
    /* Refund amount (major units) of the payment ref (refund_ref arrives ""): E_OK with the
     * refund's reference, E_PRECONDITION when declined, E_UNPROCESSABLE when the gateway takes
     * no refund call from us. */
    enum errkind (*refund)(const char *ref, const char *order_id, const char *amount,
                           const char *currency, char refund_ref[GATEWAY_REF_MAX + 1],
                           struct err *e);
    /* True when signature signs the raw body of an incoming event with this gateway's key;
     * false when no key is configured. */
    bool (*signature_valid)(const char *body, size_t len, const char *signature);
    /* Read an incoming event's body into ev. Pure: no database, no network. A body that is not
     * a JSON object leaves every field empty (action GATEWAY_EVENT_NONE). */
    void (*parse_event)(const char *body, size_t len, struct gateway_event *ev);
};

/* Percent-encodes every byte outside RFC 3986's unreserved set (A-Z a-z 0-9 - . _ ~), so a value
 * can sit in a path segment or a query without changing the URL's shape ("../", "?", "&").
 * False when out (outlen bytes, NUL included) is too small. */
bool gateway_util_url_escape(const char *in, char *out, size_t outlen);

/* public_url + "/orders/" + escaped order_id + "/" + suffix (the pages a gateway sends the
 * customer back to). False when order_id is missing or longer than GATEWAY_REF_MAX, or out is
 * short. */
bool gateway_util_order_url(char *out, size_t outlen, const char *public_url, const char *order_id,
                            const char *suffix);

/* Copies src into dst when it is a non-empty string that fits; false otherwise (dst then ""). */
bool gateway_util_copy(char *dst, size_t dstlen, const char *src);

/* Copies src into dst cut to fit; NULL copies as "". For event fields, which are kept even when
 * absent or too long (the event is stored whatever it says). */
void gateway_util_copy_cut(char *dst, size_t dstlen, const char *src);

/* True when signature is the hex HMAC-SHA256 of body[0..len) keyed with key, compared in
 * constant time and case-insensitively. False when key or signature is NULL or empty. */
bool gateway_util_hmac_valid(const char *key, const char *body, size_t len, const char *signature);

#endif
