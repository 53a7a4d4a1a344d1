/*
 * slug.c - gig slugs from titles. Titles on a Moroccan marketplace are French, English and
 * Arabic, so the letters that matter are ASCII plus the accented Latin of French and its
 * neighbours: those are transliterated (é -> e, œ -> oe, ß -> ss) so "Café crème" gives
 * "cafe-creme" rather than losing the accented letters. Scripts with no Latin spelling (Arabic,
 * emoji) act as separators; a title made only of them falls back to "gig", which the service then
 * makes unique with the random suffix.
 */
#include <string.h>

#include <sodium.h>

#include "khedma/slug.h"
#include "khedma/utf8.h"

#define LATIN_FIRST 0xC0
#define LATIN_LAST 0x17F

/* ASCII spelling of U+00C0..U+017F (Latin-1 Supplement letters and Latin Extended-A), lower
 * case. NULL marks the two symbols in that range (multiplication and division signs), which
 * are separators like any other punctuation. Rows of 16 are laid out by hand so each line
 * matches the letters in the comment above it. */
/* clang-format off */
static const char *const latin_ascii[LATIN_LAST - LATIN_FIRST + 1] = {
    /* U+00C0 À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï */
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* U+00D0 Ð Ñ Ò Ó Ô Õ Ö × Ø Ù Ú Û Ü Ý Þ ß */
    "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
    /* U+00E0 à á â ã ä å æ ç è é ê ë ì í î ï */
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* U+00F0 ð ñ ò ó ô õ ö ÷ ø ù ú û ü ý þ ÿ */
    "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "y",
    /* U+0100 Ā ā Ă ă Ą ą Ć ć Ĉ ĉ Ċ ċ Č č Ď ď */
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    /* U+0110 Đ đ Ē ē Ĕ ĕ Ė ė Ę ę Ě ě Ĝ ĝ Ğ ğ */
    "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    /* U+0120 Ġ ġ Ģ ģ Ĥ ĥ Ħ ħ Ĩ ĩ Ī ī Ĭ ĭ Į į */
    "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    /* U+0130 İ ı Ĳ ĳ Ĵ ĵ Ķ ķ ĸ Ĺ ĺ Ļ ļ Ľ ľ Ŀ */
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    /* U+0140 ŀ Ł ł Ń ń Ņ ņ Ň ň ŉ Ŋ ŋ Ō ō Ŏ ŏ */
    "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    /* U+0150 Ő ő Œ œ Ŕ ŕ Ŗ ŗ Ř ř Ś ś Ŝ ŝ Ş ş */
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    /* U+0160 Š š Ţ ţ Ť ť Ŧ ŧ Ũ ũ Ū ū Ŭ ŭ Ů ů */
    "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    /* U+0170 Ű ű Ų ų Ŵ ŵ Ŷ ŷ Ÿ Ź ź Ż ż Ž ž ſ */
    "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};
/* clang-format on */

/* A few Latin Extended-B letters in everyday use: Romanian comma-below S and T, Vietnamese
 * horned O and U, Azerbaijani schwa. */
static const struct {
    unsigned cp;
    const char *ascii;
} extra_latin[] = {
    {0x018F, "e"}, {0x0259, "e"}, {0x01A0, "o"}, {0x01A1, "o"}, {0x01AF, "u"},
    {0x01B0, "u"}, {0x0218, "s"}, {0x0219, "s"}, {0x021A, "t"}, {0x021B, "t"},
};

/* Decode the code point of a well-formed sequence of n bytes (n from utf8_seq_len). */
static unsigned decode(const unsigned char *p, size_t n)
{
    if (n == 1)
        return p[0];
    unsigned cp = p[0] & (0xFF >> (n + 1));
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (p[i] & 0x3F);
    return cp;
}

/* What a code point contributes to the slug: its ASCII spelling, "" for combining accents (a
 * decomposed "e" + U+0301 must read as "e", not "e-"), or NULL for a separator. */
static const char *ascii_for(unsigned cp, char single[2])
{
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
        single[0] = (char)cp;
        return single;
    }
    if (cp >= 'A' && cp <= 'Z') {
        single[0] = (char)(cp - 'A' + 'a');
        return single;
    }
    if (cp >= 0x0300 && cp <= 0x036F)
        return "";
    if (cp >= LATIN_FIRST && cp <= LATIN_LAST)
        return latin_ascii[cp - LATIN_FIRST];
    for (size_t i = 0; i < sizeof extra_latin / sizeof extra_latin[0]; i++) {
        if (extra_latin[i].cp == cp)
            return extra_latin[i].ascii;
    }
    return NULL;
}

/* Slug under construction: at most limit characters in out. */
struct slug_buf {
    char *out;
    size_t len, limit;
    bool full;       /* a letter did not fit: the slug was cut inside a word */
    bool separating; /* a separator was seen since the last letter */
};

static void put_letters(struct slug_buf *b, const char *ascii)
{
    if (b->separating && b->len > 0) {
        /* A dash that would not fit means the previous word ended exactly at the limit: the slug
         * is complete and cut at a word boundary. */
        if (b->len == b->limit) {
            b->full = true;
            b->separating = false;
            return;
        }
        b->out[b->len++] = '-';
    }
    b->separating = false;
    for (; *ascii; ascii++) {
        if (b->len == b->limit) {
            b->full = true;
            /* Cut back to the last word boundary so no word is left half-written. */
            char *dash = memrchr(b->out, '-', b->len);
            if (dash)
                b->len = (size_t)(dash - b->out);
            return;
        }
        b->out[b->len++] = *ascii;
    }
}

size_t slug_from_title(const char *title, char *out, size_t outlen)
{
    if (outlen == 0)
        return 0;
    struct slug_buf b = {.out = out, .limit = outlen - 1 < SLUG_MAX ? outlen - 1 : SLUG_MAX};
    const unsigned char *p = (const unsigned char *)(title ? title : "");
    size_t left = strlen((const char *)p);
    while (left > 0 && !b.full) {
        size_t n = utf8_seq_len((const char *)p, left);
        char single[2] = {0, 0};
        const char *ascii = n > 0 ? ascii_for(decode(p, n), single) : NULL;
        if (n == 0)
            n = 1; /* a stray byte separates like punctuation does */
        p += n;
        left -= n;
        if (!ascii)
            b.separating = true;
        else if (*ascii)
            put_letters(&b, ascii);
    }
    if (b.len == 0) {
        if (outlen < sizeof SLUG_FALLBACK) {
            out[0] = '\0';
            return 0;
        }
        memcpy(out, SLUG_FALLBACK, sizeof SLUG_FALLBACK);
        return sizeof SLUG_FALLBACK - 1;
    }
    out[b.len] = '\0';
    return b.len;
}

bool slug_with_suffix(const char *base, char *out, size_t outlen)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    size_t len = strlen(base);
    if (outlen == 0)
        return false;
    if (len + SLUG_SUFFIX_LEN >= outlen) {
        out[0] = '\0';
        return false;
    }
    memmove(out, base, len); /* base may be out itself */
    out[len] = '-';
    for (size_t i = 1; i < SLUG_SUFFIX_LEN; i++)
        out[len + i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[len + SLUG_SUFFIX_LEN] = '\0';
    return true;
}
