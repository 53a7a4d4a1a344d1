/*
 * order_input.c - the optional text fields of the order routes and procedures (see
 * order_input.h), checked the same way whichever transport carried them.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/order_input.h"
#include "khedma/utf8.h"

const char *order_input_text(json_object *in, const char *key, size_t max, bool empty_is_null,
                             struct err *e)
{
    json_object *v = in ? json_object_object_get(in, key) : NULL;
    if (!v)
        return NULL;
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    size_t len = s ? strlen(s) : 0;
    /* strlen shorter than the JSON length: the string holds a NUL byte. */
    if (!s || len != (size_t)json_object_get_string_len(v) || !utf8_valid(s, len) ||
        utf8_length(s, len) > max) {
        char message[96];
        snprintf(message, sizeof(message), "Must be a string of at most %zu characters", max);
        err_field(e, key, message);
        return NULL;
    }
    return empty_is_null && len == 0 ? NULL : s;
}
