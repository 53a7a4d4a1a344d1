/*
 * percent.c - the percent-decoder of percent.h, shared by the HTTP request parser and the
 * database URL parser so both read escapes by the same rules.
 */
#include "khedma/percent.h"

#include <stdlib.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *percent_decode(const char *src, size_t len, bool plus_as_space, size_t *outlen)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            /* Both hex digits must be present: "%4" at the end is malformed, not literal. */
            int hi = i + 2 < len ? hex_value(src[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value(src[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '\0') {
            /* A raw NUL can only come from a caller passing binary data; it would cut the
             * decoded string short just like %00, so it is refused the same way. */
            free(out);
            return NULL;
        } else {
            out[o++] = (plus_as_space && c == '+') ? ' ' : c;
        }
    }
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return out;
}
