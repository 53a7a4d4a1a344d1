/*
 * supervise.c - the children's shared-memory slots and the master's replacement decisions (see
 * supervise.h).
 *
 * Why shared memory rather than a pipe from each child: the master has to learn two things about a
 * child that has just died - had it become ready, and which request was it serving - and shared
 * memory answers both with plain stores on the child's side (no file descriptor to keep open per
 * child, no write that could block or be lost in a dying process, nothing to drain in the master's
 * loop) and one read after waitpid() on the master's side, when the child can no longer change it.
 * The mapping is anonymous and made before the first fork, so every child inherits it and nothing
 * else can reach it.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "khedma/supervise.h"

struct slot {
    atomic_int ready;
    /* 1 while request_id names the request being served. Cleared before the id is rewritten and
     * set after, so the master never reads a half-written id (a child may die at any instant). */
    atomic_int busy;
    char request_id[SLOT_REQUEST_ID_MAX + 1];
};

static struct slot *slots;
static int nslots;
static struct slot *mine; /* in a child: its own slot */

int supervise_slots_init(int count)
{
    void *p = mmap(NULL, (size_t)count * sizeof(struct slot), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    slots = p;
    nslots = count;
    return 0;
}

static struct slot *slot_at(int i)
{
    return slots && i >= 0 && i < nslots ? &slots[i] : NULL;
}

void supervise_slot_reset(int i)
{
    struct slot *s = slot_at(i);
    if (!s)
        return;
    atomic_store(&s->ready, 0);
    atomic_store(&s->busy, 0);
    s->request_id[0] = '\0';
}

bool supervise_slot_was_ready(int i)
{
    struct slot *s = slot_at(i);
    return s && atomic_load(&s->ready) != 0;
}

void supervise_slot_request_in_flight(int i, char *rid)
{
    struct slot *s = slot_at(i);
    rid[0] = '\0';
    if (!s || !atomic_load(&s->busy))
        return;
    memcpy(rid, s->request_id, SLOT_REQUEST_ID_MAX);
    rid[SLOT_REQUEST_ID_MAX] = '\0';
    if (!rid[0])
        strcpy(rid, "-"); /* accepted, not parsed yet */
}

void supervise_slot_attach(int i)
{
    mine = slot_at(i);
}

void supervise_slot_mark_ready(void)
{
    if (mine)
        atomic_store(&mine->ready, 1);
}

void supervise_slot_request_begin(const char *rid)
{
    if (!mine)
        return;
    atomic_store(&mine->busy, 0);
    size_t n = rid ? strnlen(rid, SLOT_REQUEST_ID_MAX) : 0;
    memcpy(mine->request_id, rid ? rid : "", n);
    mine->request_id[n] = '\0';
    atomic_store(&mine->busy, 1);
}

void supervise_slot_request_end(void)
{
    if (mine)
        atomic_store(&mine->busy, 0);
}

/* ---- decisions ---- */

#define BACKOFF_FIRST_MS 100LL
#define BACKOFF_MAX_MS 10000LL
#define FAILURES_MAX 8

enum death_kind supervise_death_classify(bool was_ready, int wait_status)
{
    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)
        return DEATH_RETIRED;
    return was_ready ? DEATH_AFTER_READY : DEATH_START_FAILURE;
}

long long supervise_backoff_ms(int failures)
{
    if (failures <= 0)
        return 0;
    long long ms = BACKOFF_FIRST_MS << (failures > FAILURES_MAX ? FAILURES_MAX - 1 : failures - 1);
    return ms > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms;
}

void supervise_gate_note_death(struct spawn_gate *g, enum death_kind k, int target,
                               long long now_ms)
{
    if (k != DEATH_START_FAILURE) {
        /* The child got as far as serving (or finished cleanly): start-up works. */
        g->failures = 0;
        return;
    }
    if (g->failures < FAILURES_MAX)
        g->failures++;
    if (g->held < target)
        g->held++;
    g->not_before = now_ms + supervise_backoff_ms(g->failures);
}

int supervise_gate_to_start(struct spawn_gate *g, int target, int alive, long long now_ms)
{
    if (g->held > 0 && now_ms >= g->not_before)
        g->held = 0;
    int want = target - g->held - alive;
    return want > 0 ? want : 0;
}

long long supervise_gate_wait_ms(const struct spawn_gate *g, long long now_ms)
{
    if (g->held <= 0)
        return -1;
    return g->not_before > now_ms ? g->not_before - now_ms : 0;
}
