/*
 * gateway_util.c - the helpers every card gateway module shares (gateway_util.h): URL escaping,
 * the return URLs of an order, bounded copies and signature checks. Below both gateway modules
 * and their dispatcher, and calls none of them.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/crypto.h"
#include "khedma/gateway_util.h"

bool gateway_util_hmac_valid(const char *key, const char *body, size_t len, const char *signature)
{
    if (!key || !*key || !signature || !*signature || (!body && len > 0))
        return false;
    char expected[SHA256_HEX_LEN + 1];
    crypto_hmac_sha256_hex(key, strlen(key), body ? body : "", len, expected);
    /* Case-insensitive: hex is hex, whichever case the sender's library prints. */
    return crypto_secret_equal(expected, signature, true);
}

bool gateway_util_url_escape(const char *in, char *out, size_t outlen)
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

bool gateway_util_order_url(char *out, size_t outlen, const char *public_url, const char *order_id,
                            const char *suffix)
{
    char id[3 * GATEWAY_REF_MAX + 1];
    if (outlen > 0)
        out[0] = '\0';
    if (!public_url || !order_id || !*order_id || strlen(order_id) > GATEWAY_REF_MAX ||
        !gateway_util_url_escape(order_id, id, sizeof id))
        return false;
    int n = snprintf(out, outlen, "%s/orders/%s/%s", public_url, id, suffix);
    return n > 0 && (size_t)n < outlen;
}

bool gateway_util_copy(char *dst, size_t dstlen, const char *src)
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

void gateway_util_copy_cut(char *dst, size_t dstlen, const char *src)
{
    snprintf(dst, dstlen, "%s", src ? src : "");
}
