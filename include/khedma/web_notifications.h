/*
 * web_notifications.h - the viewer's notifications (docs/web.md, "Pages"): the paged list, and the
 * forms that mark one or all of them read.
 */
#ifndef KHEDMA_WEB_NOTIFICATIONS_H
#define KHEDMA_WEB_NOTIFICATIONS_H

#include "khedma/ctx.h"

/* GET /dashboard/notifications?page= */
void web_notifications_list(struct ctx *c);
/* POST /dashboard/notifications/{id}/read */
void web_notifications_read(struct ctx *c);
/* POST /dashboard/notifications/read-all */
void web_notifications_read_all(struct ctx *c);

#endif
