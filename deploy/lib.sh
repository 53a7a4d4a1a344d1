# shellcheck shell=bash
# deploy/lib.sh - shell functions shared by deploy/up, deploy/down, deploy/test, bench/ and the
# integration harness: installing packages, building, and starting/stopping one "stack" (a
# private MariaDB, khedmad serve, nginx) whose runtime files all live under one var directory.
#
# Sourced, never run. Callers use `set -euo pipefail`, source this file and call k_init, which
# reads the environment once:
#   KHEDMA_VAR        the stack's var directory (default <repo>/var; deploy/test uses var/test)
#   KHEDMA_PORT       nginx port on 127.0.0.1 (default 8080)
#   KHEDMA_LISTEN     FastCGI socket: unix path or host:port (default $KHEDMA_VAR/run/khedmad.sock)
#   KHEDMA_DATABASE_URL  an existing database; when unset a private MariaDB runs in $KHEDMA_VAR/mysql
#   KHEDMA_BUILD_DIR  build tree holding src/khedmad (default <repo>/build)
#   KHEDMA_BIN        the khedmad binary (default $KHEDMA_BUILD_DIR/src/khedmad)
#   KHEDMA_DB_FAST=1  trade durability for speed in the private MariaDB (test stacks only)
#   KHEDMA_PUBLIC_CACHE_S  seconds nginx may keep a public read (default 1; 0 = no cache at all)
#   KHEDMA_UPLOAD_DIR  uploaded gallery images (default $KHEDMA_VAR/uploads; shared storage in a pool)
# Layout under the var directory: mysql/ (datadir), run/ (sockets, pid files), log/ (khedmad.log,
# mariadb.log, nginx-*.log, build and migrate logs), nginx/ (generated nginx.conf, temp dirs),
# www/ (empty static root when the repo has no web/), webhook_secret and db_password (0600).

K_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

# Packages deploy/up needs on Debian 12 (nginx is checked separately: any flavour will do).
# shellcheck disable=SC2034 # used by the scripts that source this file
K_BASE_PACKAGES=(build-essential autoconf automake libtool pkg-config libfcgi-dev libjson-c-dev
    default-libmysqlclient-dev libcurl4-openssl-dev libsodium-dev libcmocka-dev libssl-dev
    mariadb-server mariadb-client python3 python3-cryptography curl ca-certificates procps)

k_say() { printf '%s: %s\n' "${K_PROG:-deploy}" "$*" >&2; }
k_die() {
    k_say "error: $*"
    exit 1
}

k_need_root() {
    [ "$(id -u)" -eq 0 ] || k_die "run me as root (apt-get and the private MariaDB need it)"
}

# Read the environment into K_* variables. Safe to call again after changing the environment.
k_init() {
    K_VAR=${KHEDMA_VAR:-$K_REPO/var}
    case $K_VAR in /*) ;; *) K_VAR=$PWD/$K_VAR ;; esac
    K_RUN=$K_VAR/run
    K_LOG=$K_VAR/log
    K_NGINX=$K_VAR/nginx
    K_DATADIR=$K_VAR/mysql
    K_DB_CNF=$K_VAR/mariadb.cnf
    # The private MariaDB's socket and pid file live in a directory of their own, owned by the
    # user mariadbd runs as (k_db_user).
    K_DB_RUN=$K_RUN/mysqld
    K_DB_SOCKET=$K_DB_RUN/mysqld.sock
    K_PORT=${KHEDMA_PORT:-8080}
    K_BUILD=${KHEDMA_BUILD_DIR:-$K_REPO/build}
    K_BIN=${KHEDMA_BIN:-$K_BUILD/src/khedmad}
    K_LISTEN=${KHEDMA_LISTEN:-$K_RUN/khedmad.sock}
    if k_listen_is_unix && [[ $K_LISTEN != /* ]]; then K_LISTEN=$PWD/$K_LISTEN; fi
    K_URL="http://127.0.0.1:$K_PORT"
    case $K_PORT in '' | *[!0-9]*) k_die "KHEDMA_PORT must be a number, not '$K_PORT'" ;; esac
    K_PUBLIC_CACHE_S=${KHEDMA_PUBLIC_CACHE_S:-1}
    # Uploaded gallery images: written by khedmad, served by nginx at /uploads/ (docs/deploy.md).
    K_UPLOAD_DIR=${KHEDMA_UPLOAD_DIR:-$K_VAR/uploads}
    case $K_UPLOAD_DIR in /*) ;; *) K_UPLOAD_DIR=$PWD/$K_UPLOAD_DIR ;; esac
    case $K_PUBLIC_CACHE_S in '' | *[!0-9]*) k_die "KHEDMA_PUBLIC_CACHE_S must be a number of seconds, not '$K_PUBLIC_CACHE_S'" ;; esac
}

# True when KHEDMA_LISTEN names a unix socket (as khedmad decides: a '/' first or no ':').
k_listen_is_unix() { [[ $K_LISTEN == /* || $K_LISTEN != *:* ]]; }

k_dirs() {
    mkdir -p "$K_VAR" "$K_RUN" "$K_LOG" "$K_NGINX/tmp"
    chmod 755 "$K_VAR" "$K_RUN" "$K_LOG" "$K_NGINX" "$K_NGINX/tmp"
    local s
    for s in "$K_DB_SOCKET" "$K_LISTEN"; do
        [[ $s == *:* && $s != /* ]] && continue
        [ ${#s} -le 100 ] || k_die "socket path too long (${#s} > 100 bytes): $s; set KHEDMA_VAR to a shorter directory"
    done
}

# ---------------------------------------------------------------------------------------------
# Packages

# k_ensure_packages PKG...: install the Debian packages that are missing (checked with dpkg -s).
# Services that a package's postinst would start (mariadb, nginx) are kept stopped with a
# policy-rc.d that answers 101, removed afterwards unless it was there before.
k_ensure_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if ! command -v nginx >/dev/null 2>&1; then
        missing+=(nginx)
    fi
    [ ${#missing[@]} -gt 0 ] || return 0
    k_say "installing ${missing[*]}"
    local policy=/usr/sbin/policy-rc.d created=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# written by khedma deploy/lib.sh during apt-get install\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        created=1
    fi
    local rc=0
    DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null || rc=$?
    if [ "$rc" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${missing[@]}" </dev/null || rc=$?
    fi
    [ "$created" -eq 0 ] || rm -f "$policy"
    [ "$rc" -eq 0 ] || k_die "apt-get failed (exit $rc) installing: ${missing[*]}"
}

# ---------------------------------------------------------------------------------------------
# Build

# Regenerate configure when it is missing or older than its inputs (always with K_FORCE_AUTORECONF=1).
k_autoreconf() {
    if [ "${K_FORCE_AUTORECONF:-0}" != 1 ] && [ -x "$K_REPO/configure" ] && [ -f "$K_REPO/Makefile.in" ] &&
        [ "$K_REPO/configure" -nt "$K_REPO/configure.ac" ] &&
        [ "$K_REPO/Makefile.in" -nt "$K_REPO/Makefile.am" ]; then
        return 0
    fi
    k_say "autoreconf -fi"
    (cd "$K_REPO" && autoreconf -fi) >"$K_LOG/autoreconf.log" 2>&1 || {
        tail -n 40 "$K_LOG/autoreconf.log" >&2
        k_die "autoreconf failed (log: $K_LOG/autoreconf.log)"
    }
}

# k_configure DIR ARGS...: configure an out-of-tree build in DIR when it is new, configure changed
# or the arguments changed. Output goes to DIR/configure.out.
k_configure() {
    local dir=$1
    shift
    mkdir -p "$dir"
    local want="$*" have=""
    [ -f "$dir/.khedma-configure-args" ] && have=$(cat "$dir/.khedma-configure-args")
    if [ -f "$dir/config.status" ] && [ -f "$dir/Makefile" ] && [ "$want" = "$have" ] &&
        [ "$dir/config.status" -nt "$K_REPO/configure" ]; then
        return 0
    fi
    k_say "configure $* (in ${dir#"$K_REPO"/})"
    if ! (cd "$dir" && "$K_REPO/configure" "$@") >"$dir/configure.out" 2>&1; then
        tail -n 30 "$dir/configure.out" >&2
        return 1
    fi
    printf '%s' "$want" >"$dir/.khedma-configure-args"
}

# k_make DIR [TARGET...]: make -j2 in DIR, output to DIR/make.out (tail shown on failure).
k_make() {
    local dir=$1
    shift
    if ! make -C "$dir" -j2 "$@" >"$dir/make.out" 2>&1; then
        grep -E 'error|Error' "$dir/make.out" | head -n 40 >&2 || true
        tail -n 20 "$dir/make.out" >&2
        return 1
    fi
}

# Build K_BUILD as deploy/up does (warnings are errors, as in deploy/test).
k_build() {
    k_autoreconf
    k_configure "$K_BUILD" --enable-werror || k_die "configure failed (log: $K_BUILD/configure.out)"
    k_say "make (in ${K_BUILD#"$K_REPO"/})"
    k_make "$K_BUILD" || k_die "build failed (log: $K_BUILD/make.out)"
    [ -x "$K_BIN" ] || k_die "no $K_BIN after the build"
}

# ---------------------------------------------------------------------------------------------
# Processes

# True when PID is a live process (not a zombie).
k_alive() {
    local pid=$1 state
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    state=$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# True when any live process is in process group PGID.
k_group_alive() {
    local pgid=$1
    [ -n "$pgid" ] || return 1
    ps -e -o pgid=,stat= 2>/dev/null | awk -v g="$pgid" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

k_pidfile_pid() {
    local f=$1 pid
    [ -f "$f" ] || return 1
    pid=$(tr -dc '0-9' <"$f")
    [ -n "$pid" ] && k_alive "$pid" && printf '%s\n' "$pid"
}

# k_wait_gone PID SECONDS [group]: wait for the process (or its whole process group) to go.
k_wait_gone() {
    local pid=$1 secs=$2 group=${3:-} i
    for ((i = 0; i < secs * 10; i++)); do
        if [ -n "$group" ]; then k_group_alive "$pid" || return 0; else k_alive "$pid" || return 0; fi
        sleep 0.1
    done
    return 1
}

# Reap PID if it is a child of this shell (deploy/test starts servers as its children).
k_reap() { wait "$1" 2>/dev/null || true; }

# ---------------------------------------------------------------------------------------------
# Private MariaDB

k_db_private() { [ -z "${KHEDMA_DATABASE_URL:-}" ]; }

# The option file of the private server, regenerated at every start; local additions go into
# $KHEDMA_VAR/mariadb.local.cnf, which it includes.
k_db_write_cnf() {
    {
        echo "# generated by deploy/lib.sh for the private MariaDB of this stack; edit mariadb.local.cnf instead"
        echo "[client]"
        echo "socket=$K_DB_SOCKET"
        echo "user=root"
        echo "[mariadbd]"
        echo "user=$K_DB_USER"
        echo "datadir=$K_DATADIR"
        echo "socket=$K_DB_SOCKET"
        echo "pid-file=$K_DB_RUN/mysqld.pid"
        echo "log-error=$K_LOG/mariadb.log"
        echo "skip-networking"
        echo "skip-name-resolve"
        echo "character-set-server=utf8mb4"
        echo "collation-server=utf8mb4_unicode_ci"
        echo "innodb_buffer_pool_size=128M"
        echo "max_connections=300"
        if [ "${KHEDMA_DB_FAST:-0}" = 1 ]; then
            echo "innodb_flush_log_at_trx_commit=2"
            echo "innodb_doublewrite=0"
        fi
        if [ -f "$K_VAR/mariadb.local.cnf" ]; then
            echo "!include $K_VAR/mariadb.local.cnf"
        fi
    } >"$K_DB_CNF"
    chmod 644 "$K_DB_CNF"
}

# A stack started before the server moved to run/mysqld/ keeps its pid file in run/.
k_db_pid() { k_pidfile_pid "$K_DB_RUN/mysqld.pid" || k_pidfile_pid "$K_RUN/mysqld.pid"; }

# k_as_user USER CMD...: run CMD as USER with its groups (to test what USER can reach).
k_as_user() {
    local u=$1
    shift
    setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"
}

# The user mariadbd runs as: mysql (the Debian package's user), or root when mysql cannot enter
# the stack's directory (a checkout under /root, mode 0700) - said loudly, as for nginx.
k_db_user() {
    K_DB_USER=root
    if ! id mysql >/dev/null 2>&1; then
        k_say "warning: no mysql user: the private MariaDB runs as root"
    elif k_as_user mysql test -x "$K_VAR" 2>/dev/null; then
        K_DB_USER=mysql
    else
        k_say "warning: the mysql user cannot enter $K_VAR: the private MariaDB runs as root" \
            "(docs/deploy.md, \"Unprivileged users\")"
    fi
}

# Give the server's files to the user it runs as (an existing stack's, created as root before,
# too: only when the owner differs, so a large datadir is walked once).
k_db_own() {
    mkdir -p "$K_DB_RUN" "$K_DATADIR"
    touch "$K_LOG/mariadb.log"
    local p
    for p in "$K_DATADIR" "$K_DB_RUN"; do
        [ "$(stat -c %U "$p")" = "$K_DB_USER" ] || chown -R "$K_DB_USER:" "$p"
    done
    chown "$K_DB_USER:" "$K_LOG/mariadb.log"
    chmod 755 "$K_DB_RUN"
}

k_db_ping() { mariadb-admin --defaults-file="$K_DB_CNF" --connect-timeout=2 ping >/dev/null 2>&1; }

k_db_init() {
    k_db_user
    k_db_write_cnf
    [ -d "$K_DATADIR/mysql" ] && return 0
    k_say "creating the private MariaDB in ${K_DATADIR#"$K_REPO"/} (as $K_DB_USER)"
    k_db_own
    mariadb-install-db --defaults-file="$K_DB_CNF" --user="$K_DB_USER" --datadir="$K_DATADIR" \
        --auth-root-authentication-method=socket --skip-test-db >"$K_LOG/mariadb-install.log" 2>&1 || {
        tail -n 20 "$K_LOG/mariadb-install.log" >&2
        rm -rf "$K_DATADIR"
        k_die "mariadb-install-db failed (log: $K_LOG/mariadb-install.log)"
    }
}

k_db_start() {
    k_db_user
    k_db_write_cnf
    if k_db_pid >/dev/null && k_db_ping; then return 0; fi
    local pid i
    k_db_own
    setsid mariadbd --defaults-file="$K_DB_CNF" </dev/null >>"$K_LOG/mariadb.log" 2>&1 &
    pid=$!
    for ((i = 0; i < 600; i++)); do
        k_db_ping && return 0
        if ! k_alive "$pid"; then
            k_reap "$pid"
            tail -n 20 "$K_LOG/mariadb.log" >&2
            k_die "mariadbd exited at start-up (log: $K_LOG/mariadb.log)"
        fi
        sleep 0.1
    done
    k_die "mariadbd did not answer within 60 s (log: $K_LOG/mariadb.log)"
}

k_db_stop() {
    local pid
    pid=$(k_db_pid) || return 0
    timeout 60 mariadb-admin --defaults-file="$K_DB_CNF" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    if ! k_wait_gone "$pid" 60; then
        k_say "mariadbd $pid still running after 60 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        k_wait_gone "$pid" 5 || true
    fi
    k_reap "$pid"
    rm -f "$K_DB_RUN/mysqld.pid" "$K_RUN/mysqld.pid"
}

# A random hex string of N bytes.
k_random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# Create the database and the app user (password generated once into db_password, mode 0600).
k_db_setup() {
    local pwfile=$K_VAR/db_password pw
    if [ ! -s "$pwfile" ]; then
        (umask 077 && k_random_hex 18 >"$pwfile")
    fi
    chmod 600 "$pwfile"
    pw=$(cat "$pwfile")
    mariadb --defaults-file="$K_DB_CNF" <<SQL || k_die "cannot create the khedma database and user"
CREATE DATABASE IF NOT EXISTS \`khedma\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'khedma'@'localhost' IDENTIFIED BY '$pw';
ALTER USER 'khedma'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON \`khedma\`.* TO 'khedma'@'localhost';
SQL
}

# The DSN khedmad gets: KHEDMA_DATABASE_URL when set, else the private server's.
k_dsn() {
    if k_db_private; then
        printf 'mysql://khedma:%s@localhost/khedma?socket=%s\n' "$(cat "$K_VAR/db_password")" "$K_DB_SOCKET"
    else
        printf '%s\n' "$KHEDMA_DATABASE_URL"
    fi
}

# ---------------------------------------------------------------------------------------------
# khedmad

k_webhook_secret() {
    local f=$K_VAR/webhook_secret
    if [ ! -s "$f" ]; then
        (umask 077 && k_random_hex 32 >"$f")
    fi
    chmod 600 "$f"
    cat "$f"
}

# Export what khedmad reads: the DSN, socket, SQL dir, webhook secret, and the KHEDMA_* lines the
# gateway emulators printed (run/emulators.env); variables already set in the environment win.
k_khedmad_env() {
    KHEDMA_DATABASE_URL=$(k_dsn)
    export KHEDMA_DATABASE_URL KHEDMA_PORT=$K_PORT KHEDMA_LISTEN=$K_LISTEN
    export KHEDMA_SQL_DIR=${KHEDMA_SQL_DIR:-$K_REPO/sql}
    export KHEDMA_UPLOAD_DIR=$K_UPLOAD_DIR
    if [ -z "${KHEDMA_WEBHOOK_SECRET:-}" ]; then
        KHEDMA_WEBHOOK_SECRET=$(k_webhook_secret)
        export KHEDMA_WEBHOOK_SECRET
    fi
    local line key
    if [ -f "$K_RUN/emulators.env" ]; then
        while IFS= read -r line; do
            [[ $line =~ ^(KHEDMA_[A-Z0-9_]+)=(.*)$ ]] || continue
            key=${BASH_REMATCH[1]}
            [ -n "${!key+x}" ] || export "$key=${BASH_REMATCH[2]}"
        done <"$K_RUN/emulators.env"
    fi
}

k_migrate() {
    k_say "khedmad migrate"
    (k_khedmad_env && "$K_BIN" migrate) >>"$K_LOG/migrate.log" 2>&1 || {
        tail -n 20 "$K_LOG/migrate.log" >&2
        k_die "khedmad migrate failed (log: $K_LOG/migrate.log)"
    }
}

k_khedmad_pid() { k_pidfile_pid "$K_RUN/khedmad.pid"; }

# The system user `khedmad serve` becomes after opening its socket (docs/deploy.md,
# "Unprivileged users"); created by deploy/up and deploy/test.
k_ensure_user() {
    id khedma >/dev/null 2>&1 && return 0
    k_say "creating the system user khedma"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin khedma || k_die "cannot create the user khedma"
}

# K_USER: KHEDMA_USER, else khedma (nobody without it), else root when that user cannot reach
# the database socket's directory or the upload directory's parent (a checkout under /root):
# khedmad connects and writes uploads only after dropping root. The choice is written to
# run/khedmad.user for the tests.
k_khedmad_user() {
    K_USER=${KHEDMA_USER:-}
    if [ -z "$K_USER" ]; then
        K_USER=nobody
        if id khedma >/dev/null 2>&1; then K_USER=khedma; fi
    fi
    if [ "$K_USER" != root ]; then
        local -a dirs=("$(dirname "$K_UPLOAD_DIR")")
        if k_db_private; then dirs+=("$K_DB_RUN"); fi
        if ! k_as_user "$K_USER" test -x "${dirs[0]}" -a -x "${dirs[-1]}" 2>/dev/null; then
            k_say "warning: $K_USER cannot reach ${dirs[*]}: khedmad keeps running as root" \
                "(docs/deploy.md, \"Unprivileged users\")"
            K_USER=root
        fi
    fi
    mkdir -p "$K_UPLOAD_DIR"
    [ "$K_USER" = root ] || chown "$K_USER:" "$K_UPLOAD_DIR"
    echo "$K_USER" >"$K_RUN/khedmad.user"
}

# k_khedmad_start: start `khedmad serve` in its own session (pid in run/khedmad.pid, stderr to
# log/khedmad.log), prefixed by the command in the array K_WRAPPER when set (valgrind).
# Waits until the FastCGI socket is there.
k_khedmad_start() {
    local pid i limit=300
    local -a wrapper=()
    if [ -n "${K_WRAPPER+x}" ] && [ ${#K_WRAPPER[@]} -gt 0 ]; then
        wrapper=("${K_WRAPPER[@]}")
        limit=1200
    fi
    k_khedmad_user
    (
        k_khedmad_env
        export KHEDMA_USER=$K_USER
        exec setsid "${wrapper[@]}" "$K_BIN" serve </dev/null >>"$K_LOG/khedmad.log" 2>&1
    ) &
    pid=$!
    echo "$pid" >"$K_RUN/khedmad.pid"
    for ((i = 0; i < limit; i++)); do
        if k_listen_is_unix; then
            [ -S "$K_LISTEN" ] && return 0
        else
            (exec 3<>"/dev/tcp/${K_LISTEN%:*}/${K_LISTEN##*:}") 2>/dev/null && return 0
        fi
        if ! k_alive "$pid"; then
            k_reap "$pid"
            tail -n 20 "$K_LOG/khedmad.log" >&2
            k_die "khedmad exited at start-up (log: $K_LOG/khedmad.log)"
        fi
        sleep 0.1
    done
    k_die "khedmad did not open $K_LISTEN within $((limit / 10)) s (log: $K_LOG/khedmad.log)"
}

# Graceful stop: SIGTERM to the master, which stops its children (it SIGKILLs stragglers after
# KHEDMA_STOP_TIMEOUT_MS, 15 s); whatever is left of the process group after 20 s gets SIGKILL.
k_khedmad_stop() {
    local pid
    pid=$(k_khedmad_pid) || {
        rm -f "$K_RUN/khedmad.pid"
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    if ! k_wait_gone "$pid" "${K_STOP_WAIT:-20}" group; then
        k_say "khedmad $pid still running: SIGKILL to its process group"
        kill -KILL -- "-$pid" 2>/dev/null || true
        k_wait_gone "$pid" 5 group || true
    fi
    k_reap "$pid"
    rm -f "$K_RUN/khedmad.pid"
    # khedmad running as KHEDMA_USER cannot remove its socket from root's run/ directory.
    if k_listen_is_unix; then rm -f "$K_LISTEN"; fi
}

# ---------------------------------------------------------------------------------------------
# Gateway emulators (hook): when tests/emulators/start is an executable, it is run as
#   KHEDMA_VAR=<var dir> KHEDMA_EMULATOR_PORT=<KHEDMA_PORT + 10> tests/emulators/start
# It starts the emulators in the background (pid files under $KHEDMA_VAR/run), returns, and
# prints KHEDMA_NAME=value lines (API bases, dev keys) on stdout; they are saved in
# run/emulators.env and handed to khedmad unless the variable is already set.
# tests/emulators/stop (same environment) stops them.

k_emulators_start() {
    local hook=$K_REPO/tests/emulators/start
    rm -f "$K_RUN/emulators.env"
    [ -x "$hook" ] || return 0
    k_say "starting the gateway emulators"
    KHEDMA_VAR=$K_VAR KHEDMA_EMULATOR_PORT=$((K_PORT + 10)) "$hook" >"$K_RUN/emulators.out" 2>>"$K_LOG/emulators.log" </dev/null ||
        k_die "tests/emulators/start failed (log: $K_LOG/emulators.log)"
    (umask 077; grep -E '^KHEDMA_[A-Z0-9_]+=' "$K_RUN/emulators.out" >"$K_RUN/emulators.env.new") || true
    mv -f "$K_RUN/emulators.env.new" "$K_RUN/emulators.env"
    rm -f "$K_RUN/emulators.out"
}

k_emulators_stop() {
    local hook=$K_REPO/tests/emulators/stop
    [ -x "$hook" ] || return 0
    KHEDMA_VAR=$K_VAR KHEDMA_EMULATOR_PORT=$((K_PORT + 10)) "$hook" >>"$K_LOG/emulators.log" 2>&1 </dev/null || true
}

# ---------------------------------------------------------------------------------------------
# nginx

# The static root: <repo>/web when the web UI is there, else an empty var/www.
k_static_root() {
    if [ -d "$K_REPO/web" ]; then
        printf '%s\n' "$K_REPO/web"
    else
        mkdir -p "$K_VAR/www"
        chmod 755 "$K_VAR/www"
        printf '%s\n' "$K_VAR/www"
    fi
}

# nginx workers run as www-data (or nobody) when that user can reach the FastCGI socket and the
# static root through the directory permissions; as root only when it cannot.
k_nginx_user() {
    local root=$1 dir u
    dir=$K_RUN
    if k_listen_is_unix; then dir=$(dirname "$K_LISTEN"); fi
    for u in www-data nobody; do
        id "$u" >/dev/null 2>&1 || continue
        if k_as_user "$u" test -x "$dir" -a -r "$root" -a -x "$root" 2>/dev/null; then
            printf '%s\n' "$u"
            return 0
        fi
    done
    k_say "warning: neither www-data nor nobody can reach $dir: nginx workers run as root"
    echo root
}

k_sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

k_nginx_render() {
    local root user upstream group
    root=$(k_static_root)
    user=$(k_nginx_user "$root")
    group=$(id -gn "$user")
    upstream=$K_LISTEN
    if k_listen_is_unix; then upstream="unix:$K_LISTEN"; fi
    mkdir -p "$K_NGINX/tmp" "$K_UPLOAD_DIR"
    chmod 755 "$K_UPLOAD_DIR"
    # The public-read cache: its lines uncommented when on, removed when off; emptied at each start.
    local cache_sed='/^[[:space:]]*#cache# /d'
    rm -rf "$K_NGINX/cache"
    if [ "$K_PUBLIC_CACHE_S" -gt 0 ]; then
        cache_sed='s/^\([[:space:]]*\)#cache# /\1/'
        mkdir -p "$K_NGINX/cache"
        chown "$user:$group" "$K_NGINX/cache"
    fi
    sed -e "$cache_sed" \
        -e "s|@CACHE_DIR@|$(k_sed_escape "$K_NGINX/cache")|g" \
        -e "s|@NGINX_USER@|$(k_sed_escape "$user $group")|g" \
        -e "s|@PID_FILE@|$(k_sed_escape "$K_RUN/nginx.pid")|g" \
        -e "s|@LOG_DIR@|$(k_sed_escape "$K_LOG")|g" \
        -e "s|@NGINX_DIR@|$(k_sed_escape "$K_NGINX")|g" \
        -e "s|@LISTEN@|$(k_sed_escape "127.0.0.1:$K_PORT")|g" \
        -e "s|@UPSTREAM@|$(k_sed_escape "$upstream")|g" \
        -e "s|@STATIC_ROOT@|$(k_sed_escape "$root")|g" \
        -e "s|@UPLOAD_DIR@|$(k_sed_escape "$K_UPLOAD_DIR")|g" \
        "$K_REPO/nginx/khedma.conf.in" >"$K_NGINX/nginx.conf"
    if grep -v '^[[:space:]]*#' "$K_NGINX/nginx.conf" | grep -q '@[A-Z_]*@'; then
        k_die "unrendered placeholder in $K_NGINX/nginx.conf"
    fi
}

k_nginx() { nginx -p "$K_NGINX/" -c "$K_NGINX/nginx.conf" -e "$K_LOG/nginx-error.log" "$@"; }

k_nginx_start() {
    k_nginx_render
    k_nginx -t -q 2>"$K_LOG/nginx-test.log" || {
        cat "$K_LOG/nginx-test.log" >&2
        k_die "nginx rejected $K_NGINX/nginx.conf"
    }
    k_nginx || k_die "nginx did not start (log: $K_LOG/nginx-error.log)"
}

k_nginx_stop() {
    local pid
    pid=$(k_pidfile_pid "$K_RUN/nginx.pid") || return 0
    kill -QUIT "$pid" 2>/dev/null || true
    if ! k_wait_gone "$pid" 10; then
        kill -TERM "$pid" 2>/dev/null || true
        k_wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$K_RUN/nginx.pid"
}

# ---------------------------------------------------------------------------------------------
# The whole stack

# HTTP status of GET URL (000 when nothing answered).
k_http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time "${2:-3}" "$1" 2>/dev/null || true; }

# k_wait_healthz SECONDS: until /healthz through nginx answers 200.
k_wait_healthz() {
    local secs=$1 i code=000
    for ((i = 0; i < secs * 5; i++)); do
        code=$(k_http_status "$K_URL/healthz" 2)
        [ "$code" = 200 ] && return 0
        k_khedmad_pid >/dev/null || break
        sleep 0.2
    done
    k_say "/healthz answered $code"
    tail -n 20 "$K_LOG/khedmad.log" >&2 || true
    return 1
}

# Start everything for this var directory (khedmad under K_WRAPPER when set).
k_stack_up() {
    k_dirs
    k_ensure_user
    if k_db_private; then
        k_db_init
        k_db_start
        k_db_setup
    fi
    k_migrate
    k_emulators_start
    k_khedmad_start
    k_nginx_start
}

k_stack_down() {
    k_nginx_stop
    k_khedmad_stop
    k_emulators_stop
    if k_db_private; then k_db_stop; fi
}
