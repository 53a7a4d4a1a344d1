/*
 * web_uploads.h - POST /dashboard/gallery/upload?gig=<id>: gallery images uploaded from the
 * gallery step of the gig editor as multipart/form-data (docs/web.md, "Pages"; docs/deploy.md,
 * "Uploads"). The only route with a body limit over 1 MiB (http.h UPLOAD_MAX_BODY).
 */
#ifndef KHEDMA_WEB_UPLOADS_H
#define KHEDMA_WEB_UPLOADS_H

#include "khedma/ctx.h"

void web_uploads_gallery(struct ctx *c);
/* GET /dashboard/gallery/too-large?gig=<id>: where nginx sends an upload whose body is over its
 * limit (nginx/khedma.conf.in): the gallery step with the reason next to the file input. */
void web_uploads_too_large(struct ctx *c);

#endif
