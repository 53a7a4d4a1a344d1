/*
 * supervise.h - what the master knows about its children and decides about replacing them.
 *
 * Each child gets a slot in a small shared-memory table that the master maps before its first
 * fork: the child marks the slot ready once it can serve (a worker when it enters its accept loop,
 * the jobs process when its loop starts), and a worker publishes the id of the request it is
 * serving. The master reads the slot after reaping the child, so it can tell a start-up crash loop
 * (back off) from a child that was killed or crashed while serving (replace at once, and name the
 * request in flight).
 */
#ifndef KHEDMA_SUPERVISE_H
#define KHEDMA_SUPERVISE_H

#include <stdbool.h>

#define SLOT_REQUEST_ID_MAX 64

/* ---- the shared slots ---- */

/* Master, before any fork: map `count` zeroed slots. 0, or -1 when the mapping failed. */
int supervise_slots_init(int count);
/* Master: clear slot i for a child about to be forked. */
void supervise_slot_reset(int i);
/* Master, after the child of slot i was reaped: whether it had become ready, and the request it
 * was serving ("" when none); rid has room for SLOT_REQUEST_ID_MAX + 1 bytes. */
bool supervise_slot_was_ready(int i);
void supervise_slot_request_in_flight(int i, char *rid);

/* Child: use slot i from now on (-1: no slot, every call below does nothing). */
void supervise_slot_attach(int i);
void supervise_slot_mark_ready(void);
/* Child (worker): a request was accepted / its id is known ("" before it is parsed) / it is
 * done. Plain stores to shared memory: safe anywhere, including between a crash and the exit. */
void supervise_slot_request_begin(const char *rid);
void supervise_slot_request_end(void);

/* ---- the decisions (pure) ---- */

enum death_kind {
    DEATH_RETIRED,       /* exit status 0: recycled, or stopped when asked */
    DEATH_AFTER_READY,   /* killed or crashed after it could serve: replace at once */
    DEATH_START_FAILURE, /* crashed or failed before it could serve: a crash loop, back off */
};
enum death_kind supervise_death_classify(bool was_ready, int wait_status);

/* Back-off before replacing children after `failures` start failures in a row: 0 for none, then
 * 100 ms doubling up to 10 s. */
long long supervise_backoff_ms(int failures);

/* Start failures hold back their own replacements, and only those: other deaths are replaced at
 * once even while a back-off runs, so outside kills never empty the pool. */
struct spawn_gate {
    int failures;         /* start failures in a row (reset by any other death) */
    int held;             /* replacements waiting for the back-off to end */
    long long not_before; /* when they may start (ms) */
};
/* Record a death of kind k at now_ms, for a pool of `target` children. */
void supervise_gate_note_death(struct spawn_gate *g, enum death_kind k, int target,
                               long long now_ms);
/* How many children to start at now_ms when `alive` of `target` run; ends the back-off (held
 * back replacements are released) once its time has come. */
int supervise_gate_to_start(struct spawn_gate *g, int target, int alive, long long now_ms);
/* Milliseconds until supervise_gate_to_start would release held replacements; -1 when none are
 * held. */
long long supervise_gate_wait_ms(const struct spawn_gate *g, long long now_ms);

#endif
