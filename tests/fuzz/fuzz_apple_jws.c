/*
 * fuzz_apple_jws.c - App Store JWS (apple_jws.c): the input is a compact JWS, parsed and then
 * verified against a root made at start-up, so x5c entries reach the DER reader and chain
 * building. Checks that nothing the fuzzer writes verifies (it holds no key under that root), that
 * verify refuses as malformed exactly what parse refuses, and that strict base64url has one
 * encoding per byte string (decoding, then encoding again, gives back the input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "khedma/apple_jws.h"
#include "fuzz.h"

static apple_jws_root *root;

/* A throwaway self-signed EC root: the fuzzer's chains cannot lead to it. */
static apple_jws_root *make_root(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"Fuzz Root", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    X509_sign(x, key, EVP_sha256());
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, x);
    char *pem;
    long n = BIO_get_mem_data(bio, &pem);
    apple_jws_root *r = apple_jws_root_from_pem(pem, (size_t)n);
    BIO_free(bio);
    X509_free(x);
    EVP_PKEY_free(key);
    return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    root = make_root();
    return 0;
}

static const char URL_ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void check_b64url(const char *s, size_t len)
{
    size_t n;
    unsigned char *raw = apple_jws_b64url_decode(s, len, &n);
    if (!raw)
        return;
    char *again = malloc(len + 1);
    size_t at = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)raw[i] << 16;
        v |= i + 1 < n ? (unsigned)raw[i + 1] << 8 : 0;
        v |= i + 2 < n ? raw[i + 2] : 0;
        size_t chars = n - i >= 3 ? 4 : n - i + 1;
        for (size_t k = 0; k < chars; k++)
            again[at++] = URL_ALPHABET[(v >> (18 - 6 * k)) & 63];
    }
    FZ_CHECK(at == len && memcmp(again, s, len) == 0);
    free(again);
    free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FZ_CHECK(root != NULL);
    const char *jws = (const char *)data;
    json_object *header, *payload;
    apple_jws_status parsed = apple_jws_parse(jws, size, &header, &payload);
    FZ_CHECK((parsed == APPLE_JWS_OK) == (header != NULL && payload != NULL));
    json_object_put(header);
    json_object_put(payload);
    json_object *verified;
    apple_jws_status st = apple_jws_verify(root, jws, size, time(NULL), &verified);
    FZ_CHECK(st != APPLE_JWS_OK && verified == NULL);
    FZ_CHECK((st == APPLE_JWS_MALFORMED) == (parsed == APPLE_JWS_MALFORMED));
    FZ_CHECK(apple_jws_status_str(st) != NULL);
    check_b64url(jws, size);
    return 0;
}
