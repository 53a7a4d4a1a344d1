/*
 * gateway.c - the one interface over both card gateways (gateway.h): picks the provider
 * KHEDMA_CARD_GATEWAY names, dispatches each call to the YouCan Pay or PayTabs client, and holds
 * the helpers both clients share (URL escaping, bounded copies, signature checks).
 */
#include <stdio.h>
#include <string.h>

#include "khedma/config.h"
#include "khedma/crypto.h"
#include "khedma/gateway.h"
#include "khedma/gateway_wire.h"

enum gw_provider gw_card_provider(void)
{
    const char *name = g_config ? g_config->card_gateway : NULL;
    return name && strcmp(name, "paytabs") == 0 ? GW_PAYTABS : GW_YOUCANPAY;
}

const char *gw_provider_name(enum gw_provider p)
{
    return p == GW_PAYTABS ? "paytabs" : "youcanpay";
}

void gw_checkout_result_free(struct gw_checkout_result *r)
{
    if (!r)
        return;
    json_object_put(r->paytabs_request);
    r->paytabs_request = NULL;
}

enum errkind gw_checkout(enum gw_provider p, const struct gw_checkout_request *req,
                         struct gw_checkout_result *res, struct err *e)
{
    memset(res, 0, sizeof *res);
    return p == GW_PAYTABS ? pt_payment_page(req, res, e) : ycp_tokenize(req, res, e);
}

enum errkind gw_lookup(enum gw_provider p, const char *ref, struct gw_transaction *t, struct err *e)
{
    memset(t, 0, sizeof *t);
    return p == GW_PAYTABS ? pt_query(ref, t, e) : ycp_lookup(ref, t, e);
}

enum errkind gw_refund(enum gw_provider p, const char *tran_ref, const char *order_id,
                       const char *amount, const char *currency, char refund_ref[129],
                       struct err *e)
{
    refund_ref[0] = '\0';
    if (p != GW_PAYTABS)
        return err_set(e, E_UNPROCESSABLE,
                       "Refunds through YouCan Pay are confirmed by its "
                       "transaction.refunded event");
    return pt_refund(tran_ref, order_id, amount, currency, refund_ref, e);
}

bool gw_signature_valid(enum gw_provider p, const char *body, size_t len, const char *signature)
{
    if (!g_config)
        return false;
    const char *key =
        p == GW_PAYTABS ? g_config->paytabs_server_key : g_config->youcanpay_private_key;
    return gw_hmac_valid(key, body, len, signature);
}

bool gw_hmac_valid(const char *key, const char *body, size_t len, const char *signature)
{
    if (!key || !*key || !signature || !*signature || (!body && len > 0))
        return false;
    char expected[SHA256_HEX_LEN + 1];
    hmac_sha256_hex(key, strlen(key), body ? body : "", len, expected);
    /* Case-insensitive: hex is hex, whichever case the sender's library prints. */
    return secret_equal(expected, signature, true);
}

bool gw_url_escape(const char *in, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t pos = 0;
    if (outlen == 0)
        return false;
    out[0] = '\0';
    if (!in)
        return false;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        size_t need = plain ? 1 : 3;
        if (pos + need >= outlen) {
            out[0] = '\0';
            return false;
        }
        if (plain) {
            out[pos++] = (char)*p;
        } else {
            out[pos++] = '%';
            out[pos++] = hex[*p >> 4];
            out[pos++] = hex[*p & 15];
        }
    }
    out[pos] = '\0';
    return true;
}

bool gw_order_url(char *out, size_t outlen, const char *public_url, const char *order_id,
                  const char *suffix)
{
    char id[3 * GW_REF_MAX + 1];
    if (outlen > 0)
        out[0] = '\0';
    if (!public_url || !order_id || !*order_id || strlen(order_id) > GW_REF_MAX ||
        !gw_url_escape(order_id, id, sizeof id))
        return false;
    int n = snprintf(out, outlen, "%s/orders/%s/%s", public_url, id, suffix);
    return n > 0 && (size_t)n < outlen;
}

bool gw_copy(char *dst, size_t dstlen, const char *src)
{
    if (dstlen == 0)
        return false;
    dst[0] = '\0';
    if (!src || !*src)
        return false;
    size_t n = strlen(src);
    if (n >= dstlen)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}
