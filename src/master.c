/*
 * master.c - the khedmad master: opens the FastCGI listening socket, forks the workers and one
 * jobs process, and supervises them. It holds no database connection and serves no request.
 *
 *   child dies        -> replaced; a child that dies within a second of starting is replaced
 *                        after an exponential back-off (0.1 s doubling to 10 s) so a broken build
 *                        or a missing database does not make the master spin.
 *   SIGHUP            -> graceful reload: a new generation of workers and jobs is started first,
 *                        then the old generation gets SIGTERM and finishes its current request.
 *   SIGTERM / SIGINT  -> graceful stop: children get SIGTERM, stragglers SIGKILL after
 *                        KHEDMA_STOP_TIMEOUT_MS (default 15000), then the socket is removed.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "khedma/config.h"
#include "khedma/ids.h"
#include "khedma/log.h"
#include "khedma/procs.h"
#include "khedma/timeutil.h"

#define MAX_CHILDREN 1024
#define FAST_DEATH_MS 1000
#define LISTEN_BACKLOG 1024

struct child {
    pid_t pid;
    bool jobs;
    int generation;
    long long started_ms;
};

static struct child children[MAX_CHILDREN];
static int nchildren;
static int generation;
static int fast_deaths;         /* consecutive children that died right after starting */
static long long next_spawn_ms; /* back-off: no spawning before this time */
static int listen_fd = -1;
static pid_t master_pid;

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

void child_signals(void (*on_stop)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_main(bool jobs)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    /* Names that ps and the process tests can tell apart. */
    prctl(PR_SET_NAME, jobs ? "khedmad-jobs" : "khedmad-worker");
    if (getppid() != master_pid)
        _exit(0); /* the master died between fork and prctl */
    cuid_after_fork();
    log_init(jobs ? "jobs" : "worker");
    int rc;
    if (jobs) {
        close(listen_fd);
        rc = jobs_run();
    } else {
        rc = worker_run(listen_fd, g_config->max_requests);
    }
    config_free((struct config *)g_config);
    exit(rc);
}

static void spawn(bool jobs)
{
    if (nchildren >= MAX_CHILDREN)
        return;
    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork failed: %s", strerror(errno));
        return;
    }
    if (pid == 0)
        child_main(jobs);
    children[nchildren++] =
        (struct child){.pid = pid, .jobs = jobs, .generation = generation, .started_ms = wall_ms()};
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

/* Bring the current generation up to strength, unless a back-off is in force. */
static void ensure_children(void)
{
    if (wall_ms() < next_spawn_ms)
        return;
    int workers, jobs;
    count_current(&workers, &jobs);
    for (; workers < g_config->workers; workers++)
        spawn(false);
    if (jobs == 0)
        spawn(true);
}

static void note_death(const struct child *ch, int status)
{
    long long lived = wall_ms() - ch->started_ms;
    if (WIFSIGNALED(status))
        log_warn("%s %d killed by signal %d", ch->jobs ? "jobs" : "worker", (int)ch->pid,
                 WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        log_warn("%s %d exited with %d", ch->jobs ? "jobs" : "worker", (int)ch->pid,
                 WEXITSTATUS(status));
    if (ch->generation != generation)
        return; /* an old generation retiring after a reload */
    if (lived < FAST_DEATH_MS && (WIFSIGNALED(status) || WEXITSTATUS(status) != 0)) {
        fast_deaths = fast_deaths < 7 ? fast_deaths + 1 : 7;
        long long delay = 100LL << fast_deaths;
        next_spawn_ms = wall_ms() + (delay > 10000 ? 10000 : delay);
    } else {
        fast_deaths = 0;
    }
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
    fast_deaths = 0;
    next_spawn_ms = 0;
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
    long long deadline = wall_ms() + timeout;
    while (nchildren > 0 && wall_ms() < deadline) {
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
    }
}

/* Signals are blocked and taken synchronously with sigtimedwait, so no handler races the
 * supervision loop. */
static int supervise(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    for (;;) {
        reap();
        ensure_children();
        struct timespec wait = {0, 200 * 1000 * 1000};
        int sig = sigtimedwait(&set, NULL, &wait);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("stopping");
            shutdown_children();
            return 0;
        }
        if (sig == SIGHUP)
            reload();
    }
}

int master_run(void)
{
    master_pid = getpid();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (FCGX_Init() != 0)
        return 1;
    listen_fd = open_listener(g_config->listen);
    if (listen_fd < 0)
        return 1;
    log_info("listening on %s with %d workers", g_config->listen, g_config->workers);
    int rc = supervise();
    close(listen_fd);
    if (is_unix_path(g_config->listen))
        unlink(g_config->listen);
    log_info("stopped");
    return rc;
}
