/*
 * test_apple_jws.c - unit tests for apple_jws.c. Each run makes its own EC P-256 root,
 * intermediate and leaf with the OpenSSL API (Apple's marker extensions on the intermediate and the
 * leaf, as the App Store's certificates carry them) and signs compact JWS with them, then checks
 * what the verifier accepts and refuses: the valid chain, another root, an expired certificate, a
 * missing or short x5c, certificates without the markers, a bad signature, alg none / HS256 /
 * RS256, a tampered payload, and malformed base64url or JSON.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "apple_chain.h"

static const char PAYLOAD[] = "{\"transactionId\":\"2000000001\",\"originalTransactionId\":"
                              "\"2000000000\",\"bundleId\":\"ma.khedma.app\",\"environment\":"
                              "\"Sandbox\"}";

static char *jws_chain(fixture *f, const char *alg, X509 **certs, int n, EVP_PKEY *key)
{
    char *h = header_json(alg, certs, n);
    char *out = jws_raw(h, PAYLOAD, key);
    free(h);
    return out;
}

static char *jws_valid(fixture *f)
{
    X509 *chain[] = {f->leaf.cert, f->inter.cert};
    return jws_chain(f, "ES256", chain, 2, f->leaf.key);
}

static apple_jws_status verify(const apple_jws_root *root, const char *jws)
{
    json_object *payload = (json_object *)1;
    apple_jws_status st = apple_jws_verify(root, jws, strlen(jws), time(NULL), &payload);
    if (st == APPLE_JWS_OK)
        json_object_put(payload);
    else
        assert_null(payload);
    return st;
}

static void test_valid_chain(void **state)
{
    fixture *f = *state;
    char *jws = jws_valid(f);
    json_object *payload = NULL;
    assert_int_equal(apple_jws_verify(f->trusted, jws, strlen(jws), time(NULL), &payload),
                     APPLE_JWS_OK);
    json_object *v;
    assert_true(json_object_object_get_ex(payload, "originalTransactionId", &v));
    assert_string_equal(json_object_get_string(v), "2000000000");
    json_object_put(payload);
    free(jws);
}

static void test_valid_chain_with_root(void **state)
{
    fixture *f = *state;
    X509 *chain[] = {f->leaf.cert, f->inter.cert, f->root.cert};
    char *jws = jws_chain(f, "ES256", chain, 3, f->leaf.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_OK);
    free(jws);
}

static void test_wrong_root(void **state)
{
    fixture *f = *state;
    char *jws = jws_valid(f);
    assert_int_equal(verify(f->other_trusted, jws), APPLE_JWS_CHAIN);
    assert_int_equal(verify(NULL, jws), APPLE_JWS_CHAIN);
    free(jws);
}

/* A whole chain made by someone else, their root included in x5c: still not trusted. */
static void test_foreign_chain_with_its_root(void **state)
{
    fixture *f = *state;
    cred inter, leaf;
    make_cert(&inter, "Test WWDR", &f->other_root, true, OID_INTERMEDIATE, -DAY, 365 * DAY);
    make_cert(&leaf, "Test App Store Signing", &inter, false, OID_LEAF, -DAY, 365 * DAY);
    X509 *chain[] = {leaf.cert, inter.cert, f->other_root.cert};
    char *jws = jws_chain(f, "ES256", chain, 3, leaf.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_CHAIN);
    free(jws);
    cred_free(&inter);
    cred_free(&leaf);
}

static void test_expired_cert(void **state)
{
    fixture *f = *state;
    cred leaf;
    make_cert(&leaf, "Expired", &f->inter, false, OID_LEAF, -30 * DAY, -DAY);
    X509 *chain[] = {leaf.cert, f->inter.cert};
    char *jws = jws_chain(f, "ES256", chain, 2, leaf.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_CHAIN);
    /* The same JWS checked at a time inside its validity verifies: the time decides. */
    json_object *payload = NULL;
    assert_int_equal(apple_jws_verify(f->trusted, jws, strlen(jws), time(NULL) - 2 * DAY, &payload),
                     APPLE_JWS_OK);
    json_object_put(payload);
    free(jws);
    cred_free(&leaf);
}

static void test_not_yet_valid_intermediate(void **state)
{
    fixture *f = *state;
    cred inter, leaf;
    make_cert(&inter, "Future WWDR", &f->root, true, OID_INTERMEDIATE, DAY, 365 * DAY);
    make_cert(&leaf, "Leaf", &inter, false, OID_LEAF, -DAY, 365 * DAY);
    X509 *chain[] = {leaf.cert, inter.cert};
    char *jws = jws_chain(f, "ES256", chain, 2, leaf.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_CHAIN);
    free(jws);
    cred_free(&inter);
    cred_free(&leaf);
}

static void test_missing_or_short_x5c(void **state)
{
    fixture *f = *state;
    char *jws = jws_chain(f, "ES256", NULL, 0, f->leaf.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_X5C);
    free(jws);
    X509 *one[] = {f->leaf.cert};
    jws = jws_chain(f, "ES256", one, 1, f->leaf.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_X5C);
    free(jws);
    X509 *four[] = {f->leaf.cert, f->inter.cert, f->root.cert, f->root.cert};
    jws = jws_chain(f, "ES256", four, 4, f->leaf.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_X5C);
    free(jws);
    /* x5c entries that are not base64 DER certificates */
    const char *bad[] = {
        "{\"alg\":\"ES256\",\"x5c\":\"MIIB\"}", "{\"alg\":\"ES256\",\"x5c\":[\"MIIB\",\"MIIB\"]}",
        "{\"alg\":\"ES256\",\"x5c\":[1,2]}", "{\"alg\":\"ES256\",\"x5c\":[\"@@@@\",\"@@@@\"]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        jws = jws_raw(bad[i], PAYLOAD, f->leaf.key);
        assert_int_equal(verify(f->trusted, jws), APPLE_JWS_X5C);
        free(jws);
    }
}

/* Only the intermediate as the chain's start: the intermediate is not a leaf with the marker. */
static void test_missing_apple_oids(void **state)
{
    fixture *f = *state;
    cred leaf, inter, leaf2;
    make_cert(&leaf, "No marker", &f->inter, false, NULL, -DAY, 365 * DAY);
    X509 *chain[] = {leaf.cert, f->inter.cert};
    char *jws = jws_chain(f, "ES256", chain, 2, leaf.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_OID);
    free(jws);
    make_cert(&inter, "No marker WWDR", &f->root, true, NULL, -DAY, 365 * DAY);
    make_cert(&leaf2, "Leaf", &inter, false, OID_LEAF, -DAY, 365 * DAY);
    X509 *chain2[] = {leaf2.cert, inter.cert};
    jws = jws_chain(f, "ES256", chain2, 2, leaf2.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_OID);
    free(jws);
    cred_free(&leaf);
    cred_free(&inter);
    cred_free(&leaf2);
}

static void test_bad_signature(void **state)
{
    fixture *f = *state;
    X509 *chain[] = {f->leaf.cert, f->inter.cert};
    /* signed by the intermediate's key, not the leaf's */
    char *jws = jws_chain(f, "ES256", chain, 2, f->inter.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_SIGNATURE);
    free(jws);
    /* a signature of the wrong length */
    jws = jws_valid(f);
    char *last = strrchr(jws, '.');
    last[1 + 40] = '\0';
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_SIGNATURE);
    free(jws);
    /* one flipped character in the signature */
    jws = jws_valid(f);
    last = strrchr(jws, '.');
    last[5] = last[5] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_SIGNATURE);
    free(jws);
}

static void test_alg_refused(void **state)
{
    fixture *f = *state;
    X509 *chain[] = {f->leaf.cert, f->inter.cert};
    const char *algs[] = {"none", "HS256", "RS256", "ES384", "es256", "ES256 "};
    for (size_t i = 0; i < sizeof algs / sizeof *algs; i++) {
        char *jws = jws_chain(f, algs[i], chain, 2, f->leaf.key);
        assert_int_equal(verify(f->trusted, jws), APPLE_JWS_ALG);
        free(jws);
    }
    /* alg none with an empty signature part: malformed before anything else */
    char *h = header_json("none", chain, 2);
    char *hb = b64url_str(h), *pb = b64url_str(PAYLOAD);
    char *jws = malloc(strlen(hb) + strlen(pb) + 3);
    sprintf(jws, "%s.%s.", hb, pb);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_MALFORMED);
    free(jws);
    free(hb);
    free(pb);
    free(h);
    /* no alg, and a crit header */
    jws = jws_raw("{\"x5c\":[]}", PAYLOAD, f->leaf.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_ALG);
    free(jws);
    jws = jws_raw("{\"alg\":\"ES256\",\"crit\":[\"b64\"]}", PAYLOAD, f->leaf.key);
    assert_int_equal(verify(f->trusted, jws), APPLE_JWS_ALG);
    free(jws);
}

static void test_tampered_payload(void **state)
{
    fixture *f = *state;
    char *jws = jws_valid(f);
    char *first = strchr(jws, '.'), *last = strrchr(jws, '.');
    char *other = b64url_str("{\"transactionId\":\"2000000001\",\"originalTransactionId\":"
                             "\"2000000009\",\"bundleId\":\"ma.khedma.app\",\"environment\":"
                             "\"Sandbox\"}");
    size_t n = strlen(jws) + strlen(other) + 1;
    char *forged = malloc(n);
    snprintf(forged, n, "%.*s.%s%s", (int)(first - jws), jws, other, last);
    assert_int_equal(verify(f->trusted, forged), APPLE_JWS_SIGNATURE);
    free(forged);
    free(other);
    free(jws);
}

static void test_malformed(void **state)
{
    fixture *f = *state;
    const char *bad[] = {
        "",     "abc",           "a.b",          "a.b.c.d",      ".b.c",         "a..c",
        "a.b.", "e30=.e30.AAAA", "e30.e30.AA==", "e3@.e30.AAAA", "e30.e31.AAAA", "W10.e30.AAAA"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(verify(f->trusted, bad[i]), APPLE_JWS_MALFORMED);
    /* a valid JWS whose payload part is not JSON, or JSON but not an object */
    X509 *chain[] = {f->leaf.cert, f->inter.cert};
    char *h = header_json("ES256", chain, 2);
    const char *payloads[] = {"not json", "[1,2]", "{\"a\":1} x", "null"};
    for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++) {
        char *jws = jws_raw(h, payloads[i], f->leaf.key);
        assert_int_equal(verify(f->trusted, jws), APPLE_JWS_MALFORMED);
        free(jws);
    }
    free(h);
    /* a NUL inside the given length */
    char *jws = jws_valid(f);
    size_t len = strlen(jws);
    jws[10] = '\0';
    json_object *payload;
    assert_int_equal(apple_jws_verify(f->trusted, jws, len, time(NULL), &payload),
                     APPLE_JWS_MALFORMED);
    free(jws);
}

static void test_b64url_strict(void **state)
{
    size_t n;
    unsigned char *out = apple_jws_b64url_decode("aGk", 3, &n);
    assert_non_null(out);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "hi", 2);
    free(out);
    assert_null(apple_jws_b64url_decode("aGl", 3, &n));  /* non-zero unused bits */
    assert_null(apple_jws_b64url_decode("aGk=", 4, &n)); /* padding */
    assert_null(apple_jws_b64url_decode("a", 1, &n));    /* 4k+1 characters */
    assert_null(apple_jws_b64url_decode("a+/a", 4, &n)); /* standard alphabet */
    out = apple_jws_b64url_decode("-_-_", 4, &n);
    assert_non_null(out);
    assert_int_equal(n, 3);
    free(out);
}

static void test_root_load(void **state)
{
    assert_null(apple_jws_root_load(NULL));
    assert_null(apple_jws_root_load(""));
    assert_null(apple_jws_root_load("/nonexistent/apple-root.pem"));
    assert_null(apple_jws_root_from_pem("not a pem", 9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_chain),
        cmocka_unit_test(test_valid_chain_with_root),
        cmocka_unit_test(test_wrong_root),
        cmocka_unit_test(test_foreign_chain_with_its_root),
        cmocka_unit_test(test_expired_cert),
        cmocka_unit_test(test_not_yet_valid_intermediate),
        cmocka_unit_test(test_missing_or_short_x5c),
        cmocka_unit_test(test_missing_apple_oids),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_alg_refused),
        cmocka_unit_test(test_tampered_payload),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_b64url_strict),
        cmocka_unit_test(test_root_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
