/*
 * fuzz_utf8.c - strict UTF-8 (utf8.c) and the trimming every text input goes through
 * (validate.c validate_trim_dup). Checks that the three functions agree: a buffer is valid exactly
 * when walking it with utf8_seq_len covers every byte, utf8_length counts those steps, and trimming
 * valid text leaves valid text.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/utf8.h"
#include "khedma/validate.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    bool valid = utf8_valid(s, size);
    size_t i = 0, steps = 0;
    while (i < size) {
        size_t n = utf8_seq_len(s + i, size - i);
        FZ_CHECK(n <= 4 && n <= size - i);
        if (n == 0)
            break;
        /* A sequence is one lead byte and continuation bytes, nothing else. */
        for (size_t k = 1; k < n; k++)
            FZ_CHECK(((unsigned char)s[i + k] & 0xC0) == 0x80);
        i += n;
        steps++;
    }
    FZ_CHECK(valid == (i == size));
    if (!valid)
        return 0;
    FZ_CHECK(utf8_length(s, size) == steps);

    char *text = fz_dup(data, size);
    char *t = validate_trim_dup(text);
    FZ_CHECK(t != NULL && strlen(t) <= strlen(text));
    FZ_CHECK(utf8_valid(t, strlen(t)));
    free(t);
    free(text);
    return 0;
}
