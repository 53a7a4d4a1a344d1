/*
 * prom.c - the Prometheus text exposition format, version 0.0.4 (see prom.h). Label values are
 * escaped as the format asks (backslash, double quote, newline); every sample line ends in "\n",
 * as does the whole text.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/prom.h"

#define LABEL_VALUE_MAX 512
#define PROM_MAX_LABELS 8

static void append(struct prom_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *s2 = realloc(b->s, cap);
        if (!s2) {
            b->oom = true;
            return;
        }
        b->s = s2;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void appends(struct prom_buf *b, const char *s)
{
    append(b, s, strlen(s));
}

void prom_buf_free(struct prom_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

/* The escapes of HELP text (backslash, newline) and, with quotes, of label values. */
static void escape_into(const char *value, char *out, size_t outlen, bool quotes)
{
    size_t o = 0;
    if (outlen == 0)
        return;
    for (const char *p = value ? value : ""; *p; p++) {
        const char *rep = NULL;
        if (*p == '\\')
            rep = "\\\\";
        else if (*p == '\n')
            rep = "\\n";
        else if (*p == '"' && quotes)
            rep = "\\\"";
        size_t n = rep ? 2 : 1;
        if (o + n >= outlen)
            break;
        if (rep)
            memcpy(out + o, rep, 2);
        else
            out[o] = *p;
        o += n;
    }
    out[o] = '\0';
}

void prom_escape(const char *value, char *out, size_t outlen)
{
    escape_into(value, out, outlen, true);
}

void prom_family(struct prom_buf *b, const char *name, const char *type, const char *help)
{
    char esc[LABEL_VALUE_MAX];
    escape_into(help, esc, sizeof esc, false);
    appends(b, "# HELP ");
    appends(b, name);
    appends(b, " ");
    appends(b, esc);
    appends(b, "\n# TYPE ");
    appends(b, name);
    appends(b, " ");
    appends(b, type);
    appends(b, "\n");
}

/* The shortest %g form that reads back as the same double ("0.001", not 0.00100000000000000002),
 * as Prometheus's own clients print values and bucket bounds. */
static void format_shortest(double v, char *out, size_t outlen)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, outlen, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

/* A value or a bucket bound: whole numbers without an exponent ("10", not "1e+01", as
 * Prometheus's own clients print le="10"), the rest in their shortest form. */
static void format_number(double v, char *out, size_t outlen)
{
    if (isinf(v))
        snprintf(out, outlen, "%s", v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        snprintf(out, outlen, "NaN");
    else if (v == floor(v) && fabs(v) < 9.007199254740992e15)
        snprintf(out, outlen, "%.0f", v);
    else
        format_shortest(v, out, outlen);
}

static void write_value(struct prom_buf *b, double v)
{
    char num[40];
    format_number(v, num, sizeof num);
    appends(b, num);
}

static void write_labels(struct prom_buf *b, const struct prom_label *labels, size_t n)
{
    if (n == 0)
        return;
    appends(b, "{");
    for (size_t i = 0; i < n; i++) {
        char esc[LABEL_VALUE_MAX];
        prom_escape(labels[i].value, esc, sizeof esc);
        if (i > 0)
            appends(b, ",");
        appends(b, labels[i].name);
        appends(b, "=\"");
        appends(b, esc);
        appends(b, "\"");
    }
    appends(b, "}");
}

void prom_sample(struct prom_buf *b, const char *name, const struct prom_label *labels,
                 size_t nlabels, double value)
{
    appends(b, name);
    write_labels(b, labels, nlabels);
    appends(b, " ");
    write_value(b, value);
    appends(b, "\n");
}

void prom_histogram(struct prom_buf *b, const char *name, const struct prom_label *labels,
                    size_t nlabels, const double *bounds, size_t nbounds, const uint64_t *counts,
                    double sum)
{
    struct prom_label with_le[PROM_MAX_LABELS + 1];
    if (nlabels > PROM_MAX_LABELS)
        nlabels = PROM_MAX_LABELS;
    if (nlabels > 0) /* labels may be NULL then, and memcpy's arguments must never be */
        memcpy(with_le, labels, nlabels * sizeof *labels);
    char series[128], le[32];
    snprintf(series, sizeof series, "%s_bucket", name);
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= nbounds; i++) {
        cumulative += counts[i];
        if (i < nbounds)
            format_number(bounds[i], le, sizeof le);
        else
            snprintf(le, sizeof le, "+Inf");
        with_le[nlabels] = (struct prom_label){"le", le};
        prom_sample(b, series, with_le, nlabels + 1, (double)cumulative);
    }
    snprintf(series, sizeof series, "%s_sum", name);
    prom_sample(b, series, labels, nlabels, sum);
    snprintf(series, sizeof series, "%s_count", name);
    prom_sample(b, series, labels, nlabels, (double)cumulative);
}
