/*
 * test_slug.c - unit tests for gig slugs: ASCII titles, French and other accented Latin letters,
 * titles with no Latin letters (Arabic, emoji), mixed scripts, separators at the edges, the
 * 80-character cut at a word boundary, small buffers and the random suffix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "khedma/slug.h"

/* The slug of title in a static buffer (tests compare it at once). */
static const char *slug(const char *title)
{
    static char buf[SLUG_BUF_LEN];
    size_t len = slug_from_title(title, buf, sizeof buf);
    assert_int_equal(len, strlen(buf));
    return buf;
}

/* Every slug is [a-z0-9-], never empty, never starts or ends with '-', never has "--". */
static void assert_slug_shape(const char *s)
{
    size_t len = strlen(s);
    assert_true(len > 0);
    assert_true(s[0] != '-' && s[len - 1] != '-');
    assert_null(strstr(s, "--"));
    assert_int_equal(strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-"), len);
}

static void test_ascii_title(void **state)
{
    assert_string_equal(slug("I will build a modern React website"),
                        "i-will-build-a-modern-react-website");
    assert_string_equal(slug("Logo Design 2024"), "logo-design-2024");
    assert_string_equal(slug("C++ & Node.js APIs"), "c-node-js-apis");
    assert_string_equal(slug("don't stop"), "don-t-stop");
}

static void test_french_accents(void **state)
{
    assert_string_equal(slug("Café crème & Ça va"), "cafe-creme-ca-va");
    assert_string_equal(slug("À la maîtrise de l'été"), "a-la-maitrise-de-l-ete");
    assert_string_equal(slug("Cœur ŒUVRE Æsthetic"), "coeur-oeuvre-aesthetic");
    assert_string_equal(slug("Noël, naïve, où, hôtel, déjà"), "noel-naive-ou-hotel-deja");
    assert_string_equal(slug("ÀÁÂÃÄÅĀ àáâãäåā"), "aaaaaaa-aaaaaaa");
    assert_string_equal(slug("ÇÉÈÊË çéèêë"), "ceeee-ceeee");
    assert_string_equal(slug("ÎÏÍÌ îïíì Ññ"), "iiii-iiii-nn");
    assert_string_equal(slug("ÔÖÓÒÕØ ôöóòõø"), "oooooo-oooooo");
    assert_string_equal(slug("ÙÚÛÜ ùúûü Ýýÿ"), "uuuu-uuuu-yyy");
}

static void test_other_latin(void **state)
{
    assert_string_equal(slug("Straße"), "strasse");
    assert_string_equal(slug("Łódź Kraków"), "lodz-krakow");
    assert_string_equal(slug("Český Krumlov"), "cesky-krumlov");
    assert_string_equal(slug("İstanbul Ğ ş"), "istanbul-g-s");
    assert_string_equal(slug("Þór Ðóra"), "thor-dora");
    assert_string_equal(slug("Timișoara Țară"), "timisoara-tara");
    /* Decomposed accents (e + U+0301) read like the precomposed letter. */
    assert_string_equal(slug("Cafe\xcc\x81 cre\xcc\x80me"), "cafe-creme");
    /* The multiplication sign is punctuation, not a letter. */
    assert_string_equal(slug("3×4 ÷ 2"), "3-4-2");
}

static void test_edges_trimmed(void **state)
{
    assert_string_equal(slug("  --Hello__World--  "), "hello-world");
    assert_string_equal(slug("!!!a!!!"), "a");
    assert_string_equal(slug("a - b -- c"), "a-b-c");
}

static void test_no_latin_gives_gig(void **state)
{
    assert_string_equal(slug("تصميم شعار"), "gig");
    assert_string_equal(slug("😀🎉"), "gig");
    assert_string_equal(slug("   "), "gig");
    assert_string_equal(slug(""), "gig");
    assert_string_equal(slug(NULL), "gig");
    assert_string_equal(slug("--__--"), "gig");
    assert_string_equal(slug("Ελληνικά кириллица"), "gig");
}

static void test_mixed_scripts_keep_latin(void **state)
{
    assert_string_equal(slug("تصميم شعار Logo Design"), "logo-design");
    assert_string_equal(slug("Logo تصميم Design"), "logo-design");
    assert_string_equal(slug("Site web 🚀 rapide"), "site-web-rapide");
    assert_string_equal(slug("شعار 3D"), "3d");
}

static void test_invalid_utf8_separates(void **state)
{
    assert_string_equal(slug("ab\xff"
                             "cd"),
                        "ab-cd");
    assert_string_equal(slug("ab\xc3"), "ab");
    assert_string_equal(slug("\xed\xa0\x80x"), "x"); /* a surrogate is not a letter */
}

static void test_long_title_cut_at_word(void **state)
{
    /* 16 words of "abcd" = 79 characters with dashes; one more word passes 80. */
    char title[256] = "";
    for (int i = 0; i < 17; i++)
        strcat(title, "abcd ");
    const char *s = slug(title);
    assert_int_equal(strlen(s), 79);
    assert_slug_shape(s);
    assert_string_equal(s + 75, "abcd");

    /* A word ending exactly at character 80 is kept whole. */
    char exact[256];
    memset(exact, 'x', 80);
    strcpy(exact + 80, " more words");
    s = slug(exact);
    assert_int_equal(strlen(s), 80);

    /* "a " + 85 x: the long word does not fit, the cut falls back to "a". */
    char word[256] = "a ";
    memset(word + 2, 'x', 85);
    word[87] = '\0';
    assert_string_equal(slug(word), "a");
}

static void test_long_single_word_hard_cut(void **state)
{
    char title[200];
    memset(title, 'q', 150);
    title[150] = '\0';
    const char *s = slug(title);
    assert_int_equal(strlen(s), SLUG_MAX);
    assert_slug_shape(s);
}

static void test_long_accented_title(void **state)
{
    /* Multi-letter transliterations count as the letters they produce. */
    char title[512] = "";
    for (int i = 0; i < 30; i++)
        strcat(title, "Œß ");
    const char *s = slug(title);
    assert_true(strlen(s) <= SLUG_MAX);
    assert_slug_shape(s);
    assert_int_equal(strncmp(s, "oess-oess-", 10), 0);
    assert_int_equal(strlen(s) % 5, 4); /* whole "oess" words only */
}

static void test_small_buffers(void **state)
{
    char buf[8];
    assert_int_equal(slug_from_title("hello world", buf, sizeof buf), 5);
    assert_string_equal(buf, "hello");
    assert_int_equal(slug_from_title("تصميم", buf, 4), 3);
    assert_string_equal(buf, "gig");
    assert_int_equal(slug_from_title("تصميم", buf, 3), 0);
    assert_string_equal(buf, "");
    assert_int_equal(slug_from_title("abc", buf, 0), 0);
}

static void test_suffix_format(void **state)
{
    char out[SLUG_BUF_LEN];
    assert_true(slug_with_suffix("logo-design", out, sizeof out));
    assert_int_equal(strlen(out), strlen("logo-design") + SLUG_SUFFIX_LEN);
    assert_int_equal(strncmp(out, "logo-design-", 12), 0);
    assert_int_equal(strspn(out + 12, "abcdefghijklmnopqrstuvwxyz0123456789"), 5);

    /* The longest base slug still fits a SLUG_BUF_LEN buffer. */
    char base[SLUG_MAX + 1];
    memset(base, 'b', SLUG_MAX);
    base[SLUG_MAX] = '\0';
    assert_true(slug_with_suffix(base, out, sizeof out));
    assert_int_equal(strlen(out), SLUG_MAX + SLUG_SUFFIX_LEN);

    /* In place, and too small. */
    strcpy(out, "gig");
    assert_true(slug_with_suffix(out, out, sizeof out));
    assert_int_equal(strncmp(out, "gig-", 4), 0);
    /* "gig-xxxxx" is 9 characters: 10 bytes fit it, 9 do not. */
    char tiny[10];
    assert_true(slug_with_suffix("gig", tiny, 10));
    assert_int_equal(strlen(tiny), 9);
    assert_false(slug_with_suffix("gig", tiny, 9));
    assert_string_equal(tiny, "");
}

static void test_suffix_varies(void **state)
{
    /* 36^5 possibilities: 20 draws colliding twice in a row would mean no randomness at all. */
    char first[SLUG_BUF_LEN], next[SLUG_BUF_LEN];
    assert_true(slug_with_suffix("gig", first, sizeof first));
    int same = 0;
    for (int i = 0; i < 20; i++) {
        assert_true(slug_with_suffix("gig", next, sizeof next));
        same += strcmp(first, next) == 0;
    }
    assert_true(same < 2);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_title),
        cmocka_unit_test(test_french_accents),
        cmocka_unit_test(test_other_latin),
        cmocka_unit_test(test_edges_trimmed),
        cmocka_unit_test(test_no_latin_gives_gig),
        cmocka_unit_test(test_mixed_scripts_keep_latin),
        cmocka_unit_test(test_invalid_utf8_separates),
        cmocka_unit_test(test_long_title_cut_at_word),
        cmocka_unit_test(test_long_single_word_hard_cut),
        cmocka_unit_test(test_long_accented_title),
        cmocka_unit_test(test_small_buffers),
        cmocka_unit_test(test_suffix_format),
        cmocka_unit_test(test_suffix_varies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
