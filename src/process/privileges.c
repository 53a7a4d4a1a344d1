/*
 * privileges.c - giving up root after the listening socket is open (see privileges.h). Order
 * matters: supplementary groups and the group first, while the process may still change them,
 * then the uid; afterwards setuid(0) must fail, or the drop did not happen and the server stops.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "khedma/log.h"
#include "khedma/privileges.h"

static bool user_exists(const char *name)
{
    return getpwnam(name) != NULL;
}

const char *privileges_target(uid_t euid, const char *configured, privileges_user_exists_fn exists)
{
    if (euid != 0)
        return NULL; /* already unprivileged: a web server or systemd started it as its user */
    if (configured && *configured)
        return strcmp(configured, "root") == 0 ? NULL : configured;
    return exists(PRIVILEGES_DEFAULT_USER) ? PRIVILEGES_DEFAULT_USER : PRIVILEGES_FALLBACK_USER;
}

int privileges_become(const char *user, char *why, size_t whylen)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(why, whylen, "no such user \"%s\"", user);
        return -1;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (uid == 0) {
        snprintf(why, whylen, "user \"%s\" has uid 0", user);
        return -1;
    }
    if (initgroups(user, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        snprintf(why, whylen, "cannot become \"%s\": %s", user, strerror(errno));
        return -1;
    }
    /* Paranoia that costs nothing: a saved uid of 0 would let a later setuid(0) succeed. */
    if (setuid(0) == 0 || getuid() != uid || geteuid() != uid || getgid() != gid ||
        getegid() != gid) {
        snprintf(why, whylen, "root could be regained after becoming \"%s\"", user);
        return -1;
    }
    return 0;
}

int privileges_drop(const char *configured)
{
    const char *user = privileges_target(geteuid(), configured, user_exists);
    if (!user) {
        if (geteuid() == 0)
            log_warn("KHEDMA_USER=root: khedmad keeps running as root");
        return 0;
    }
    char why[160];
    if (privileges_become(user, why, sizeof why) != 0) {
        log_error("dropping root: %s", why);
        return -1;
    }
    log_info("running as %s (uid %d, gid %d)", user, (int)getuid(), (int)getgid());
    return 0;
}
