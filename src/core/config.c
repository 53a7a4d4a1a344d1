/*
 * config.c - reads the KHEDMA_* environment once at start (docs/api.md, "Environment variables"),
 * applies the defaults, and rejects bad values with a message naming the variable, so a typo stops
 * the server at boot instead of surfacing later as a confusing runtime failure. An empty variable
 * counts as unset. Values that may be secret (keys, the database URL) are never echoed back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "khedma/config.h"
#include "khedma/log.h"
#include "khedma/peers.h"
#include "khedma/metrics_allow.h"
#include "khedma/percent.h"

#ifdef KHEDMA_DATADIR
#define DEFAULT_SQL_DIR KHEDMA_DATADIR /* make install puts migrations/ and seed/ there */
#else
#define DEFAULT_SQL_DIR "sql"
#endif

#define DEFAULT_LISTEN "var/run/khedmad.sock"
#define DEFAULT_UPLOAD_DIR "var/uploads"
#define DEFAULT_YOUCANPAY_API "https://youcanpay.com/sandbox/api"
#define DEFAULT_PAYTABS_API "https://secure.paytabs.com"
#define DEFAULT_APPLE_BUNDLE_ID "ma.khedma.app"

const struct config *g_config;

/* What one config_load() call works with. */
struct loader {
    struct config *c;
    config_getenv_fn get;
    char *errbuf;
    size_t errlen;
};

static int fail(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct loader *ld, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ld->errbuf && ld->errlen > 0)
        vsnprintf(ld->errbuf, ld->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *env(struct loader *ld, const char *name)
{
    const char *v = ld->get(name);
    return v && *v ? v : NULL;
}

/* getenv returns char *; config_getenv_fn returns const char *, so it needs this adapter. */
static const char *process_getenv(const char *name)
{
    return getenv(name);
}

/* Strict decimal integer: digits only (an optional '-'), nothing around them, within lo..hi. */
static bool parse_long(const char *s, long lo, long hi, long *out)
{
    const char *p = s + (*s == '-');
    if (*p < '0' || *p > '9')
        return false;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int load_long(struct loader *ld, const char *name, long lo, long hi, long dflt, long *out)
{
    const char *v = env(ld, name);
    *out = dflt;
    if (v && !parse_long(v, lo, hi, out))
        return fail(ld, "%s: must be an integer from %ld to %ld, got \"%s\"", name, lo, hi, v);
    return 0;
}

/* Copies the variable (or the default, which may be NULL) into *dst. */
static int load_string(struct loader *ld, const char *name, const char *dflt, char **dst)
{
    const char *v = env(ld, name);
    if (!v)
        v = dflt;
    if (!v)
        return 0;
    *dst = strdup(v);
    return *dst ? 0 : fail(ld, "%s: out of memory", name);
}

/* Accepts only one of the NULL-terminated choices. */
static int load_choice(struct loader *ld, const char *name, const char *const *choices, char **dst)
{
    if (load_string(ld, name, choices[0], dst) < 0)
        return -1;
    for (const char *const *ch = choices; *ch; ch++) {
        if (strcmp(*dst, *ch) == 0)
            return 0;
    }
    return fail(ld, "%s: must be %s or %s, got \"%s\"", name, choices[0], choices[1], *dst);
}

static bool is_http_url(const char *s)
{
    size_t skip = 0;
    if (strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else if (strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    return skip > 0 && s[skip] != '\0' && s[skip] != '/' && !strpbrk(s, " \t\r\n");
}

/* A base URL: http(s) with a host, stored without trailing slashes so callers can append
 * "/path" without doubling them. */
static int load_url(struct loader *ld, const char *name, const char *dflt, char **dst)
{
    if (load_string(ld, name, dflt, dst) < 0)
        return -1;
    if (!*dst)
        return 0; /* unset, and optional */
    size_t n = strlen(*dst);
    while (n > 0 && (*dst)[n - 1] == '/')
        (*dst)[--n] = '\0';
    if (!is_http_url(*dst))
        return fail(ld, "%s: must be an http:// or https:// URL with a host, got \"%s\"", name,
                    *dst);
    return 0;
}

static int load_numbers(struct loader *ld)
{
    struct config *c = ld->c;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long v;
    if (load_long(ld, "KHEDMA_PORT", 1, 65535, 8080, &v) < 0)
        return -1;
    c->port = (int)v;
    if (load_long(ld, "KHEDMA_WORKERS", 1, 1024, cpus > 0 ? cpus : 1, &v) < 0)
        return -1;
    c->workers = (int)v;
    if (load_long(ld, "KHEDMA_MAX_REQUESTS", 0, 2147483647L, 0, &v) < 0)
        return -1;
    c->max_requests = (int)v;
    if (load_long(ld, "KHEDMA_PUBLIC_CACHE_S", 0, 3600, 1, &v) < 0)
        return -1;
    c->public_cache_s = (int)v;
    if (load_long(ld, "KHEDMA_VAT_RATE", 0, 100, 20, &c->vat_rate) < 0)
        return -1;
    return load_long(ld, "KHEDMA_GATEWAY_TIMEOUT_MS", 1, 600000, 10000, &c->gateway_timeout_ms);
}

static int load_flag(struct loader *ld, const char *name, bool *out)
{
    const char *v = env(ld, name);
    *out = false;
    if (!v || strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
        return 0;
    if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
        *out = true;
        return 0;
    }
    return fail(ld, "%s: must be 0 or 1, got \"%s\"", name, v);
}

/* "<base>/api" becomes "<base>/payment-form"; any other API base gets "/payment-form" added. */
static int derive_payment_form(struct loader *ld)
{
    const char *api = ld->c->youcanpay_api;
    size_t n = strlen(api);
    if (n >= 4 && strcmp(api + n - 4, "/api") == 0)
        n -= 4;
    char *form = malloc(n + sizeof "/payment-form");
    if (!form)
        return fail(ld, "KHEDMA_YOUCANPAY_PAYMENT_FORM: out of memory");
    memcpy(form, api, n);
    strcpy(form + n, "/payment-form");
    ld->c->youcanpay_payment_form = form;
    return 0;
}

static int load_urls(struct loader *ld)
{
    struct config *c = ld->c;
    char public_default[64];
    snprintf(public_default, sizeof public_default, "http://127.0.0.1:%d", c->port);
    if (load_url(ld, "KHEDMA_PUBLIC_URL", public_default, &c->public_url) < 0)
        return -1;
    c->secure_cookies = strncasecmp(c->public_url, "https://", 8) == 0;
    if (load_url(ld, "KHEDMA_YOUCANPAY_API", DEFAULT_YOUCANPAY_API, &c->youcanpay_api) < 0 ||
        load_url(ld, "KHEDMA_YOUCANPAY_PAYMENT_FORM", NULL, &c->youcanpay_payment_form) < 0 ||
        load_url(ld, "KHEDMA_PAYTABS_API", DEFAULT_PAYTABS_API, &c->paytabs_api) < 0)
        return -1;
    if (!c->youcanpay_payment_form && derive_payment_form(ld) < 0)
        return -1;
    return 0;
}

static int load_strings(struct loader *ld)
{
    struct config *c = ld->c;
    static const char *const gateways[] = {"youcanpay", "paytabs", NULL};
    static const char *const transformers[] = {"none", "superjson", NULL};
    if (load_string(ld, "KHEDMA_LISTEN", DEFAULT_LISTEN, &c->listen) < 0 ||
        load_string(ld, "KHEDMA_ALLOWED_ORIGINS", "", &c->allowed_origins) < 0 ||
        load_choice(ld, "KHEDMA_CARD_GATEWAY", gateways, &c->card_gateway) < 0 ||
        load_choice(ld, "KHEDMA_TRPC_TRANSFORMER", transformers, &c->trpc_transformer) < 0 ||
        load_string(ld, "KHEDMA_YOUCANPAY_PRIVATE_KEY", NULL, &c->youcanpay_private_key) < 0 ||
        load_string(ld, "KHEDMA_YOUCANPAY_PUBLIC_KEY", NULL, &c->youcanpay_public_key) < 0 ||
        load_string(ld, "KHEDMA_PAYTABS_PROFILE_ID", NULL, &c->paytabs_profile_id) < 0 ||
        load_string(ld, "KHEDMA_PAYTABS_SERVER_KEY", NULL, &c->paytabs_server_key) < 0 ||
        load_string(ld, "KHEDMA_WEBHOOK_SECRET", NULL, &c->webhook_secret) < 0 ||
        load_string(ld, "KHEDMA_SQL_DIR", DEFAULT_SQL_DIR, &c->sql_dir) < 0 ||
        load_string(ld, "KHEDMA_LOG_LEVEL", "info", &c->log_level) < 0 ||
        load_string(ld, "KHEDMA_UPLOAD_DIR", DEFAULT_UPLOAD_DIR, &c->upload_dir) < 0)
        return -1;
    enum log_level level;
    if (!log_level_from_name(c->log_level, &level))
        return fail(ld, "KHEDMA_LOG_LEVEL: must be debug, info, warn or error, got \"%s\"",
                    c->log_level);
    return load_flag(ld, "KHEDMA_WEBHOOK_ALLOW_PRIVATE", &c->webhook_allow_private);
}

/* App Store in-app purchases: without a root every Apple endpoint answers 503. Sandbox is the
 * default environment so a development stack accepts the emulator's and TestFlight's
 * transactions; production sets Production. */
static int load_apple(struct loader *ld)
{
    struct config *c = ld->c;
    static const char *const environments[] = {"Sandbox", "Production", NULL};
    if (load_string(ld, "KHEDMA_APPLE_ROOT_CA", NULL, &c->apple_root_ca) < 0 ||
        load_string(ld, "KHEDMA_APPLE_BUNDLE_ID", DEFAULT_APPLE_BUNDLE_ID, &c->apple_bundle_id) < 0)
        return -1;
    return load_choice(ld, "KHEDMA_APPLE_ENVIRONMENT", environments, &c->apple_environment);
}

/* The URL carries a password: the message says what is wrong, never the URL itself. */
static int load_database(struct loader *ld)
{
    struct config *c = ld->c;
    if (load_string(ld, "KHEDMA_DATABASE_URL", NULL, &c->database_url) < 0)
        return -1;
    if (!c->database_url)
        return 0; /* optional here; the server and migrate check before connecting */
    char why[160];
    if (config_db_url_parse(c->database_url, &c->db, why, sizeof why) < 0)
        return fail(ld, "KHEDMA_DATABASE_URL: %s", why);
    return 0;
}

/* The list is checked here so a typo stops every command at once; whether a listener needs it
 * is decided when the server opens its socket (peers_apply). */
static int load_peers(struct loader *ld)
{
    struct config *c = ld->c;
    if (load_string(ld, "KHEDMA_TRUSTED_PEERS", NULL, &c->trusted_peers) < 0)
        return -1;
    if (!c->trusted_peers)
        return 0;
    char list[PEERS_LIST_MAX], why[160];
    if (peers_list_normalize(c->trusted_peers, list, sizeof list, why, sizeof why) < 0)
        return fail(ld, "KHEDMA_TRUSTED_PEERS: %s", why);
    free(c->trusted_peers);
    c->trusted_peers = strdup(list);
    return c->trusted_peers ? 0 : fail(ld, "KHEDMA_TRUSTED_PEERS: out of memory");
}

/* --- KHEDMA_DATABASE_URL --- */

static int url_error(char *errbuf, size_t errlen, const char *what)
{
    if (errbuf && errlen > 0)
        snprintf(errbuf, errlen, "%s", what);
    return -1;
}

/* user[:password] */
static int parse_userinfo(const char *s, size_t n, struct db_url *out, char *errbuf, size_t errlen)
{
    const char *colon = memchr(s, ':', n);
    size_t user_len = colon ? (size_t)(colon - s) : n;
    if (user_len == 0)
        return url_error(errbuf, errlen, "missing user name");
    out->user = percent_decode(s, user_len, false, NULL);
    out->password = colon ? percent_decode(colon + 1, n - user_len - 1, false, NULL) : strdup("");
    if (!out->user || !out->password)
        return url_error(errbuf, errlen, "bad percent-encoding in user or password");
    return 0;
}

/* host[:port] or [ipv6][:port]; an empty host is allowed here and checked by the caller. */
static int parse_hostport(const char *s, size_t n, struct db_url *out, char *errbuf, size_t errlen)
{
    const char *host = s, *after;
    size_t host_len;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return url_error(errbuf, errlen, "unterminated [ in host");
        host = s + 1;
        host_len = (size_t)(close - host);
        after = close + 1;
    } else {
        const char *colon = memchr(s, ':', n);
        host_len = colon ? (size_t)(colon - s) : n;
        after = s + host_len;
    }
    size_t rest = n - (size_t)(after - s);
    if (rest > 0) {
        char port[8] = "";
        long v = 0;
        if (after[0] != ':' || rest - 1 >= sizeof port)
            return url_error(errbuf, errlen, "bad port");
        memcpy(port, after + 1, rest - 1);
        if (!parse_long(port, 1, 65535, &v) || port[0] == '-')
            return url_error(errbuf, errlen, "port must be a number from 1 to 65535");
        out->port = (unsigned int)v;
    }
    out->host = percent_decode(host, host_len, false, NULL);
    return out->host ? 0 : url_error(errbuf, errlen, "bad percent-encoding in host");
}

/* name=value pairs joined by '&'; only socket= is known, and unknown ones are refused so a
 * typo is not silently ignored. */
static int parse_query(const char *q, struct db_url *out, char *errbuf, size_t errlen)
{
    while (*q) {
        size_t len = strcspn(q, "&");
        if (len > 7 && strncmp(q, "socket=", 7) == 0 && !out->socket) {
            out->socket = percent_decode(q + 7, len - 7, false, NULL);
            if (!out->socket)
                return url_error(errbuf, errlen, "bad percent-encoding in socket");
        } else if (len > 0) {
            return url_error(errbuf, errlen, "unknown or repeated parameter (only socket=)");
        }
        q += len + (q[len] == '&');
    }
    return 0;
}

/* The authority ends at the last '@' before the path, so an unencoded '@' in a password still
 * parses; other reserved characters in a password must be percent-encoded. */
static int parse_url_parts(const char *rest, struct db_url *out, char *errbuf, size_t errlen)
{
    const char *query = strchr(rest, '?');
    size_t main_len = query ? (size_t)(query - rest) : strlen(rest);
    const char *at = NULL;
    for (const char *p = rest; p < rest + main_len; p++) {
        if (*p == '@')
            at = p;
    }
    if (!at)
        return url_error(errbuf, errlen, "missing user@ before the host");
    if (parse_userinfo(rest, (size_t)(at - rest), out, errbuf, errlen) < 0)
        return -1;
    const char *hostpart = at + 1;
    const char *slash = memchr(hostpart, '/', main_len - (size_t)(hostpart - rest));
    if (!slash || slash + 1 == rest + main_len)
        return url_error(errbuf, errlen, "missing database name");
    if (parse_hostport(hostpart, (size_t)(slash - hostpart), out, errbuf, errlen) < 0)
        return -1;
    size_t db_len = main_len - (size_t)(slash + 1 - rest);
    if (memchr(slash + 1, '/', db_len))
        return url_error(errbuf, errlen, "database name must not contain '/'");
    out->database = percent_decode(slash + 1, db_len, false, NULL);
    if (!out->database)
        return url_error(errbuf, errlen, "bad percent-encoding in database name");
    return query ? parse_query(query + 1, out, errbuf, errlen) : 0;
}

int config_db_url_parse(const char *url, struct db_url *out, char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!url || strncasecmp(url, "mysql://", 8) != 0)
        return url_error(errbuf, errlen, "must start with mysql://");
    if (parse_url_parts(url + 8, out, errbuf, errlen) < 0) {
        config_db_url_free(out);
        return -1;
    }
    if (out->host[0] == '\0') {
        if (!out->socket) {
            config_db_url_free(out);
            return url_error(errbuf, errlen, "missing host");
        }
        free(out->host);
        out->host = strdup("localhost"); /* how libmysqlclient is told to use the socket */
        if (!out->host) {
            config_db_url_free(out);
            return url_error(errbuf, errlen, "out of memory");
        }
    }
    return 0;
}

void config_db_url_free(struct db_url *u)
{
    free(u->user);
    free(u->password);
    free(u->host);
    free(u->database);
    free(u->socket);
    memset(u, 0, sizeof *u);
}

/* KHEDMA_METRICS_ALLOW: a list that does not parse is refused at start rather than leaving
 * /metrics open to no one (or to everyone) by surprise. */
static int load_metrics(struct loader *ld)
{
    struct config *c = ld->c;
    if (load_string(ld, "KHEDMA_METRICS_ALLOW", METRICS_ALLOW_DEFAULT, &c->metrics_allow) < 0)
        return -1;
    struct metrics_allow list;
    if (metrics_allow_parse(c->metrics_allow, &list) != 0)
        return fail(ld, "KHEDMA_METRICS_ALLOW must be a comma list of IP addresses or CIDRs");
    return 0;
}

/* --- loading --- */

int config_load(struct config *c, config_getenv_fn get, char *errbuf, size_t errlen)
{
    struct loader ld = {c, get ? get : process_getenv, errbuf, errlen};
    memset(c, 0, sizeof *c);
    if (errbuf && errlen > 0)
        errbuf[0] = '\0';
    if (load_numbers(&ld) < 0 || load_urls(&ld) < 0 || load_strings(&ld) < 0 ||
        load_apple(&ld) < 0 || load_database(&ld) < 0 || load_peers(&ld) < 0 ||
        load_metrics(&ld) < 0 || load_string(&ld, "KHEDMA_USER", NULL, &c->user) < 0) {
        config_free(c);
        return -1;
    }
    g_config = c;
    return 0;
}

void config_free(struct config *c)
{
    char **strings[] = {
        &c->listen,
        &c->database_url,
        &c->public_url,
        &c->allowed_origins,
        &c->card_gateway,
        &c->youcanpay_api,
        &c->youcanpay_payment_form,
        &c->youcanpay_private_key,
        &c->youcanpay_public_key,
        &c->paytabs_api,
        &c->paytabs_profile_id,
        &c->paytabs_server_key,
        &c->webhook_secret,
        &c->trpc_transformer,
        &c->sql_dir,
        &c->log_level,
        &c->upload_dir,
        &c->apple_root_ca,
        &c->apple_bundle_id,
        &c->apple_environment,
        &c->trusted_peers,
        &c->metrics_allow,
        &c->user,
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        /* cppcheck-suppress shadowVariable ; free(*strings[i]) misread as a declaration */
        free(*strings[i]);
        *strings[i] = NULL;
    }
    config_db_url_free(&c->db);
    if (g_config == c)
        g_config = NULL;
}
