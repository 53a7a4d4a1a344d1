/*
 * gigs_write.h - the write side of the gig service (docs/api.md, "Gigs"): the gig.* mutations.
 * Inputs arrive already validated (gig_input.h); each call is one transaction and answers with
 * a new JSON object owned by the caller. Ownership is enforced on every call that names a gig: a
 * gig that does not exist, is deleted, or belongs to someone else is E_NOT_FOUND (or
 * E_UNAUTHORIZED for updateDescriptionFaq / updateGallery, as the tRPC clients expect).
 */
#ifndef KHEDMA_GIGS_WRITE_H
#define KHEDMA_GIGS_WRITE_H

#include <stdbool.h>
#include <json-c/json.h>
#include "khedma/db.h"
#include "khedma/errors.h"
#include "khedma/gig_input.h"

enum errkind gigs_write_create_draft(struct db *db, const char *owner_id, json_object **out,
                                     struct err *e);
enum errkind gigs_write_update_overview(struct db *db, const char *owner_id,
                                        const struct overview_input *in, json_object **out,
                                        struct err *e);
enum errkind gigs_write_create_packages(struct db *db, const char *owner_id,
                                        const struct packages_input *in, json_object **out,
                                        struct err *e);
enum errkind gigs_write_set_offers_multiple(struct db *db, const char *owner_id,
                                            const struct offers_input *in, json_object **out,
                                            struct err *e);
enum errkind gigs_write_update_description_faq(struct db *db, const char *owner_id,
                                               const struct description_faq_input *in,
                                               json_object **out, struct err *e);
enum errkind gigs_write_update_gallery(struct db *db, const char *owner_id,
                                       const struct gallery_input *in, json_object **out,
                                       struct err *e);
enum errkind gigs_write_publish(struct db *db, const char *owner_id, const char *gig_id,
                                json_object **out, struct err *e);
/* Take a published gig off the public pages: it becomes a draft again (isPaused true) and keeps
 * its slug, so publishing it again restores its address. E_UNPROCESSABLE when not published. */
enum errkind gigs_write_pause(struct db *db, const char *owner_id, const char *gig_id,
                              json_object **out, struct err *e);
enum errkind gigs_write_delete(struct db *db, const char *owner_id, const char *gig_id,
                               json_object **out, struct err *e);

#endif
