/*
 * gig_input.c - validators for the gig.* procedure inputs (docs/api.md, "Gigs"). Each
 * parser works on a local copy and copies it out only when every field passed, so a rejected
 * call changes nothing; every failing field is reported (as zod does), not only the first, so a
 * form can mark all its mistakes at once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/gig_input.h"
#include "khedma/jsonx.h"
#include "khedma/images.h"
#include "khedma/utf8.h"
#include "khedma/validate.h"

#define PATH_MAX_LEN 64

/* Record one failure under path. The first failure also becomes e->message, so an error that
 * is shown without its field list still says what was wrong. */
__attribute__((format(printf, 3, 4))) static void fail(struct err *e, const char *path,
                                                       const char *fmt, ...)
{
    char msg[sizeof e->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (e->message[0] == '\0')
        snprintf(e->message, sizeof e->message, "%s", msg);
    err_field(e, path, msg);
}

/* The member key of obj, or NULL when obj is not an object, lacks it or holds null there: for
 * the rules below an explicit null is the same as an omitted field. */
static json_object *member(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (!obj || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &v))
        return NULL;
    return v;
}

/* The text of a JSON string, or NULL for another type or for a string with an escaped NUL
 * (\u0000) in it: C would silently cut such a string short. */
static const char *string_value(json_object *v)
{
    if (!v || !json_object_is_type(v, json_type_string))
        return NULL;
    const char *s = json_object_get_string(v);
    return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

/* Control characters have no place in one-line text (titles, names, tags); multi-line text
 * (FAQ answers) may hold line breaks and tabs. */
static bool has_control(const char *s, bool multiline)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (multiline && (*p == '\n' || *p == '\r' || *p == '\t'))
            continue;
        if (*p < 0x20 || *p == 0x7F)
            return true;
    }
    return false;
}

/* Allocation failure means the worker is broken: the master respawns it (as http.c does). */
static char *trimmed(const char *s)
{
    char *t = validate_trim_dup(s);
    if (!t)
        abort();
    return t;
}

struct text_rule {
    const char *label; /* "Title", "Package name": starts each message */
    size_t min, max;   /* code points after trimming */
    bool multiline;
};

/* The trimmed text of value when it satisfies rule (caller frees), else NULL with the failure
 * recorded under path. */
static char *checked_text(json_object *value, const char *path, const struct text_rule *rule,
                          struct err *e)
{
    if (!value) {
        fail(e, path, "%s is required", rule->label);
        return NULL;
    }
    if (!json_object_is_type(value, json_type_string)) {
        fail(e, path, "%s must be a string", rule->label);
        return NULL;
    }
    if (!string_value(value)) {
        fail(e, path, "%s must not contain control characters", rule->label);
        return NULL;
    }
    char *text = trimmed(json_object_get_string(value));
    size_t n = utf8_length(text, strlen(text));
    if (n < rule->min || n > rule->max) {
        if (rule->min <= 1 && n == 0)
            fail(e, path, "%s must not be empty", rule->label);
        else
            fail(e, path, "%s must be %zu to %zu characters", rule->label, rule->min, rule->max);
    } else if (has_control(text, rule->multiline)) {
        fail(e, path, "%s must not contain control characters", rule->label);
    } else {
        return text;
    }
    free(text);
    return NULL;
}

/* Copy checked text into a fixed buffer sized for the rule's maximum (4 bytes a code point). */
static bool text_into(json_object *value, const char *path, const struct text_rule *rule, char *out,
                      size_t outlen, struct err *e)
{
    char *text = checked_text(value, path, rule, e);
    if (!text)
        return false;
    snprintf(out, outlen, "%s", text);
    free(text);
    return true;
}

/* An integer field in [min, max]. Strings ("10") and fractions (10.5) are rejected: the
 * API takes whole numbers, and a seller's typo should not be rounded silently. */
static bool int_field(json_object *obj, const char *key, const char *path, const char *label,
                      long long min, long long max, long long *out, struct err *e)
{
    long long v;
    if (!member(obj, key)) {
        fail(e, path, "%s is required", label);
        return false;
    }
    if (!jsonx_int(obj, key, &v)) {
        fail(e, path, "%s must be a whole number", label);
        return false;
    }
    if (v < min || v > max) {
        fail(e, path, "%s must be between %lld and %lld", label, min, max);
        return false;
    }
    *out = v;
    return true;
}

enum errkind gig_input_ref(json_object *in, const char *key, char out[GIG_REF_MAX + 1],
                           struct err *e)
{
    json_object *v = member(in, key);
    const char *s = string_value(v);
    if (!v)
        fail(e, key, "%s is required", key);
    else if (!s)
        fail(e, key, "%s must be a string", key);
    else if (s[0] == '\0')
        fail(e, key, "%s must not be empty", key);
    else if (strlen(s) > GIG_REF_MAX)
        fail(e, key, "%s is too long", key);
    else {
        memcpy(out, s, strlen(s) + 1);
        return E_OK;
    }
    return E_BAD_REQUEST;
}

enum errkind gig_input_id(json_object *in, struct ref_input *out, struct err *e)
{
    struct ref_input r = {0};
    if (gig_input_ref(in, "id", r.id, e) != E_OK)
        return E_BAD_REQUEST;
    *out = r;
    return E_OK;
}

enum errkind gig_input_details(json_object *in, struct details_input *out, struct err *e)
{
    struct details_input d = {0};
    bool ok = gig_input_ref(in, "username", d.username, e) == E_OK;
    ok = gig_input_ref(in, "slug", d.slug, e) == E_OK && ok;
    if (!ok)
        return E_BAD_REQUEST;
    *out = d;
    return E_OK;
}

enum errkind gig_input_offers(json_object *in, struct offers_input *out, struct err *e)
{
    struct offers_input o;
    bool ok = gig_input_ref(in, "id", o.id, e) == E_OK;
    if (!member(in, "value")) {
        fail(e, "value", "value is required");
        ok = false;
    } else if (!jsonx_bool(in, "value", &o.value)) {
        fail(e, "value", "value must be a boolean");
        ok = false;
    }
    if (!ok)
        return E_BAD_REQUEST;
    *out = o;
    return E_OK;
}

/* ---- overview: title and tags ---- */

/* Simple case folding for the scripts a tag is likely to be written in: ASCII, Latin-1,
 * Latin Extended-A, Greek and Cyrillic capitals map to their small letters. Arabic has no
 * case. */
static unsigned fold(unsigned cp)
{
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7))
        return cp + 0x20;
    if (cp == 0x130)
        return 'i'; /* dotted capital I */
    if (cp == 0x178)
        return 0xFF;
    if (((cp >= 0x100 && cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) ||
         (cp >= 0x14A && cp <= 0x177)) &&
        cp % 2 == 0)
        return cp + 1;
    if (((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) && cp % 2 == 1)
        return cp + 1;
    if ((cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) || (cp >= 0x410 && cp <= 0x42F))
        return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 0x50;
    return cp;
}

/* Next code point of valid UTF-8 text at *s (advancing it); 0 at the end. */
static unsigned next_cp(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    if (*p == 0)
        return 0;
    size_t n = utf8_seq_len(*s, strnlen(*s, 4));
    if (n <= 1) {
        *s += 1;
        return *p;
    }
    unsigned cp = p[0] & (0xFF >> (n + 1));
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (p[i] & 0x3F);
    *s += n;
    return cp;
}

static bool same_ignoring_case(const char *a, const char *b)
{
    for (;;) {
        unsigned ca = fold(next_cp(&a)), cb = fold(next_cp(&b));
        if (ca != cb)
            return false;
        if (ca == 0)
            return true;
    }
}

/* Tags replace the previous set: trimmed, case-insensitive duplicates dropped (first spelling
 * kept), 1-30 characters each, at most 5 distinct. The walk stops at the sixth distinct tag, so
 * a huge array costs no more than a short one. */
static bool parse_tags(json_object *in, struct overview_input *o, struct err *e)
{
    static const struct text_rule rule = {"Tag", 1, GIG_TAG_MAX, false};
    json_object *tags = member(in, "tags");
    if (!tags || !json_object_is_type(tags, json_type_array)) {
        fail(e, "tags", tags ? "tags must be an array" : "tags is required");
        return false;
    }
    bool ok = true;
    o->ntags = 0;
    for (size_t i = 0; i < json_object_array_length(tags); i++) {
        char path[PATH_MAX_LEN];
        snprintf(path, sizeof path, "tags.%zu.text", i);
        char *text =
            checked_text(member(json_object_array_get_idx(tags, i), "text"), path, &rule, e);
        if (!text) {
            ok = false;
            continue;
        }
        bool seen = false;
        for (size_t k = 0; k < o->ntags && !seen; k++)
            seen = same_ignoring_case(o->tags[k], text);
        if (!seen && o->ntags == GIG_TAGS_MAX) {
            free(text);
            fail(e, "tags", "A gig can have at most %d tags", GIG_TAGS_MAX);
            return false;
        }
        if (!seen)
            snprintf(o->tags[o->ntags++], sizeof o->tags[0], "%s", text);
        free(text);
    }
    return ok;
}

enum errkind gig_input_overview(json_object *in, struct overview_input *out, struct err *e)
{
    static const struct text_rule title = {"Title", 1, GIG_TITLE_MAX, false};
    struct overview_input o;
    bool ok = gig_input_ref(in, "id", o.id, e) == E_OK;
    ok = text_into(member(in, "title"), "title", &title, o.title, sizeof o.title, e) && ok;
    ok = gig_input_ref(in, "category", o.category, e) == E_OK && ok;
    ok = gig_input_ref(in, "subCategory", o.subcategory, e) == E_OK && ok;
    ok = parse_tags(in, &o, e) && ok;
    if (!ok)
        return E_BAD_REQUEST;
    *out = o;
    return E_OK;
}

/* ---- packages ---- */

static const char *const package_fields[] = {"name", "description", "price", "delivery",
                                             "revisions"};

static bool tier_complete(json_object *tier)
{
    for (size_t i = 0; i < sizeof package_fields / sizeof package_fields[0]; i++) {
        if (!member(tier, package_fields[i]))
            return false;
    }
    return true;
}

static bool tier_values(json_object *t, const char *tier, struct package_input *p, struct err *e)
{
    static const struct text_rule name = {"Package name", PACKAGE_NAME_MIN, PACKAGE_NAME_MAX,
                                          false};
    static const struct text_rule description = {"Package description", PACKAGE_DESCRIPTION_MIN,
                                                 PACKAGE_DESCRIPTION_MAX, false};
    char path[PATH_MAX_LEN];
    long long delivery = 0, revisions = 0;
    snprintf(path, sizeof path, "%s.name", tier);
    bool ok = text_into(member(t, "name"), path, &name, p->name, sizeof p->name, e);
    snprintf(path, sizeof path, "%s.description", tier);
    ok = text_into(member(t, "description"), path, &description, p->description,
                   sizeof p->description, e) &&
         ok;
    snprintf(path, sizeof path, "%s.price", tier);
    ok = int_field(t, "price", path, "Price", PACKAGE_PRICE_MIN, PACKAGE_PRICE_MAX, &p->price, e) &&
         ok;
    snprintf(path, sizeof path, "%s.delivery", tier);
    ok = int_field(t, "delivery", path, "Delivery", 1, PACKAGE_DELIVERY_MAX, &delivery, e) && ok;
    snprintf(path, sizeof path, "%s.revisions", tier);
    ok =
        int_field(t, "revisions", path, "Revisions", 1, PACKAGE_REVISIONS_MAX, &revisions, e) && ok;
    p->delivery = (int)delivery;
    p->revisions = (int)revisions;
    p->present = ok;
    return ok;
}

/* basic is required and every field of it is checked; standard and premium count only when all
 * five fields are there, and are then held to the same rules. */
static bool parse_tier(json_object *in, const char *tier, bool required, struct package_input *p,
                       struct err *e)
{
    memset(p, 0, sizeof *p);
    json_object *t = member(in, tier);
    if (!t && !required)
        return true;
    if (t && !json_object_is_type(t, json_type_object)) {
        fail(e, tier, "The %s package must be an object", tier);
        return false;
    }
    if (!t) {
        fail(e, tier, "The %s package is required", tier);
        return false;
    }
    if (!required && !tier_complete(t))
        return true;
    return tier_values(t, tier, p, e);
}

enum errkind gig_input_packages(json_object *in, struct packages_input *out, struct err *e)
{
    struct packages_input p;
    bool ok = gig_input_ref(in, "gigId", p.gig_id, e) == E_OK;
    ok = parse_tier(in, "basic", true, &p.basic, e) && ok;
    ok = parse_tier(in, "standard", false, &p.standard, e) && ok;
    ok = parse_tier(in, "premium", false, &p.premium, e) && ok;
    if (!ok)
        return E_BAD_REQUEST;
    *out = p;
    return E_OK;
}

/* ---- description and FAQ ---- */

/* EditorJS OutputData: {time?, blocks: [{id?, type, data}], version?}. Only the shape the page
 * renderer relies on is checked; the blocks' content is the seller's own text. */
static bool check_description(json_object *d, struct err *e)
{
    if (!d) {
        fail(e, "description", "description is required");
        return false;
    }
    json_object *blocks = jsonx_array(d, "blocks");
    if (!json_object_is_type(d, json_type_object) || !blocks) {
        fail(e, "description", "description must be an EditorJS document with a blocks array");
        return false;
    }
    for (size_t i = 0; i < json_object_array_length(blocks); i++) {
        json_object *block = json_object_array_get_idx(blocks, i);
        const char *type = jsonx_str(block, "type");
        json_object *data = member(block, "data");
        if (!type || !type[0] || (data && !json_object_is_type(data, json_type_object))) {
            char path[PATH_MAX_LEN];
            snprintf(path, sizeof path, "description.blocks.%zu", i);
            fail(e, path, "Each block needs a type and an object of data");
            return false;
        }
    }
    return true;
}

static void free_faq(struct faq_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].question);
        free(items[i].answer);
    }
}

/* Fills d->faq; on failure everything it allocated is released again. */
static bool parse_faq(json_object *in, struct description_faq_input *d, struct err *e)
{
    static const struct text_rule question = {"Question", 1, FAQ_QUESTION_MAX, false};
    static const struct text_rule answer = {"Answer", 1, FAQ_ANSWER_MAX, true};
    json_object *faq = member(in, "faq");
    d->nfaq = 0;
    if (!faq || !json_object_is_type(faq, json_type_array)) {
        fail(e, "faq", faq ? "faq must be an array" : "faq is required");
        return false;
    }
    size_t n = json_object_array_length(faq);
    if (n > GIG_FAQ_MAX) {
        fail(e, "faq", "A gig can have at most %d questions", GIG_FAQ_MAX);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(faq, i);
        char path[PATH_MAX_LEN];
        snprintf(path, sizeof path, "faq.%zu.question", i);
        char *q = checked_text(member(item, "question"), path, &question, e);
        snprintf(path, sizeof path, "faq.%zu.answer", i);
        char *a = checked_text(member(item, "answer"), path, &answer, e);
        d->faq[d->nfaq++] = (struct faq_item){q, a};
        ok = ok && q && a;
    }
    if (!ok) {
        free_faq(d->faq, d->nfaq);
        d->nfaq = 0;
    }
    return ok;
}

enum errkind gig_input_description_faq(json_object *in, struct description_faq_input *out,
                                       struct err *e)
{
    struct description_faq_input d;
    bool ok = gig_input_ref(in, "id", d.id, e) == E_OK;
    d.description = member(in, "description");
    ok = check_description(d.description, e) && ok;
    /* parse_faq releases its copies itself when it fails; they are only ours to release when
     * it passed and something else did not. */
    bool faq_ok = parse_faq(in, &d, e);
    if (!ok || !faq_ok) {
        if (faq_ok)
            free_faq(d.faq, d.nfaq);
        return E_BAD_REQUEST;
    }
    *out = d;
    return E_OK;
}

void gig_input_description_faq_free(struct description_faq_input *in)
{
    free_faq(in->faq, in->nfaq);
    in->nfaq = 0;
}

/* ---- gallery ---- */

/* One URL list: each entry an http(s) URL, at most GALLERY_LIST_MAX of them; min_count 1 for
 * images. An omitted list is empty (and fails only if it is required). */
static bool parse_urls(json_object *in, const char *key, size_t min_count, bool uploads,
                       const char **urls, size_t *count, struct err *e)
{
    json_object *list = member(in, key);
    *count = 0;
    if (list && !json_object_is_type(list, json_type_array)) {
        fail(e, key, "%s must be an array of URLs", key);
        return false;
    }
    size_t n = list ? json_object_array_length(list) : 0;
    if (n < min_count) {
        fail(e, key, "At least one %s entry is required", key);
        return false;
    }
    if (n > GALLERY_LIST_MAX) {
        fail(e, key, "At most %d %s allowed", GALLERY_LIST_MAX, key);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(list, i);
        const char *url = string_value(v);
        /* Images may also be this site's own uploads (images.h), named by their content. */
        if (!validate_http_url(url) && !(uploads && images_upload_url_ok(url))) {
            char path[PATH_MAX_LEN];
            snprintf(path, sizeof path, "%s.%zu", key, i);
            fail(e, path, "Must be an http or https URL");
            ok = false;
            continue;
        }
        urls[(*count)++] = url;
    }
    return ok;
}

enum errkind gig_input_gallery(json_object *in, struct gallery_input *out, struct err *e)
{
    struct gallery_input g;
    bool ok = gig_input_ref(in, "id", g.id, e) == E_OK;
    ok = parse_urls(in, "images", 1, true, g.images, &g.nimages, e) && ok;
    ok = parse_urls(in, "videos", 0, false, g.videos, &g.nvideos, e) && ok;
    ok = parse_urls(in, "documents", 0, false, g.documents, &g.ndocuments, e) && ok;
    if (!ok)
        return E_BAD_REQUEST;
    *out = g;
    return E_OK;
}
