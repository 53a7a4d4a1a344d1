/*
 * prom.h - writes the Prometheus text exposition format (version 0.0.4): HELP and TYPE lines,
 * samples with escaped label values, and histograms as cumulative _bucket{le=...}, _sum and
 * _count. Pure: it only appends to a growing buffer.
 */
#ifndef KHEDMA_PROM_H
#define KHEDMA_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct prom_buf {
    char *s; /* NUL-terminated once anything was written */
    size_t len, cap;
    bool oom; /* an append failed: the text is incomplete and must not be served */
};

struct prom_label {
    const char *name;
    const char *value;
};

void prom_buf_free(struct prom_buf *b);
/* "# HELP name help" and "# TYPE name type" (help escaped: backslash and newline). */
void prom_family(struct prom_buf *b, const char *name, const char *type, const char *help);
/* name{labels} value, the value written as an integer when it is one, else with %.17g. */
void prom_sample(struct prom_buf *b, const char *name, const struct prom_label *labels,
                 size_t nlabels, double value);
/* A label value escaped for the exposition format (\\, \" and \n) into out (always
 * NUL-terminated, cut to fit outlen). */
void prom_escape(const char *value, char *out, size_t outlen);
/* One histogram's samples: counts[i] observations fell in bucket i (upper bounds[i], non
 * cumulative), counts[nbounds] above the last bound; written cumulative with le="+Inf" last, then
 * name_sum (sum, in the histogram's unit) and name_count. labels may be empty. */
void prom_histogram(struct prom_buf *b, const char *name, const struct prom_label *labels,
                    size_t nlabels, const double *bounds, size_t nbounds, const uint64_t *counts,
                    double sum);

#endif
