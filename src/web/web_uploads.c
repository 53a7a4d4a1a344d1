/*
 * web_uploads.c - gallery images uploaded from the browser (web_uploads.h).
 *
 * Every file of the form is checked before any is stored: JPEG, PNG or WebP decided from the
 * bytes (images.c), at most 5 MiB. One refused file refuses the whole upload and nothing is
 * written; the gallery step is answered again (422) with the reason next to the file input.
 * Accepted files are stored under their content's name in KHEDMA_UPLOAD_DIR and added to the
 * gig's gallery as /uploads/<name> through the same gallery service as URLs typed in.
 */
#include "khedma/web_uploads.h"

#include <stdio.h>
#include <string.h>

#include "khedma/config.h"
#include "khedma/gig_input.h"
#include "khedma/gigs_read.h"
#include "khedma/images.h"
#include "khedma/multipart.h"
#include "khedma/web.h"
#include "khedma/web_gig_editor.h"

#define UPLOAD_FILES_MAX 10 /* images in one upload */

/* A refusal of the whole upload, shown next to the file input. */
static void refuse(struct ctx *c, const struct user *u, const char *gig_id, const char *message)
{
    struct err e = {0};
    err_field(&e, "image", message);
    snprintf(e.message, sizeof e.message, "%s", "The upload was refused; nothing was saved.");
    web_gig_editor_gallery_page(c, u, gig_id, &e);
    err_clear(&e);
}

/* The file parts of the upload, or a refusal written into why. */
static size_t collect_files(const struct multipart *m, const struct multipart_part **files,
                            char *why, size_t whylen)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct multipart_part *p = &m->parts[i];
        if (strcmp(p->name, "image") != 0 || !p->is_file)
            continue;
        if (p->len == 0 && !p->filename[0])
            continue; /* the input was left empty */
        if (n == UPLOAD_FILES_MAX) {
            snprintf(why, whylen, "Upload at most %d images at a time.", UPLOAD_FILES_MAX);
            return 0;
        }
        if (images_sniff((const unsigned char *)p->data, p->len) == IMAGE_NONE) {
            snprintf(why, whylen,
                     "\"%.100s\" is not a JPEG, PNG or WebP image. Choose a photo or picture "
                     "saved in one of these formats.",
                     p->filename[0] ? p->filename : "The file");
            return 0;
        }
        files[n++] = p;
    }
    if (n == 0)
        snprintf(why, whylen, "Choose an image file to upload first.");
    return n;
}

static enum multipart_result parse_body(struct ctx *c, struct multipart *m)
{
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    if (!multipart_boundary(c->req->content_type, boundary))
        return MULTIPART_MALFORMED;
    return multipart_parse(c->req->body, c->req->body_len, boundary, IMAGES_MAX_BYTES, m);
}

void web_uploads_too_large(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    const char *gig_id = kv_list_get(&c->req->query, "gig");
    if (!gig_id || !*gig_id || strlen(gig_id) > GIG_REF_MAX) {
        web_not_found(c);
        return;
    }
    refuse(c, u, gig_id,
           "The upload was larger than 6 MB in all, so it was not sent. Choose images of up to "
           "5 MB each, or fewer at a time.");
}

void web_uploads_gallery(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u || !web_post_ok(c))
        return;
    const char *gig_id = kv_list_get(&c->req->query, "gig");
    if (!gig_id || !*gig_id || strlen(gig_id) > GIG_REF_MAX) {
        web_not_found(c);
        return;
    }
    /* Only the owner's gig: checked before anything is stored. */
    json_object *own = NULL;
    struct err oe = {0};
    if (gigs_read_by_id(c->db, u->id, gig_id, &own, &oe) != E_OK) {
        web_service_error(c, &oe);
        err_clear(&oe);
        return;
    }
    json_object_put(own);
    static struct multipart m; /* large (names of 32 parts); one request at a time per worker */
    enum multipart_result r = parse_body(c, &m);
    if (r == MULTIPART_TOO_LARGE) {
        char why[300];
        const char *name = m.n ? m.parts[m.n - 1].filename : "";
        snprintf(why, sizeof why,
                 "\"%.100s\" is larger than 5 MB. Choose a smaller image, or save it at a lower "
                 "quality first.",
                 name[0] ? name : "The file");
        refuse(c, u, gig_id, why);
        return;
    }
    if (r == MULTIPART_TOO_MANY) {
        refuse(c, u, gig_id, "Too many files at once: upload at most 10 images at a time.");
        return;
    }
    if (r != MULTIPART_OK) {
        refuse(c, u, gig_id, "The upload could not be read. Please choose the file again.");
        return;
    }
    const struct multipart_part *files[UPLOAD_FILES_MAX];
    char why[300];
    size_t n = collect_files(&m, files, why, sizeof why);
    if (n == 0) {
        refuse(c, u, gig_id, why);
        return;
    }
    char names[UPLOAD_FILES_MAX][IMAGES_NAME_MAX + 1];
    char urls[UPLOAD_FILES_MAX][sizeof IMAGES_URL_PREFIX + IMAGES_NAME_MAX];
    const char *list[UPLOAD_FILES_MAX];
    struct err e = {0};
    for (size_t i = 0; i < n; i++) {
        const unsigned char *data = (const unsigned char *)files[i]->data;
        enum image_type t = images_sniff(data, files[i]->len);
        if (images_store(g_config->upload_dir, data, files[i]->len, t, names[i], &e) != E_OK) {
            web_service_error(c, &e);
            err_clear(&e);
            return;
        }
        snprintf(urls[i], sizeof urls[i], "%s%.*s", IMAGES_URL_PREFIX, IMAGES_NAME_MAX, names[i]);
        list[i] = urls[i];
    }
    if (web_gig_editor_gallery_add(c, u, gig_id, list, n, &e) == E_OK) {
        struct html to = {0};
        html_raw(&to, "/dashboard/gigs/");
        html_path_segment(&to, gig_id);
        html_raw(&to, "/gallery?saved=1");
        web_redirect(c, to.data);
        html_free(&to);
    } else if (e.kind == E_BAD_REQUEST) {
        web_gig_editor_gallery_page(c, u, gig_id, &e);
    } else {
        web_service_error(c, &e);
    }
    err_clear(&e);
}
