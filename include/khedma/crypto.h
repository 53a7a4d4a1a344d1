/*
 * crypto.h - passwords, session tokens, HMAC and constant-time comparison, all over libsodium.
 */
#ifndef KHEDMA_CRYPTO_H
#define KHEDMA_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define TOKEN_LEN 43          /* 32 random bytes, base64url without padding */
#define SHA256_HEX_LEN 64

/* Must be called once per process before anything else here; returns 0 or -1. */
int crypto_init(void);

/* Argon2id (libsodium's crypto_pwhash_str). Returns 0, or -1 when out of memory. */
int crypto_password_hash(const char *password, char out[PASSWORD_HASH_MAX]);
/* Constant-time verification; false for a malformed hash. */
bool crypto_password_verify(const char *hash, const char *password);

/* New session token: 256 random bits, base64url, NUL-terminated. */
void crypto_token_new(char out[TOKEN_LEN + 1]);
/* Hex SHA-256 of a token: what the database stores. */
void crypto_token_hash(const char *token, char out[SHA256_HEX_LEN + 1]);
/* Lower-case hex SHA-256 of len bytes (the names of uploaded images). */
void crypto_sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

/* Hex HMAC-SHA256 of msg keyed with key. */
void crypto_hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t msglen,
                            char out[SHA256_HEX_LEN + 1]);
/* Constant-time equality of two NUL-terminated strings (length difference leaks only length);
 * case-insensitive for hex signatures when ci is true. */
bool crypto_secret_equal(const char *a, const char *b, bool ci);

/* n random characters from [a-z0-9] plus NUL (out must hold n + 1). */
void crypto_random_alnum(char *out, size_t n);

#endif
