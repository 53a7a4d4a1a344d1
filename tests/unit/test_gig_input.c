/*
 * test_gig_input.c - unit tests for the gig.* input validators: every rule of docs/api.md, "Gigs"
 * at its exact limits (80/81-character titles, 5/6 distinct tags, prices 9/10/10.5/"10"),
 * ignored incomplete tiers, rejected complete ones, FAQ and gallery lists, the EditorJS
 * description, required references, and that a rejected input leaves the output untouched with
 * one field error per mistake.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/gig_input.h"
#include "khedma/jsonx.h"

static json_object *parse(const char *text)
{
    json_object *o = jsonx_parse(text, strlen(text));
    assert_non_null(o);
    return o;
}

/* True when e holds a message for exactly this field path. */
static bool has_field(const struct err *e, const char *path)
{
    json_object *list;
    return e->fields && json_object_object_get_ex(e->fields, path, &list) &&
           json_object_array_length(list) > 0;
}

static size_t field_count(const struct err *e)
{
    return e->fields ? (size_t)json_object_object_length(e->fields) : 0;
}

/* ---- overview ---- */

/* An overview input with the given title and tags JSON. */
static json_object *overview(const char *title_json, const char *tags_json)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"id\":\"cgig\",\"title\":%s,\"category\":\"design\",\"subCategory\":\"logo\","
             "\"tags\":%s}",
             title_json, tags_json);
    return parse(text);
}

static enum errkind run_overview(json_object *in, struct overview_input *out, struct err *e)
{
    enum errkind k = gig_input_overview(in, out, e);
    json_object_put(in);
    return k;
}

static void test_overview_valid(void **state)
{
    struct overview_input o;
    struct err e = {0};
    assert_int_equal(run_overview(overview("\"  I will build a website \\t\"",
                                           "[{\"id\":\"1\",\"text\":\" react \"},"
                                           "{\"id\":\"2\",\"text\":\"NextJS\"}]"),
                                  &o, &e),
                     E_OK);
    assert_string_equal(o.id, "cgig");
    assert_string_equal(o.title, "I will build a website");
    assert_string_equal(o.category, "design");
    assert_string_equal(o.subcategory, "logo");
    assert_int_equal(o.ntags, 2);
    assert_string_equal(o.tags[0], "react");
    assert_string_equal(o.tags[1], "NextJS");
    assert_null(e.fields);
}

static void test_title_limits(void **state)
{
    char title[300];
    struct overview_input o;
    struct err e = {0};

    /* Exactly 80 characters, with surrounding spaces that trimming removes. */
    memset(title, 0, sizeof title);
    strcpy(title, "\"  ");
    memset(title + 3, 'a', 80);
    strcat(title, "  \"");
    assert_int_equal(run_overview(overview(title, "[]"), &o, &e), E_OK);
    assert_int_equal(strlen(o.title), 80);

    /* 81 characters. */
    memset(title, 0, sizeof title);
    title[0] = '"';
    memset(title + 1, 'a', 81);
    strcat(title, "\"");
    assert_int_equal(run_overview(overview(title, "[]"), &o, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "title"));
    assert_string_equal(e.message, "Title must be 1 to 80 characters");
    err_clear(&e);

    /* 80 Arabic letters are 160 bytes but 80 characters: accepted. */
    memset(title, 0, sizeof title);
    title[0] = '"';
    for (int i = 0; i < 80; i++)
        strcat(title, "\xd8\xb9");
    strcat(title, "\"");
    assert_int_equal(run_overview(overview(title, "[]"), &o, &e), E_OK);
    assert_int_equal(strlen(o.title), 160);

    assert_int_equal(run_overview(overview("\"   \"", "[]"), &o, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "title"));
    assert_string_equal(e.message, "Title must not be empty");
    err_clear(&e);

    assert_int_equal(run_overview(overview("42", "[]"), &o, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "title"));
    err_clear(&e);

    assert_int_equal(run_overview(overview("\"a\\nb\"", "[]"), &o, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "title"));
    err_clear(&e);

    /* JSON text cannot carry a NUL (jsonx refuses \\u0000), but a string built in memory can:
     * the validator still refuses it rather than cutting the title at it. */
    json_object *in = overview("\"abcd\"", "[]");
    json_object_object_add(in, "title", json_object_new_string_len("ab\0cd", 5));
    assert_int_equal(run_overview(in, &o, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "title"));
    err_clear(&e);
}

static void test_tags_dedupe_and_limit(void **state)
{
    struct overview_input o;
    struct err e = {0};

    /* Five distinct tags among eight entries: duplicates differ only by case and spaces. */
    assert_int_equal(run_overview(overview("\"t\"", "[{\"id\":\"a\",\"text\":\"React\"},"
                                                    "{\"id\":\"b\",\"text\":\"react \"},"
                                                    "{\"id\":\"c\",\"text\":\"Vue\"},"
                                                    "{\"id\":\"d\",\"text\":\"CAFÉ\"},"
                                                    "{\"id\":\"e\",\"text\":\"café\"},"
                                                    "{\"id\":\"f\",\"text\":\"node\"},"
                                                    "{\"id\":\"g\",\"text\":\"REACT\"},"
                                                    "{\"id\":\"h\",\"text\":\"css\"}]"),
                                  &o, &e),
                     E_OK);
    assert_int_equal(o.ntags, 5);
    assert_string_equal(o.tags[0], "React");
    assert_string_equal(o.tags[1], "Vue");
    assert_string_equal(o.tags[2], "CAFÉ");
    assert_string_equal(o.tags[3], "node");
    assert_string_equal(o.tags[4], "css");

    /* Six distinct ones. */
    strcpy(o.title, "untouched");
    assert_int_equal(run_overview(overview("\"t\"", "[{\"id\":\"a\",\"text\":\"a\"},"
                                                    "{\"id\":\"b\",\"text\":\"A\"},"
                                                    "{\"id\":\"c\",\"text\":\"b\"},"
                                                    "{\"id\":\"d\",\"text\":\"c\"},"
                                                    "{\"id\":\"e\",\"text\":\"d\"},"
                                                    "{\"id\":\"f\",\"text\":\"e\"},"
                                                    "{\"id\":\"g\",\"text\":\"f\"}]"),
                                  &o, &e),
                     E_BAD_REQUEST);
    assert_true(has_field(&e, "tags"));
    assert_string_equal(o.title, "untouched");
    err_clear(&e);

    /* Cyrillic and Greek capitals fold too. */
    assert_int_equal(run_overview(overview("\"t\"", "[{\"id\":\"a\",\"text\":\"Дизайн\"},"
                                                    "{\"id\":\"b\",\"text\":\"дизайн\"},"
                                                    "{\"id\":\"c\",\"text\":\"ΛΟΓΟ\"},"
                                                    "{\"id\":\"d\",\"text\":\"λογο\"}]"),
                                  &o, &e),
                     E_OK);
    assert_int_equal(o.ntags, 2);
}

static void test_tag_lengths(void **state)
{
    struct overview_input o;
    struct err e = {0};
    char tags[256];

    snprintf(tags, sizeof tags, "[{\"id\":\"a\",\"text\":\"%030d\"}]", 7);
    assert_int_equal(run_overview(overview("\"t\"", tags), &o, &e), E_OK);
    assert_int_equal(strlen(o.tags[0]), 30);

    snprintf(tags, sizeof tags,
             "[{\"id\":\"a\",\"text\":\"ok\"},{\"id\":\"b\",\"text\":\"%031d\"}]", 7);
    assert_int_equal(run_overview(overview("\"t\"", tags), &o, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "tags.1.text"));
    err_clear(&e);

    assert_int_equal(run_overview(overview("\"t\"", "[{\"id\":\"a\",\"text\":\"  \"}]"), &o, &e),
                     E_BAD_REQUEST);
    assert_true(has_field(&e, "tags.0.text"));
    err_clear(&e);

    assert_int_equal(run_overview(overview("\"t\"", "[{\"id\":\"a\"}, \"x\"]"), &o, &e),
                     E_BAD_REQUEST);
    assert_true(has_field(&e, "tags.0.text"));
    assert_true(has_field(&e, "tags.1.text"));
    err_clear(&e);

    assert_int_equal(run_overview(overview("\"t\"", "\"react\""), &o, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "tags"));
    err_clear(&e);
}

static void test_overview_all_errors_reported(void **state)
{
    struct overview_input o;
    struct err e = {0};
    json_object *in = parse("{\"title\":\"\",\"category\":\"\",\"subCategory\":5}");
    assert_int_equal(gig_input_overview(in, &o, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "id"));
    assert_true(has_field(&e, "title"));
    assert_true(has_field(&e, "category"));
    assert_true(has_field(&e, "subCategory"));
    assert_true(has_field(&e, "tags"));
    assert_int_equal(field_count(&e), 5);
    assert_string_equal(e.message, "id is required");
    json_object_put(in);
    err_clear(&e);

    /* No input at all. */
    assert_int_equal(gig_input_overview(NULL, &o, &e), E_BAD_REQUEST);
    assert_int_equal(field_count(&e), 5);
    err_clear(&e);
}

/* ---- references ---- */

static void test_refs(void **state)
{
    struct ref_input r;
    struct details_input d;
    struct err e = {0};
    json_object *in = parse("{\"id\":\"ckxyz\"}");
    assert_int_equal(gig_input_id(in, &r, &e), E_OK);
    assert_string_equal(r.id, "ckxyz");
    json_object_put(in);

    const char *bad[] = {"{}", "{\"id\":null}", "{\"id\":\"\"}", "{\"id\":12}", "[1]", "\"x\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        in = parse(bad[i]);
        assert_int_equal(gig_input_id(in, &r, &e), E_BAD_REQUEST);
        assert_true(has_field(&e, "id"));
        json_object_put(in);
        err_clear(&e);
    }

    char text[400] = "{\"id\":\"";
    memset(text + 7, 'c', GIG_REF_MAX + 1);
    strcat(text, "\"}");
    in = parse(text);
    assert_int_equal(gig_input_id(in, &r, &e), E_BAD_REQUEST);
    json_object_put(in);
    err_clear(&e);

    in = parse("{\"username\":\"sara\",\"slug\":\"logo-design\"}");
    assert_int_equal(gig_input_details(in, &d, &e), E_OK);
    assert_string_equal(d.username, "sara");
    assert_string_equal(d.slug, "logo-design");
    json_object_put(in);

    in = parse("{\"username\":\"sara\"}");
    assert_int_equal(gig_input_details(in, &d, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "slug"));
    assert_int_equal(field_count(&e), 1);
    json_object_put(in);
    err_clear(&e);
}

static void test_offers(void **state)
{
    struct offers_input o;
    struct err e = {0};
    json_object *in = parse("{\"id\":\"c1\",\"value\":true}");
    assert_int_equal(gig_input_offers(in, &o, &e), E_OK);
    assert_true(o.value);
    json_object_put(in);

    in = parse("{\"id\":\"c1\",\"value\":\"true\"}");
    assert_int_equal(gig_input_offers(in, &o, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "value"));
    json_object_put(in);
    err_clear(&e);

    in = parse("{\"id\":\"c1\"}");
    assert_int_equal(gig_input_offers(in, &o, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "value"));
    json_object_put(in);
    err_clear(&e);
}

/* ---- packages ---- */

#define BASIC                                                                                      \
    "\"basic\":{\"name\":\"Basic site\",\"description\":\"Three pages\",\"price\":500,"            \
    "\"delivery\":7,\"revisions\":2}"

static enum errkind run_packages(const char *text, struct packages_input *p, struct err *e)
{
    json_object *in = parse(text);
    enum errkind k = gig_input_packages(in, p, e);
    json_object_put(in);
    return k;
}

/* The basic tier with one field replaced by value (JSON text). */
static enum errkind basic_with(const char *field, const char *value, struct packages_input *p,
                               struct err *e)
{
    char fields[5][160] = {"\"name\":\"Basic site\"", "\"description\":\"Three pages\"",
                           "\"price\":500", "\"delivery\":7", "\"revisions\":2"};
    const char *names[5] = {"name", "description", "price", "delivery", "revisions"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(names[i], field) == 0)
            snprintf(fields[i], sizeof fields[i], "\"%s\":%s", field, value);
    }
    char text[1024];
    snprintf(text, sizeof text, "{\"gigId\":\"c1\",\"basic\":{%s,%s,%s,%s,%s}}", fields[0],
             fields[1], fields[2], fields[3], fields[4]);
    return run_packages(text, p, e);
}

static void test_packages_valid(void **state)
{
    struct packages_input p;
    struct err e = {0};
    assert_int_equal(run_packages("{\"gigId\":\"c1\"," BASIC ",\"standard\":{\"name\":\"Standard "
                                  "site\",\"description\":\"Five pages\",\"price\":1000,"
                                  "\"delivery\":14,\"revisions\":4}}",
                                  &p, &e),
                     E_OK);
    assert_string_equal(p.gig_id, "c1");
    assert_true(p.basic.present);
    assert_string_equal(p.basic.name, "Basic site");
    assert_string_equal(p.basic.description, "Three pages");
    assert_int_equal(p.basic.price, 500);
    assert_int_equal(p.basic.delivery, 7);
    assert_int_equal(p.basic.revisions, 2);
    assert_true(p.standard.present);
    assert_int_equal(p.standard.price, 1000);
    assert_false(p.premium.present);
}

static void test_package_price(void **state)
{
    struct packages_input p;
    struct err e = {0};
    assert_int_equal(basic_with("price", "10", &p, &e), E_OK);
    assert_int_equal(p.basic.price, 10);
    assert_int_equal(basic_with("price", "10.0", &p, &e), E_OK); /* JSON 10.0 is the number 10 */
    const char *bad[] = {"9", "10.5", "\"10\"", "-10", "0", "true", "[10]", "10000001"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(basic_with("price", bad[i], &p, &e), E_BAD_REQUEST);
        assert_true(has_field(&e, "basic.price"));
        assert_int_equal(field_count(&e), 1);
        err_clear(&e);
    }
}

static void test_package_other_fields(void **state)
{
    struct packages_input p;
    struct err e = {0};
    assert_int_equal(basic_with("name", "\"12345\"", &p, &e), E_OK);
    assert_int_equal(basic_with("name", "\"12345678901234567890\"", &p, &e), E_OK);
    assert_int_equal(basic_with("description", "\"12345\"", &p, &e), E_OK);
    assert_int_equal(basic_with("delivery", "1", &p, &e), E_OK);
    assert_int_equal(basic_with("revisions", "1", &p, &e), E_OK);

    struct {
        const char *field, *value, *path;
    } bad[] = {
        {"name", "\"1234\"", "basic.name"},
        {"name", "\"123456789012345678901\"", "basic.name"},
        {"description", "\"1234\"", "basic.description"},
        {"delivery", "0", "basic.delivery"},
        {"delivery", "1.5", "basic.delivery"},
        {"revisions", "0", "basic.revisions"},
        {"revisions", "null", "basic.revisions"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(basic_with(bad[i].field, bad[i].value, &p, &e), E_BAD_REQUEST);
        assert_true(has_field(&e, bad[i].path));
        err_clear(&e);
    }
    /* A name of 4 letters padded to 10 with spaces is still 4 after trimming. */
    assert_int_equal(basic_with("name", "\"   abcd   \"", &p, &e), E_BAD_REQUEST);
    err_clear(&e);
    /* Description of 100 characters passes, 101 does not. */
    char value[128] = "\"";
    memset(value + 1, 'd', 100);
    strcat(value, "\"");
    assert_int_equal(basic_with("description", value, &p, &e), E_OK);
    value[101] = 'd';
    strcpy(value + 102, "\"");
    assert_int_equal(basic_with("description", value, &p, &e), E_BAD_REQUEST);
    err_clear(&e);
}

static void test_basic_required(void **state)
{
    struct packages_input p;
    struct err e = {0};
    assert_int_equal(run_packages("{\"gigId\":\"c1\"}", &p, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "basic"));
    err_clear(&e);

    /* An incomplete basic is not ignored: each missing field is reported. */
    assert_int_equal(run_packages("{\"gigId\":\"c1\",\"basic\":{\"name\":\"Basic site\"}}", &p, &e),
                     E_BAD_REQUEST);
    assert_true(has_field(&e, "basic.description"));
    assert_true(has_field(&e, "basic.price"));
    assert_true(has_field(&e, "basic.delivery"));
    assert_true(has_field(&e, "basic.revisions"));
    err_clear(&e);

    assert_int_equal(run_packages("{\"gigId\":\"c1\",\"basic\":\"cheap\"}", &p, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "basic"));
    err_clear(&e);
}

static void test_incomplete_tiers_ignored(void **state)
{
    struct packages_input p;
    struct err e = {0};
    /* standard lacks revisions, premium has a null price (a NaN from a form) and a bad name:
     * both are ignored, whatever their other values. */
    assert_int_equal(run_packages("{\"gigId\":\"c1\"," BASIC
                                  ",\"standard\":{\"name\":\"Standard\",\"description\":\"More "
                                  "pages\",\"price\":5,\"delivery\":3},"
                                  "\"premium\":{\"name\":\"x\",\"description\":\"y\",\"price\":"
                                  "null,\"delivery\":1,\"revisions\":1}}",
                                  &p, &e),
                     E_OK);
    assert_true(p.basic.present);
    assert_false(p.standard.present);
    assert_false(p.premium.present);

    assert_int_equal(
        run_packages("{\"gigId\":\"c1\"," BASIC ",\"standard\":{},\"premium\":null}", &p, &e),
        E_OK);
    assert_false(p.standard.present);
    assert_false(p.premium.present);
}

static void test_complete_tier_with_bad_value_rejected(void **state)
{
    struct packages_input p;
    memset(&p, 0x5a, sizeof p);
    struct packages_input before = p;
    struct err e = {0};
    assert_int_equal(run_packages("{\"gigId\":\"c1\"," BASIC
                                  ",\"premium\":{\"name\":\"Premium site\",\"description\":\"Ten "
                                  "pages\",\"price\":10.5,\"delivery\":21,\"revisions\":0}}",
                                  &p, &e),
                     E_BAD_REQUEST);
    assert_true(has_field(&e, "premium.price"));
    assert_true(has_field(&e, "premium.revisions"));
    assert_int_equal(field_count(&e), 2);
    assert_memory_equal(&p, &before, sizeof p); /* nothing applied */
    err_clear(&e);

    assert_int_equal(run_packages("{\"gigId\":\"c1\"," BASIC ",\"standard\":[1,2]}", &p, &e),
                     E_BAD_REQUEST);
    assert_true(has_field(&e, "standard"));
    err_clear(&e);
}

/* ---- description and FAQ ---- */

static enum errkind run_faq(const char *text, struct description_faq_input *d, struct err *e,
                            json_object **in)
{
    *in = parse(text);
    return gig_input_description_faq(*in, d, e);
}

#define DESC                                                                                       \
    "\"description\":{\"time\":1,\"blocks\":[{\"type\":\"paragraph\",\"data\":{\"text\":"          \
    "\"Hello\"}}],\"version\":\"2.28\"}"

static void test_description_faq_valid(void **state)
{
    struct description_faq_input d;
    struct err e = {0};
    json_object *in;
    assert_int_equal(run_faq("{\"id\":\"c1\"," DESC ",\"faq\":[{\"question\":\" What do you "
                             "need? \",\"answer\":\"Your brand\\nguidelines.\"}]}",
                             &d, &e, &in),
                     E_OK);
    assert_string_equal(d.id, "c1");
    assert_non_null(d.description);
    assert_non_null(jsonx_array(d.description, "blocks"));
    assert_int_equal(d.nfaq, 1);
    assert_string_equal(d.faq[0].question, "What do you need?");
    assert_string_equal(d.faq[0].answer, "Your brand\nguidelines.");
    gig_input_description_faq_free(&d);
    json_object_put(in);

    /* An empty FAQ clears it; an empty blocks list is a valid (empty) document. */
    assert_int_equal(
        run_faq("{\"id\":\"c1\",\"description\":{\"blocks\":[]},\"faq\":[]}", &d, &e, &in), E_OK);
    assert_int_equal(d.nfaq, 0);
    gig_input_description_faq_free(&d);
    json_object_put(in);
}

static void test_description_rejected(void **state)
{
    const char *bad[] = {
        "{\"id\":\"c1\",\"description\":\"<p>hi</p>\",\"faq\":[]}",
        "{\"id\":\"c1\",\"description\":[],\"faq\":[]}",
        "{\"id\":\"c1\",\"description\":{},\"faq\":[]}",
        "{\"id\":\"c1\",\"description\":{\"blocks\":{}},\"faq\":[]}",
        "{\"id\":\"c1\",\"faq\":[]}",
        "{\"id\":\"c1\",\"description\":null,\"faq\":[]}",
        "{\"id\":\"c1\",\"description\":{\"blocks\":[{\"data\":{}}]},\"faq\":[]}",
        "{\"id\":\"c1\",\"description\":{\"blocks\":[{\"type\":\"p\",\"data\":3}]},\"faq\":[]}",
        "{\"id\":\"c1\",\"description\":{\"blocks\":[7]},\"faq\":[]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct description_faq_input d;
        struct err e = {0};
        json_object *in;
        assert_int_equal(run_faq(bad[i], &d, &e, &in), E_BAD_REQUEST);
        assert_int_equal(field_count(&e), 1);
        json_object_put(in);
        err_clear(&e);
    }
}

static void test_faq_limits(void **state)
{
    struct description_faq_input d;
    struct err e = {0};
    json_object *in;
    char text[32768];

    /* 20 items pass, 21 do not. */
    for (int n = 20; n <= 21; n++) {
        strcpy(text, "{\"id\":\"c1\"," DESC ",\"faq\":[");
        for (int i = 0; i < n; i++)
            strcat(text, i ? ",{\"question\":\"q\",\"answer\":\"a\"}"
                           : "{\"question\":\"q\",\"answer\":\"a\"}");
        strcat(text, "]}");
        enum errkind k = run_faq(text, &d, &e, &in);
        assert_int_equal(k, n == 20 ? E_OK : E_BAD_REQUEST);
        if (k == E_OK)
            gig_input_description_faq_free(&d);
        else
            assert_true(has_field(&e, "faq"));
        json_object_put(in);
        err_clear(&e);
    }

    /* Question 200 / 201 characters, answer 1000 / 1001. */
    char q[256], a[1100];
    memset(q, 'q', 200);
    q[200] = '\0';
    memset(a, 'a', 1000);
    a[1000] = '\0';
    snprintf(text, sizeof text,
             "{\"id\":\"c1\"," DESC ",\"faq\":[{\"question\":\"%s\","
             "\"answer\":\"%s\"}]}",
             q, a);
    assert_int_equal(run_faq(text, &d, &e, &in), E_OK);
    gig_input_description_faq_free(&d);
    json_object_put(in);
    snprintf(text, sizeof text,
             "{\"id\":\"c1\"," DESC ",\"faq\":[{\"question\":\"%sq\","
             "\"answer\":\"%sa\"}]}",
             q, a);
    assert_int_equal(run_faq(text, &d, &e, &in), E_BAD_REQUEST);
    assert_true(has_field(&e, "faq.0.question"));
    assert_true(has_field(&e, "faq.0.answer"));
    json_object_put(in);
    err_clear(&e);
}

static void test_faq_item_errors(void **state)
{
    struct description_faq_input d;
    struct err e = {0};
    json_object *in;

    /* Empty strings, missing members, a one-line question with a newline; the good item before
     * them is released again (valgrind checks). */
    assert_int_equal(run_faq("{\"id\":\"c1\"," DESC ",\"faq\":[{\"question\":\"ok\",\"answer\":"
                             "\"ok\"},{\"question\":\" \",\"answer\":\"x\"},{\"answer\":\"x\"},"
                             "{\"question\":\"a\\nb\",\"answer\":\"\"},5]}",
                             &d, &e, &in),
                     E_BAD_REQUEST);
    assert_true(has_field(&e, "faq.1.question"));
    assert_true(has_field(&e, "faq.2.question"));
    assert_true(has_field(&e, "faq.3.question"));
    assert_true(has_field(&e, "faq.3.answer"));
    assert_true(has_field(&e, "faq.4.question"));
    assert_false(has_field(&e, "faq.0.question"));
    json_object_put(in);
    err_clear(&e);

    assert_int_equal(run_faq("{\"id\":\"c1\"," DESC ",\"faq\":{}}", &d, &e, &in), E_BAD_REQUEST);
    assert_true(has_field(&e, "faq"));
    json_object_put(in);
    err_clear(&e);

    /* A bad id with a valid FAQ: the FAQ copies are released, nothing leaks. */
    assert_int_equal(
        run_faq("{" DESC ",\"faq\":[{\"question\":\"q\",\"answer\":\"a\"}]}", &d, &e, &in),
        E_BAD_REQUEST);
    assert_true(has_field(&e, "id"));
    assert_int_equal(field_count(&e), 1);
    json_object_put(in);
    err_clear(&e);
}

/* ---- gallery ---- */

static enum errkind run_gallery(const char *text, struct gallery_input *g, struct err *e,
                                json_object **in)
{
    *in = parse(text);
    return gig_input_gallery(*in, g, e);
}

static void test_gallery_valid(void **state)
{
    struct gallery_input g;
    struct err e = {0};
    json_object *in;
    assert_int_equal(run_gallery("{\"id\":\"c1\",\"images\":[\"https://cdn.example.com/a.jpg\","
                                 "\"http://example.com/b.png\"],\"videos\":[\"https://v.example."
                                 "com/c.mp4\"]}",
                                 &g, &e, &in),
                     E_OK);
    assert_int_equal(g.nimages, 2);
    assert_string_equal(g.images[1], "http://example.com/b.png");
    assert_int_equal(g.nvideos, 1);
    assert_int_equal(g.ndocuments, 0);
    json_object_put(in);

    assert_int_equal(run_gallery("{\"id\":\"c1\",\"images\":[\"https://a.example/x\"],"
                                 "\"videos\":null,\"documents\":[]}",
                                 &g, &e, &in),
                     E_OK);
    assert_int_equal(g.nvideos, 0);
    json_object_put(in);
}

/* This site's own uploads are images too, by their exact /uploads/<sha256>.<ext> path. */
static void test_gallery_accepts_own_uploads(void **state)
{
    struct gallery_input g;
    struct err e = {0};
    json_object *in;
    assert_int_equal(
        run_gallery(
            "{\"id\":\"c1\",\"images\":[\"/uploads/"
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.png\","
            "\"/uploads/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.webp\",\"/"
            "uploads/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.jpg\"]}",
            &g, &e, &in),
        E_OK);
    assert_int_equal(g.nimages, 3);
    assert_string_equal(
        g.images[0],
        "/uploads/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.png");
    json_object_put(in);
}

static void test_gallery_rejected(void **state)
{
    struct {
        const char *text, *path;
    } bad[] = {
        {"{\"id\":\"c1\",\"images\":[\"/uploads/"
         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.gif\"]}",
         "images.0"},
        {"{\"id\":\"c1\",\"images\":[\"/uploads/../"
         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.png\"]}",
         "images.0"},
        {"{\"id\":\"c1\",\"images\":[\"/static/khedma.css\"]}", "images.0"},
        {"{\"id\":\"c1\",\"images\":[\"https://a.example/x\"],\"videos\":[\"/uploads/"
         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.png\"]}",
         "videos.0"},
        {"{\"id\":\"c1\",\"images\":[]}", "images"},
        {"{\"id\":\"c1\"}", "images"},
        {"{\"id\":\"c1\",\"images\":\"https://a.example/x\"}", "images"},
        {"{\"id\":\"c1\",\"images\":[\"ftp://a.example/x\"]}", "images.0"},
        {"{\"id\":\"c1\",\"images\":[\"javascript:alert(1)\"]}", "images.0"},
        {"{\"id\":\"c1\",\"images\":[\"https://a.example/x\",42]}", "images.1"},
        {"{\"id\":\"c1\",\"images\":[\"https://a.example/x\"],\"videos\":[\"file:///etc/passwd\"]}",
         "videos.0"},
        {"{\"id\":\"c1\",\"images\":[\"https://a.example/x\"],\"documents\":{}}", "documents"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gallery_input g;
        struct err e = {0};
        json_object *in;
        assert_int_equal(run_gallery(bad[i].text, &g, &e, &in), E_BAD_REQUEST);
        assert_true(has_field(&e, bad[i].path));
        json_object_put(in);
        err_clear(&e);
    }
    /* A NUL inside a URL, in a string built in memory (JSON text cannot carry one). */
    struct gallery_input g;
    struct err e = {0};
    json_object *in = parse("{\"id\":\"c1\",\"images\":[]}");
    json_object_array_add(json_object_object_get(in, "images"),
                          json_object_new_string_len("https://a.example/x\0.jpg", 24));
    assert_int_equal(gig_input_gallery(in, &g, &e), E_BAD_REQUEST);
    assert_true(has_field(&e, "images.0"));
    json_object_put(in);
    err_clear(&e);
}

static void test_gallery_list_limit(void **state)
{
    char text[4096];
    for (int n = 20; n <= 21; n++) {
        strcpy(text, "{\"id\":\"c1\",\"images\":[\"https://a.example/0\"],\"documents\":[");
        for (int i = 0; i < n; i++)
            strcat(text, i ? ",\"https://a.example/d.pdf\"" : "\"https://a.example/d.pdf\"");
        strcat(text, "]}");
        struct gallery_input g;
        struct err e = {0};
        json_object *in;
        enum errkind k = run_gallery(text, &g, &e, &in);
        assert_int_equal(k, n == 20 ? E_OK : E_BAD_REQUEST);
        if (k == E_OK)
            assert_int_equal(g.ndocuments, 20);
        else
            assert_true(has_field(&e, "documents"));
        json_object_put(in);
        err_clear(&e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overview_valid),
        cmocka_unit_test(test_title_limits),
        cmocka_unit_test(test_tags_dedupe_and_limit),
        cmocka_unit_test(test_tag_lengths),
        cmocka_unit_test(test_overview_all_errors_reported),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_offers),
        cmocka_unit_test(test_packages_valid),
        cmocka_unit_test(test_package_price),
        cmocka_unit_test(test_package_other_fields),
        cmocka_unit_test(test_basic_required),
        cmocka_unit_test(test_incomplete_tiers_ignored),
        cmocka_unit_test(test_complete_tier_with_bad_value_rejected),
        cmocka_unit_test(test_description_faq_valid),
        cmocka_unit_test(test_description_rejected),
        cmocka_unit_test(test_faq_limits),
        cmocka_unit_test(test_faq_item_errors),
        cmocka_unit_test(test_gallery_valid),
        cmocka_unit_test(test_gallery_accepts_own_uploads),
        cmocka_unit_test(test_gallery_rejected),
        cmocka_unit_test(test_gallery_list_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
