/*
 * fuzz_money.c - money amounts (money.c, and jsonx.c's decimal normaliser): the first line and
 * the rest are two amounts. Checks the properties payments depend on: an accepted amount
 * converts to minor units and back to the same normalised text, normalising is idempotent,
 * equality is reflexive and symmetric, a normalised amount always has two places, and any
 * minor amount (the first 8 bytes) prints as text that reads back as itself.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/gateway.h"
#include "khedma/jsonx.h"
#include "fuzz.h"

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
    json_object *d = jsonx_new_decimal(s);
    json_object_put(d);
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
