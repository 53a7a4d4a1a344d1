/*
 * jobs_clock.c - the clock and the schedule the jobs share (see jobs_clock.h).
 *
 * The test clock exists so that the integration tests can see a delivery auto-complete after
 * three days or a checkout expire after 24 hours without waiting: `khedmad jobs-once` run with
 * KHEDMA_TEST_CLOCK_FILE pointing at a file holding "259300" behaves as if it ran three days
 * later. The file is re-read at every tick so a running jobs process follows it too. Production
 * never sets the variable; the offset is then 0 and "now" is the database's UTC_TIMESTAMP(3).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/jobs_clock.h"
#include "khedma/log.h"

#define OFFSET_MAX (10LL * 366 * 24 * 3600)
#define CHECK_DELAY_FIRST_S 60L
#define CHECK_DELAY_MAX_S 7200L

bool jobs_clock_parse_offset(const char *text, long long *out)
{
    if (!text)
        return false;
    while (isspace((unsigned char)*text))
        text++;
    if (!*text)
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || !isdigit((unsigned char)end[-1]))
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end || v > OFFSET_MAX || v < -OFFSET_MAX)
        return false;
    *out = v;
    return true;
}

void jobs_clock_read(struct jobs_clock *clock)
{
    clock->offset_s = 0;
    clock->tick_ms = 0;
    const char *path = getenv("KHEDMA_TEST_CLOCK_FILE");
    if (!path || !*path)
        return;
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    bool missing = !f && errno == ENOENT; /* no file yet: no offset, nothing to warn about */
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    long long v;
    if (n > 0 && jobs_clock_parse_offset(buf, &v))
        clock->offset_s = v;
    else if (!missing)
        log_warn("KHEDMA_TEST_CLOCK_FILE %s: not a number of seconds; using offset 0", path);
}

long jobs_clock_check_delay(int checks)
{
    if (checks < 0)
        checks = 0;
    long delay = CHECK_DELAY_FIRST_S;
    for (int i = 0; i < checks && delay < CHECK_DELAY_MAX_S; i++)
        delay *= 2;
    return delay < CHECK_DELAY_MAX_S ? delay : CHECK_DELAY_MAX_S;
}
