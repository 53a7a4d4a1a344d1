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

/* Every gateway, indexed by enum gw_provider. Adding a gateway takes one new module and one line
 * here: write src/<name>.c (with include/khedma/<name>.h) exporting
 * `const struct gateway_ops <name>_gateway` (gateway_util.h says what each operation does),
 * include its header above and append `&<name>_gateway` below. It is then found by its name
 * (KHEDMA_CARD_GATEWAY, payments.provider) through gw_provider_by_name(); a GW_ constant in
 * gateway_util.h is only needed where code names the gateway itself. Its settings (API base,
 * keys, the name KHEDMA_CARD_GATEWAY accepts) are configuration, in config.c. */
static const struct gateway_ops *const gateways[] = {
    [GW_YOUCANPAY] = &youcanpay_gateway,
    [GW_PAYTABS] = &paytabs_gateway,
};

#define GATEWAY_COUNT (sizeof gateways / sizeof gateways[0])

/* The table entry for p; YouCan Pay for a value outside the table, as for an unset choice. */
static const struct gateway_ops *ops(enum gw_provider p)
{
    return (size_t)p < GATEWAY_COUNT ? gateways[p] : gateways[GW_YOUCANPAY];
}

bool gw_provider_by_name(const char *name, enum gw_provider *p)
{
    for (size_t i = 0; name && i < GATEWAY_COUNT; i++) {
        if (strcmp(gateways[i]->name, name) == 0) {
            *p = (enum gw_provider)i;
            return true;
        }
    }
    return false;
}

enum gw_provider gw_card_provider(void)
{
    enum gw_provider p;
    return g_config && gw_provider_by_name(g_config->card_gateway, &p) ? p : GW_YOUCANPAY;
}

const char *gw_provider_name(enum gw_provider p)
{
    return ops(p)->name;
}

void gw_checkout_result_free(struct gw_checkout_result *r)
{
    if (!r)
        return;
    json_object_put(r->paytabs_request);
    r->paytabs_request = NULL;
}

enum errkind gw_checkout(enum gw_provider p, const struct gw_checkout_request *req,
                         struct gw_checkout_result *res, struct err *e)
{
    memset(res, 0, sizeof *res);
    return ops(p)->checkout(req, res, e);
}

enum errkind gw_lookup(enum gw_provider p, const char *ref, struct gw_transaction *t, struct err *e)
{
    memset(t, 0, sizeof *t);
    return ops(p)->lookup(ref, t, e);
}

enum errkind gw_refund(enum gw_provider p, const char *tran_ref, const char *order_id,
                       const char *amount, const char *currency, char refund_ref[GW_REF_MAX + 1],
                       struct err *e)
{
    refund_ref[0] = '\0';
    return ops(p)->refund(tran_ref, order_id, amount, currency, refund_ref, e);
}

bool gw_signature_valid(enum gw_provider p, const char *body, size_t len, const char *signature)
{
    return ops(p)->signature_valid(body, len, signature);
}

void gw_parse_event(enum gw_provider p, const char *body, size_t len, struct gw_event *ev)
{
    ops(p)->parse_event(body, len, ev);
    ev->provider = p;
}
