/*
 * fuzz_multipart.c - the upload route's parsers: multipart/form-data bodies (multipart.c) and
 * the image type of each file (images.c). The input's first line is the Content-Type header
 * (its boundary is read with multipart_boundary), the rest is the body. Checks that every part
 * lies inside the body and within the size limit, that names are NUL-terminated within their
 * buffers, and that a part taken for an image starts with that format's signature.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/images.h"
#include "khedma/multipart.h"
#include "fuzz.h"

#define FUZZ_MAX_PART 1024

static void check_image(const struct multipart_part *p)
{
    const unsigned char *d = (const unsigned char *)p->data;
    switch (images_sniff(d, p->len)) {
    case IMAGE_PNG:
        FZ_CHECK(p->len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0);
        break;
    case IMAGE_JPEG:
        FZ_CHECK(p->len >= 4 && d[0] == 0xff && d[1] == 0xd8 && d[p->len - 1] == 0xd9);
        break;
    case IMAGE_WEBP:
        FZ_CHECK(p->len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0);
        break;
    case IMAGE_NONE:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *rest;
    size_t rest_len;
    char *content_type = fz_head(data, size, &rest, &rest_len);
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    if (multipart_boundary(content_type, boundary)) {
        size_t blen = strlen(boundary);
        FZ_CHECK(blen >= 1 && blen <= MULTIPART_BOUNDARY_MAX);
        /* A private copy so that the sanitizer sees reads past the body's end. */
        char *body = rest_len ? malloc(rest_len) : NULL;
        if (rest_len)
            memcpy(body, rest, rest_len);
        static struct multipart m;
        enum multipart_result r = multipart_parse(body, rest_len, boundary, FUZZ_MAX_PART, &m);
        FZ_CHECK(m.n <= MULTIPART_MAX_PARTS);
        for (size_t i = 0; i < m.n; i++) {
            const struct multipart_part *p = &m.parts[i];
            FZ_CHECK(memchr(p->name, 0, sizeof p->name) != NULL && p->name[0] != 0);
            FZ_CHECK(memchr(p->filename, 0, sizeof p->filename) != NULL);
            FZ_CHECK(memchr(p->content_type, 0, sizeof p->content_type) != NULL);
            if (!p->data) /* the part reported as too large */
                continue;
            FZ_CHECK(p->data >= body && p->data + p->len <= body + rest_len);
            FZ_CHECK(p->len <= FUZZ_MAX_PART);
            check_image(p);
        }
        if (r == MULTIPART_OK)
            FZ_CHECK(m.n >= 1);
        free(body);
    }
    /* The sniffer on the raw input too, as an upload's whole content. */
    struct multipart_part whole = {.data = (const char *)data, .len = size};
    check_image(&whole);
    free(content_type);
    return 0;
}
