/*
 * percent.h - percent-decoding (RFC 3986), the one decoder of the request path and query
 * (http.c) and of KHEDMA_DATABASE_URL (config.c).
 */
#ifndef KHEDMA_PERCENT_H
#define KHEDMA_PERCENT_H

#include <stdbool.h>
#include <stddef.h>

/* Percent-decode src[0..len) into a new string; plus_as_space for query strings ('+' stays '+'
 * in a path or a URL's user, password, host or database). Returns NULL on a malformed escape
 * (both hex digits must be there), an encoded or raw NUL (either would cut the decoded string
 * short), or when memory runs out. *outlen (optional) gets the decoded length. */
char *percent_decode(const char *src, size_t len, bool plus_as_space, size_t *outlen);

#endif
