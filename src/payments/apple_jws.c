/*
 * apple_jws.c - verifies the compact JWS the App Store signs (StoreKit 2 signed transactions and
 * renewal info, App Store Server Notifications V2 signedPayload).
 *
 * The order matters: the form (three strict base64url parts, JSON objects), then alg = ES256
 * (anything else, "none" included, is refused before any key is touched), then the x5c chain
 * leaf -> intermediate -> the one trusted root (X509_verify_cert with a store holding only that
 * root, so a chain that ends in a root the sender chose fails), then Apple's marker extensions on
 * the leaf and the intermediate, and last the signature over "header.payload" with the leaf's key.
 *
 * Validity is checked at the time the caller gives (the current time in the server), not at the
 * payload's signedDate: signedDate is inside what is being verified, so an expired leaf whose key
 * leaked could sign any date it liked.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "khedma/apple_jws.h"
#include "khedma/jsonx.h"

/* Apple's marker extensions: the App Store receipt-signing leaf and the WWDR intermediate. */
#define APPLE_OID_LEAF "1.2.840.113635.100.6.11.1"
#define APPLE_OID_INTERMEDIATE "1.2.840.113635.100.6.2.1"

/* Far above a real JWS (three certificates of ~1 KB and a payload of ~2 KB). */
#define JWS_MAX_LEN 65536
#define X5C_MAX 3

struct apple_jws_root {
    X509_STORE *store;
};

static apple_jws_root *root_from_bio(BIO *bio)
{
    if (!bio)
        return NULL;
    X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!cert)
        return NULL;
    apple_jws_root *root = calloc(1, sizeof *root);
    if (root)
        root->store = X509_STORE_new();
    if (!root || !root->store || X509_STORE_add_cert(root->store, cert) != 1) {
        X509_free(cert);
        apple_jws_root_free(root);
        return NULL;
    }
    X509_free(cert); /* the store holds its own reference */
    return root;
}

apple_jws_root *apple_jws_root_load(const char *pem_path)
{
    return pem_path && *pem_path ? root_from_bio(BIO_new_file(pem_path, "r")) : NULL;
}

apple_jws_root *apple_jws_root_from_pem(const char *pem, size_t len)
{
    if (!pem || len == 0 || len > JWS_MAX_LEN)
        return NULL;
    return root_from_bio(BIO_new_mem_buf(pem, (int)len));
}

void apple_jws_root_free(apple_jws_root *root)
{
    if (!root)
        return;
    X509_STORE_free(root->store);
    free(root);
}

static int b64_value(unsigned char c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

/* Decode len characters of the alphabet (no padding here); the unused low bits of the last
 * character must be zero so that each byte string has exactly one encoding. */
static unsigned char *b64_decode(const char *in, size_t len, bool url, size_t *out_len)
{
    if (len % 4 == 1 || len > JWS_MAX_LEN)
        return NULL;
    unsigned char *out = malloc(len / 4 * 3 + 3);
    if (!out)
        return NULL;
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value((unsigned char)in[i], url);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

unsigned char *apple_jws_b64url_decode(const char *in, size_t len, size_t *out_len)
{
    return in ? b64_decode(in, len, true, out_len) : NULL;
}

/* x5c entries are standard base64 with padding (RFC 7515 section 4.1.6). */
static unsigned char *b64std_decode(const char *in, size_t *out_len)
{
    size_t len = strlen(in);
    if (len == 0 || len % 4 != 0)
        return NULL;
    size_t pad = 0;
    while (pad < 2 && in[len - 1 - pad] == '=')
        pad++;
    return b64_decode(in, len - pad, false, out_len);
}

static json_object *decode_object(const char *part, size_t len)
{
    size_t n;
    unsigned char *raw = apple_jws_b64url_decode(part, len, &n);
    if (!raw)
        return NULL;
    json_object *obj = jsonx_parse((const char *)raw, n);
    free(raw);
    if (obj && !json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        return NULL;
    }
    return obj;
}

/* Splits jws at its two dots; false unless there are exactly two and no part is empty. */
static bool split_parts(const char *jws, size_t len, size_t dot[2])
{
    int found = 0;
    for (size_t i = 0; i < len; i++) {
        if (jws[i] == '.') {
            if (found == 2)
                return false;
            dot[found++] = i;
        }
    }
    return found == 2 && dot[0] > 0 && dot[1] > dot[0] + 1 && dot[1] + 1 < len;
}

apple_jws_status apple_jws_parse(const char *jws, size_t len, json_object **header,
                                 json_object **payload)
{
    *header = *payload = NULL;
    size_t dot[2];
    if (!jws || len > JWS_MAX_LEN || !split_parts(jws, len, dot))
        return APPLE_JWS_MALFORMED;
    size_t sig_len;
    unsigned char *sig = apple_jws_b64url_decode(jws + dot[1] + 1, len - dot[1] - 1, &sig_len);
    free(sig);
    *header = sig ? decode_object(jws, dot[0]) : NULL;
    *payload = sig ? decode_object(jws + dot[0] + 1, dot[1] - dot[0] - 1) : NULL;
    if (!*header || !*payload) {
        json_object_put(*header);
        json_object_put(*payload);
        *header = *payload = NULL;
        return APPLE_JWS_MALFORMED;
    }
    return APPLE_JWS_OK;
}

/* Only ES256, and no "crit" header: this verifier understands no extension. */
static bool header_alg_ok(json_object *header)
{
    const char *alg = jsonx_str(header, "alg");
    return alg && strcmp(alg, "ES256") == 0 && !jsonx_has(header, "crit");
}

static X509 *cert_from_b64(json_object *entry)
{
    if (!json_object_is_type(entry, json_type_string))
        return NULL;
    size_t n;
    unsigned char *der = b64std_decode(json_object_get_string(entry), &n);
    if (!der)
        return NULL;
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)n);
    if (cert && p != der + n) { /* trailing bytes after the certificate */
        X509_free(cert);
        cert = NULL;
    }
    free(der);
    return cert;
}

/* x5c as [leaf, intermediate] or [leaf, intermediate, root]: *leaf and the rest as untrusted. */
static apple_jws_status read_x5c(json_object *header, X509 **leaf, STACK_OF(X509) * *rest)
{
    json_object *x5c = jsonx_array(header, "x5c");
    size_t n = x5c ? json_object_array_length(x5c) : 0;
    if (n < 2 || n > X5C_MAX)
        return APPLE_JWS_X5C;
    *leaf = cert_from_b64(json_object_array_get_idx(x5c, 0));
    *rest = sk_X509_new_null();
    if (!*leaf || !*rest)
        return APPLE_JWS_X5C;
    for (size_t i = 1; i < n; i++) {
        X509 *c = cert_from_b64(json_object_array_get_idx(x5c, i));
        if (!c || !sk_X509_push(*rest, c)) {
            X509_free(c);
            return APPLE_JWS_X5C;
        }
    }
    return APPLE_JWS_OK;
}

static bool has_extension(X509 *cert, const char *oid_text)
{
    ASN1_OBJECT *oid = OBJ_txt2obj(oid_text, 1);
    if (!oid)
        return false;
    int at = X509_get_ext_by_OBJ(cert, oid, -1);
    ASN1_OBJECT_free(oid);
    return at >= 0;
}

/* Builds leaf -> intermediate -> trusted root at time `at`; the built chain must be exactly those
 * three, with Apple's extension on the leaf and on the intermediate. */
static apple_jws_status verify_chain(const apple_jws_root *root, X509 *leaf, STACK_OF(X509) * rest,
                                     time_t at)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!ctx || X509_STORE_CTX_init(ctx, root->store, leaf, rest) != 1) {
        X509_STORE_CTX_free(ctx);
        return APPLE_JWS_CHAIN;
    }
    X509_STORE_CTX_set_time(ctx, 0, at);
    apple_jws_status st = APPLE_JWS_CHAIN;
    if (X509_verify_cert(ctx) == 1) {
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
        if (chain && sk_X509_num(chain) == 3)
            st = has_extension(sk_X509_value(chain, 0), APPLE_OID_LEAF) &&
                         has_extension(sk_X509_value(chain, 1), APPLE_OID_INTERMEDIATE)
                     ? APPLE_JWS_OK
                     : APPLE_JWS_OID;
    }
    X509_STORE_CTX_free(ctx);
    return st;
}

/* JOSE ES256 signatures are r || s, 32 bytes each; OpenSSL verifies DER ECDSA-Sig-Value. */
static unsigned char *jose_to_der(const unsigned char *sig, size_t *der_len)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(s);
        return NULL;
    }
    unsigned char *der = NULL;
    int n = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (n <= 0)
        return NULL;
    *der_len = (size_t)n;
    return der;
}

/* The leaf's key must be EC on P-256 (ES256); the signature is over the first two parts. */
static apple_jws_status verify_signature(X509 *leaf, const char *signed_part, size_t signed_len,
                                         const char *sig_b64, size_t sig_b64_len)
{
    EVP_PKEY *key = X509_get0_pubkey(leaf);
    char group[32];
    size_t glen = 0;
    if (!key || EVP_PKEY_base_id(key) != EVP_PKEY_EC ||
        EVP_PKEY_get_group_name(key, group, sizeof group, &glen) != 1 ||
        strcmp(group, "prime256v1") != 0)
        return APPLE_JWS_SIGNATURE;
    size_t sig_len;
    unsigned char *sig = apple_jws_b64url_decode(sig_b64, sig_b64_len, &sig_len);
    if (!sig)
        return APPLE_JWS_MALFORMED;
    size_t der_len = 0;
    unsigned char *der = sig_len == 64 ? jose_to_der(sig, &der_len) : NULL;
    free(sig);
    if (!der)
        return APPLE_JWS_SIGNATURE;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok =
        md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestVerify(md, der, der_len, (const unsigned char *)signed_part, signed_len) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return ok ? APPLE_JWS_OK : APPLE_JWS_SIGNATURE;
}

apple_jws_status apple_jws_verify(const apple_jws_root *root, const char *jws, size_t len,
                                  time_t at, json_object **payload)
{
    *payload = NULL;
    json_object *header, *body;
    apple_jws_status st = apple_jws_parse(jws, len, &header, &body);
    if (st != APPLE_JWS_OK)
        return st;
    X509 *leaf = NULL;
    STACK_OF(X509) *rest = NULL;
    if (!header_alg_ok(header))
        st = APPLE_JWS_ALG;
    else if (!root)
        st = APPLE_JWS_CHAIN;
    else if ((st = read_x5c(header, &leaf, &rest)) == APPLE_JWS_OK &&
             (st = verify_chain(root, leaf, rest, at)) == APPLE_JWS_OK) {
        size_t dot[2];
        split_parts(jws, len, dot); /* already checked by apple_jws_parse */
        st = verify_signature(leaf, jws, dot[1], jws + dot[1] + 1, len - dot[1] - 1);
    }
    X509_free(leaf);
    sk_X509_pop_free(rest, X509_free);
    json_object_put(header);
    if (st == APPLE_JWS_OK)
        *payload = body;
    else
        json_object_put(body);
    return st;
}

const char *apple_jws_status_str(apple_jws_status st)
{
    switch (st) {
    case APPLE_JWS_OK:
        return "verified";
    case APPLE_JWS_MALFORMED:
        return "malformed JWS";
    case APPLE_JWS_ALG:
        return "unsupported JWS algorithm";
    case APPLE_JWS_X5C:
        return "missing or invalid x5c certificate chain";
    case APPLE_JWS_CHAIN:
        return "certificate chain not trusted";
    case APPLE_JWS_OID:
        return "certificate is not an App Store signing certificate";
    case APPLE_JWS_SIGNATURE:
        return "invalid JWS signature";
    }
    return "invalid JWS";
}
