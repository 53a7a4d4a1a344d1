/*
 * fuzz.h - helpers shared by the libFuzzer targets in this directory: NUL-terminated copies of
 * the input (the parsers take C strings) and splitting it into a first line and the rest, so
 * one input can carry two fields. Header-only so every target stays one .c file to build.
 */
#ifndef KHEDMA_FUZZ_H
#define KHEDMA_FUZZ_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated copy of data[0..len); aborts when out of memory (libFuzzer reports it). */
static inline char *fz_dup(const uint8_t *data, size_t len)
{
    char *s = malloc(len + 1);
    if (!s)
        abort();
    memcpy(s, data, len);
    s[len] = '\0';
    return s;
}

/* Split data at its first '\n': *head gets a copy of what precedes it, *rest points after it
 * (the whole input is the head, and rest is empty, when there is no newline). */
static inline char *fz_head(const uint8_t *data, size_t len, const uint8_t **rest, size_t *rest_len)
{
    const uint8_t *nl = memchr(data, '\n', len);
    size_t n = nl ? (size_t)(nl - data) : len;
    *rest = nl ? nl + 1 : data + len;
    *rest_len = nl ? len - n - 1 : 0;
    return fz_dup(data, n);
}

/* A check on an invariant of the code under test: a failure is a finding, reported as a crash
 * with its message so that libFuzzer saves the input. */
#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
