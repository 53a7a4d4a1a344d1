/*
 * process.c - forking khedmad's children and the signal handling that the master, the workers and
 * the jobs process share (see process.h). The master decides when to fork and what a child runs
 * (master.c); this file only makes a child that is safe to run anything in.
 */
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "khedma/cuid.h"
#include "khedma/log.h"
#include "khedma/process.h"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void process_master_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGCHLD);
    sigprocmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void process_child_signals(void)
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

bool process_stop_requested(void)
{
    return stop_requested != 0;
}

pid_t process_fork_child(const char *name, const char *kind)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* A signal sent before the handlers exist stays pending: the master's mask blocks it until
     * process_child_signals() clears the mask, so a stop is never lost. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    prctl(PR_SET_NAME, name);
    if (getppid() != parent)
        _exit(0); /* the parent died between fork and prctl */
    cuid_after_fork();
    log_init(kind);
    process_child_signals();
    return 0;
}
