/*
 * apple_chain.h - test helpers shared by the App Store unit tests: an EC P-256 root, intermediate
 * and leaf made with the OpenSSL API (Apple's marker extensions on the intermediate and the leaf),
 * and compact JWS signed ES256 with them. Included by one test file at a time (static inline).
 */
#ifndef KHEDMA_TEST_APPLE_CHAIN_H
#define KHEDMA_TEST_APPLE_CHAIN_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "khedma/apple_jws.h"

#define OID_LEAF "1.2.840.113635.100.6.11.1"
#define OID_INTERMEDIATE "1.2.840.113635.100.6.2.1"
#define DAY 86400L

typedef struct {
    EVP_PKEY *key;
    X509 *cert;
} cred;

typedef struct {
    cred root, inter, leaf;
    cred other_root;
    apple_jws_root *trusted, *other_trusted;
} fixture;

static inline EVP_PKEY *new_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    return k;
}

static inline void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/* Apple's markers: a non-critical extension whose value is DER NULL. */
static inline void add_apple_oid(X509 *cert, const char *oid)
{
    static const unsigned char der_null[] = {0x05, 0x00};
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *data = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(data, der_null, sizeof der_null);
    X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, data);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(obj);
}

/* A certificate for c->key named cn, signed by issuer (itself when NULL), valid from
 * now + from_s to now + to_s. */
static inline void make_cert(cred *c, const char *cn, const cred *issuer, bool ca,
                             const char *apple_oid, long from_s, long to_s)
{
    static long serial = 1;
    c->key = new_key();
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), from_s);
    X509_gmtime_adj(X509_getm_notAfter(x), to_s);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : name);
    X509_set_pubkey(x, c->key);
    X509 *issuer_cert = issuer ? issuer->cert : x;
    add_ext(x, issuer_cert, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add_ext(x, issuer_cert, NID_key_usage,
            ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    add_ext(x, issuer_cert, NID_subject_key_identifier, "hash");
    if (issuer)
        add_ext(x, issuer_cert, NID_authority_key_identifier, "keyid:always");
    if (apple_oid)
        add_apple_oid(x, apple_oid);
    assert_true(X509_sign(x, issuer ? issuer->key : c->key, EVP_sha256()) > 0);
    c->cert = x;
}

static inline void cred_free(cred *c)
{
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
    c->cert = NULL;
    c->key = NULL;
}

static inline apple_jws_root *trust(const cred *root)
{
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, root->cert);
    char *pem;
    long n = BIO_get_mem_data(bio, &pem);
    apple_jws_root *r = apple_jws_root_from_pem(pem, (size_t)n);
    BIO_free(bio);
    assert_non_null(r);
    return r;
}

static inline int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    make_cert(&f->root, "Test Root CA", NULL, true, NULL, -60 * DAY, 3650 * DAY);
    make_cert(&f->inter, "Test WWDR", &f->root, true, OID_INTERMEDIATE, -60 * DAY, 1825 * DAY);
    make_cert(&f->leaf, "Test App Store Signing", &f->inter, false, OID_LEAF, -DAY, 365 * DAY);
    make_cert(&f->other_root, "Another Root", NULL, true, NULL, -DAY, 3650 * DAY);
    f->trusted = trust(&f->root);
    f->other_trusted = trust(&f->other_root);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    fixture *f = *state;
    cred_free(&f->root);
    cred_free(&f->inter);
    cred_free(&f->leaf);
    cred_free(&f->other_root);
    apple_jws_root_free(f->trusted);
    apple_jws_root_free(f->other_trusted);
    free(f);
    return 0;
}

/* base64 (std or url without padding) of n bytes, malloc'd. */
static inline char *b64(const unsigned char *data, size_t n, bool url)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)n);
    if (url) {
        for (char *p = out; *p; p++)
            *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
        char *eq = strchr(out, '=');
        if (eq)
            *eq = '\0';
    }
    return out;
}

static inline char *b64url_str(const char *s)
{
    return b64((const unsigned char *)s, strlen(s), true);
}

static inline char *cert_b64(X509 *cert)
{
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    char *out = b64(der, (size_t)n, false);
    OPENSSL_free(der);
    return out;
}

/* A header {"alg": alg, "x5c": [certs...]} (no x5c when n is 0). */
static inline char *header_json(const char *alg, X509 **certs, int n)
{
    char *buf = calloc(1, 16384);
    int at = snprintf(buf, 16384, "{\"alg\":\"%s\"", alg);
    if (n > 0) {
        at += snprintf(buf + at, (size_t)(16384 - at), ",\"x5c\":[");
        for (int i = 0; i < n; i++) {
            char *c = cert_b64(certs[i]);
            at += snprintf(buf + at, (size_t)(16384 - at), "%s\"%s\"", i ? "," : "", c);
            free(c);
        }
        at += snprintf(buf + at, (size_t)(16384 - at), "]");
    }
    snprintf(buf + at, (size_t)(16384 - at), "}");
    return buf;
}

/* ES256 over signing input with key, as JOSE r || s. */
static inline char *es256(EVP_PKEY *key, const char *input)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[128];
    size_t der_len = sizeof der;
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, der, &der_len, (const unsigned char *)input, strlen(input)),
                     1);
    EVP_MD_CTX_free(md);
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    unsigned char rs[64];
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32);
    ECDSA_SIG_free(sig);
    return b64(rs, 64, true);
}

/* header_text.payload_text signed with key (the signature part is `sig_override` when given). */
static inline char *jws_raw(const char *header_text, const char *payload_text, EVP_PKEY *key)
{
    char *h = b64url_str(header_text), *p = b64url_str(payload_text);
    size_t n = strlen(h) + strlen(p) + 2;
    char *input = malloc(n);
    snprintf(input, n, "%s.%s", h, p);
    char *s = es256(key, input);
    char *out = malloc(n + strlen(s) + 1);
    sprintf(out, "%s.%s", input, s);
    free(h);
    free(p);
    free(input);
    free(s);
    return out;
}

#endif
