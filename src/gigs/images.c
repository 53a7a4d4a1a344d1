/*
 * images.c - uploaded gallery images (include/khedma/images.h): what the bytes are, and storing
 * them under their content's name.
 *
 * The checks are deliberately small: enough that a file which is not really a JPEG, PNG or WebP
 * (an HTML or SVG page, a GIF, a script renamed .png, a truncated upload) is refused, since
 * nginx will serve the stored file under an image type to every visitor. Decoding is left to
 * the browsers.
 */
#include "khedma/images.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "khedma/crypto.h"
#include "khedma/log.h"

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Signature, an IHDR chunk first with a non-empty size and a legal depth/colour pair, and an
 * IEND chunk last. */
static bool is_png(const unsigned char *d, size_t len)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    if (len < 8 + 25 + 12 || memcmp(d, sig, 8) != 0)
        return false;
    if (be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
        return false;
    if (be32(d + 16) == 0 || be32(d + 20) == 0)
        return false;
    unsigned depth = d[24], colour = d[25];
    bool ok =
        (colour == 0 && (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16)) ||
        (colour == 3 && (depth == 1 || depth == 2 || depth == 4 || depth == 8)) ||
        ((colour == 2 || colour == 4 || colour == 6) && (depth == 8 || depth == 16));
    return ok && memcmp(d + len - 12, iend, 12) == 0;
}

static bool is_sof(unsigned char m)
{
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

/* SOI, then marker segments with lengths that stay inside the file up to the start of scan, a
 * frame header (SOF) with a non-empty size among them, and EOI as the last two bytes. */
static bool is_jpeg(const unsigned char *d, size_t len)
{
    if (len < 4 || d[0] != 0xff || d[1] != 0xd8 || d[2] != 0xff)
        return false;
    if (d[len - 2] != 0xff || d[len - 1] != 0xd9)
        return false;
    size_t i = 2;
    bool frame = false;
    while (i + 4 <= len - 2) {
        if (d[i] != 0xff)
            return false;
        unsigned char m = d[i + 1];
        if (m == 0xff) { /* fill byte */
            i++;
            continue;
        }
        size_t seg = (size_t)d[i + 2] << 8 | d[i + 3];
        if (seg < 2 || i + 2 + seg > len - 2)
            return false;
        if (is_sof(m)) {
            if (seg < 8)
                return false;
            unsigned height = (unsigned)d[i + 5] << 8 | d[i + 6];
            unsigned width = (unsigned)d[i + 7] << 8 | d[i + 8];
            if (width == 0 || height == 0)
                return false;
            frame = true;
        }
        if (m == 0xda)
            return frame;
        i += 2 + seg;
    }
    return false;
}

/* RIFF container whose size matches the file, form type WEBP, and a first chunk that is one of
 * the three WebP bitstream kinds with its own signature where it has one. */
static bool is_webp(const unsigned char *d, size_t len)
{
    if (len < 20 + 10 || memcmp(d, "RIFF", 4) != 0 || memcmp(d + 8, "WEBP", 4) != 0)
        return false;
    uint32_t riff = le32(d + 4);
    if ((size_t)riff + 8 != len && (size_t)riff + 9 != len) /* an odd size has a pad byte */
        return false;
    uint32_t chunk = le32(d + 16);
    if ((size_t)chunk > len - 20)
        return false;
    if (memcmp(d + 12, "VP8 ", 4) == 0)
        return chunk >= 10 && d[23] == 0x9d && d[24] == 0x01 && d[25] == 0x2a;
    if (memcmp(d + 12, "VP8L", 4) == 0)
        return chunk >= 5 && d[20] == 0x2f;
    if (memcmp(d + 12, "VP8X", 4) == 0)
        return chunk == 10;
    return false;
}

enum image_type images_sniff(const unsigned char *data, size_t len)
{
    if (!data)
        return IMAGE_NONE;
    if (is_png(data, len))
        return IMAGE_PNG;
    if (is_jpeg(data, len))
        return IMAGE_JPEG;
    if (is_webp(data, len))
        return IMAGE_WEBP;
    return IMAGE_NONE;
}

const char *images_extension(enum image_type t)
{
    switch (t) {
    case IMAGE_JPEG:
        return "jpg";
    case IMAGE_PNG:
        return "png";
    case IMAGE_WEBP:
        return "webp";
    case IMAGE_NONE:
        break;
    }
    return NULL;
}

bool images_upload_url_ok(const char *url)
{
    static const char prefix[] = IMAGES_URL_PREFIX;
    if (!url || strncmp(url, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *s = url + sizeof prefix - 1;
    for (int i = 0; i < SHA256_HEX_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    s += SHA256_HEX_LEN;
    return strcmp(s, ".jpg") == 0 || strcmp(s, ".png") == 0 || strcmp(s, ".webp") == 0;
}

static bool write_all(int fd, const unsigned char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

enum errkind images_store(const char *dir, const unsigned char *data, size_t len, enum image_type t,
                          char name[IMAGES_NAME_MAX + 1], struct err *e)
{
    const char *ext = images_extension(t);
    if (!ext || !dir || !*dir)
        return err_set(e, E_INTERNAL, "Cannot store this file");
    char hex[SHA256_HEX_LEN + 1];
    crypto_sha256_hex(data, len, hex);
    snprintf(name, IMAGES_NAME_MAX + 1, "%s.%s", hex, ext);
    char final[4096], tmp[4096];
    if (snprintf(final, sizeof final, "%s/%s", dir, name) >= (int)sizeof final ||
        snprintf(tmp, sizeof tmp, "%s/.tmp-%s-XXXXXX", dir, hex) >= (int)sizeof tmp)
        return err_set(e, E_INTERNAL, "Cannot store this file");
    /* The same name always holds the same bytes: an image already there is kept as it is. */
    struct stat st;
    if (stat(final, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len)
        return E_OK;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        log_error("uploads: cannot create %s: %s", dir, strerror(errno));
        return err_set(e, E_INTERNAL, "Cannot store this file");
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        log_error("uploads: cannot create a file in %s: %s", dir, strerror(errno));
        return err_set(e, E_INTERNAL, "Cannot store this file");
    }
    /* Readable by nginx's workers, which may run as another user. */
    bool ok = fchmod(fd, 0644) == 0 && write_all(fd, data, len) && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, final) != 0) {
        log_error("uploads: cannot write %s: %s", final, strerror(errno));
        unlink(tmp);
        return err_set(e, E_INTERNAL, "Cannot store this file");
    }
    return E_OK;
}
