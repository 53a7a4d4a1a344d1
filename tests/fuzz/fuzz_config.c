/*
 * fuzz_config.c - the configuration parser (config.c): the first line is parsed as a
 * KHEDMA_DATABASE_URL on its own, and all lines, "NAME=value" each, are the environment
 * config_load() reads through its lookup function. Checks that an accepted database URL has a
 * user, a host and a database, and that an accepted configuration has its defaults filled.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/config.h"
#include "fuzz.h"

#define MAX_VARS 32

static char *names[MAX_VARS];
static char *values[MAX_VARS];
static size_t nvars;

/* The first definition of a name wins, as in a real environment with no duplicates. */
static const char *lookup(const char *name)
{
    for (size_t i = 0; i < nvars; i++)
        if (strcmp(names[i], name) == 0)
            return values[i];
    return NULL;
}

static void split_env(char *text)
{
    nvars = 0;
    for (char *line = text; line && nvars < MAX_VARS;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *eq = strchr(line, '=');
        if (eq) {
            *eq = '\0';
            names[nvars] = line;
            values[nvars++] = eq + 1;
        }
        line = nl ? nl + 1 : NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *rest;
    size_t rest_len;
    char *url = fz_head(data, size, &rest, &rest_len);
    struct db_url u;
    char why[160];
    if (config_db_url_parse(url, &u, why, sizeof why) == 0) {
        FZ_CHECK(u.user && u.host && u.database && u.password);
        config_db_url_free(&u);
    } else {
        FZ_CHECK(why[0] != '\0');
    }
    free(url);

    char *text = fz_dup(data, size);
    split_env(text);
    struct config c;
    if (config_load(&c, lookup, why, sizeof why) == 0) {
        FZ_CHECK(c.port >= 1 && c.port <= 65535 && c.workers >= 1);
        FZ_CHECK(c.public_url && c.youcanpay_api && c.youcanpay_payment_form && c.paytabs_api);
        FZ_CHECK(c.listen && c.card_gateway && c.trpc_transformer && c.log_level);
        config_free(&c);
    } else {
        FZ_CHECK(why[0] != '\0');
    }
    free(text);
    return 0;
}
