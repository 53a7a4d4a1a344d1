#!/usr/bin/env python3
"""check_dashboard.py - deploy/grafana-khedma.json against what khedmad exports: the file is a
Grafana dashboard (panels with unique ids, a grid position, a Prometheus datasource and targets),
and every series its PromQL names (panel targets and template queries) is one khedmad writes, with
only labels that series has. The exported families and labels are read from src/metrics/metrics.c
(its prom_family calls and label names), so a renamed series fails here.

Also checks that it notices a wrong name (a dashboard with a misspelt series must fail). Ends with
`dashboard: N passed, N failed`. Usage: check_dashboard.py [DASHBOARD.json]"""

import copy
import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(REPO, "src", "metrics", "metrics.c")
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"job", "instance", "instance_name"}
FUNCTION_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                  "or", "unless", "offset"}


def exported():
    """{series name: set of labels} from metrics.c: each family, its histogram series, and the
    label names written for it."""
    text = open(SOURCE).read()
    families = dict(re.findall(r'prom_family\(\s*out,\s*"([a-z_]+)",\s*"([a-z]+)"', text))
    labels_of = {name: set() for name in families}
    # Each render function names its series after its labels: take every {"label", ...} pair in
    # the function that writes the family.
    for fn in re.split(r"\n(?=static void |void )", text):
        names = set(re.findall(r'\{"([a-z_]+)",\s*[^}]+\}', fn))
        for fam in re.findall(r'prom_family\(\s*out,\s*"([a-z_]+)"', fn):
            labels_of[fam] |= names
    series = {}
    for name, kind in families.items():
        labels = labels_of[name] | TARGET_LABELS
        if kind == "histogram":
            series[name + "_bucket"] = labels | {"le"}
            series[name + "_sum"] = labels
            series[name + "_count"] = labels
        else:
            series[name] = labels
    return series


def expressions(dash):
    for p in dash.get("panels", []):
        for t in p.get("targets", []):
            yield f"panel {p.get('id')} {t.get('refId')}", t.get("expr", "")
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        yield f"variable {v.get('name')}", q.get("query", "") if isinstance(q, dict) else q or ""


def problems(dash, series):
    out = []
    ids = [p.get("id") for p in dash.get("panels", [])]
    if not ids:
        out.append("no panels")
    if len(ids) != len(set(ids)):
        out.append(f"panel ids repeat: {ids}")
    for p in dash.get("panels", []):
        grid = p.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")):
            out.append(f"panel {p.get('id')}: no gridPos")
        if (p.get("datasource") or {}).get("type") != "prometheus":
            out.append(f"panel {p.get('id')}: datasource is not Prometheus")
        if not p.get("targets"):
            out.append(f"panel {p.get('id')}: no targets")
    for where, expr in expressions(dash):
        if not expr:
            out.append(f"{where}: empty expression")
            continue
        scrubbed = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values are not names
        for name in set(re.findall(r"\bkhedma_[a-z0-9_]+\b", scrubbed)):
            if name not in series:
                out.append(f"{where}: {name} is not a series khedmad exports")
        # Any other selector-like name ("foo{" or "rate(foo[") is a series too.
        for name in re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{|\[)", scrubbed):
            if not name.startswith("khedma_") and name not in FUNCTION_WORDS:
                out.append(f"{where}: {name} is not a series khedmad exports")
        used = set()
        for sel_name, sel in re.findall(r"\b(khedma_[a-z0-9_]+)\{([^}]*)\}", expr):
            for label in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", sel):
                if sel_name in series and label not in series[sel_name]:
                    out.append(f"{where}: {sel_name} has no label {label}")
        for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", scrubbed):
            used |= {g.strip() for g in group.split(",") if g.strip()}
        names = set(re.findall(r"\bkhedma_[a-z0-9_]+\b", scrubbed)) & set(series)
        allowed = set().union(*(series[n] for n in names)) if names else set()
        for label in used - allowed:
            out.append(f"{where}: grouped by {label}, which none of its series has")
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "deploy", "grafana-khedma.json")
    passed = failed = 0

    def report(ok, name, detail=""):
        nonlocal passed, failed
        print(f"{'ok' if ok else 'not ok'} - dashboard::{name}" + (f": {detail}" if detail else ""))
        if ok:
            passed += 1
        else:
            failed += 1

    series = exported()
    report(len(series) >= 12, "the exported series were found in metrics.c", str(sorted(series)))
    try:
        dash = json.load(open(path))
        report(True, "the dashboard is JSON")
    except (OSError, ValueError) as e:
        report(False, "the dashboard is JSON", str(e))
        dash = None
    if dash is not None:
        found = problems(dash, series)
        report(not found, "every expression names exported series and labels", "; ".join(found))
        wanted = {"khedma_http_requests_total", "khedma_http_request_duration_seconds_bucket",
                  "khedma_db_errors_total", "khedma_gateway_calls_total",
                  "khedma_gateway_call_duration_seconds_bucket", "khedma_webhook_deliveries",
                  "khedma_payments_pending_reconciliation",
                  "khedma_jobs_tick_duration_seconds_bucket", "khedma_worker_restarts_total"}
        text = " ".join(e for _, e in expressions(dash))
        missing = sorted(w for w in wanted if w not in text)
        report(not missing, "every family has a panel", ", ".join(missing))
        broken = copy.deepcopy(dash)
        broken["panels"][0]["targets"][0]["expr"] = "rate(khedma_http_request_total[5m])"
        broken["panels"][1]["targets"][0]["expr"] = "sum by (path) (khedma_db_errors_total)"
        found = problems(broken, series)
        report(len(found) == 2, "a misspelt series and an unknown label are caught", "; ".join(found))
    print(f"dashboard: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
