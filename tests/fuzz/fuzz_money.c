/*
 * fuzz_money.c - decimal text and money amounts (money.c, and jsonx.c's decimals built on it):
 * the first line and the rest are two amounts. Checks the properties payments depend on: an
 * accepted amount converts to minor units and back to the same normalised text, normalising is
 * idempotent, equality is reflexive and symmetric, a normalised amount always has two places,
 * and any minor amount (the first 8 bytes) prints as text that reads back as itself. And that
 * the one decimal reader agrees with its users: an amount is a decimal without sign and with at
 * most two places, the shortest form is a decimal no longer than its input that stays as it is,
 * and jsonx builds a number exactly from what the reader accepts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/jsonx.h"
#include "khedma/money.h"
#include "fuzz.h"

/* The reader, the amount rules and the shortest form agree (amount: money_to_minor accepted s). */
static void check_decimal(const char *s, bool amount)
{
    struct money_decimal d;
    bool decimal = money_parse_decimal(s, &d);
    if (amount)
        FZ_CHECK(decimal && !d.negative && d.frac_len <= 2);
    size_t n = strlen(s);
    char *shortest = malloc(n + 1), *again = malloc(n + 1);
    FZ_CHECK(shortest && again);
    FZ_CHECK(money_shortest(s, shortest) == decimal);
    if (decimal) {
        FZ_CHECK(strlen(shortest) <= n);
        FZ_CHECK(money_shortest(shortest, again) && strcmp(shortest, again) == 0);
        if (amount)
            FZ_CHECK(money_equal(s, shortest));
    }
    json_object *j = jsonx_new_decimal(s);
    FZ_CHECK((j != NULL) == decimal);
    if (j)
        FZ_CHECK(strcmp(json_object_to_json_string(j), shortest) == 0);
    json_object_put(j);
    free(again);
    free(shortest);
}

static void check_one(const char *s)
{
    long long minor;
    char norm[32];
    bool ok = money_to_minor(s, &minor);
    FZ_CHECK(ok == money_normalize(s, norm));
    if (ok) {
        FZ_CHECK(minor >= 0);
        size_t n = strlen(norm);
        FZ_CHECK(n >= 4 && norm[n - 3] == '.');
        char again[32];
        FZ_CHECK(money_normalize(norm, again) && strcmp(norm, again) == 0);
        long long back;
        FZ_CHECK(money_to_minor(norm, &back) && back == minor);
        FZ_CHECK(money_equal(s, s) && money_equal(s, norm));
    } else {
        FZ_CHECK(!money_equal(s, s));
    }
    check_decimal(s, ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *rest;
    size_t rest_len;
    char *a = fz_head(data, size, &rest, &rest_len);
    char *b = fz_dup(rest, rest_len);
    check_one(a);
    check_one(b);
    FZ_CHECK(money_equal(a, b) == money_equal(b, a));

    /* The other direction: any minor amount prints as text that reads back as itself. */
    if (size >= sizeof(long long)) {
        long long minor, back;
        char text[32];
        memcpy(&minor, data, sizeof minor);
        money_from_minor(minor, text);
        if (minor >= 0)
            FZ_CHECK(money_to_minor(text, &back) && back == minor);
    }
    free(b);
    free(a);
    return 0;
}
