/*
 * master.c - the khedmad master: opens the FastCGI listening socket, forks the workers and one
 * jobs process, and supervises them. It holds no database connection and serves no request.
 *
 *   child dies        -> replaced at once (SIGCHLD wakes the master), unless it died before it
 *                        could serve (see supervise.h): that is a crash loop (a broken build or
 *                        configuration), and its replacement waits an exponential back-off
 *                        (0.1 s doubling to 10 s) so the master does not spin. Only the crashed
 *                        children's replacements wait: a worker killed or crashed while serving
 *                        is replaced at once even during a back-off, so outside kills never empty
 *                        the pool. A worker that dies in the middle of a request is logged with
 *                        that request's id.
 *   SIGHUP            -> graceful reload: a new generation of workers and jobs is started first,
 *                        then the old generation gets SIGTERM and finishes its current request.
 *   SIGTERM / SIGINT  -> graceful stop: children get SIGTERM, stragglers SIGKILL after
 *                        KHEDMA_STOP_TIMEOUT_MS (default 15000), then the socket is removed.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "khedma/config.h"
#include "khedma/log.h"
#include "khedma/jobs.h"
#include "khedma/master.h"
#include "khedma/peers.h"
#include "khedma/metrics.h"
#include "khedma/privileges.h"
#include "khedma/process.h"
#include "khedma/supervise.h"
#include "khedma/timeutil.h"
#include "khedma/worker.h"

#define MAX_CHILDREN 1024
#define LISTEN_BACKLOG 1024
/* After a failed fork, try again this soon. */
#define FORK_RETRY_MS 100

struct child {
    pid_t pid;
    bool jobs;
    int generation;
    int slot; /* index in the shared slots (supervise.h) */
};

static struct child children[MAX_CHILDREN];
static bool slot_used[MAX_CHILDREN];
static int nchildren;
static int generation;
static struct spawn_gate worker_gate, jobs_gate;
static bool fork_failed; /* retry spawning after FORK_RETRY_MS */
static int listen_fd = -1;
static struct config *owned_config; /* what g_config points at; freed by each child on exit */

static bool is_unix_path(const char *listen)
{
    return listen[0] == '/' || strchr(listen, ':') == NULL;
}

/* Refuse to steal the socket of a khedmad that is still running; remove a stale one. */
static int prepare_unix_path(const char *path)
{
    struct sockaddr_un sa;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        log_error("socket path too long: %s", path);
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        close(fd);
        log_error("another server is listening on %s", path);
        return -1;
    }
    if (fd >= 0)
        close(fd);
    unlink(path);
    return 0;
}

static int open_listener(const char *listen)
{
    bool local = is_unix_path(listen);
    if (local && prepare_unix_path(listen) != 0)
        return -1;
    int fd = FCGX_OpenSocket(listen, LISTEN_BACKLOG);
    if (fd < 0) {
        log_error("cannot listen on %s: %s", listen, strerror(errno));
        return -1;
    }
    /* nginx's workers run as another user; the directory holding the socket guards access. */
    if (local)
        chmod(listen, 0666);
    return fd;
}

/* In the child: run the worker or the jobs loop, then exit with its code. */
static void child_main(bool jobs, int slot)
{
    supervise_slot_attach(slot);
    int rc;
    if (jobs) {
        close(listen_fd);
        rc = jobs_run();
    } else {
        rc = worker_run(listen_fd, g_config->max_requests);
    }
    config_free(owned_config);
    exit(rc);
}

static int free_slot(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (!slot_used[i])
            return i;
    return -1;
}

static void spawn(bool jobs)
{
    int slot = free_slot();
    if (nchildren >= MAX_CHILDREN || slot < 0)
        return;
    supervise_slot_reset(slot);
    /* Names that ps and the process tests can tell apart. */
    pid_t pid =
        process_fork_child(jobs ? "khedmad-jobs" : "khedmad-worker", jobs ? "jobs" : "worker");
    if (pid < 0) {
        log_error("fork failed: %s", strerror(errno));
        fork_failed = true;
        return;
    }
    if (pid == 0)
        child_main(jobs, slot);
    slot_used[slot] = true;
    children[nchildren++] =
        (struct child){.pid = pid, .jobs = jobs, .generation = generation, .slot = slot};
}

static void count_current(int *workers, int *jobs)
{
    *workers = *jobs = 0;
    for (int i = 0; i < nchildren; i++) {
        if (children[i].generation != generation)
            continue;
        if (children[i].jobs)
            (*jobs)++;
        else
            (*workers)++;
    }
}

/* Bring the current generation up to strength, except the replacements a back-off holds. */
static void ensure_children(void)
{
    int workers, jobs;
    count_current(&workers, &jobs);
    long long now = timeutil_wall_ms();
    fork_failed = false;
    for (int n = supervise_gate_to_start(&worker_gate, g_config->workers, workers, now); n > 0; n--)
        spawn(false);
    if (supervise_gate_to_start(&jobs_gate, 1, jobs, now) > 0)
        spawn(true);
}

/* How long the master may wait for a signal before it has spawning to do: -1 for no limit. */
static long long wait_limit_ms(void)
{
    if (fork_failed)
        return FORK_RETRY_MS;
    long long now = timeutil_wall_ms(), a = supervise_gate_wait_ms(&worker_gate, now),
              b = supervise_gate_wait_ms(&jobs_gate, now);
    if (a < 0)
        return b;
    return b < 0 || a < b ? a : b;
}

static void log_death(const struct child *ch, int status, enum death_kind kind)
{
    const char *what = ch->jobs ? "jobs" : "worker";
    char how[32] = "";
    if (WIFSIGNALED(status))
        snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        snprintf(how, sizeof how, "exited with %d", WEXITSTATUS(status));
    else
        return;
    char rid[SLOT_REQUEST_ID_MAX + 1];
    supervise_slot_request_in_flight(ch->slot, rid);
    if (rid[0]) {
        /* The request's id goes in the line's own field too, so grepping for it finds this. */
        log_set_request_id(rid);
        log_error("%s %d %s while serving request %s", what, (int)ch->pid, how, rid);
        log_set_request_id(NULL);
    } else if (kind == DEATH_START_FAILURE) {
        log_warn("%s %d %s before it was ready (a crash loop if it repeats)", what, (int)ch->pid,
                 how);
    } else {
        log_warn("%s %d %s", what, (int)ch->pid, how);
    }
}

static void note_death(const struct child *ch, int status)
{
    enum death_kind kind = supervise_death_classify(supervise_slot_was_ready(ch->slot), status);
    log_death(ch, status, kind);
    if (ch->generation != generation)
        return; /* an old generation retiring after a reload */
    metrics_note_restart(ch->jobs, status);
    struct spawn_gate *g = ch->jobs ? &jobs_gate : &worker_gate;
    supervise_gate_note_death(g, kind, ch->jobs ? 1 : g_config->workers, timeutil_wall_ms());
    if (kind == DEATH_START_FAILURE)
        log_warn("%s replacement in %lld ms", ch->jobs ? "jobs" : "worker",
                 supervise_gate_wait_ms(g, timeutil_wall_ms()));
}

static void reap(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < nchildren; i++) {
            if (children[i].pid != pid)
                continue;
            note_death(&children[i], status);
            slot_used[children[i].slot] = false;
            children[i] = children[--nchildren];
            break;
        }
    }
}

static void signal_generation_below(int gen, int sig)
{
    for (int i = 0; i < nchildren; i++)
        if (children[i].generation < gen)
            kill(children[i].pid, sig);
}

static void reload(void)
{
    log_info("reload: starting generation %d", generation + 1);
    generation++;
    memset(&worker_gate, 0, sizeof worker_gate);
    memset(&jobs_gate, 0, sizeof jobs_gate);
    ensure_children();
    signal_generation_below(generation, SIGTERM);
}

static void shutdown_children(void)
{
    const char *t = getenv("KHEDMA_STOP_TIMEOUT_MS");
    long long timeout = t ? atoll(t) : 15000;
    if (timeout <= 0)
        timeout = 15000;
    signal_generation_below(generation + 1, SIGTERM);
    long long deadline = timeutil_wall_ms() + timeout;
    while (nchildren > 0 && timeutil_wall_ms() < deadline) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        reap();
    }
    if (nchildren > 0) {
        log_warn("%d children still running after %lld ms: killing", nchildren, timeout);
        signal_generation_below(generation + 1, SIGKILL);
        while (nchildren > 0 && waitpid(-1, NULL, 0) > 0)
            reap();
        nchildren = 0;
        memset(slot_used, 0, sizeof slot_used);
    }
}

/* Signals are blocked and taken synchronously with sigtimedwait, so no handler races the
 * supervision loop, and a SIGCHLD that arrives while the master is busy stays pending and ends the
 * next wait at once: a dead child is replaced within a fork's time. The wait has no timeout of its
 * own, only the end of a back-off or a fork retry. */
static int supervise(const sigset_t *set)
{
    for (;;) {
        reap();
        ensure_children();
        long long limit = wait_limit_ms();
        struct timespec wait = {limit / 1000, (limit % 1000) * 1000 * 1000};
        int sig = limit < 0 ? sigwaitinfo(set, NULL) : sigtimedwait(set, NULL, &wait);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("stopping");
            shutdown_children();
            return 0;
        }
        if (sig == SIGHUP)
            reload();
    }
}

int master_run(struct config *config)
{
    owned_config = config;
    sigset_t set;
    process_master_signals(&set);

    /* Before FCGX_Init, which reads the trusted list once for this process and its children. */
    if (peers_apply(g_config->listen, g_config->trusted_peers) != 0)
        return 1;
    if (FCGX_Init() != 0)
        return 1;
    if (supervise_slots_init(MAX_CHILDREN) != 0) {
        log_error("cannot map the children's shared slots: %s", strerror(errno));
        return 1;
    }
    /* Without it every child counts alone and /metrics shows one worker's share. */
    if (metrics_init_shared() != 0)
        log_warn("cannot map the shared metrics: each process counts its own");
    listen_fd = open_listener(g_config->listen);
    if (listen_fd < 0)
        return 1;
    /* Root was needed only for the socket (a low port, a root-owned directory): give it up before
     * any child is forked or any request is read. */
    if (privileges_drop(g_config->user) != 0) {
        close(listen_fd);
        return 1;
    }
    log_info("listening on %s with %d workers", g_config->listen, g_config->workers);
    int rc = supervise(&set);
    close(listen_fd);
    if (is_unix_path(g_config->listen))
        unlink(g_config->listen);
    log_info("stopped");
    return rc;
}
