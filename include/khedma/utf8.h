/*
 * utf8.h - strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF).
 */
#ifndef KHEDMA_UTF8_H
#define KHEDMA_UTF8_H

#include <stdbool.h>
#include <stddef.h>

bool utf8_valid(const char *s, size_t len);
/* Number of code points in a valid UTF-8 string. */
size_t utf8_length(const char *s, size_t len);
/* Length (1-4) of the well-formed sequence starting at s, or 0 when the bytes there are not
 * valid UTF-8 (truncated, overlong, surrogate, out of range or a stray continuation byte). */
size_t utf8_seq_len(const char *s, size_t len);

#endif
