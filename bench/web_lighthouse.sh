#!/usr/bin/env bash
# bench/web_lighthouse.sh - prints the Lighthouse scores (performance, accessibility, best
# practices, SEO) of the home page and a gig page of the running stack; asserts nothing.
# Lighthouse is npm's `lighthouse`, pinned in bench/lighthouse/package.json (installed there with
# `npm ci` when node_modules is missing or older than the lock file), run with Debian's chromium
# (CHROME_PATH=/usr/bin/chromium, headless) and its default settings: the mobile preset (a
# mid-range phone, simulated slow 4G and 4x CPU slowdown). One run per page; scores move by a few
# points between runs on a busy machine, so run it again before reading much into one number.
#
#   bench/web_lighthouse.sh [PATH-or-URL...]     (default: / and a gig page)
#
# The gig page is BENCH_GIG_PATH, or else the newest published gig (GET /api/gigs) whose gallery
# has no third-party image (the test machine has no internet: an image it cannot fetch would count
# against the page), or else the newest one. Reports (JSON and HTML, for a person to read) go to
# $KHEDMA_VAR/log/lighthouse-<name>.report.{json,html}. Under each page's scores the audits that
# cost points are listed. Runs against a stack that deploy/up started (KHEDMA_PORT, KHEDMA_VAR).
set -euo pipefail
K_PROG=bench
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
k_init

here=$K_REPO/bench/lighthouse
chromium=${CHROME_PATH:-/usr/bin/chromium}
[ -x "$chromium" ] || k_die "$chromium is missing (apt-get install chromium)"
command -v npm >/dev/null || k_die "npm is missing (deploy/test installs nodejs and npm)"
[ "$(k_http_status "$K_URL/healthz")" = 200 ] ||
    k_die "no healthy stack at $K_URL: start it with deploy/up (same KHEDMA_PORT / KHEDMA_VAR)"
if [ ! -d "$here/node_modules" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    k_say "npm ci in bench/lighthouse"
    (cd "$here" && npm ci --no-audit --no-fund) >&2 || k_die "npm ci failed in $here"
fi

# The gig page to measure (see above).
gig_path() {
    if [ -n "${BENCH_GIG_PATH:-}" ]; then
        echo "$BENCH_GIG_PATH"
        return 0
    fi
    curl -s --max-time 10 "$K_URL/api/gigs?limit=50" | python3 -c '
import json, sys
try:
    items = json.load(sys.stdin)["data"]["items"]
except (ValueError, KeyError, TypeError):
    sys.exit(0)
def local(g):
    images = (g.get("attachaments") or {}).get("images") or []
    return all(str(i.get("url", "")).startswith("/") for i in images)
pick = next((g for g in items if local(g)), items[0] if items else None)
if pick:
    print("/%s/%s" % (pick["owner"]["username"], pick["slug"]))
'
}

pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
    pages=(/)
    gig=$(gig_path)
    if [ -n "$gig" ]; then pages+=("$gig"); else k_say "no published gig to measure (GET /api/gigs is empty)"; fi
fi

report() { # report JSON: the four scores on one line, then the audits that cost points
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
if d.get("runtimeError"):
    print("  runtime error: %s" % d["runtimeError"].get("message"))
cats = d["categories"]
order = ["performance", "accessibility", "best-practices", "seo"]
def score(c):
    s = cats.get(c, {}).get("score")
    return "?" if s is None else "%d" % round(s * 100)
print("  " + "  ".join("%s %s" % (c, score(c)) for c in order))
audits = d["audits"]
for c in order:
    lost = []
    for ref in cats.get(c, {}).get("auditRefs", []):
        a = audits.get(ref["id"], {})
        if ref.get("weight", 0) > 0 and a.get("score") is not None and a["score"] < 1:
            value = (" (%s)" % a["displayValue"]) if a.get("displayValue") else ""
            where = []
            for item in ((a.get("details") or {}).get("items") or [])[:3]:
                if not isinstance(item, dict):
                    continue
                w = item.get("url") or (item.get("sourceLocation") or {}).get("url") \
                    or (item.get("node") or {}).get("snippet")
                if w:
                    where.append(str(w)[:100])
            at = (" at " + ", ".join(where)) if where else ""
            lost.append("%s %.2f%s%s" % (ref["id"], a["score"], value, at))
    if lost:
        print("    %s: %s" % (c, "; ".join(lost)))
for w in d.get("runWarnings", []):
    print("  warning: %s" % " ".join(str(w).split())[:200])
PY
}

echo "Lighthouse $(node -p "require('$here/node_modules/lighthouse/package.json').version"), $("$chromium" --version 2>/dev/null | head -n 1), mobile preset; $K_URL"
for path in "${pages[@]}"; do
    case $path in http://* | https://*) url=$path ;; *) url=$K_URL$path ;; esac
    code=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' --max-time 5 "$url" || true)
    case $code in
    "200 text/html"*) ;;
    *)
        echo "$path: skipped, it answered '$code', not 200 text/html"
        continue
        ;;
    esac
    name=$(printf '%s' "${path#"$K_URL"}" | sed 's|^https\{0,1\}://||' | tr -c 'A-Za-z0-9_-' '-' | sed 's/^-*//; s/-*$//' | cut -c1-60)
    out=$K_LOG/lighthouse-${name:-home}
    rm -f "$out.report.json" "$out.report.html"
    if ! CHROME_PATH=$chromium timeout 300 "$here/node_modules/.bin/lighthouse" "$url" \
        --output json --output html --output-path "$out" --quiet \
        --only-categories=performance,accessibility,best-practices,seo \
        --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage" \
        2>"$out.err"; then
        echo "$path: lighthouse failed: $(tail -n 3 "$out.err")"
        continue
    fi
    rm -f "$out.err"
    echo "$path"
    report "$out.report.json"
done
echo "(reports: $K_LOG/lighthouse-*.report.html; goals: every score >= 95 on the home and gig pages)"
