/*
 * web_vip.h - the VIP page of the web storefront (docs/web.md): the viewer's subscription, the
 * plans with a card checkout form, the cancel form, and the address PayTabs sends the browser
 * back to after a subscription payment.
 */
#ifndef KHEDMA_WEB_VIP_H
#define KHEDMA_WEB_VIP_H

#include "khedma/ctx.h"

/* GET /dashboard/vip[?order=N]: with ?order, the viewer's pending card order N is first asked
 * of PayTabs (vip_checkout_confirm_number), so the page shows the real outcome. */
void web_vip_page(struct ctx *c);
/* POST /dashboard/vip: vip_package_id → the VIP checkout by card, 303 to the PayTabs page. */
void web_vip_subscribe(struct ctx *c);
/* POST /dashboard/vip/cancel: vip_read_cancel, 303 back. */
void web_vip_cancel(struct ctx *c);
/* POST /dashboard/vip/return?order=N: PayTabs' cross-site form post; 303 to the GET page,
 * reading and changing nothing (no cookie, no Origin rule: it is not the viewer's request). */
void web_vip_return(struct ctx *c);

#endif
