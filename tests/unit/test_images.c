/*
 * test_images.c - unit tests for the image type of uploads (images.c): minimal real JPEG, PNG
 * and WebP files (lossy, lossless and extended), the type taken from the bytes only (a PNG with
 * a .jpg name is a PNG: the name never reaches the sniffer), GIF, SVG, HTML, text and truncated
 * or corrupted headers refused; the /uploads/ URLs a gallery accepts; and content-addressed
 * storage into a directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "khedma/crypto.h"
#include "khedma/images.h"

/* Signature, IHDR 2x1 RGB 8-bit, an IDAT, IEND (CRCs are not checked by the sniffer). */
static const unsigned char PNG[] = {
    0x89, 'P',  'N',  'G', '\r', '\n', 0x1a, '\n', 0,   0,   0,    13,   'I',  'H', 'D',
    'R',  0,    0,    0,   2,    0,    0,    0,    1,   8,   2,    0,    0,    0,   0x1c,
    0x12, 0xb3, 0x4f, 0,   0,    0,    2,    'I',  'D', 'A', 'T',  0x78, 0x9c, 0,   0,
    0,    0,    0,    0,   0,    0,    'I',  'E',  'N', 'D', 0xae, 0x42, 0x60, 0x82};

/* SOI, APP0 (JFIF), SOF0 2x2 one component, SOS, one byte of scan data, EOI. */
static const unsigned char JPEG[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',  'F',  'I',  'F',  0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x02, 0x00, 0x02, 0x01, 0x01, 0x11,
    0x00, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0x00, 0xff, 0xd9};

/* RIFF size 26: "WEBP", a VP8L chunk of 13 bytes (signature 0x2f) and its pad byte. */
static const unsigned char WEBP_LOSSLESS[] = {'R',  'I',  'F',  'F',  26,   0,    0,    0,    'W',
                                              'E',  'B',  'P',  'V',  'P',  '8',  'L',  13,   0,
                                              0,    0,    0x2f, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10,
                                              0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00};

/* A lossy VP8 chunk: frame tag, then the start code 9d 01 2a and the size. */
static const unsigned char WEBP_LOSSY[] = {
    'R', 'I',  'F', 'F', 30,   0,    0,    0, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' ', 18, 0, 0,
    0,   0x30, 1,   0,   0x9d, 0x01, 0x2a, 2, 0,   2,   0,   0,   0,   0,   0,   0,   0,  0, 0};

/* An extended file: VP8X with its 10 bytes, then (here) nothing more. */
static const unsigned char WEBP_EXTENDED[] = {'R', 'I', 'F', 'F', 22,  0,   0,  0, 'W', 'E',
                                              'B', 'P', 'V', 'P', '8', 'X', 10, 0, 0,   0,
                                              0,   0,   0,   0,   1,   0,   0,  1, 0,   0};

static enum image_type sniff(const void *p, size_t n)
{
    return images_sniff((const unsigned char *)p, n);
}

static void test_real_images(void **state)
{
    (void)state;
    assert_int_equal(sniff(PNG, sizeof PNG), IMAGE_PNG);
    assert_int_equal(sniff(JPEG, sizeof JPEG), IMAGE_JPEG);
    assert_int_equal(sniff(WEBP_LOSSLESS, sizeof WEBP_LOSSLESS), IMAGE_WEBP);
    assert_int_equal(sniff(WEBP_LOSSY, sizeof WEBP_LOSSY), IMAGE_WEBP);
    assert_int_equal(sniff(WEBP_EXTENDED, sizeof WEBP_EXTENDED), IMAGE_WEBP);
    assert_string_equal(images_extension(IMAGE_PNG), "png");
    assert_string_equal(images_extension(IMAGE_JPEG), "jpg");
    assert_string_equal(images_extension(IMAGE_WEBP), "webp");
    assert_null(images_extension(IMAGE_NONE));
}

static void test_other_files_refused(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
        ",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00;",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"></svg>",
        "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        "<!doctype html><html><script>alert(1)</script></html>",
        "just some text that is long enough to pass any length check at all, really",
        "RIFF\x1a\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x44\xac\x00\x00",
        "",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        assert_int_equal(sniff(texts[i], strlen(texts[i])), IMAGE_NONE);
    assert_int_equal(images_sniff(NULL, 10), IMAGE_NONE);
}

/* Every prefix of a real file is refused: a truncated upload is never taken for an image. */
static void test_truncated_refused(void **state)
{
    (void)state;
    for (size_t n = 0; n < sizeof PNG; n++)
        assert_int_equal(sniff(PNG, n), IMAGE_NONE);
    for (size_t n = 0; n < sizeof JPEG; n++)
        assert_int_equal(sniff(JPEG, n), IMAGE_NONE);
    for (size_t n = 0; n < sizeof WEBP_LOSSLESS - 1; n++)
        assert_int_equal(sniff(WEBP_LOSSLESS, n), IMAGE_NONE);
}

/* A valid header followed by something else, or a header that lies, is refused. */
static void test_corrupted_refused(void **state)
{
    (void)state;
    unsigned char b[128];
    memcpy(b, PNG, sizeof PNG);
    b[25] = 5; /* colour type 5 does not exist */
    assert_int_equal(sniff(b, sizeof PNG), IMAGE_NONE);
    memcpy(b, PNG, sizeof PNG);
    b[19] = 0; /* width 0 */
    assert_int_equal(sniff(b, sizeof PNG), IMAGE_NONE);
    memcpy(b, PNG, sizeof PNG);
    memcpy(b + sizeof PNG, "<html>", 6); /* script after IEND */
    assert_int_equal(sniff(b, sizeof PNG + 6), IMAGE_NONE);

    memcpy(b, JPEG, sizeof JPEG);
    b[27] = 0; /* SOF height 0 ... */
    b[28] = 0;
    assert_int_equal(sniff(b, sizeof JPEG), IMAGE_NONE);
    memcpy(b, JPEG, sizeof JPEG);
    b[5] = 0xff; /* APP0 length past the end */
    assert_int_equal(sniff(b, sizeof JPEG), IMAGE_NONE);
    /* No frame header before the scan. */
    static const unsigned char no_sof[] = {0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0x00, 0xff, 0xd9};
    assert_int_equal(sniff(no_sof, sizeof no_sof), IMAGE_NONE);

    memcpy(b, WEBP_LOSSLESS, sizeof WEBP_LOSSLESS);
    b[4] = 200; /* RIFF size larger than the file */
    assert_int_equal(sniff(b, sizeof WEBP_LOSSLESS), IMAGE_NONE);
    memcpy(b, WEBP_LOSSLESS, sizeof WEBP_LOSSLESS);
    b[20] = 0x2e; /* wrong VP8L signature */
    assert_int_equal(sniff(b, sizeof WEBP_LOSSLESS), IMAGE_NONE);
    memcpy(b, WEBP_LOSSY, sizeof WEBP_LOSSY);
    b[24] = 0; /* wrong VP8 start code */
    assert_int_equal(sniff(b, sizeof WEBP_LOSSY), IMAGE_NONE);
}

static void test_upload_urls(void **state)
{
    (void)state;
    char hex[SHA256_HEX_LEN + 1];
    crypto_sha256_hex("x", 1, hex);
    char url[128];
    static const char *const ok_ext[] = {"jpg", "png", "webp"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(url, sizeof url, "/uploads/%s.%s", hex, ok_ext[i]);
        assert_true(images_upload_url_ok(url));
    }
    snprintf(url, sizeof url, "/uploads/%s.gif", hex);
    assert_false(images_upload_url_ok(url));
    snprintf(url, sizeof url, "/uploads/%s.png?x", hex);
    assert_false(images_upload_url_ok(url));
    snprintf(url, sizeof url, "/uploads/%.63s.png", hex);
    assert_false(images_upload_url_ok(url));
    snprintf(url, sizeof url, "/uploads/../%s.png", hex);
    assert_false(images_upload_url_ok(url));
    hex[0] = 'A';
    snprintf(url, sizeof url, "/uploads/%s.png", hex);
    assert_false(images_upload_url_ok(url));
    assert_false(images_upload_url_ok("//evil.example/uploads/x.png"));
    assert_false(images_upload_url_ok(NULL));
}

static void test_store_is_content_addressed(void **state)
{
    (void)state;
    char dir[] = "/tmp/khedma-images-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64];
    snprintf(sub, sizeof sub, "%s/uploads", dir); /* created on first use */
    char name[IMAGES_NAME_MAX + 1], again[IMAGES_NAME_MAX + 1];
    struct err e = {0};
    assert_int_equal(images_store(sub, PNG, sizeof PNG, IMAGE_PNG, name, &e), E_OK);
    char hex[SHA256_HEX_LEN + 1];
    crypto_sha256_hex(PNG, sizeof PNG, hex);
    char want[IMAGES_NAME_MAX + 1];
    snprintf(want, sizeof want, "%s.png", hex);
    assert_string_equal(name, want);
    assert_int_equal(images_store(sub, PNG, sizeof PNG, IMAGE_PNG, again, &e), E_OK);
    assert_string_equal(again, name);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", sub, name);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, sizeof PNG);
    assert_int_equal(st.st_mode & 0777, 0644);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char back[sizeof PNG];
    assert_int_equal(fread(back, 1, sizeof back, f), sizeof PNG);
    fclose(f);
    assert_memory_equal(back, PNG, sizeof PNG);
    /* Only the one file: no temporary file left behind. */
    char cmd[200];
    snprintf(cmd, sizeof cmd, "test \"$(ls -A %s | wc -l)\" = 1", sub);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(images_store(sub, PNG, sizeof PNG, IMAGE_NONE, name, &e), E_INTERNAL);
    err_clear(&e);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_images),       cmocka_unit_test(test_other_files_refused),
        cmocka_unit_test(test_truncated_refused), cmocka_unit_test(test_corrupted_refused),
        cmocka_unit_test(test_upload_urls),       cmocka_unit_test(test_store_is_content_addressed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
