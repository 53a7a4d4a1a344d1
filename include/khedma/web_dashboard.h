/*
 * web_dashboard.h - the signed-in user's dashboard pages (docs/web.md, "Pages"): the summary at
 * /dashboard, the freelancer's earnings at /dashboard/earnings and the profile and notification
 * settings at /dashboard/settings. Never cached (they are the viewer's own).
 */
#ifndef KHEDMA_WEB_DASHBOARD_H
#define KHEDMA_WEB_DASHBOARD_H

#include "khedma/ctx.h"

void web_dashboard_home(struct ctx *c);
void web_dashboard_earnings(struct ctx *c);
void web_dashboard_settings(struct ctx *c);
void web_dashboard_settings_save(struct ctx *c);

#endif
