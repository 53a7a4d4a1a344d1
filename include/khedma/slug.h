/*
 * slug.h - URL slugs for published gigs (docs/api.md, "Gigs", gig.publish): the title lower-cased,
 * accented Latin letters transliterated to ASCII, every run of anything else collapsed to one
 * '-', at most SLUG_MAX characters. A title with no Latin letter or digit gets "gig". When the
 * owner already uses a slug, the service asks for a suffixed variant ("-" + 5 of [a-z0-9]).
 */
#ifndef KHEDMA_SLUG_H
#define KHEDMA_SLUG_H

#include <stdbool.h>
#include <stddef.h>

#define SLUG_MAX 80         /* characters of a slug made from a title */
#define SLUG_SUFFIX_LEN 6   /* "-" and 5 random [a-z0-9] */
#define SLUG_FALLBACK "gig" /* for titles with nothing transliterable, e.g. Arabic only */
/* A buffer that holds any slug, suffixed or not, with its NUL. */
#define SLUG_BUF_LEN (SLUG_MAX + SLUG_SUFFIX_LEN + 1)

/* Write the slug of title (UTF-8; invalid bytes count as separators) into out, at most
 * min(SLUG_MAX, outlen - 1) characters of [a-z0-9-], never starting or ending with '-'. A slug
 * longer than that is cut at the last '-' that fits, or hard-cut when its first word alone is too
 * long. Returns the slug's length (0 only when outlen is too small to hold even "gig"). */
size_t slug_from_title(const char *title, char *out, size_t outlen);

/* out = base + "-" + 5 characters drawn uniformly from [a-z0-9] (libsodium's generator).
 * Returns false, leaving out as an empty string, when the result does not fit in outlen. */
bool slug_with_suffix(const char *base, char *out, size_t outlen);

#endif
