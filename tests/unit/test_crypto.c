/*
 * test_crypto.c - unit tests for passwords, tokens, SHA-256, HMAC (against RFC 4231 vectors),
 * constant-time comparison and random strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "khedma/crypto.h"

static int setup(void **state)
{
    return crypto_init();
}

static void test_password_round_trip(void **state)
{
    char hash[PASSWORD_HASH_MAX], again[PASSWORD_HASH_MAX];
    assert_int_equal(crypto_password_hash("correct horse", hash), 0);
    /* argon2id with OWASP's minimum parameters, recorded in the string. */
    assert_non_null(strstr(hash, "$argon2id$v=19$m=19456,t=2,p=1$"));
    assert_true(crypto_password_verify(hash, "correct horse"));
    assert_false(crypto_password_verify(hash, "correct horsE"));
    assert_false(crypto_password_verify(hash, "correct horse "));
    assert_false(crypto_password_verify(hash, ""));
    /* A fresh salt every time. */
    assert_int_equal(crypto_password_hash("correct horse", again), 0);
    assert_string_not_equal(hash, again);
    assert_true(crypto_password_verify(again, "correct horse"));

    char empty[PASSWORD_HASH_MAX];
    assert_int_equal(crypto_password_hash("", empty), 0);
    assert_true(crypto_password_verify(empty, ""));
    assert_false(crypto_password_verify(empty, "x"));

    const char *arabic = "\xd9\x83\xd9\x84\xd9\x85\xd8\xa9 \xd8\xb3\xd8\xb1";
    assert_int_equal(crypto_password_hash(arabic, hash), 0);
    assert_true(crypto_password_verify(hash, arabic));
}

static void test_password_malformed_hash(void **state)
{
    char hash[PASSWORD_HASH_MAX];
    assert_int_equal(crypto_password_hash("secret123", hash), 0);

    assert_false(crypto_password_verify(NULL, "secret123"));
    assert_false(crypto_password_verify(hash, NULL));
    assert_false(crypto_password_verify("", "secret123"));
    assert_false(crypto_password_verify("garbage", "secret123"));
    assert_false(crypto_password_verify("$argon2id$v=19$m=19456,t=2,p=1$abc", "secret123"));
    assert_false(crypto_password_verify(
        "$2b$12$abcdefghijklmnopqrstuuQ0c7tm1dZ9Qe/0Q8HdOQ2a2sLy0Zp8K", "secret123"));
    /* A real hash cut short, or with its digest changed, no longer verifies. */
    char cut[PASSWORD_HASH_MAX];
    memcpy(cut, hash, sizeof cut);
    cut[strlen(cut) - 5] = '\0';
    assert_false(crypto_password_verify(cut, "secret123"));
    char flipped[PASSWORD_HASH_MAX];
    memcpy(flipped, hash, sizeof flipped);
    size_t last = strlen(flipped) - 2;
    flipped[last] = flipped[last] == 'A' ? 'B' : 'A';
    assert_false(crypto_password_verify(flipped, "secret123"));
    /* Longer than any hash libsodium writes. */
    char huge[300];
    memset(huge, 'a', sizeof huge - 1);
    memcpy(huge, "$argon2id$", 10);
    huge[sizeof huge - 1] = '\0';
    assert_false(crypto_password_verify(huge, "secret123"));
}

static void test_token_new(void **state)
{
    enum { N = 1000 };
    static char tokens[N][TOKEN_LEN + 1];
    for (int i = 0; i < N; i++) {
        crypto_token_new(tokens[i]);
        assert_int_equal(strlen(tokens[i]), TOKEN_LEN);
        assert_int_equal(strspn(tokens[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789-_"),
                         TOKEN_LEN);
        unsigned char raw[64];
        size_t rawlen = 0;
        assert_int_equal(sodium_base642bin(raw, sizeof raw, tokens[i], TOKEN_LEN, NULL, &rawlen,
                                           NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                         0);
        assert_int_equal(rawlen, 32);
    }
    for (int i = 0; i < N; i++) {
        for (int j = i + 1; j < N; j++)
            assert_string_not_equal(tokens[i], tokens[j]);
    }
}

static void test_token_hash(void **state)
{
    char hex[SHA256_HEX_LEN + 1];
    crypto_token_hash("abc", hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    crypto_token_hash("", hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char tok[TOKEN_LEN + 1], h1[SHA256_HEX_LEN + 1], h2[SHA256_HEX_LEN + 1];
    crypto_token_new(tok);
    crypto_token_hash(tok, h1);
    crypto_token_hash(tok, h2);
    assert_string_equal(h1, h2);
    assert_int_equal(strspn(h1, "0123456789abcdef"), SHA256_HEX_LEN);
}

static void test_hmac_rfc4231(void **state)
{
    char hex[SHA256_HEX_LEN + 1];
    /* Test case 1: 20-byte key of 0x0b. */
    unsigned char key1[20];
    memset(key1, 0x0b, sizeof key1);
    crypto_hmac_sha256_hex(key1, sizeof key1, "Hi There", 8, hex);
    assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* Test case 2: key "Jefe". */
    const char *msg2 = "what do ya want for nothing?";
    crypto_hmac_sha256_hex("Jefe", 4, msg2, strlen(msg2), hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* Test case 6: a 131-byte key, longer than the block, is hashed first. */
    unsigned char key6[131];
    memset(key6, 0xaa, sizeof key6);
    const char *msg6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    crypto_hmac_sha256_hex(key6, sizeof key6, msg6, strlen(msg6), hex);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_hmac_detects_changes(void **state)
{
    const char *body = "{\"id\":\"evt_1\",\"amount\":50000}";
    char good[SHA256_HEX_LEN + 1], tampered[SHA256_HEX_LEN + 1], wrongkey[SHA256_HEX_LEN + 1];
    crypto_hmac_sha256_hex("k3y", 3, body, strlen(body), good);
    crypto_hmac_sha256_hex("k3y", 3, "{\"id\":\"evt_1\",\"amount\":50001}", strlen(body), tampered);
    crypto_hmac_sha256_hex("k3z", 3, body, strlen(body), wrongkey);
    assert_string_not_equal(good, tampered);
    assert_string_not_equal(good, wrongkey);
    assert_false(crypto_secret_equal(good, tampered, true));
    /* The message length counts: a prefix is a different message. */
    char prefix[SHA256_HEX_LEN + 1];
    crypto_hmac_sha256_hex("k3y", 3, body, strlen(body) - 1, prefix);
    assert_string_not_equal(good, prefix);
}

static void test_secret_equal(void **state)
{
    assert_true(crypto_secret_equal("abc123", "abc123", false));
    assert_true(crypto_secret_equal("", "", false));
    assert_false(crypto_secret_equal("abc123", "abc124", false));
    assert_false(crypto_secret_equal("abc123", "abc12", false));
    assert_false(crypto_secret_equal("abc12", "abc123", false));
    assert_false(crypto_secret_equal("abc", "", false));
    assert_false(crypto_secret_equal(NULL, "abc", false));
    assert_false(crypto_secret_equal("abc", NULL, true));
    /* Hex signatures may arrive upper-case. */
    assert_true(crypto_secret_equal("5BDCC146BF60754E", "5bdcc146bf60754e", true));
    assert_false(crypto_secret_equal("5BDCC146BF60754E", "5bdcc146bf60754e", false));
    assert_false(crypto_secret_equal("5BDCC146BF60754F", "5bdcc146bf60754e", true));
    /* Folding is for letters only: '@' (0x40) and '`' (0x60) stay different. */
    assert_false(crypto_secret_equal("@", "`", true));
    assert_false(crypto_secret_equal("[", "{", true));
}

static void test_random_alnum(void **state)
{
    char buf[65];
    memset(buf, 'X', sizeof buf);
    crypto_random_alnum(buf, 64);
    assert_int_equal(strlen(buf), 64);
    assert_int_equal(strspn(buf, "abcdefghijklmnopqrstuvwxyz0123456789"), 64);
    char one[1] = {'X'};
    crypto_random_alnum(one, 0);
    assert_int_equal(one[0], '\0');

    /* Every character of the alphabet turns up over enough draws. */
    int seen[256] = {0};
    char many[5001];
    crypto_random_alnum(many, 5000);
    for (int i = 0; i < 5000; i++)
        seen[(unsigned char)many[i]]++;
    const char *alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (const char *p = alphabet; *p; p++)
        assert_true(seen[(unsigned char)*p] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_round_trip), cmocka_unit_test(test_password_malformed_hash),
        cmocka_unit_test(test_token_new),           cmocka_unit_test(test_token_hash),
        cmocka_unit_test(test_hmac_rfc4231),        cmocka_unit_test(test_hmac_detects_changes),
        cmocka_unit_test(test_secret_equal),        cmocka_unit_test(test_random_alnum),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
