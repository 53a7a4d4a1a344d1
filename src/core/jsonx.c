/*
 * jsonx.c - json-c helpers. json-c's parser is lenient even in strict mode (it takes NaN,
 * Infinity, single-quoted strings, "1.", raw control characters and overlong UTF-8), so jsonx_parse
 * adds a strict UTF-8 check, a lexical pre-scan and a check of the parsed numbers to hold
 * request bodies to RFC 8259. Decimals are read by money.c (money_shortest) and built with
 * json_object_new_double_s so money prints exactly as stored, never via a binary double's
 * shortest form.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <json-c/printbuf.h>

#include "khedma/jsonx.h"
#include "khedma/money.h"
#include "khedma/utf8.h"

#define MAX_SAFE_INT 9007199254740991LL /* 2^53 - 1 */
#define PARSE_DEPTH JSON_TOKENER_DEFAULT_DEPTH

static size_t count_digits(const char *buf, size_t len, size_t i)
{
    size_t n = 0;
    while (i + n < len && buf[i + n] >= '0' && buf[i + n] <= '9')
        n++;
    return n;
}

/* Length of the number at buf[i] if it follows RFC 8259's grammar,
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, else 0. json-c also takes "1." and "-". */
static size_t number_length(const char *buf, size_t len, size_t i)
{
    size_t start = i;
    if (buf[i] == '-')
        i++;
    size_t n = count_digits(buf, len, i);
    if (n == 0 || (n > 1 && buf[i] == '0'))
        return 0;
    i += n;
    if (i < len && buf[i] == '.') {
        n = count_digits(buf, len, ++i);
        if (n == 0)
            return 0;
        i += n;
    }
    if (i < len && (buf[i] == 'e' || buf[i] == 'E')) {
        i++;
        if (i < len && (buf[i] == '+' || buf[i] == '-'))
            i++;
        n = count_digits(buf, len, i);
        if (n == 0)
            return 0;
        i += n;
    }
    return i - start;
}

/* Rejects what json-c would let through: NUL bytes anywhere (raw or as \u0000), single quotes
 * outside strings (json-c treats them as string delimiters), malformed numbers and control
 * characters inside strings. The tokener still checks the structure afterwards. */
static bool lexically_strict(const char *buf, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == 0)
            return false;
        if (in_string) {
            if (c < 0x20)
                return false;
            if (c == '\\') {
                /* \u0000 would reach C strings, which end at it: "a\u0000b" would read as "a"
                 * and two keys differing only after it would become one. */
                if (len - i >= 6 && memcmp(buf + i + 1, "u0000", 5) == 0)
                    return false;
                i++; /* the escaped character cannot end the string */
            } else if (c == '"')
                in_string = false;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t n = number_length(buf, len, i);
            if (n == 0)
                return false;
            i += n - 1;
        } else if (c == '\'' || c == '.' || c == '+') {
            return false;
        } else {
            in_string = c == '"';
        }
    }
    return true;
}

/* NaN and the infinities are not JSON numbers, though json-c reads them (and 1e999). */
static bool numbers_finite(json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_double:
        return isfinite(json_object_get_double(o));
    case json_type_array:
        for (size_t i = 0; i < json_object_array_length(o); i++) {
            if (!numbers_finite(json_object_array_get_idx(o, i)))
                return false;
        }
        return true;
    case json_type_object: {
        json_object_object_foreach(o, key, val)
        {
            (void)key;
            if (!numbers_finite(val))
                return false;
        }
        return true;
    }
    default:
        return true;
    }
}

static bool only_space(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
            return false;
    }
    return true;
}

bool jsonx_parse_value(const char *buf, size_t len, json_object **out)
{
    *out = NULL;
    if (!buf || len == 0 || len > INT_MAX || only_space(buf, len) || !utf8_valid(buf, len) ||
        !lexically_strict(buf, len))
        return false;
    struct json_tokener *tok = json_tokener_new_ex(PARSE_DEPTH);
    if (!tok)
        return false;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
    enum json_tokener_error err = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    /* A top-level number such as "-0" may still be waiting for more digits: a NUL
     * tells the tokener the input is over. */
    if (err == json_tokener_continue && end == len) {
        o = json_tokener_parse_ex(tok, "", 1);
        err = json_tokener_get_error(tok);
    }
    json_tokener_free(tok);
    if (err != json_tokener_success || !only_space(buf + end, len - end) || !numbers_finite(o)) {
        json_object_put(o);
        return false;
    }
    *out = o;
    return true;
}

json_object *jsonx_parse(const char *buf, size_t len)
{
    json_object *o;
    return jsonx_parse_value(buf, len, &o) ? o : NULL;
}

/* The value under key when obj is an object holding it with the given type, else NULL. */
static json_object *typed_field(json_object *obj, const char *key, enum json_type type)
{
    json_object *v;
    if (!obj || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, type))
        return NULL;
    return v;
}

const char *jsonx_str(json_object *obj, const char *key)
{
    json_object *v = typed_field(obj, key, json_type_string);
    return v ? json_object_get_string(v) : NULL;
}

bool jsonx_has(json_object *obj, const char *key)
{
    return obj && json_object_is_type(obj, json_type_object) &&
           json_object_object_get_ex(obj, key, NULL);
}

bool jsonx_int(json_object *obj, const char *key, long long *out)
{
    json_object *v = typed_field(obj, key, json_type_int);
    if (v) {
        /* json-c clamps values beyond int64 to its limits; those are outside the safe range. */
        long long n = (long long)json_object_get_int64(v);
        if (n > MAX_SAFE_INT || n < -MAX_SAFE_INT)
            return false;
        *out = n;
        return true;
    }
    v = typed_field(obj, key, json_type_double);
    if (!v)
        return false;
    double d = json_object_get_double(v);
    /* The range test comes first so the cast below is always defined. */
    if (!(d <= (double)MAX_SAFE_INT && d >= -(double)MAX_SAFE_INT))
        return false;
    long long n = (long long)d;
    if ((double)n != d)
        return false; /* has a fraction */
    *out = n;
    return true;
}

bool jsonx_bool(json_object *obj, const char *key, bool *out)
{
    json_object *v = typed_field(obj, key, json_type_boolean);
    if (!v)
        return false;
    *out = json_object_get_boolean(v);
    return true;
}

json_object *jsonx_obj(json_object *obj, const char *key)
{
    return typed_field(obj, key, json_type_object);
}

json_object *jsonx_array(json_object *obj, const char *key)
{
    return typed_field(obj, key, json_type_array);
}

/* Adds val under key; a NULL obj (a failed allocation upstream) drops val instead of crashing. */
static void add_value(json_object *obj, const char *key, json_object *val)
{
    if (!obj) {
        json_object_put(val);
        return;
    }
    json_object_object_add(obj, key, val);
}

void jsonx_add_str(json_object *obj, const char *key, const char *val)
{
    add_value(obj, key, val ? json_object_new_string(val) : NULL);
}

void jsonx_add_int(json_object *obj, const char *key, long long val)
{
    add_value(obj, key, json_object_new_int64(val));
}

void jsonx_add_bool(json_object *obj, const char *key, bool val)
{
    add_value(obj, key, json_object_new_boolean(val));
}

void jsonx_add_null(json_object *obj, const char *key)
{
    add_value(obj, key, NULL);
}

json_object *jsonx_new_decimal(const char *decimal)
{
    if (!decimal)
        return NULL;
    char *text = malloc(strlen(decimal) + 1);
    if (!text)
        return NULL;
    json_object *o = NULL;
    if (money_shortest(decimal, text))
        o = json_object_new_double_s(strtod(text, NULL), text);
    free(text);
    return o;
}

void jsonx_add_decimal(json_object *obj, const char *key, const char *decimal)
{
    add_value(obj, key, jsonx_new_decimal(decimal));
}

const char *jsonx_to_string(json_object *obj)
{
    return json_object_to_json_string_ext(obj,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* ---- pre-serialised values ------------------------------------------------------------------- */

#define RAW_MAGIC 0x6b726177u /* "kraw": tells our userdata apart from anyone else's */
#define RAW_PARSE_DEPTH 64 /* our own documents: the stored description plus the page around it */

struct raw_text {
    uint32_t magic;
    size_t len;
    char text[];
};

static int raw_serialize(json_object *jso, struct printbuf *pb, int level, int flags)
{
    (void)level;
    (void)flags;
    const struct raw_text *r = json_object_get_userdata(jso);
    return printbuf_memappend(pb, r->text, (int)r->len) < 0 ? -1 : 0;
}

static void raw_delete(json_object *jso, void *userdata)
{
    (void)jso;
    free(userdata);
}

json_object *jsonx_new_raw(const char *text, size_t len)
{
    if (len > INT_MAX)
        return NULL;
    struct raw_text *r = malloc(sizeof *r + len + 1);
    json_object *o = r ? json_object_new_object() : NULL;
    if (!o) {
        free(r);
        return NULL;
    }
    r->magic = RAW_MAGIC;
    r->len = len;
    memcpy(r->text, text, len);
    r->text[len] = '\0';
    json_object_set_serializer(o, raw_serialize, r, raw_delete);
    return o;
}

const char *jsonx_raw_text(json_object *obj)
{
    if (!obj || !json_object_is_type(obj, json_type_object))
        return NULL;
    const struct raw_text *r = json_object_get_userdata(obj);
    return r && r->magic == RAW_MAGIC ? r->text : NULL;
}

json_object *jsonx_raw_expand(json_object *obj)
{
    const char *text = jsonx_raw_text(obj);
    if (!text)
        return obj;
    struct json_tokener *tok = json_tokener_new_ex(RAW_PARSE_DEPTH);
    json_object *o = tok ? json_tokener_parse_ex(tok, text, (int)strlen(text)) : NULL;
    if (tok && json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    json_object_put(obj);
    return o;
}

static int mark_serialize(json_object *jso, struct printbuf *pb, int level, int flags)
{
    (void)level;
    (void)flags;
    size_t *offset = json_object_get_userdata(jso);
    *offset = (size_t)printbuf_length(pb);
    return 0;
}

json_object *jsonx_new_mark(size_t *offset)
{
    json_object *o = json_object_new_object();
    if (o)
        json_object_set_serializer(o, mark_serialize, offset, NULL);
    return o;
}
