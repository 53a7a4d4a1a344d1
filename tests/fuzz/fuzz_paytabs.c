/*
 * fuzz_paytabs.c - what PayTabs sends us (paytabs.c, gateway_util.c): the input is read as a
 * payment-page answer, a query answer, a refund answer and a callback body, and its first line
 * as a callback signature over the rest. Checks what payments.c relies on: an accepted redirect
 * is an http(s) URL, an accepted amount is a normalised two-place decimal, and an approved
 * refund carries its reference.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "khedma/gateway_util.h"
#include "khedma/money.h"
#include "khedma/paytabs.h"
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

    char ref[GATEWAY_REF_MAX + 1], redirect[2048];
    if (paytabs_parse_payment_page(body, size, ref, redirect)) {
        FZ_CHECK(ref[0] != '\0');
        FZ_CHECK(strncasecmp(redirect, "http://", 7) == 0 ||
                 strncasecmp(redirect, "https://", 8) == 0);
    }

    struct gateway_transaction t;
    if (paytabs_parse_query(body, size, &t)) {
        FZ_CHECK(t.id[0] != '\0' && t.order_id[0] != '\0');
        check_amount(t.amount);
    }

    char refund_ref[GATEWAY_REF_MAX + 1];
    if (paytabs_parse_refund(body, size, refund_ref) == PAYTABS_REFUND_APPROVED)
        FZ_CHECK(refund_ref[0] != '\0');

    struct gateway_event ev;
    paytabs_parse_event(body, size, &ev);
    FZ_CHECK(ev.provider == GATEWAY_PAYTABS);
    if (ev.amount[0])
        check_amount(ev.amount);

    const uint8_t *rest;
    size_t rest_len;
    char *signature = fz_head(data, size, &rest, &rest_len);
    (void)gateway_util_hmac_valid("fuzz-server-key", (const char *)rest, rest_len, signature);
    free(signature);
    return 0;
}
