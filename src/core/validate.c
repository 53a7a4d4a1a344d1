/*
 * validate.c - small typed validators that run at the edge, before any service logic sees the
 * input (the kcgi habit: validate first, then trust). They are deliberately stricter than the
 * RFCs where the RFCs allow things no marketplace user types (quoted local parts, IP-literal
 * mail domains, raw spaces in URLs): rejecting those costs nothing and closes odd corners.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "khedma/validate.h"

#define EMAIL_MAX 254 /* RFC 5321 path limit */
#define EMAIL_LOCAL_MAX 64
#define DOMAIN_LABEL_MAX 63
#define USERNAME_MIN 3
#define USERNAME_MAX 30
#define PHONE_DIGITS_MIN 6
#define PHONE_DIGITS_MAX 20
#define PHONE_MAX 32 /* users.phone is VARCHAR(32) */
#define URL_MAX 2048

static bool is_alpha(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_digit(unsigned char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_alnum(unsigned char ch)
{
    return is_alpha(ch) || is_digit(ch);
}

static bool is_hex(unsigned char ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* RFC 5322 "atext": what an unquoted local part may hold besides dots. The apostrophe stays
 * allowed (o'brien@example.com is a real address); SQL never sees it unparameterised. */
static bool is_atext(unsigned char ch)
{
    return is_alnum(ch) || (ch != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", ch) != NULL);
}

static bool valid_local_part(const char *s, size_t len)
{
    if (len == 0 || len > EMAIL_LOCAL_MAX || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (!is_atext(ch)) {
            return false;
        }
    }
    return true;
}

/* A DNS host name: dot-separated labels of letters, digits and inner hyphens. When need_tld is
 * set there must be at least two labels and the last one must look like a real TLD (letters, or
 * an IDN "xn--" label), which keeps "a@b" and "a@1.2.3.4" out of the users table. */
static bool valid_hostname(const char *s, size_t len, bool need_tld)
{
    if (len == 0 || len > 253)
        return false;
    size_t labels = 0, start = 0, last_start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') {
            if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
                return false;
            continue;
        }
        size_t n = i - start;
        if (n == 0 || n > DOMAIN_LABEL_MAX || s[start] == '-' || s[i - 1] == '-')
            return false;
        labels++;
        last_start = start;
        start = i + 1;
    }
    if (!need_tld)
        return true;
    const char *tld = s + last_start;
    size_t tld_len = len - last_start;
    if (labels < 2 || tld_len < 2)
        return false;
    if (tld_len > 4 && strncasecmp(tld, "xn--", 4) == 0)
        return true;
    for (size_t i = 0; i < tld_len; i++)
        if (!is_alpha((unsigned char)tld[i]))
            return false;
    return true;
}

bool validate_email(const char *s)
{
    if (!s)
        return false;
    size_t len = strlen(s);
    if (len == 0 || len > EMAIL_MAX)
        return false;
    const char *at = strchr(s, '@');
    if (!at || strchr(at + 1, '@'))
        return false;
    size_t local_len = (size_t)(at - s);
    return valid_local_part(s, local_len) && valid_hostname(at + 1, len - local_len - 1, true);
}

/* First path segments of the web storefront (src/http/app.c): a seller's profile lives at
 * /{username}, so a username may not take one of them, nor a word kept for pages to come. */
static const char *const reserved_usernames[] = {
    "about",  "admin",   "api",    "auth",    "categories", "dashboard", "favicon",
    "gigs",   "healthz", "help",   "login",   "logout",     "metrics",   "notifications",
    "order",  "orders",  "robots", "search",  "services",   "settings",  "signin",
    "signup", "sitemap", "static", "support", "uploads",    "users",     "vip",
};

bool validate_username_reserved(const char *s)
{
    for (size_t i = 0; s && i < sizeof reserved_usernames / sizeof reserved_usernames[0]; i++)
        if (strcmp(s, reserved_usernames[i]) == 0)
            return true;
    return false;
}

bool validate_username(const char *s)
{
    if (!s)
        return false;
    size_t len = 0;
    for (; s[len]; len++) {
        unsigned char ch = (unsigned char)s[len];
        bool ok = (ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '_' || ch == '-';
        if (!ok || len >= USERNAME_MAX)
            return false;
    }
    return len >= USERNAME_MIN;
}

/* Digits with single spaces or dashes between them, e.g. "+212 6 12-34-56-78". A separator
 * may not lead, trail, or repeat, so the stored number stays readable; the whole string fits
 * the column, so a long spaced-out number is a validation error rather than a failed insert. */
bool validate_phone(const char *s)
{
    if (!s || strlen(s) > PHONE_MAX)
        return false;
    const char *p = s;
    if (*p == '+')
        p++;
    size_t digits = 0;
    bool prev_digit = false;
    for (; *p; p++) {
        if (is_digit((unsigned char)*p)) {
            digits++;
            prev_digit = true;
        } else if ((*p == ' ' || *p == '-') && prev_digit) {
            prev_digit = false;
        } else {
            return false;
        }
    }
    return prev_digit && digits >= PHONE_DIGITS_MIN && digits <= PHONE_DIGITS_MAX;
}

/* RFC 3986 characters allowed unencoded in a URL (plus '%' escapes, checked separately). Space,
 * quotes, angle brackets, backslash and the like are refused: browsers and libcurl disagree on
 * how to read them, which is how open redirects and request smuggling start. */
static bool is_url_char(unsigned char ch)
{
    return is_alnum(ch) || (ch != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=", ch) != NULL);
}

/* host[:port] with optional "userinfo@" before it. IPv6 literals go in brackets. */
static bool valid_authority(const char *s, size_t len)
{
    const char *at = memrchr(s, '@', len);
    if (at) {
        len -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    const char *host_end = s + len;
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close || close == s + 1)
            return false;
        for (const char *q = s + 1; q < close; q++)
            if (!is_hex((unsigned char)*q) && *q != ':' && *q != '.')
                return false;
        host_end = close + 1;
    } else {
        const char *colon = memchr(s, ':', len);
        if (colon)
            host_end = colon;
        if (!valid_hostname(s, (size_t)(host_end - s), false))
            return false;
    }
    if (host_end == s + len)
        return true;
    if (*host_end != ':')
        return false;
    size_t plen = (size_t)(s + len - host_end - 1);
    if (plen == 0 || plen > 5)
        return false;
    long port = 0;
    for (const char *q = host_end + 1; q < s + len; q++) {
        if (!is_digit((unsigned char)*q))
            return false;
        port = port * 10 + (*q - '0');
    }
    return port >= 1 && port <= 65535;
}

bool validate_http_url(const char *s)
{
    if (!s)
        return false;
    size_t len = strlen(s);
    if (len > URL_MAX)
        return false;
    size_t skip;
    if (strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else
        return false;
    for (size_t i = skip; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '%') {
            /* s[i + 2] is only read when s[i + 1] was a hex digit, so never past the NUL. */
            if (!is_hex((unsigned char)s[i + 1]) || !is_hex((unsigned char)s[i + 2]))
                return false;
        } else if (ch < 0x80 && !is_url_char(ch)) {
            return false;
        }
    }
    const char *auth = s + skip;
    size_t auth_len = strcspn(auth, "/?#");
    for (size_t i = 0; i < auth_len; i++)
        if ((unsigned char)auth[i] >= 0x80)
            return false; /* hosts must arrive punycoded */
    return valid_authority(auth, auth_len);
}

/* Length of the whitespace code point at s (0 when none). The set is what JavaScript's
 * String.prototype.trim removes (the original app trimmed with zod), so names trim the same way
 * in both implementations: ASCII TAB/LF/VT/FF/CR/SP, NBSP, U+1680, U+2000-200A, U+2028, U+2029,
 * U+202F, U+205F, U+3000 and the BOM U+FEFF. */
static size_t space_len(const unsigned char *s)
{
    if (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        return 1;
    if (s[0] == 0xC2 && s[1] == 0xA0)
        return 2;
    if (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80)
        return 3;
    if (s[0] == 0xE2 && s[1] == 0x80 &&
        ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF))
        return 3;
    if (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F)
        return 3;
    if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
        return 3;
    if (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        return 3;
    return 0;
}

char *validate_trim_dup(const char *s)
{
    if (!s)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t n;
    while ((n = space_len(p)) > 0)
        p += n;
    /* Walk forward remembering where the last non-space code point ended: scanning backwards
     * through UTF-8 would need to find code point starts, this is simpler and still linear. */
    const unsigned char *end = p;
    for (const unsigned char *q = p; *q;) {
        n = space_len(q);
        if (n > 0) {
            q += n;
            continue;
        }
        q++;
        while ((*q & 0xC0) == 0x80)
            q++;
        end = q;
    }
    size_t len = (size_t)(end - p);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    memcpy(out, p, len);
    out[len] = '\0';
    return out;
}
