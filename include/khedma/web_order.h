/*
 * web_order.h - ordering from the storefront (docs/web.md, "Pages"): the order page of one gig
 * package with its Pay form, which runs the same checkout as POST /api/orders/checkout and sends
 * the browser to the gateway's payment page; and the pages the gateways send the browser back to,
 * which confirm the payment with the gateway before saying anything about it.
 */
#ifndef KHEDMA_WEB_ORDER_H
#define KHEDMA_WEB_ORDER_H

#include "khedma/ctx.h"

/* GET and POST /order/{username}/{slug}/{package} */
void web_order_get(struct ctx *c);
void web_order_post(struct ctx *c);
/* GET /orders/{id}/payment-success, /orders/{id}/payment-failed (YouCan Pay) and
 * /orders/{id}/payment-return (PayTabs) */
void web_order_payment_success(struct ctx *c);
void web_order_payment_failed(struct ctx *c);
void web_order_payment_return(struct ctx *c);
/* POST /orders/{id}/payment-return: PayTabs posts its result there from its own site; answered
 * with 303 to the GET of the same page, changing nothing. */
void web_order_payment_return_post(struct ctx *c);

#endif
