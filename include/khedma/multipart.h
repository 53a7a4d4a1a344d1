/*
 * multipart.h - a parser for multipart/form-data bodies (RFC 7578), the encoding browsers use for
 * forms with a file input. It works on the whole body in memory (nginx hands khedmad complete
 * bodies) and never copies file contents: every part points into the body.
 *
 * It is strict where browsers are consistent: delimiters and header lines end with CRLF, every
 * part has a Content-Disposition of form-data with a name, and the body ends with the closing
 * delimiter. Anything else is MULTIPART_MALFORMED, so a truncated upload is never taken for a
 * shorter file.
 */
#ifndef KHEDMA_MULTIPART_H
#define KHEDMA_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#define MULTIPART_BOUNDARY_MAX 70 /* RFC 2046 */
#define MULTIPART_MAX_PARTS 32
#define MULTIPART_NAME_MAX 256 /* bytes of a field name or file name */

struct multipart_part {
    char name[MULTIPART_NAME_MAX + 1];
    char filename[MULTIPART_NAME_MAX + 1];     /* as sent, maybe ""; only meaningful when is_file */
    bool is_file;                              /* the disposition had a filename parameter */
    char content_type[MULTIPART_NAME_MAX + 1]; /* as sent, "" when absent; never trusted */
    const char *data;                          /* into the body */
    size_t len;
};

struct multipart {
    size_t n;
    struct multipart_part parts[MULTIPART_MAX_PARTS];
};

enum multipart_result {
    MULTIPART_OK = 0,
    MULTIPART_MALFORMED, /* not multipart/form-data as browsers send it, or truncated */
    MULTIPART_TOO_MANY,  /* more than MULTIPART_MAX_PARTS parts */
    MULTIPART_TOO_LARGE, /* a part's content is longer than the limit given */
};

/* The boundary parameter of a Content-Type "multipart/form-data; boundary=..." (quoted or not)
 * into out. False when the type is another or the boundary is missing or invalid. */
bool multipart_boundary(const char *content_type, char out[MULTIPART_BOUNDARY_MAX + 1]);

/* Parse body[0..len) into m (zeroed first). max_part bounds every part's content. On
 * MULTIPART_TOO_LARGE, m->parts[m->n - 1] is the part that was too long (its name and filename
 * are set, its data is NULL), so a caller can say which input it came from. */
enum multipart_result multipart_parse(const char *body, size_t len, const char *boundary,
                                      size_t max_part, struct multipart *m);

/* The first part named name, or NULL. */
const struct multipart_part *multipart_get(const struct multipart *m, const char *name);

#endif
