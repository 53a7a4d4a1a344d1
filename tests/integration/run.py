#!/usr/bin/env python3
"""run.py - the integration test runner (Python standard library only).

Imports every tests/integration/test_*.py in name order (or the files given as arguments), runs
each top-level function named test_* in definition order, prints `ok - file::test` or
`not ok - file::test: <error>` (the traceback goes to stderr), and ends with
`integration: N passed, N failed`; exits 1 when anything failed.

Each test gets KHEDMA_TEST_TIMEOUT seconds (default 180) before it is failed.
"""

import importlib.util
import os
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


class TestTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise TestTimeout("test took too long")


def _load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _tests(module):
    return [(name, obj) for name, obj in vars(module).items()
            if name.startswith("test_") and callable(obj)
            and getattr(obj, "__module__", None) == module.__name__]


def _one_line(exc):
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return " ".join(text.split())[:400]


def main(argv):
    sys.dont_write_bytecode = True
    sys.path.insert(0, HERE)
    if argv:
        files = [os.path.abspath(a) for a in argv]
    else:
        files = sorted(os.path.join(HERE, f) for f in os.listdir(HERE)
                       if f.startswith("test_") and f.endswith(".py"))
    limit = int(os.environ.get("KHEDMA_TEST_TIMEOUT", "180"))
    signal.signal(signal.SIGALRM, _on_alarm)
    passed = failed = 0
    for path in files:
        label = os.path.basename(path)
        try:
            module = _load(path)
        except Exception as exc:  # a file that does not import counts as one failure
            failed += 1
            print(f"not ok - {label}::<import>: {_one_line(exc)}", flush=True)
            traceback.print_exc()
            continue
        for name, fn in _tests(module):
            started = time.monotonic()
            signal.alarm(limit)
            try:
                fn()
            except BaseException as exc:  # report everything, including a timeout, and go on
                signal.alarm(0)
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failed += 1
                print(f"not ok - {label}::{name}: {_one_line(exc)}", flush=True)
                print(f"--- {label}::{name}", file=sys.stderr)
                traceback.print_exc()
                sys.stderr.flush()
                continue
            signal.alarm(0)
            passed += 1
            print(f"ok - {label}::{name}", flush=True)
            elapsed = time.monotonic() - started
            if elapsed > 5:
                print(f"--- {label}::{name} took {elapsed:.1f}s", file=sys.stderr, flush=True)
    print(f"integration: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
