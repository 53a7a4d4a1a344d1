/*
 * config.h - the server's configuration, read once from KHEDMA_* environment variables at start
 * (docs/api.md, "Environment variables"). After config_load() the struct is read-only; g_config
 * points at it.
 */
#ifndef KHEDMA_CONFIG_H
#define KHEDMA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* A parsed KHEDMA_DATABASE_URL: mysql://user:pass@host:port/db or
 * mysql://user:pass@localhost/db?socket=/path. Strings are owned by the struct. user, password,
 * host and database are percent-decoded; password is "" when the URL has none; an empty host
 * with ?socket= becomes "localhost". */
struct db_url {
    char *user;
    char *password;
    char *host;
    unsigned int port; /* 0 = default 3306 */
    char *database;
    char *socket; /* NULL unless ?socket= was given */
};

struct config {
    int port;         /* KHEDMA_PORT, 8080 */
    int workers;      /* KHEDMA_WORKERS, number of CPUs */
    int max_requests; /* KHEDMA_MAX_REQUESTS: recycle a worker after M requests, 0 = never */
    /* KHEDMA_LISTEN: unix socket path or host:port, default var/run/khedmad.sock */
    char *listen;
    char *database_url;    /* KHEDMA_DATABASE_URL (required by the server; deploy/up sets it);
                              NULL when unset, and then every db field is NULL too */
    struct db_url db;      /* parsed database_url */
    char *public_url;      /* KHEDMA_PUBLIC_URL, http://127.0.0.1:PORT */
    char *allowed_origins; /* KHEDMA_ALLOWED_ORIGINS: comma list; public_url is always allowed;
                              "" when unset */
    char *card_gateway;    /* KHEDMA_CARD_GATEWAY: youcanpay | paytabs */
    /* URLs (public_url and the gateway bases) are http(s) and kept without a trailing '/'. */
    char *youcanpay_api;          /* https://youcanpay.com/sandbox/api */
    char *youcanpay_payment_form; /* the API base with "/api" replaced by "/payment-form" */
    /* Keys and the webhook secret are NULL when unset; callers that need one check. */
    char *youcanpay_private_key;
    char *youcanpay_public_key;
    char *paytabs_api; /* https://secure.paytabs.com */
    char *paytabs_profile_id;
    char *paytabs_server_key;
    char *webhook_secret; /* KHEDMA_WEBHOOK_SECRET */
    bool webhook_allow_private;
    char *trpc_transformer;  /* none | superjson */
    long gateway_timeout_ms; /* KHEDMA_GATEWAY_TIMEOUT_MS, 10000 */
    long vat_rate;           /* KHEDMA_VAT_RATE: percent included in VIP prices, 0..100, 20 */
    int public_cache_s;      /* KHEDMA_PUBLIC_CACHE_S: how long nginx may keep a public read, 1;
                                0 = never (no X-Accel-Expires is sent) */
    bool secure_cookies;     /* public_url starts with https:// */
    char *sql_dir;           /* KHEDMA_SQL_DIR: where migrations/ and seed/ live; default
                                KHEDMA_DATADIR "/sql" (the installed copy), or "sql" */
    char *log_level;         /* KHEDMA_LOG_LEVEL: debug|info|warn|error, default info */
    char *upload_dir;        /* KHEDMA_UPLOAD_DIR: where uploaded gallery images are stored and
                                nginx serves /uploads/ from; default var/uploads */
    char *apple_root_ca;     /* KHEDMA_APPLE_ROOT_CA: PEM path of the App Store root; NULL = the
                                Apple endpoints answer 503 */
    char *apple_bundle_id;   /* KHEDMA_APPLE_BUNDLE_ID, default ma.khedma.app */
    char *apple_environment; /* KHEDMA_APPLE_ENVIRONMENT: Sandbox (default) | Production */
    char *trusted_peers;     /* KHEDMA_TRUSTED_PEERS: the IPv4 addresses allowed to connect to a
                                TCP listener, normalised to "a,b"; NULL when unset (peers.h) */
    char *metrics_allow;     /* KHEDMA_METRICS_ALLOW: who may read /metrics, a comma list of
                                addresses and CIDRs; default loopback (metrics_allow.h) */
    char *user;              /* KHEDMA_USER: who `khedmad serve` becomes when started as root;
                                NULL = khedma if it exists, else nobody; "root" keeps root
                                (privileges.h) */
};

extern const struct config *g_config;

/* Parse a database URL into out (zeroed first). Returns 0 or -1 with a message in errbuf. */
int config_db_url_parse(const char *url, struct db_url *out, char *errbuf, size_t errlen);
void config_db_url_free(struct db_url *u);

/* Fill c from a getenv-like lookup function (tests pass their own; NULL means getenv) and set
 * g_config = c. An empty variable counts as unset. Returns 0 or -1 with a message in errbuf
 * naming the bad variable (c is then left empty and g_config untouched). */
typedef const char *(*config_getenv_fn)(const char *name);
int config_load(struct config *c, config_getenv_fn get, char *errbuf, size_t errlen);
void config_free(struct config *c);

#endif
