/*
 * gateway.c - the one interface over the card gateways (gateway.h): a table of the gateway
 * modules' operations, the choice of the one KHEDMA_CARD_GATEWAY names, and calls through the
 * table. The gateway modules never call back into this file; what they share is in
 * gateway_util.c, below them.
 */
#include <string.h>

#include "khedma/config.h"
#include "khedma/gateway.h"
#include "khedma/paytabs.h"
#include "khedma/youcanpay.h"

/* Every gateway, indexed by enum gateway_provider. Adding a gateway takes one new module and one
 * line here: write src/<name>.c (with include/khedma/<name>.h) exporting `const struct gateway_ops
 * <name>_gateway` (gateway_util.h says what each operation does), include its header above and
 * append `&<name>_gateway` below. It is then found by its name (KHEDMA_CARD_GATEWAY,
 * payments.provider) through gateway_provider_by_name(); a GATEWAY_ constant in gateway_util.h is
 * only needed where code names the gateway itself. Its settings (API base, keys, the name
 * KHEDMA_CARD_GATEWAY accepts) are configuration, in config.c. */
static const struct gateway_ops *const gateways[] = {
    [GATEWAY_YOUCANPAY] = &youcanpay_gateway,
    [GATEWAY_PAYTABS] = &paytabs_gateway,
};

#define GATEWAY_COUNT (sizeof gateways / sizeof gateways[0])

/* The table entry for p; YouCan Pay for a value outside the table, as for an unset choice. */
static const struct gateway_ops *ops(enum gateway_provider p)
{
    return (size_t)p < GATEWAY_COUNT ? gateways[p] : gateways[GATEWAY_YOUCANPAY];
}

bool gateway_provider_by_name(const char *name, enum gateway_provider *p)
{
    for (size_t i = 0; name && i < GATEWAY_COUNT; i++) {
        if (strcmp(gateways[i]->name, name) == 0) {
            *p = (enum gateway_provider)i;
            return true;
        }
    }
    return false;
}

enum gateway_provider gateway_card_provider(void)
{
    enum gateway_provider p;
    return g_config && gateway_provider_by_name(g_config->card_gateway, &p) ? p : GATEWAY_YOUCANPAY;
}

const char *gateway_provider_name(enum gateway_provider p)
{
    return ops(p)->name;
}

void gateway_checkout_result_free(struct gateway_checkout_result *r)
{
    if (!r)
        return;
    json_object_put(r->paytabs_request);
    r->paytabs_request = NULL;
}

enum errkind gateway_checkout(enum gateway_provider p, const struct gateway_checkout_request *req,
                              struct gateway_checkout_result *res, struct err *e)
{
    memset(res, 0, sizeof *res);
    return ops(p)->checkout(req, res, e);
}

enum errkind gateway_lookup(enum gateway_provider p, const char *ref, struct gateway_transaction *t,
                            struct err *e)
{
    memset(t, 0, sizeof *t);
    return ops(p)->lookup(ref, t, e);
}

enum errkind gateway_refund(enum gateway_provider p, const char *tran_ref, const char *order_id,
                            const char *amount, const char *currency,
                            char refund_ref[GATEWAY_REF_MAX + 1], struct err *e)
{
    refund_ref[0] = '\0';
    return ops(p)->refund(tran_ref, order_id, amount, currency, refund_ref, e);
}

bool gateway_signature_valid(enum gateway_provider p, const char *body, size_t len,
                             const char *signature)
{
    return ops(p)->signature_valid(body, len, signature);
}

void gateway_parse_event(enum gateway_provider p, const char *body, size_t len,
                         struct gateway_event *ev)
{
    ops(p)->parse_event(body, len, ev);
    ev->provider = p;
}
