#!/usr/bin/env bash
# run.sh - khedmad behind Apache 2.4 as a shared host runs it (docs/deploy.md, "Shared hosting"):
#   run.sh fcgid PORT   mod_fcgid spawns khedmad.fcgi as a FastCGI application (khedmad finds the
#                       socket on its standard input and serves as one worker)
#   run.sh cgid PORT    mod_cgid runs khedmad.fcgi as a CGI program, one process per request
# Apache runs as the unprivileged user nobody on 127.0.0.1:PORT. Its server configuration only
# loads modules and sets a document root with AllowOverride All; everything Khedma-specific is
# the shipped deploy/khedma.htaccess, copied in as .htaccess beside a copy of the binary and a
# khedma.conf (mode 0600, owned by nobody) made from the running stack's configuration. The test
# stack's MariaDB is reached through db_relay.py, a socket under the temporary directory (see that
# file for why). Then slice.py runs a slice of the integration tests through Apache; the closing
# line is `apache MODE: N passed, N failed`. Needs root, the running test stack (KHEDMA_TEST_VAR)
# and the apache2 (and, for fcgid, libapache2-mod-fcgid) packages; everything it starts or makes
# is removed on exit, failed or not. KHEDMA_APACHE_RUN: see below (the bench).
set -uo pipefail

MODE=${1:?usage: run.sh fcgid|cgid PORT}
PORT=${2:?usage: run.sh fcgid|cgid PORT}
LABEL="apache $MODE"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
VAR=${KHEDMA_TEST_VAR:-$REPO/var/test}
RUN_AS=nobody
MODULES=/usr/lib/apache2/modules

skip() {
    echo "skipped: $*"
    echo "$LABEL: 0 passed, 0 failed"
    exit 0
}
die() {
    echo "not ok - $LABEL: $*"
    echo "$LABEL: 0 passed, 1 failed"
    exit 1
}

[ -x /usr/sbin/apache2 ] || skip "apache2 is not installed"
[ "$MODE" != fcgid ] || [ -f "$MODULES/mod_fcgid.so" ] || skip "libapache2-mod-fcgid is not installed"
[ "$(id -u)" -eq 0 ] || skip "needs root to run Apache as $RUN_AS"

TMP=$(mktemp -d /tmp/khedma-apache.XXXXXX)
WWW=$TMP/www
APACHE_PID=""
RELAY_PID=""

# Processes whose binary is this test's copy: only ours.
our_khedmads() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = "$WWW/khedmad.fcgi" ] && echo "${p#/proc/}"
    done
    return 0
}

cleanup() {
    [ -z "$APACHE_PID" ] || kill -TERM "$APACHE_PID" 2>/dev/null
    local i
    for i in $(seq 1 50); do
        if [ -z "$APACHE_PID" ] || ! kill -0 "$APACHE_PID" 2>/dev/null; then break; fi
        sleep 0.1
    done
    [ -z "$APACHE_PID" ] || kill -KILL "$APACHE_PID" 2>/dev/null
    for i in $(our_khedmads); do kill -KILL "$i" 2>/dev/null; done
    [ -z "$RELAY_PID" ] || kill -TERM "$RELAY_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

MASTER=$(cat "$VAR/run/khedmad.pid" 2>/dev/null) || die "the test stack is not running ($VAR)"
[ -r "/proc/$MASTER/environ" ] || die "the test stack's khedmad is not running"
BIN=$(readlink "/proc/$MASTER/exe")
# The stack's own binary, unless it runs under a wrapper (valgrind) or was rebuilt since.
case $BIN in
*" (deleted)" | *valgrind* | "") BIN=${KHEDMA_BIN:-$REPO/build/src/khedmad} ;;
esac

mkdir -p "$WWW" "$TMP/run" "$TMP/log" "$TMP/db" "$WWW/uploads"
chmod 755 "$TMP" "$TMP/db"
cp "$BIN" "$WWW/khedmad.fcgi" || die "cannot copy $BIN"
cp "$REPO/deploy/khedma.htaccess" "$WWW/.htaccess" || die "cannot copy the .htaccess"

# khedma.conf: the running stack's KHEDMA_* settings, with the database reached through the relay,
# this server's URL as the public one and its own upload directory.
python3 - "$MASTER" "$WWW/khedma.conf" "$TMP/db/mysqld.sock" "http://127.0.0.1:$PORT" \
    "$WWW/uploads" <<'PY' || die "cannot write khedma.conf"
import os, re, sys
pid, out, relay, url, uploads = sys.argv[1:]
with open(f"/proc/{pid}/environ", "rb") as f:
    env = dict(e.split("=", 1) for e in f.read().decode().split("\0") if "=" in e)
conf = {k: v for k, v in env.items() if k.startswith("KHEDMA_") and k != "KHEDMA_LISTEN"}
conf["KHEDMA_DATABASE_URL"] = re.sub(r"socket=[^&]*", "socket=" + relay, conf["KHEDMA_DATABASE_URL"])
conf.update(KHEDMA_PUBLIC_URL=url, KHEDMA_UPLOAD_DIR=uploads)
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    f.write("# written by tests/integration/apache/run.sh\n")
    for k, v in sorted(conf.items()):
        f.write(f'{k}="{v}"\n')
PY
# The storefront's static files, as the guide tells a host to upload them.
cp -r "$REPO/web/static" "$WWW/static" || die "cannot copy web/static"
chown -R "$RUN_AS" "$WWW" "$TMP/run" "$TMP/log"
chmod 600 "$WWW/khedma.conf"

# The stack's MariaDB socket, as the running khedmad was given it (deploy/lib.sh decides where).
DB_SOCKET=$(tr '\0' '\n' <"/proc/$MASTER/environ" | sed -n 's/^KHEDMA_DATABASE_URL=.*[?&]socket=\([^&]*\).*/\1/p')
[ -S "$DB_SOCKET" ] || die "the stack's MariaDB socket was not found (got '$DB_SOCKET')"
python3 "$HERE/db_relay.py" "$TMP/db/mysqld.sock" "$DB_SOCKET" &
RELAY_PID=$!

if [ "$MODE" = fcgid ]; then
    HANDLER="LoadModule fcgid_module $MODULES/mod_fcgid.so
FcgidIPCDir $TMP/run/fcgid
FcgidProcessTableFile $TMP/run/fcgid_shm"
else
    HANDLER="LoadModule cgid_module $MODULES/mod_cgid.so
ScriptSock $TMP/run/cgid.sock"
fi
cat >"$TMP/httpd.conf" <<EOF2
# The server part a shared host controls: modules, a port, a document root open to .htaccess.
ServerRoot $TMP
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
PidFile $TMP/run/httpd.pid
DefaultRuntimeDir $TMP/run
Mutex file:$TMP/run default
ErrorLog $TMP/log/error.log
LogLevel ${KHEDMA_APACHE_LOGLEVEL:-warn}
LoadModule mpm_event_module $MODULES/mod_mpm_event.so
LoadModule authz_core_module $MODULES/mod_authz_core.so
LoadModule mime_module $MODULES/mod_mime.so
LoadModule headers_module $MODULES/mod_headers.so
LoadModule rewrite_module $MODULES/mod_rewrite.so
$HANDLER
TypesConfig /etc/mime.types
DocumentRoot $WWW
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory $WWW>
    AllowOverride All
    Require all granted
</Directory>
EOF2

# setpriv execs Apache itself (no wrapper process), so APACHE_PID is Apache's own.
setpriv --reuid="$RUN_AS" --regid="$(id -g "$RUN_AS")" --init-groups \
    /usr/sbin/apache2 -f "$TMP/httpd.conf" -DFOREGROUND &
APACHE_PID=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$APACHE_PID" 2>/dev/null || { cat "$TMP/log/error.log" >&2; die "Apache did not start"; }
    sleep 0.1
done

# bench/shared_hosting.sh measures through this same server: KHEDMA_APACHE_RUN is its command,
# run instead of the tests with KHEDMA_TEST_URL set.
if [ -n "${KHEDMA_APACHE_RUN:-}" ]; then
    KHEDMA_TEST_URL="http://127.0.0.1:$PORT" $KHEDMA_APACHE_RUN
    exit
fi

extra=()
[ "$MODE" != fcgid ] || extra=(khedmad.fcgi)
out=$(KHEDMA_TEST_URL="http://127.0.0.1:$PORT" KHEDMA_TEST_VAR=$VAR \
    python3 "$HERE/slice.py" "$LABEL" "${extra[@]}" | tee /dev/stderr | tail -n 1)
passed=$(echo "$out" | sed -nE "s/^$LABEL: ([0-9]+) passed, ([0-9]+) failed$/\1/p")
failed=$(echo "$out" | sed -nE "s/^$LABEL: ([0-9]+) passed, ([0-9]+) failed$/\2/p")
[ -n "$passed" ] || { passed=0; failed=1; }

check() { # check NAME COMMAND...: one more counted result
    if "${@:2}"; then
        echo "ok - $LABEL::$1"
        passed=$((passed + 1))
    else
        echo "not ok - $LABEL::$1"
        failed=$((failed + 1))
    fi
}

# khedma.conf is never served, whatever path reaches it: the answer must not hold its contents.
conf_hidden() {
    python3 - "http://127.0.0.1:$PORT/khedma.conf" <<'PY'
import sys, urllib.error, urllib.request
try:
    body = urllib.request.urlopen(sys.argv[1], timeout=30).read()
except urllib.error.HTTPError as e:
    body = e.read()
sys.exit(1 if b"KHEDMA_DATABASE_URL" in body else 0)
PY
}
check "khedma.conf is not served" conf_hidden

# The storefront through Apache: the home page comes from khedmad and names the stylesheet, which
# Apache serves from static/ (not khedmad, which has no such route); an image stored in the upload
# directory is served as it is, typed and immutable; a file next to them that is not under
# static/ or uploads/ still goes to khedmad (a 404 page), never out as a file.
storefront_files() {
    python3 - "http://127.0.0.1:$PORT" "$WWW" "$RUN_AS" <<'PY'
import hashlib, os, pwd, sys, urllib.error, urllib.request
base, www, user = sys.argv[1:]
def get(path):
    try:
        r = urllib.request.urlopen(base + path, timeout=30)
        return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
status, _, home = get("/")
assert status == 200 and b'href="/static/khedma.css"' in home, (status, home[:300])
status, h, css = get("/static/khedma.css")
with open(os.path.join(www, "static", "khedma.css"), "rb") as f:
    assert status == 200 and css == f.read(), status
assert h["Content-Type"].startswith("text/css"), h["Content-Type"]
assert h["X-Content-Type-Options"] == "nosniff", dict(h)
png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f6b1d50000000049454e44ae426082")
name = hashlib.sha256(png).hexdigest() + ".png"
path = os.path.join(www, "uploads", name)
with open(path, "wb") as f:
    f.write(png)
pw = pwd.getpwnam(user)
os.chown(path, pw.pw_uid, pw.pw_gid)
status, h, body = get("/uploads/" + name)
assert status == 200 and body == png and h["Content-Type"] == "image/png", (status, dict(h))
assert "immutable" in h.get("Cache-Control", ""), dict(h)
status, _, body = get("/khedmad.conf.bak")
assert status == 404 and b"<html" in body.lower(), status
PY
}
check "the storefront's static files and uploads are served by Apache" storefront_files

# Apache stops its FastCGI processes with SIGTERM: each logs its clean stop and exits.
stopped_cleanly() {
    kill -TERM "$APACHE_PID"
    local i
    for i in $(seq 1 100); do
        kill -0 "$APACHE_PID" 2>/dev/null || break
        sleep 0.1
    done
    APACHE_PID=""
    for i in $(seq 1 100); do
        [ -z "$(our_khedmads)" ] && break
        sleep 0.1
    done
    [ -z "$(our_khedmads)" ] && grep -q '"proc":"fcgi".*"msg":"worker stopped"' "$TMP/log/error.log"
}
[ "$MODE" != fcgid ] || check "SIGTERM from Apache stops khedmad cleanly" stopped_cleanly
[ "$failed" -eq 0 ] || tail -n 30 "$TMP/log/error.log" >&2

echo "$LABEL: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
