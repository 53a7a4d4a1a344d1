/*
 * fuzz_gig_input.c - the gig.* procedure inputs (gig_input.c) and the field validators
 * (validate.c): the input, parsed as JSON, goes through every gig input parser - references,
 * offers, the overview with its tags, the packages, the EditorJS description with the FAQ, and
 * the gallery - and every string member of it through the validators, validate_trim_dup and the
 * slug maker. Checks the limits the database columns rely on: accepted text is valid UTF-8 within
 * its length bound, accepted numbers are within their ranges, and a rejection names a field.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/gig_input.h"
#include "khedma/jsonx.h"
#include "khedma/slug.h"
#include "khedma/utf8.h"
#include "khedma/validate.h"
#include "fuzz.h"

static void check_text(const char *s, size_t max_chars)
{
    FZ_CHECK(utf8_valid(s, strlen(s)));
    FZ_CHECK(utf8_length(s, strlen(s)) <= max_chars);
}

static void check_outcome(enum errkind k, struct err *e)
{
    if (k != E_OK)
        FZ_CHECK(e->message[0] != '\0');
    err_clear(e);
}

static void check_package(const struct package_input *p)
{
    if (!p->present)
        return;
    check_text(p->name, PACKAGE_NAME_MAX);
    check_text(p->description, PACKAGE_DESCRIPTION_MAX);
    FZ_CHECK(p->price >= PACKAGE_PRICE_MIN && p->price <= PACKAGE_PRICE_MAX);
    FZ_CHECK(p->delivery >= 1 && p->delivery <= PACKAGE_DELIVERY_MAX);
    FZ_CHECK(p->revisions >= 0 && p->revisions <= PACKAGE_REVISIONS_MAX);
}

static void parse_all(json_object *in)
{
    struct err e = {0};
    struct ref_input ref;
    check_outcome(gig_input_id(in, &ref, &e), &e);
    struct details_input details;
    check_outcome(gig_input_details(in, &details, &e), &e);
    struct offers_input offers;
    check_outcome(gig_input_offers(in, &offers, &e), &e);

    struct overview_input ov;
    enum errkind k = gig_input_overview(in, &ov, &e);
    if (k == E_OK) {
        check_text(ov.title, GIG_TITLE_MAX);
        FZ_CHECK(ov.ntags <= GIG_TAGS_MAX);
        for (size_t i = 0; i < ov.ntags; i++)
            check_text(ov.tags[i], GIG_TAG_MAX);
    }
    check_outcome(k, &e);

    struct packages_input pk;
    k = gig_input_packages(in, &pk, &e);
    if (k == E_OK) {
        FZ_CHECK(pk.basic.present);
        check_package(&pk.basic);
        check_package(&pk.standard);
        check_package(&pk.premium);
    }
    check_outcome(k, &e);

    struct description_faq_input df;
    k = gig_input_description_faq(in, &df, &e);
    if (k == E_OK) {
        FZ_CHECK(df.description != NULL && df.nfaq <= GIG_FAQ_MAX);
        for (size_t i = 0; i < df.nfaq; i++) {
            check_text(df.faq[i].question, FAQ_QUESTION_MAX);
            check_text(df.faq[i].answer, FAQ_ANSWER_MAX);
        }
        gig_input_description_faq_free(&df);
    }
    check_outcome(k, &e);

    struct gallery_input g;
    k = gig_input_gallery(in, &g, &e);
    if (k == E_OK) {
        FZ_CHECK(g.nimages >= 1 && g.nimages <= GALLERY_LIST_MAX);
        for (size_t i = 0; i < g.nimages; i++)
            FZ_CHECK(validate_http_url(g.images[i]));
    }
    check_outcome(k, &e);
}

static void validate_string(const char *s)
{
    (void)validate_email(s);
    (void)validate_username(s);
    (void)validate_phone(s);
    (void)validate_http_url(s);
    char *t = validate_trim_dup(s);
    FZ_CHECK(t != NULL && strlen(t) <= strlen(s));
    FZ_CHECK(utf8_valid(t, strlen(t))); /* JSON strings are valid UTF-8, trimmed ones too */
    free(t);
    char slug[SLUG_BUF_LEN];
    size_t n = slug_from_title(s, slug, sizeof slug);
    FZ_CHECK(n == strlen(slug) && n <= SLUG_MAX);
}

static void walk_strings(json_object *v, int depth)
{
    if (json_object_is_type(v, json_type_string)) {
        validate_string(json_object_get_string(v));
    } else if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            walk_strings(json_object_array_get_idx(v, i), depth + 1);
    } else if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, val)
        {
            validate_string(key);
            walk_strings(val, depth + 1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *in = NULL;
    if (!jsonx_parse_value((const char *)data, size, &in))
        return 0;
    parse_all(in);
    walk_strings(in, 0);
    json_object_put(in);
    return 0;
}
