#!/usr/bin/env python3
"""slice.py - a representative slice of the integration tests, run through a web server other
than the test stack's nginx (the Apache tests, tests/integration/apache/run.sh).

Usage: KHEDMA_TEST_URL=http://127.0.0.1:PORT slice.py LABEL [PROCESS_NAME]. Runs existing test
functions (accounts signup/login/bearer, a gig read and a gig write, checkout to paid with the
gateway emulator, order moves) and ends with `LABEL: N passed, N failed`. With PROCESS_NAME
(the FastCGI mode) it also checks that the web server spawned khedmad as single processes: each
one's parent is the web server, none has khedmad children, and none runs as root.
"""

import importlib
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.dont_write_bytecode = True

SLICE = [
    ("test_accounts", "test_signup_created_with_session_cookie"),
    ("test_accounts", "test_login_returns_token_and_cookie"),
    ("test_accounts", "test_me_with_bearer_and_with_cookie"),
    ("test_accounts", "test_logout_revokes_only_that_token"),
    ("test_gigs_rest", "test_details_shape"),
    ("test_gigs_rest", "test_owner_sees_own_drafts_others_do_not"),
    ("test_payments", "test_card_checkout_answers_the_documented_data"),
    ("test_payments", "test_gateway_event_confirms_the_order"),
    ("test_payments", "test_submit_confirms_a_paid_checkout"),
    ("test_lifecycle", "test_full_lifecycle_with_revisions_bounded_by_the_package"),
    ("test_lifecycle", "test_moves_out_of_order_are_409"),
]


def _status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def _exe(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def check_single_processes(name):
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and os.path.basename(_exe(p)) == name]
    assert pids, f"no {name} process runs: the web server did not spawn khedmad as FastCGI"
    for pid in pids:
        st = _status(pid)
        parent = int(st["PPid"])
        assert os.path.basename(_exe(parent)) != name, f"{pid} is a child of another {name}"
        assert "apache" in _exe(parent), f"{pid}'s parent is {_exe(parent)}, not the web server"
        assert st["Uid"].split()[0] != "0", f"{pid} runs as root"
        kids = [p for p in pids if int(_status(p)["PPid"]) == pid]
        assert not kids, f"{pid} forked {kids}: not one worker"


def main(argv):
    label = argv[0]
    passed = failed = 0
    tests = [(f"{m}::{f}", getattr(importlib.import_module(m), f)) for m, f in SLICE]
    if len(argv) > 1:
        tests.append(("fcgi::single_processes", lambda: check_single_processes(argv[1])))
    for name, fn in tests:
        try:
            fn()
            passed += 1
            print(f"ok - {name}", flush=True)
        except Exception as exc:  # report and go on
            failed += 1
            print(f"not ok - {name}: {type(exc).__name__}: {exc}"[:400], flush=True)
            traceback.print_exc()
    print(f"{label}: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
