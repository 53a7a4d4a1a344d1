/*
 * crypto.c - passwords (argon2id), session tokens, SHA-256, HMAC-SHA256 and constant-time
 * comparison, all delegated to libsodium; this file only fixes the parameters and encodings.
 */
#include <string.h>
#include <sodium.h>

#include "khedma/crypto.h"

/* OWASP's minimum for argon2id (t=2, m=19 MiB, p=1): memory-hard, yet a login stays well under
 * 100 ms on a small server. libsodium records the parameters in the hash string, so raising
 * them later still verifies old hashes. */
#define PWHASH_OPSLIMIT 2
#define PWHASH_MEMLIMIT (19u * 1024u * 1024u)

_Static_assert(PASSWORD_HASH_MAX == crypto_pwhash_STRBYTES, "hash buffer must fit libsodium's");
_Static_assert(SHA256_HEX_LEN == 2 * crypto_hash_sha256_BYTES, "hex of a SHA-256 digest");

int crypto_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

int crypto_password_hash(const char *password, char out[PASSWORD_HASH_MAX])
{
    if (!password)
        return -1;
    if (crypto_pwhash_str_alg(out, password, strlen(password), PWHASH_OPSLIMIT, PWHASH_MEMLIMIT,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return -1;
    return 0;
}

bool crypto_password_verify(const char *hash, const char *password)
{
    if (!hash || !password)
        return false;
    /* libsodium reads the hash as a C string of at most STRBYTES; anything longer or not an
     * argon2id string is rejected before it gets there. */
    size_t len = strnlen(hash, PASSWORD_HASH_MAX);
    if (len == PASSWORD_HASH_MAX || strncmp(hash, "$argon2id$", 10) != 0)
        return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void crypto_token_new(char out[TOKEN_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

void crypto_token_hash(const char *token, char out[SHA256_HEX_LEN + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, SHA256_HEX_LEN + 1, digest, sizeof digest);
}

void crypto_sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, len);
    sodium_bin2hex(out, SHA256_HEX_LEN + 1, digest, sizeof digest);
}

void crypto_hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t msglen,
                            char out[SHA256_HEX_LEN + 1])
{
    /* The init/update/final form takes keys of any length (longer ones are hashed first, as
     * RFC 2104 says), unlike crypto_auth_hmacsha256 whose key is fixed at 32 bytes. */
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, msg, msglen);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, SHA256_HEX_LEN + 1, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}

/* ASCII upper-case letters folded to lower case without a data-dependent branch. */
static unsigned char fold_case(unsigned char c)
{
    unsigned char is_upper = (unsigned char)((unsigned)(c - 'A') < 26u);
    return (unsigned char)(c | (is_upper << 5));
}

bool crypto_secret_equal(const char *a, const char *b, bool ci)
{
    if (!a || !b)
        return false;
    size_t len = strlen(a);
    if (strlen(b) != len)
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (ci) {
            x = fold_case(x);
            y = fold_case(y);
        }
        diff |= (unsigned char)(x ^ y);
    }
    return diff == 0;
}

void crypto_random_alnum(char *out, size_t n)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[n] = '\0';
}
