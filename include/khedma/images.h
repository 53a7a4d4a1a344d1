/*
 * images.h - gallery images uploaded from the browser: the type decided from the bytes (magic
 * numbers and a minimal check of the format's structure, never the file name or the declared
 * Content-Type), and content-addressed storage in the upload directory (KHEDMA_UPLOAD_DIR), where
 * nginx serves them at /uploads/<name>.
 */
#ifndef KHEDMA_IMAGES_H
#define KHEDMA_IMAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "khedma/errors.h"

#define IMAGES_MAX_BYTES (5 * 1024 * 1024) /* one uploaded image */
#define IMAGES_URL_PREFIX "/uploads/"
/* sha256 hex + "." + the longest extension ("webp") */
#define IMAGES_NAME_MAX (64 + 1 + 4)

enum image_type { IMAGE_NONE = 0, IMAGE_JPEG, IMAGE_PNG, IMAGE_WEBP };

/* What data[0..len) is: IMAGE_NONE for anything that is not a well-formed-looking JPEG, PNG or
 * WebP (GIF, SVG, HTML, text, a truncated file...). */
enum image_type images_sniff(const unsigned char *data, size_t len);
/* "jpg", "png", "webp" (NULL for IMAGE_NONE). */
const char *images_extension(enum image_type t);

/* True for a gallery URL naming a stored upload on this site: "/uploads/" followed by 64
 * lower-case hex digits and ".jpg", ".png" or ".webp". */
bool images_upload_url_ok(const char *url);

/* Store an image already sniffed as t in dir under its content's name (sha256 hex + "." +
 * extension, written into name): written to a temporary file in dir, then renamed, so readers
 * never see half a file and concurrent uploads of the same bytes agree. E_INTERNAL (logged)
 * when the directory cannot be written. */
enum errkind images_store(const char *dir, const unsigned char *data, size_t len, enum image_type t,
                          char name[IMAGES_NAME_MAX + 1], struct err *e);

#endif
