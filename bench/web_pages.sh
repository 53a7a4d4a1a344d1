#!/usr/bin/env bash
# bench/web_pages.sh - prints the web storefront's page figures, on this machine; asserts nothing.
# For the HTML gig page GET /{username}/{slug} and the home page GET /, at BENCH_CONNECTIONS
# (default 8) connections:
#   (a) uncached: the stack restarted by deploy/up with KHEDMA_PUBLIC_CACHE_S=0; the gig page
#       rotates over every seeded gig; requests/s, p50, p95, p99 (wrk, percentiles from its Lua
#       done() hook);
#   (b) cached: restarted again with the caller's KHEDMA_PUBLIC_CACHE_S (default 1 s), one page
#       each, against a second nginx of the script's own serving the SAME bytes (the anonymous
#       page as fetched) as a static file, with the same wrk script; the cached / static ratio;
#   (c) the bytes a browser transfers for one gig page, compressed: the HTML and every stylesheet
#       and script it links (curl --compressed), body and headers, in KiB, against 60 KiB.
# Runs against a stack that deploy/up started (KHEDMA_PORT, KHEDMA_VAR and the rest of its
# environment as there) and restarts it twice with deploy/up (BENCH_RESTART=0 measures the running
# stack once, as it is, instead). A page that does not answer 200 text/html is reported and skipped.
#
# Data: bench/seed_gigs.sh (BENCH_GIGS published gigs, default 2000, of BENCH_SELLERS sellers,
# default 200; rows with ids "cbench..." replaced at each run). BENCH_SEED=0 seeds nothing.
# Environment: BENCH_DURATION (seconds per wrk run, default 10), BENCH_THREADS (default 2),
# BENCH_CONNECTIONS (default 8), BENCH_RESTART (default 1), BENCH_HOME_PATH (default /),
# BENCH_GIG_PATH (default: the seeded gigs, /bench_sN/bench-gig-M; when set, that one page).
set -euo pipefail
K_PROG=bench
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
k_init

GIGS=${BENCH_GIGS:-2000}
SELLERS=${BENCH_SELLERS:-200}
DURATION=${BENCH_DURATION:-10}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
RESTART=${BENCH_RESTART:-1}
SEED=${BENCH_SEED:-1}
HOME_PATH=${BENCH_HOME_PATH:-/}
GIG_PATH=${BENCH_GIG_PATH:-}
BUDGET_KIB=60
for v in GIGS SELLERS DURATION THREADS CONNECTIONS; do
    case ${!v} in '' | *[!0-9]* | 0*) k_die "BENCH_$v must be a positive integer" ;; esac
done
[ "$SELLERS" -le "$GIGS" ] || k_die "BENCH_SELLERS must not exceed BENCH_GIGS"
command -v wrk >/dev/null || k_ensure_packages wrk
[ "$(k_http_status "$K_URL/healthz")" = 200 ] ||
    k_die "no healthy stack at $K_URL: start it with deploy/up (same KHEDMA_PORT / KHEDMA_VAR)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT # replaced once the static nginx can be running (stop_static)

rotate=0
if [ -z "$GIG_PATH" ]; then
    rotate=1
    GIG_PATH=/bench_s1/bench-gig-1
fi
if [ "$SEED" = 1 ]; then
    # shellcheck source=bench/seed_gigs.sh
    . "$K_REPO/bench/seed_gigs.sh"
    bench_seed
    k_say "data set: $published published bench gigs of $SELLERS sellers"
fi

# ---------------------------------------------------------------------------------------------
# wrk: one Lua script for every run, so the client does the same work against khedmad and against
# the static file. With arguments GIGS SELLERS it rotates over the seeded gig pages (each thread
# starting elsewhere); without, it requests the URL given. done() prints p50, p95 and p99 in ms.

cat >"$TMP/pages.lua" <<'LUA'
local counter = 0
function setup(thread)
    thread:set("offset", counter)
    counter = counter + 1
end
function init(args)
    gigs = tonumber(args[1])
    sellers = tonumber(args[2])
    if gigs then i = (offset * 7919) % gigs end
end
function request()
    if not gigs then return wrk.request() end
    i = i % gigs + 1
    return wrk.format("GET", string.format("/bench_s%d/bench-gig-%d", (i - 1) % sellers + 1, i))
end
function done(summary, latency, requests)
    for _, p in ipairs({50, 95, 99}) do
        io.write(string.format("pct%d %.2fms\n", p, latency:percentile(p) / 1000))
    end
end
LUA

declare -A RPS P50 P95 P99 NON2XX
run_target() { # run_target NAME URL [rotate]
    local name=$1 url=$2 out
    local -a args=(-s "$TMP/pages.lua" "$url")
    [ "${3:-}" != rotate ] || args+=(-- "$GIGS" "$SELLERS")
    wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "${args[@]}" >/dev/null # warm-up
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "${args[@]}")
    {
        echo "== $name $url"
        echo "$out"
    } >>"$K_LOG/bench-web-pages-wrk.out"
    RPS[$name]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    P50[$name]=$(awk '$1 == "pct50" { print $2 }' <<<"$out")
    P95[$name]=$(awk '$1 == "pct95" { print $2 }' <<<"$out")
    P99[$name]=$(awk '$1 == "pct99" { print $2 }' <<<"$out")
    NON2XX[$name]=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' <<<"$out")
}

# is_page PATH: 0 when the stack answers PATH with 200 text/html; otherwise says why.
is_page() {
    local got
    got=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' --max-time 5 "$K_URL$1" || true)
    case $got in
    "200 text/html"*) return 0 ;;
    *)
        k_say "skipped $1: it answered '$got', not 200 text/html (is the page built yet?)"
        return 1
        ;;
    esac
}

restart_stack() { # restart_stack CACHE_S|-: "-" is the caller's own setting
    local cache=$1
    [ "$RESTART" = 1 ] || return 0
    if [ "$cache" = - ]; then
        if [ -n "${CALLER_CACHE+x}" ]; then export KHEDMA_PUBLIC_CACHE_S=$CALLER_CACHE; else unset KHEDMA_PUBLIC_CACHE_S; fi
    else
        export KHEDMA_PUBLIC_CACHE_S=$cache
    fi
    k_say "restarting the stack with KHEDMA_PUBLIC_CACHE_S=${KHEDMA_PUBLIC_CACHE_S:-(default)} (deploy/up)"
    "$K_REPO/deploy/up" >"$TMP/up.out" 2>&1 || k_die "deploy/up failed: $(tail -n 5 "$TMP/up.out")"
    k_init
}
[ -n "${KHEDMA_PUBLIC_CACHE_S+x}" ] && CALLER_CACHE=$KHEDMA_PUBLIC_CACHE_S

# ---------------------------------------------------------------------------------------------
# The same bytes as static files, behind a second nginx of our own

STATIC_PORT=$((K_PORT + 31))
start_static() {
    mkdir -p "$TMP/static" "$TMP/nginx/tmp" "$TMP/nginx/logs"
    chmod 711 "$TMP"
    chmod 755 "$TMP/static"
    cat >"$TMP/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    keepalive_requests 1000;
    client_body_temp_path $TMP/nginx/tmp/client_body;
    fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
    proxy_temp_path $TMP/nginx/tmp/proxy;
    uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
    scgi_temp_path $TMP/nginx/tmp/scgi;
    access_log $TMP/nginx/logs/access.log;
    server {
        listen 127.0.0.1:$STATIC_PORT;
        location / {
            root $TMP/static;
            default_type text/html;
        }
    }
}
NGINX
    nginx -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" || k_die "the static nginx did not start"
}
stop_static() {
    local pid
    pid=$(cat "$TMP/nginx/nginx.pid" 2>/dev/null || true)
    [ -z "$pid" ] || kill -QUIT "$pid" 2>/dev/null || true
    [ -z "$pid" ] || k_wait_gone "$pid" 10 || true
}
trap 'stop_static; rm -rf "$TMP"' EXIT

# ---------------------------------------------------------------------------------------------
# Transferred bytes of one page: the HTML and every stylesheet and script it links, compressed

page_bytes() { # page_bytes PATH: prints one line per resource, then the totals
    local path=$1 url line body hdr total_body=0 total_hdr=0
    curl -s --compressed -o "$TMP/bytes.html" -w '%{size_download} %{size_header}\n' "$K_URL$path" >"$TMP/bytes.sizes"
    read -r body hdr <"$TMP/bytes.sizes"
    printf '  %-60s %9s %9s\n' "$path" "$body" "$hdr"
    total_body=$((total_body + body))
    total_hdr=$((total_hdr + hdr))
    while IFS= read -r url; do
        [ -n "$url" ] || continue
        line=$(curl -s --compressed -o /dev/null -w '%{http_code} %{size_download} %{size_header}' "$url")
        read -r code body hdr <<<"$line"
        [ "$code" = 200 ] || k_say "  $url answered $code"
        printf '  %-60s %9s %9s\n' "${url#"$K_URL"}" "$body" "$hdr"
        total_body=$((total_body + body))
        total_hdr=$((total_hdr + hdr))
    done < <(python3 - "$K_URL$path" "$TMP/bytes.html" <<'PY'
# The same-origin stylesheets and scripts a page links (absolute URLs, once each).
import html.parser, sys, urllib.parse
base, path = sys.argv[1], sys.argv[2]
origin = urllib.parse.urlsplit(base)[:2]
seen = []
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        ref = None
        rel = (a.get("rel") or "").lower().split()
        if tag == "link" and ({"stylesheet", "modulepreload"} & set(rel)
                              or ("preload" in rel and a.get("as") in ("style", "script"))):
            ref = a.get("href")
        elif tag == "script" and a.get("src"):
            ref = a["src"]
        if ref:
            url = urllib.parse.urljoin(base, ref)
            if urllib.parse.urlsplit(url)[:2] == origin and url not in seen:
                seen.append(url)
P().feed(open(path, encoding="utf-8", errors="replace").read())
print("\n".join(seen))
PY
    )
    awk -v b="$total_body" -v h="$total_hdr" -v budget="$BUDGET_KIB" 'BEGIN {
        printf "  total: %.1f KiB compressed bodies, %.1f KiB with headers (budget %d KiB)\n",
               b / 1024, (b + h) / 1024, budget }'
}

# ---------------------------------------------------------------------------------------------
# Load

: >"$K_LOG/bench-web-pages-wrk.out"
restart_stack 0
k_say "uncached, wrk -c$CONNECTIONS, ${DURATION}s each: gig page$([ "$rotate" = 1 ] && echo " (over $GIGS gigs)"), home page"
if is_page "$GIG_PATH"; then
    if [ "$rotate" = 1 ]; then run_target gig_uncached "$K_URL/" rotate; else run_target gig_uncached "$K_URL$GIG_PATH"; fi
fi
if is_page "$HOME_PATH"; then run_target home_uncached "$K_URL$HOME_PATH"; fi

restart_stack -
start_static
k_say "cached vs the same bytes from a static file, wrk -c$CONNECTIONS, ${DURATION}s each"
for which in gig home; do
    if [ "$which" = gig ]; then path=$GIG_PATH; else path=$HOME_PATH; fi
    is_page "$path" || continue
    curl -s -o "$TMP/static/$which.html" "$K_URL$path"
    chmod 644 "$TMP/static/$which.html"
    run_target "${which}_cached" "$K_URL$path"
    run_target "${which}_static" "http://127.0.0.1:$STATIC_PORT/$which.html"
done
stop_static

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); stack at $K_URL, KHEDMA_WORKERS=${KHEDMA_WORKERS:-(default)}"
printf '%-34s %11s %9s %9s %9s %8s\n' target requests/s p50 p95 p99 non-2xx
for name in gig_uncached home_uncached gig_cached gig_static home_cached home_static; do
    [ -n "${RPS[$name]:-}" ] || continue
    case $name in
    gig_uncached) label="gig page, uncached" ;;
    home_uncached) label="home page, uncached" ;;
    gig_cached) label="gig page, cached" ;;
    gig_static) label="gig page bytes, static file" ;;
    home_cached) label="home page, cached" ;;
    home_static) label="home page bytes, static file" ;;
    esac
    printf '%-34s %11s %9s %9s %9s %8s\n' "$label" "${RPS[$name]}" "${P50[$name]:-?}" "${P95[$name]:-?}" \
        "${P99[$name]:-?}" "${NON2XX[$name]:-0}"
done
for which in gig home; do
    [ -n "${RPS[${which}_cached]:-}" ] || continue
    echo "$which page cached / static = $(awk -v a="${RPS[${which}_cached]}" -v b="${RPS[${which}_static]:-0}" \
        'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')"
done
echo "(wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s; the gig page: $([ "$rotate" = 1 ] && echo "uncached over $GIGS seeded gigs, cached and bytes on $GIG_PATH" || echo "$GIG_PATH");"
echo " full output in $K_LOG/bench-web-pages-wrk.out)"

if is_page "$GIG_PATH"; then
    echo "transferred bytes of the gig page (curl --compressed):"
    printf '  %-60s %9s %9s\n' resource body header
    page_bytes "$GIG_PATH"
fi
echo "goals: gig page uncached p95 <= 10 ms at 8 connections; cached >= 0.5x the static file;"
echo "       gig page HTML + CSS + JS <= $BUDGET_KIB KiB compressed"
