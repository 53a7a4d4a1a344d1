/*
 * apple_jws.h - verification of the compact JWS the App Store signs (StoreKit 2 transactions and
 * renewal info, App Store Server Notifications V2): ES256 only, the x5c chain up to one trusted
 * root with Apple's certificate OIDs, then the signature. OpenSSL libcrypto.
 */
#ifndef KHEDMA_APPLE_JWS_H
#define KHEDMA_APPLE_JWS_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

/* The trusted root (an X509_STORE holding one certificate); opaque. */
typedef struct apple_jws_root apple_jws_root;

typedef enum {
    APPLE_JWS_OK = 0,
    APPLE_JWS_MALFORMED, /* not three strict base64url parts, or header/payload not a JSON object */
    APPLE_JWS_ALG,       /* alg is not "ES256", or a critical header is present */
    APPLE_JWS_X5C,       /* x5c missing, not 2 or 3 certificates, or one is not DER */
    APPLE_JWS_CHAIN, /* the chain does not lead to the trusted root, or a certificate is out of date
                      */
    APPLE_JWS_OID,   /* the leaf or the intermediate lacks Apple's marker extension */
    APPLE_JWS_SIGNATURE, /* the ES256 signature does not verify with the leaf's key */
} apple_jws_status;

/* Load the root from a PEM file (the first certificate in it). NULL when unreadable. */
apple_jws_root *apple_jws_root_load(const char *pem_path);
/* The same from PEM text in memory (tests). */
apple_jws_root *apple_jws_root_from_pem(const char *pem, size_t len);
void apple_jws_root_free(apple_jws_root *root);

/* Verify jws (len bytes, need not be NUL-terminated) against root with certificate validity
 * checked at `at` (callers pass the current time). On APPLE_JWS_OK *payload receives the payload
 * object (the caller frees it with json_object_put); otherwise *payload is NULL. */
apple_jws_status apple_jws_verify(const apple_jws_root *root, const char *jws, size_t len,
                                  time_t at, json_object **payload);

/* Decode the header and payload without checking anything but their form (the fuzz target and
 * diagnostics). Returns APPLE_JWS_MALFORMED or APPLE_JWS_OK with both objects set. */
apple_jws_status apple_jws_parse(const char *jws, size_t len, json_object **header,
                                 json_object **payload);

/* Strict base64url without padding (RFC 7515 section 2): only [A-Za-z0-9_-], no length of the
 * form 4k+1, unused trailing bits zero. Returns a malloc'd buffer (NUL-terminated for
 * convenience) and its length in *out_len, or NULL. */
unsigned char *apple_jws_b64url_decode(const char *in, size_t len, size_t *out_len);

/* A short English reason for a status (never includes input). */
const char *apple_jws_status_str(apple_jws_status st);

#endif
