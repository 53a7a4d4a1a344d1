/*
 * fuzz_youcanpay.c - what YouCan Pay sends us (youcanpay.c, gateway_util.c): the input is read as a
 * tokenize answer, a transaction answer and a webhook body, and its first line as a webhook
 * signature over the rest. Checks what payments.c relies on: an accepted token id is a safe path
 * segment, an accepted transaction amount is a normalised two-place decimal, and an event's
 * amount is empty or normalised.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/gateway_util.h"
#include "khedma/jsonx.h"
#include "khedma/money.h"
#include "khedma/youcanpay.h"
#include "fuzz.h"

static void check_amount(const char *amount)
{
    char again[32];
    FZ_CHECK(money_normalize(amount, again));
    FZ_CHECK(strcmp(again, amount) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;

    char token[GATEWAY_REF_MAX + 1];
    if (youcanpay_parse_tokenize(body, size, token)) {
        FZ_CHECK(token[0] != '\0');
        FZ_CHECK(
            strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
            strlen(token));
    }

    struct gateway_transaction t;
    if (youcanpay_parse_transaction(body, size, &t)) {
        FZ_CHECK(t.id[0] != '\0' && t.order_id[0] != '\0');
        check_amount(t.amount);
    }

    struct gateway_event ev;
    youcanpay_parse_event(body, size, &ev);
    FZ_CHECK(ev.provider == GATEWAY_YOUCANPAY);
    if (ev.amount[0])
        check_amount(ev.amount);

    json_object *o = jsonx_parse(body, size);
    long long minor;
    if (o && youcanpay_amount_minor(o, &minor))
        FZ_CHECK(minor >= 0);
    json_object_put(o);

    const uint8_t *rest;
    size_t rest_len;
    char *signature = fz_head(data, size, &rest, &rest_len);
    (void)gateway_util_hmac_valid("fuzz-private-key", (const char *)rest, rest_len, signature);
    free(signature);
    return 0;
}
