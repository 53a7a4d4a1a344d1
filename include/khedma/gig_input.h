/*
 * gig_input.h - validation of the gig.* procedure inputs (docs/api.md, "Gigs") into
 * plain C structs, before any service logic or SQL sees them.
 *
 * Every parser takes the procedure's input object (NULL when the call had none), fills *out only
 * when the whole input is valid, and otherwise leaves *out untouched and returns E_BAD_REQUEST
 * with one err_field() entry per failing field, under a dotted path such as "title",
 * "tags.2.text", "basic.price" or "faq.0.answer", so tRPC can report zodError.fieldErrors and
 * REST its "errors". e must be cleared (E_OK) on entry; all failures are collected, not just the
 * first, and e->message is the first failure's message.
 *
 * Lengths are counted in Unicode code points after trimming the whitespace JavaScript's trim()
 * removes (validate.h validate_trim_dup); the stored text is the trimmed text. Buffers hold 4 bytes
 * per code point plus the NUL.
 */
#ifndef KHEDMA_GIG_INPUT_H
#define KHEDMA_GIG_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/errors.h"

#define GIG_REF_MAX 191 /* bytes of an id, category reference, username or slug */
#define GIG_TITLE_MAX 80
#define GIG_TAG_MAX 30
#define GIG_TAGS_MAX 5 /* distinct tags per gig */
#define PACKAGE_NAME_MIN 5
#define PACKAGE_NAME_MAX 20
#define PACKAGE_DESCRIPTION_MIN 5
#define PACKAGE_DESCRIPTION_MAX 100
#define PACKAGE_PRICE_MIN 10
/* Upper bounds the API leaves open. They only keep values inside what the columns hold and
 * what a listing can show sensibly: ten million dirhams, ten years, 9999 revisions (sellers use
 * large counts to mean "unlimited"). */
#define PACKAGE_PRICE_MAX 10000000
#define PACKAGE_DELIVERY_MAX 3650
#define PACKAGE_REVISIONS_MAX 9999
/* FAQ and gallery limits the API leaves open: an FAQ is a handful of short questions with
 * paragraph answers, and a gig page shows a gallery, not an archive. */
#define GIG_FAQ_MAX 20
#define FAQ_QUESTION_MAX 200
#define FAQ_ANSWER_MAX 1000
#define GALLERY_LIST_MAX 20 /* per list: images, videos, documents */

#define UTF8_BUF(chars) ((chars)*4 + 1)

/* A required reference string (id, gigId, category, username, slug): non-empty, at most
 * GIG_REF_MAX bytes, copied as sent (not trimmed: ids and slugs never contain spaces, and a
 * reference with them simply matches nothing). out holds GIG_REF_MAX + 1 bytes. */
enum errkind gig_input_ref(json_object *in, const char *key, char out[GIG_REF_MAX + 1],
                           struct err *e);

/* {id} and the other single-reference inputs. */
struct ref_input {
    char id[GIG_REF_MAX + 1];
};
enum errkind gig_input_id(json_object *in, struct ref_input *out, struct err *e);

/* gig.getGigDetails: {username, slug}. */
struct details_input {
    char username[GIG_REF_MAX + 1];
    char slug[GIG_REF_MAX + 1];
};
enum errkind gig_input_details(json_object *in, struct details_input *out, struct err *e);

/* gig.udpateOffersMultiplePackages: {id, value: boolean}. */
struct offers_input {
    char id[GIG_REF_MAX + 1];
    bool value;
};
enum errkind gig_input_offers(json_object *in, struct offers_input *out, struct err *e);

/* gig.updateOverview: {id, title, category, subCategory, tags: [{id, text}]}. The tags' client
 * ids are not kept (the server makes its own). tags[] holds the distinct tags in input order, the
 * first spelling of each case-insensitive duplicate. */
struct overview_input {
    char id[GIG_REF_MAX + 1];
    char title[UTF8_BUF(GIG_TITLE_MAX)];
    char category[GIG_REF_MAX + 1];
    char subcategory[GIG_REF_MAX + 1];
    size_t ntags;
    char tags[GIG_TAGS_MAX][UTF8_BUF(GIG_TAG_MAX)];
};
enum errkind gig_input_overview(json_object *in, struct overview_input *out, struct err *e);

/* One package tier. present is false for an omitted tier and for a standard/premium object
 * missing any of the five fields (or holding null for one: JavaScript forms send NaN, which JSON
 * turns into null), which are ignored as the API documents; the other fields are then zero. */
struct package_input {
    bool present;
    char name[UTF8_BUF(PACKAGE_NAME_MAX)];
    char description[UTF8_BUF(PACKAGE_DESCRIPTION_MAX)];
    long long price; /* whole dirhams */
    int delivery;    /* days */
    int revisions;
};

/* gig.createPackages: {gigId, basic, standard?, premium?}; basic is always present. */
struct packages_input {
    char gig_id[GIG_REF_MAX + 1];
    struct package_input basic, standard, premium;
};
enum errkind gig_input_packages(json_object *in, struct packages_input *out, struct err *e);

/* gig.updateDescriptionFaq: {id, description, faq: [{question, answer}]}. description is the
 * EditorJS OutputData object (at least a "blocks" array of objects with a string "type"), borrowed
 * from the input: valid while the input lives. The FAQ strings are trimmed copies owned by the
 * struct: release them with gig_input_description_faq_free(). An empty faq array clears the FAQ. */
struct faq_item {
    char *question;
    char *answer;
};
struct description_faq_input {
    char id[GIG_REF_MAX + 1];
    json_object *description;
    size_t nfaq;
    struct faq_item faq[GIG_FAQ_MAX];
};
enum errkind gig_input_description_faq(json_object *in, struct description_faq_input *out,
                                       struct err *e);
void gig_input_description_faq_free(struct description_faq_input *in);

/* gig.updateGallery: {id, images, videos?, documents?}. At least one image; every entry an
 * http(s) URL (validate.h validate_http_url), or for images this site's own upload path
 * (images.h images_upload_url_ok). The URL strings are borrowed from the input. An
 * omitted or null videos/documents list is empty. */
struct gallery_input {
    char id[GIG_REF_MAX + 1];
    size_t nimages, nvideos, ndocuments;
    const char *images[GALLERY_LIST_MAX];
    const char *videos[GALLERY_LIST_MAX];
    const char *documents[GALLERY_LIST_MAX];
};
enum errkind gig_input_gallery(json_object *in, struct gallery_input *out, struct err *e);

#endif
