"""test_privileges.py - the test stack runs without root: khedmad's master, workers and jobs process
run as the user deploy/lib.sh chose (run/khedmad.user: khedma, created by deploy/test), with that
user's groups only, and the private MariaDB runs as mysql. When the checkout is somewhere those users
cannot enter (a clone under /root), deploy/lib.sh keeps root and says so; the tests then check that
the fallback was needed. khedmad refuses to start when KHEDMA_USER names nobody on the system."""

import grp
import os
import pwd
import subprocess
import tempfile

from harness import VAR, http, khedmad_env, khedmad_pids, khedmad_run


def _status(pid):
    """{"Uid": [real, effective, saved, fs], "Gid": [...], "Groups": [...]} from /proc."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = [int(v) for v in value.split()]
    return out


def _can_enter(user, path):
    pw = pwd.getpwnam(user)
    p = subprocess.run(["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups",
                        "test", "-x", path], capture_output=True, timeout=10)
    return p.returncode == 0


def _chosen(name):
    with open(os.path.join(VAR, "run", name)) as f:
        return f.read().strip()


def _assert_runs_as(pid, user, what):
    pw = pwd.getpwnam(user)
    st = _status(pid)
    assert st["Uid"] == [pw.pw_uid] * 4, f"{what} {pid}: Uid {st['Uid']}, want {user} ({pw.pw_uid})"
    assert st["Gid"] == [pw.pw_gid] * 4, f"{what} {pid}: Gid {st['Gid']}, want {pw.pw_gid}"
    want_groups = sorted(set(os.getgrouplist(user, pw.pw_gid)))
    assert sorted(set(st["Groups"])) == want_groups, \
        f"{what} {pid}: supplementary groups {st['Groups']}, want {user}'s {want_groups}"


def test_khedmad_runs_as_the_unprivileged_user():
    user = _chosen("khedmad.user")
    pids = khedmad_pids()
    assert pids["master"] and pids["workers"] and pids["jobs"], f"khedmad is not running: {pids}"
    if user == "root":
        # deploy/lib.sh keeps root only when khedma cannot reach the stack's directories.
        assert not _can_enter("khedma", os.path.join(VAR, "run")), \
            "khedmad runs as root although khedma can enter the stack's directory"
        print(f"# the checkout is out of khedma's reach ({VAR}): khedmad runs as root")
        return
    assert user == "khedma", f"deploy/test should pick the khedma user, not {user}"
    _assert_runs_as(pids["master"], user, "master")
    for w in pids["workers"]:
        _assert_runs_as(w, user, "worker")
    _assert_runs_as(pids["jobs"], user, "jobs process")


def test_requests_and_uploads_work_after_the_drop():
    r = http("GET", "/healthz")
    assert r.status == 200, r
    user = _chosen("khedmad.user")
    uploads = khedmad_env()[0]["KHEDMA_UPLOAD_DIR"]
    st = os.stat(uploads)
    assert pwd.getpwuid(st.st_uid).pw_name == user, \
        f"{uploads} belongs to {pwd.getpwuid(st.st_uid).pw_name}: khedmad ({user}) cannot write it"
    # Every image stored since the drop belongs to that user (test_web_seller.py uploads some).
    started = os.stat(os.path.join(VAR, "run", "khedmad.pid")).st_mtime
    for name in os.listdir(uploads):
        path = os.path.join(uploads, name)
        if os.path.isfile(path) and os.stat(path).st_mtime > started:
            assert pwd.getpwuid(os.stat(path).st_uid).pw_name == user, f"{path} not written as {user}"


def test_mariadb_runs_as_mysql():
    pidfile = os.path.join(VAR, "run", "mysqld", "mysqld.pid")
    with open(pidfile) as f:
        pid = int(f.read().strip())
    uid = _status(pid)["Uid"][1]
    if uid == 0:
        assert not _can_enter("mysql", VAR), "mariadbd runs as root although mysql can enter it"
        print(f"# the checkout is out of mysql's reach ({VAR}): MariaDB runs as root")
        return
    assert uid == pwd.getpwnam("mysql").pw_uid, f"mariadbd runs as uid {uid}, not mysql"
    assert _status(pid)["Gid"][1] == grp.getgrnam("mysql").gr_gid


def test_an_unknown_user_stops_the_server_before_it_serves():
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "k.sock")
        p = khedmad_run("serve", env={"KHEDMA_LISTEN": sock, "KHEDMA_USER": "no-such-user-khedma",
                                      "KHEDMA_WORKERS": "1"}, timeout=30)
        assert p.returncode == 1, f"exit {p.returncode}: {p.stderr[-400:]}"
        assert "no such user" in p.stderr and "no-such-user-khedma" in p.stderr, p.stderr[-400:]
        assert "worker ready" not in p.stderr, "a worker started although the drop failed"
