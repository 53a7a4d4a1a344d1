#!/usr/bin/env bash
# bench/gig_details.sh - prints the gig-page figures, on this machine; asserts nothing:
#   - gig.getGigDetails through nginx (tRPC GET, rotating over every seeded gig) and GET /healthz
#     in the same run, at 32 and 64 connections: requests/s and p99 latency (wrk --latency),
#   - the number of SQL round trips one getGigDetails makes, measured on the database server.
# Runs against a stack that deploy/up started (KHEDMA_PORT, KHEDMA_VAR as there); it does not
# start or stop anything.
#
# Data: BENCH_GIGS (default 2000) published gigs of BENCH_SELLERS (default 200) sellers, each
# with three packages, three tags, two FAQs, three attachments, and a completed order with a
# review on every third gig (every seller gets some, so ratings are really computed). Every
# row's id starts with "cbench" and is replaced at each run; nothing else is touched. Seeding
# is a handful of INSERT ... SELECT statements over MariaDB's sequence engine (seq_1_to_N).
#
# Round trips are counted from the server's global status: Questions (statements clients sent)
# + Com_stmt_prepare + Com_admin_commands (pings) around one request, minus the same delta with
# no request in between (the SHOW itself), the smallest of several tries (the jobs process may
# run a statement at the same moment). A warm-up first makes sure the statement is prepared.
#
# Environment: BENCH_DURATION (seconds per wrk run, default 10), BENCH_THREADS (default 2).
set -euo pipefail
K_PROG=bench
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
k_init

GIGS=${BENCH_GIGS:-2000}
SELLERS=${BENCH_SELLERS:-200}
DURATION=${BENCH_DURATION:-10}
THREADS=${BENCH_THREADS:-2}
for v in GIGS SELLERS DURATION THREADS; do
    case ${!v} in '' | *[!0-9]* | 0*) k_die "BENCH_$v must be a positive integer" ;; esac
done
[ "$SELLERS" -le "$GIGS" ] || k_die "BENCH_SELLERS must not exceed BENCH_GIGS"
command -v wrk >/dev/null || k_ensure_packages wrk
[ "$(k_http_status "$K_URL/healthz")" = 200 ] ||
    k_die "no healthy stack at $K_URL: start it with deploy/up (same KHEDMA_PORT / KHEDMA_VAR)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ---------------------------------------------------------------------------------------------
# The database the stack uses, as a mariadb client option file (the DSN holds the password).

DSN=$(k_dsn) || k_die "cannot read the stack's database settings (run me as the user that ran deploy/up)"
(umask 077 && python3 - "$DSN" >"$TMP/client.cnf") <<'PY' || k_die "cannot parse the database URL"
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
q = urllib.parse.parse_qs(u.query)
print("[client]")
print("user=" + urllib.parse.unquote(u.username or ""))
print("password=" + urllib.parse.unquote(u.password or ""))
if "socket" in q:
    print("socket=" + q["socket"][0])
else:
    print("host=" + (u.hostname or "127.0.0.1"))
    print("port=" + str(u.port or 3306))
print("database=" + u.path.lstrip("/"))
PY
sql() { mariadb --defaults-file="$TMP/client.cnf" -N -B "$@"; }
sql -e 'SELECT 1' >/dev/null || k_die "cannot connect to the stack's database"

# ---------------------------------------------------------------------------------------------
# Seed

seed_sql() {
    cat <<SQL
SET @sellers = $SELLERS;
DELETE FROM reviews WHERE id LIKE 'cbench%';
DELETE FROM orders WHERE id LIKE 'cbench%';
DELETE FROM gigs WHERE id LIKE 'cbench%';
DELETE FROM users WHERE id LIKE 'cbench%';
INSERT INTO users (id, name, username, email, password_hash, image)
SELECT CONCAT('cbenchu', LPAD(seq, 18, '0')), CONCAT('Bench Seller ', seq), CONCAT('bench_s', seq),
       CONCAT('bench_s', seq, '@bench.invalid'), '!no-login', CONCAT('https://cdn.example.com/a/', seq, '.png')
FROM seq_1_to_$SELLERS;
INSERT INTO users (id, name, username, email, password_hash)
VALUES ('cbenchc000000000000000001', 'Bench Client', 'bench_client', 'bench_client@bench.invalid', '!no-login');
INSERT INTO gigs (id, owner_id, title, slug, description, status, category_id,
                  offers_multiple_packages, created_at)
SELECT CONCAT('cbenchg', LPAD(s.seq, 18, '0')), CONCAT('cbenchu', LPAD((s.seq - 1) % @sellers + 1, 18, '0')),
       CONCAT('Bench gig ', s.seq, ': I will build it well'), CONCAT('bench-gig-', s.seq),
       '{"time":1,"blocks":[{"type":"header","data":{"text":"About this gig","level":2}},{"type":"paragraph","data":{"text":"A benchmark description: a few sentences about what the seller delivers, how and when."}}],"version":"2.28.0"}',
       'published', sc.id, 1, NOW(3) - INTERVAL s.seq SECOND
FROM seq_1_to_$GIGS s
JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k, COUNT(*) OVER () AS n
      FROM categories WHERE parent_id IS NOT NULL) sc ON sc.k = s.seq % sc.n;
INSERT INTO packages (id, gig_id, type, name, description, price, delivery, revisions)
SELECT CONCAT('cbenchp', t.k, LPAD(s.seq, 17, '0')), CONCAT('cbenchg', LPAD(s.seq, 18, '0')), t.type,
       CONCAT(t.label, ' package'), 'Everything this tier includes.', 100 * t.k + s.seq % 50 + 0.5,
       2 * t.k, t.k
FROM seq_1_to_$GIGS s
JOIN (SELECT 1 AS k, 'basic' AS type, 'Basic' AS label UNION ALL SELECT 2, 'standard', 'Standard'
      UNION ALL SELECT 3, 'premium', 'Premium') t;
INSERT INTO tags (id, gig_id, name, position)
SELECT CONCAT('cbencht', t.k, LPAD(s.seq, 17, '0')), CONCAT('cbenchg', LPAD(s.seq, 18, '0')), t.name, t.k
FROM seq_1_to_$GIGS s
JOIN (SELECT 1 AS k, 'fast' AS name UNION ALL SELECT 2, 'quality' UNION ALL SELECT 3, 'modern') t;
INSERT INTO faqs (id, gig_id, question, answer, position)
SELECT CONCAT('cbenchf', t.k, LPAD(s.seq, 17, '0')), CONCAT('cbenchg', LPAD(s.seq, 18, '0')), t.q, t.a, t.k
FROM seq_1_to_$GIGS s
JOIN (SELECT 1 AS k, 'What do you need from me?' AS q, 'Your brief and any brand material.' AS a
      UNION ALL SELECT 2, 'Can I ask for changes?', 'Yes, within the revisions of your package.') t;
INSERT INTO attachments (id, gig_id, name, url, type, position)
SELECT CONCAT('cbencha', t.k, LPAD(s.seq, 17, '0')), CONCAT('cbenchg', LPAD(s.seq, 18, '0')), t.name,
       CONCAT('https://cdn.example.com/g/', s.seq, '/', t.name), t.type, t.k
FROM seq_1_to_$GIGS s
JOIN (SELECT 1 AS k, 'cover.jpg' AS name, 'image' AS type UNION ALL SELECT 2, 'second.jpg', 'image'
      UNION ALL SELECT 3, 'brief.pdf', 'document') t;
INSERT INTO orders (id, user_id, freelancer_id, gig_id, package_id, status, total_amount, payment_method)
SELECT CONCAT('cbencho', LPAD(s.seq, 18, '0')), 'cbenchc000000000000000001',
       CONCAT('cbenchu', LPAD((s.seq - 1) % @sellers + 1, 18, '0')), CONCAT('cbenchg', LPAD(s.seq, 18, '0')),
       CONCAT('cbenchp1', LPAD(s.seq, 17, '0')), 'completed', 100, 'card'
FROM seq_1_to_$GIGS s WHERE s.seq % 3 = 0;
INSERT INTO reviews (id, order_id, gig_id, user_id, rating)
SELECT CONCAT('cbenchr', LPAD(s.seq, 18, '0')), CONCAT('cbencho', LPAD(s.seq, 18, '0')),
       CONCAT('cbenchg', LPAD(s.seq, 18, '0')), 'cbenchc000000000000000001', s.seq % 5 + 1
FROM seq_1_to_$GIGS s WHERE s.seq % 3 = 0;
ANALYZE TABLE users, gigs, packages, tags, faqs, attachments, orders, reviews, categories;
SQL
}

k_say "seeding $GIGS published gigs of $SELLERS sellers"
seed_sql | sql >/dev/null || k_die "seeding failed"
published=$(sql -e "SELECT COUNT(*) FROM gigs WHERE id LIKE 'cbench%' AND status = 'published'")

# ---------------------------------------------------------------------------------------------
# The request

details_path() { # details_path N: getGigDetails of the Nth seeded gig
    local n=$1 owner=$((($1 - 1) % SELLERS + 1))
    printf '/api/trpc/gig.getGigDetails?input=%%7B%%22username%%22%%3A%%22bench_s%d%%22%%2C%%22slug%%22%%3A%%22bench-gig-%d%%22%%7D' "$owner" "$n"
}
code=$(k_http_status "$K_URL$(details_path 1)")
[ "$code" = 200 ] || k_die "getGigDetails of a seeded gig answered $code, not 200"

# Each wrk thread starts at a different gig and walks through all of them, so the database works
# on a spread of rows rather than one hot page.
cat >"$TMP/details.lua" <<'LUA'
local counter = 0
function setup(thread)
    thread:set("offset", counter)
    counter = counter + 1
end
function init(args)
    gigs = tonumber(args[1])
    sellers = tonumber(args[2])
    i = (offset * 7919) % gigs
end
function request()
    i = i % gigs + 1
    local owner = (i - 1) % sellers + 1
    return wrk.format("GET", string.format("/api/trpc/gig.getGigDetails?input=" ..
        "%%7B%%22username%%22%%3A%%22bench_s%d%%22%%2C%%22slug%%22%%3A%%22bench-gig-%d%%22%%7D",
        owner, i))
end
LUA

# ---------------------------------------------------------------------------------------------
# SQL round trips of one getGigDetails

status_sum() {
    sql -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS
            WHERE VARIABLE_NAME IN ('QUESTIONS', 'COM_STMT_PREPARE', 'COM_ADMIN_COMMANDS')"
}
round_trips() {
    local i a b best_idle=999999 best_req=999999
    for ((i = 1; i <= 2 * 8; i++)); do # both workers see the request first (prepares)
        curl -s -o /dev/null "$K_URL$(details_path "$i")"
    done
    for ((i = 0; i < 7; i++)); do
        a=$(status_sum)
        b=$(status_sum)
        [ $((b - a)) -lt "$best_idle" ] && best_idle=$((b - a))
        a=$(status_sum)
        curl -s -o /dev/null "$K_URL$(details_path $((i + 20)))"
        b=$(status_sum)
        [ $((b - a)) -lt "$best_req" ] && best_req=$((b - a))
    done
    echo $((best_req - best_idle))
}
trips=$(round_trips)

# ---------------------------------------------------------------------------------------------
# Load

declare -A RPS P99 NON2XX
run_wrk() { # run_wrk NAME CONNECTIONS WRK-TARGET-ARGS...
    local name=$1 conns=$2 out
    shift 2
    out=$(wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --latency "$@")
    echo "$out" >>"$K_LOG/bench-gig-details-wrk.out"
    RPS[$name/$conns]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    P99[$name/$conns]=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    NON2XX[$name/$conns]=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' <<<"$out")
}

: >"$K_LOG/bench-gig-details-wrk.out"
k_say "warming up"
wrk -t"$THREADS" -c32 -d2s -s "$TMP/details.lua" "$K_URL" -- "$GIGS" "$SELLERS" >/dev/null
for conns in 32 64; do
    k_say "wrk -c$conns: getGigDetails, then /healthz (${DURATION}s each)"
    run_wrk details "$conns" -s "$TMP/details.lua" "$K_URL" -- "$GIGS" "$SELLERS"
    run_wrk healthz "$conns" "$K_URL/healthz"
done

echo "data set: $published published gigs (bench rows), $SELLERS sellers"
echo "SQL round trips per getGigDetails: $trips (measured: server status delta around one request)"
for conns in 32 64; do
    for name in details healthz; do
        label=$([ "$name" = details ] && echo "gig.getGigDetails" || echo "/healthz         ")
        printf '%s  c=%-3s %10s requests/s   p99 %-9s non-2xx %s\n' "$label" "$conns" \
            "${RPS[$name/$conns]:-?}" "${P99[$name/$conns]:-?}" "${NON2XX[$name/$conns]:-0}"
    done
done
echo "(wrk -t$THREADS -d${DURATION}s --latency; full output in $K_LOG/bench-gig-details-wrk.out)"
echo "goal: >= 9500 requests/s with p99 < 10 ms for getGigDetails; Node tRPC + mysql2 measured ~950"
