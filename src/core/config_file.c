/*
 * config_file.c - reads the optional KEY=value configuration file (see config_file.h).
 *
 * The format, kept small on purpose so it needs no documentation beyond docs/api.md:
 *   - one setting per line: KHEDMA_NAME=value; blank lines and lines starting with '#' (after
 *     spaces) are ignored; there is no `export` and no continuation line;
 *   - spaces around the name and the value are dropped; a value may be enclosed in one pair of
 *     double or single quotes (kept literally inside, no escapes), which is how a value keeps
 *     leading or trailing spaces or a leading '#'; a '#' elsewhere is part of the value;
 *   - only KHEDMA_* names; any other name, a line without '=', an unterminated quote or a name
 *     given twice is refused with its line number, so a typo never passes silently.
 * Messages name the file and the line, never a value: the file holds secrets.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "khedma/config.h"
#include "khedma/config_file.h"
#include "khedma/kv_list.h"

#define FILE_MAX (64 * 1024)
#define PREFIX "KHEDMA_"

static struct kv_list settings;

void config_file_clear(void)
{
    kv_list_free(&settings);
    memset(&settings, 0, sizeof settings);
}

const char *config_file_get(const char *name)
{
    return kv_list_get(&settings, name);
}

const char *config_file_lookup(const char *name)
{
    const char *v = getenv(name);
    if (v && *v)
        return v;
    return config_file_get(name);
}

void config_file_export(void)
{
    for (size_t i = 0; i < settings.len; i++) {
        const char *env = getenv(settings.items[i].key);
        if (!env || !*env)
            setenv(settings.items[i].key, settings.items[i].value, 1);
    }
}

static int line_error(char *errbuf, size_t errlen, const char *name, int line, const char *why)
{
    if (errbuf && errlen > 0)
        snprintf(errbuf, errlen, "%s line %d: %s", name, line, why);
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static bool name_valid(const char *k)
{
    if (strncmp(k, PREFIX, sizeof PREFIX - 1) != 0 || !k[sizeof PREFIX - 1])
        return false;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

/* Strip one pair of matching quotes; -1 when a quote is opened and not closed. */
static int unquote(char **value)
{
    char *v = *value;
    if (v[0] != '"' && v[0] != '\'')
        return 0;
    size_t n = strlen(v);
    if (n < 2 || v[n - 1] != v[0])
        return -1;
    v[n - 1] = '\0';
    *value = v + 1;
    return 0;
}

/* One line (NUL-terminated, modified in place). */
static int parse_line(const char *name, int lineno, char *line, char *errbuf, size_t errlen)
{
    char *s = trim(line);
    if (!*s || *s == '#')
        return 0;
    char *eq = strchr(s, '=');
    if (!eq)
        return line_error(errbuf, errlen, name, lineno, "expected KHEDMA_NAME=value");
    *eq = '\0';
    char *key = trim(s);
    char *value = trim(eq + 1);
    if (!name_valid(key))
        return line_error(errbuf, errlen, name, lineno,
                          "only KHEDMA_* names (capital letters, digits, '_') are allowed");
    if (unquote(&value) < 0)
        return line_error(errbuf, errlen, name, lineno, "unterminated quote");
    if (kv_list_get(&settings, key))
        return line_error(errbuf, errlen, name, lineno, "the name is set twice");
    kv_list_add(&settings, key, value);
    return 0;
}

int config_file_parse(const char *name, const char *text, char *errbuf, size_t errlen)
{
    config_file_clear();
    char *copy = strdup(text);
    if (!copy)
        return line_error(errbuf, errlen, name, 0, "out of memory");
    int lineno = 0, rc = 0;
    for (char *line = copy; line && rc == 0;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        if (strlen(line) > 4096)
            rc = line_error(errbuf, errlen, name, lineno, "line too long");
        else
            rc = parse_line(name, lineno, line, errbuf, errlen);
        line = nl ? nl + 1 : NULL;
    }
    free(copy);
    if (rc != 0)
        config_file_clear();
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A database URL holds a secret when it carries a password. */
static bool url_has_password(const char *url)
{
    struct db_url u;
    if (config_db_url_parse(url, &u, NULL, 0) < 0)
        return true; /* unparseable: assume the worst, config_load reports the error */
    bool secret = u.password && u.password[0];
    config_db_url_free(&u);
    return secret;
}

bool config_file_has_secret(void)
{
    for (size_t i = 0; i < settings.len; i++) {
        const char *k = settings.items[i].key, *v = settings.items[i].value;
        if (!*v)
            continue;
        if (strcmp(k, "KHEDMA_DATABASE_URL") == 0
                ? url_has_password(v)
                : ends_with(k, "_PRIVATE_KEY") || ends_with(k, "_SERVER_KEY") ||
                      ends_with(k, "_SECRET") || ends_with(k, "_PASSWORD"))
            return true;
    }
    return false;
}

static int file_error(char *errbuf, size_t errlen, const char *path, const char *why)
{
    if (errbuf && errlen > 0)
        snprintf(errbuf, errlen, "%s: %s", path, why);
    return -1;
}

/* The whole file as a string, at most FILE_MAX bytes; NULL with errno set. */
static char *slurp(FILE *f)
{
    char *buf = malloc(FILE_MAX + 1);
    if (!buf)
        return NULL;
    size_t n = fread(buf, 1, FILE_MAX + 1, f);
    if (n > FILE_MAX || ferror(f)) {
        free(buf);
        errno = n > FILE_MAX ? EFBIG : EIO;
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

int config_file_load(const char *path, bool required, char *errbuf, size_t errlen)
{
    config_file_clear();
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT && !required)
            return 0;
        return file_error(errbuf, errlen, path, strerror(errno));
    }
    struct stat st;
    char *text = fstat(fileno(f), &st) == 0 ? slurp(f) : NULL;
    int saved = errno;
    fclose(f);
    if (!text)
        return file_error(errbuf, errlen, path, strerror(saved));
    int rc = config_file_parse(path, text, errbuf, errlen);
    free(text);
    if (rc == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) && config_file_has_secret()) {
        config_file_clear();
        return file_error(errbuf, errlen, path,
                          "holds a secret but group or others may read it; run chmod 600 on it");
    }
    return rc;
}

const char *config_file_path(char *buf, size_t len, bool *required)
{
    const char *explicit = getenv("KHEDMA_CONFIG");
    *required = explicit && *explicit;
    if (*required) {
        if (strlen(explicit) >= len)
            return NULL;
        strcpy(buf, explicit);
        return buf;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    int w = snprintf(buf, len, "%s/khedma.conf", exe);
    return w > 0 && (size_t)w < len ? buf : NULL;
}
