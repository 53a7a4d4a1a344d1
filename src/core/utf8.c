/*
 * utf8.c - strict UTF-8 validation following the well-formed byte sequences table of the Unicode
 * standard (chapter 3, table 3-7): the second byte's allowed range depends on the first byte,
 * which is what rules out overlongs (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code
 * points above U+10FFFF (F4 90..BF, F5..FF).
 */
#include "khedma/utf8.h"

/* Allowed range of the second byte for a given lead byte; later bytes are always 80..BF. */
static void second_byte_range(unsigned char lead, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (lead == 0xE0)
        *lo = 0xA0;
    else if (lead == 0xED)
        *hi = 0x9F;
    else if (lead == 0xF0)
        *lo = 0x90;
    else if (lead == 0xF4)
        *hi = 0x8F;
}

size_t utf8_seq_len(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    if (len == 0)
        return 0;
    unsigned char lead = p[0];
    size_t need;
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        need = 2;
    else if (lead >= 0xE0 && lead <= 0xEF)
        need = 3;
    else if (lead >= 0xF0 && lead <= 0xF4)
        need = 4;
    else
        return 0; /* continuation byte, C0/C1 (always overlong) or F5..FF */
    if (len < need)
        return 0;
    unsigned char lo, hi;
    second_byte_range(lead, &lo, &hi);
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    }
    return need;
}

bool utf8_valid(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* ASCII runs are the common case in JSON bodies; skip them without the table logic. */
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_seq_len(s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

size_t utf8_length(const char *s, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++) {
        /* Every code point has exactly one byte that is not a continuation byte (10xxxxxx). */
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    }
    return count;
}
