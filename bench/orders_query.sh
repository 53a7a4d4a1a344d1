#!/usr/bin/env bash
# bench/orders_query.sh - prints the order-query figures, on this machine; asserts nothing:
# the p95 latency of typical GET /api/orders shapes at 10,000 and at 1,000,000 orders, the
# 10k -> 1M ratio per shape, and the EXPLAIN of each shape's two statements (the count and the
# page) showing the index used. Goals (reported, never asserted): the shapes whose totalItems
# comes from the per-party counters (unfiltered and status-only, and the admin-wide view by
# filter.userId) p95 at a million orders <= 1.2x the figure at 10,000; every shape <= 10 ms at a
# million.
#
# Runs against a stack that deploy/up started (KHEDMA_PORT, KHEDMA_VAR as there); it does not
# start or stop anything. The EXPLAIN part reads the statements khedmad really sent from the
# private MariaDB's general log, so it needs that server's root (the user that ran deploy/up);
# with KHEDMA_DATABASE_URL set it is skipped.
#
# Data: orders spread over 1,000 clients and 200 freelancers (one published gig with a basic
# package each), random statuses (0.5% pending, 35% processing, 55% completed, 9.5% cancelled),
# amounts (10-2000 MAD), payment methods and providers, a payment row per order, an idempotency
# key / payment reference on some, and dates as a live system has them: completed and cancelled
# orders over the last 365 days, processing ones over the last 60, pending checkouts within the
# last 12 hours and never PayTabs (older or PayTabs ones would set the jobs process expiring and
# reconciling them during the measurement; even so its reconciliation query reads every payment
# pending within 24 h, so their number is kept near a day's worth). The measured client and
# freelancer are real accounts (bench_oq_client, bench_oq_freelancer, signed up or logged in
# through the API); the freelancer is one of the 200 with an average share, the client a heavy
# buyer with 1 order in 100 (10x the average), so that every shape fills its 25-item page
# already at 10,000 orders and both sizes answer the same amount of JSON. Seeding is INSERT ...
# SELECT over MariaDB's sequence engine in chunks of 50,000, then the run waits for InnoDB to
# purge (at most 5 minutes). Every seeded id starts with "cbq" and is replaced at each
# run (removing a million earlier rows takes minutes); nothing else is touched. The seeded orders
# bypass khedmad, so after each seeding the per-party counters are recomputed with the backfill
# of sql/migrations/0008_order_counts.sql (all of them, under its table lock, a few seconds at a
# million orders), as the migration would have; skipped on a database without the counters.
#
# Shapes (each request also counts the matches for the pagination block; * = counted from the
# per-party counters, the others by COUNT(*) on their index):
#   default*  GET /api/orders                                          (client)
#   status*   filter.status=$in:pending,processing                     (client)
#   done*     filter.status=completed                                  (client)
#   fdefault* as=freelancer                                            (freelancer)
#   fstatus*  as=freelancer&filter.status=processing                   (freelancer)
#   admin*    filter.userId=<the client>&filter.status=cancelled       (an admin, bench_oq_admin)
#   amount    filter.amount=$gte:500&sortBy=amount:DESC                (client)
#   dates     as=freelancer&filter.createdAt=$btw:<200 days ago>,<now> (freelancer)
# Latency: wrk, one connection (requests one after another, so the figure is the request's own
# time, not queueing), BENCH_DURATION seconds per shape (default 10) after a 2 s warm-up; p95
# from wrk's latency histogram.
#
# Environment: BENCH_DURATION, BENCH_SMALL (default 10000), BENCH_LARGE (default 1000000).
set -euo pipefail
K_PROG=bench
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"
k_init

DURATION=${BENCH_DURATION:-10}
SMALL=${BENCH_SMALL:-10000}
LARGE=${BENCH_LARGE:-1000000}
CLIENTS=1000
FREELANCERS=200
CHUNK=50000
for v in DURATION SMALL LARGE; do
    case ${!v} in '' | *[!0-9]* | 0*) k_die "BENCH_$v must be a positive integer" ;; esac
done
[ "$SMALL" -lt "$LARGE" ] || k_die "BENCH_SMALL must be below BENCH_LARGE"
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
# The private server's root, for the general log (EXPLAIN of the real statements).
root_sql() { mariadb --defaults-file="$K_DB_CNF" -N -B khedma "$@"; }
HAVE_ROOT=0
if k_db_private && root_sql -e 'SELECT 1' >/dev/null 2>&1; then HAVE_ROOT=1; fi

# ---------------------------------------------------------------------------------------------
# The two measured accounts: signed up the first time, logged in afterwards.

account() { # account NAME -> "id token"
    local name=$1 body r
    body=$(printf '{"name":"Bench %s","email":"%s@bench.invalid","username":"%s","password":"bench-password-1","phone":"+212600000000"}' \
        "$name" "$name" "$name")
    r=$(curl -s -X POST "$K_URL/api/auth/signup" -H 'Content-Type: application/json' -d "$body")
    if ! grep -q '"success":true' <<<"$r"; then
        r=$(curl -s -X POST "$K_URL/api/auth/login" -H 'Content-Type: application/json' \
            -d "{\"email\":\"$name@bench.invalid\",\"password\":\"bench-password-1\"}")
    fi
    python3 -c 'import json, sys; d = json.load(sys.stdin)["data"]; print(d["user"]["id"], d["token"])' \
        <<<"$r" || k_die "cannot sign up or log in $name: $r"
}
read -r CLIENT_ID CLIENT_TOKEN < <(account bench_oq_client)
read -r FREELANCER_ID FREELANCER_TOKEN < <(account bench_oq_freelancer)
read -r _ ADMIN_TOKEN < <(account bench_oq_admin)
(k_khedmad_env && "$K_BIN" make-admin bench_oq_admin@bench.invalid) >/dev/null ||
    k_die "cannot make bench_oq_admin an admin"

# ---------------------------------------------------------------------------------------------
# Seed

T0=$(sql -e 'SELECT UTC_TIMESTAMP(3)')

# Remove an earlier run's rows (in chunks: one huge DELETE would hold a huge transaction).
clean() {
    local t n
    for t in payments orders packages gigs users; do
        while :; do
            n=$(sql -e "DELETE FROM $t WHERE id LIKE 'cbq%' LIMIT $CHUNK; SELECT ROW_COUNT()")
            [ "$n" -gt 0 ] || break
        done
    done
}

# Users, gigs and packages: client 1 and freelancer 1 are the measured accounts.
seed_people() {
    cat <<SQL
INSERT INTO users (id, name, username, email, password_hash)
SELECT CONCAT('cbqc', LPAD(seq, 21, '0')), CONCAT('Bench client ', seq), CONCAT('bq_c', seq),
       CONCAT('bq_c', seq, '@bench.invalid'), '!no-login'
FROM seq_2_to_$CLIENTS;
INSERT INTO users (id, name, username, email, password_hash)
SELECT CONCAT('cbqf', LPAD(seq, 21, '0')), CONCAT('Bench freelancer ', seq), CONCAT('bq_f', seq),
       CONCAT('bq_f', seq, '@bench.invalid'), '!no-login'
FROM seq_2_to_$FREELANCERS;
INSERT INTO gigs (id, owner_id, title, slug, status)
SELECT CONCAT('cbqg', LPAD(seq, 21, '0')),
       IF(seq = 1, '$FREELANCER_ID', CONCAT('cbqf', LPAD(seq, 21, '0'))),
       CONCAT('Bench order gig ', seq), CONCAT('bq-gig-', seq), 'published'
FROM seq_1_to_$FREELANCERS;
INSERT INTO packages (id, gig_id, type, name, description, price, delivery, revisions)
SELECT CONCAT('cbqp', LPAD(seq, 21, '0')), CONCAT('cbqg', LPAD(seq, 21, '0')), 'basic',
       'Basic package', 'What the basic tier includes.', 100 + seq, 3, 2
FROM seq_1_to_$FREELANCERS;
SQL
}

# Orders FROM..TO and their payments. Pseudo-random but repeatable: each property is a CRC32 of
# the order's number and a letter.
seed_orders() { # seed_orders FROM TO
    cat <<SQL
INSERT INTO orders (id, user_id, freelancer_id, gig_id, package_id, status, total_amount,
                    payment_method, provider, idempotency_key, payment_reference,
                    revisions_allowed, due_at, completed_at, cancelled_at, created_at, updated_at)
SELECT CONCAT('cbqo', LPAD(s.seq, 21, '0')),
       IF(s.c = 1, '$CLIENT_ID', CONCAT('cbqc', LPAD(s.c, 21, '0'))),
       IF(s.f = 1, '$FREELANCER_ID', CONCAT('cbqf', LPAD(s.f, 21, '0'))),
       CONCAT('cbqg', LPAD(s.f, 21, '0')), CONCAT('cbqp', LPAD(s.f, 21, '0')),
       s.status, s.amount, IF(s.r % 3 = 0, 'bank_transfer', 'card'),
       IF(s.r % 3 = 0, 'bank_transfer',
          IF(s.r % 2 = 0 OR s.status = 'pending', 'youcanpay', 'paytabs')),
       IF(s.r % 5 = 0, CONCAT('bq-key-', s.seq), NULL),
       IF(s.r % 10 < 3, CONCAT('BQ-REF-', s.seq), NULL), 2,
       IF(s.status = 'pending', NULL, s.at + INTERVAL 3 DAY),
       IF(s.status = 'completed', s.at + INTERVAL 2 DAY, NULL),
       IF(s.status = 'cancelled', s.at + INTERVAL 1 HOUR, NULL), s.at, s.at
FROM (SELECT s0.*,
             TIMESTAMP'$T0' - INTERVAL (CASE s0.status WHEN 'pending' THEN s0.d % 43200
                 WHEN 'processing' THEN s0.d % 5184000 ELSE s0.d % 31536000 END) SECOND
                 - INTERVAL (s0.seq % 1000) * 1000 MICROSECOND AS at
      FROM (SELECT seq,
                   IF(seq % 100 = 0, 1, 2 + CRC32(CONCAT('c', seq)) % $((CLIENTS - 1))) AS c,
                   1 + CRC32(CONCAT('f', seq)) % $FREELANCERS AS f,
                   CRC32(CONCAT('r', seq)) AS r, CRC32(CONCAT('d', seq)) AS d,
                   ELT(1 + (CRC32(CONCAT('s', seq)) % 200 > 0) + (CRC32(CONCAT('s', seq)) % 200 > 70)
                       + (CRC32(CONCAT('s', seq)) % 200 > 180),
                       'pending', 'processing', 'completed', 'cancelled') AS status,
                   CAST(10 + (CRC32(CONCAT('a', seq)) % 199001) / 100 AS DECIMAL(12,2)) AS amount
            FROM seq_$1_to_$2) s0) s;
INSERT INTO payments (id, order_id, status, amount, payment_method, provider, transaction_id,
                      tran_ref, reference, created_at, updated_at)
SELECT CONCAT('cbqy', SUBSTRING(o.id, 5)), o.id,
       CASE o.status WHEN 'pending' THEN 'pending' WHEN 'cancelled' THEN 'refunded'
            ELSE 'success' END,
       o.total_amount, o.payment_method, o.provider,
       IF(o.provider = 'youcanpay' AND o.status <> 'pending', CONCAT('bq-txn-', o.id), NULL),
       IF(o.provider = 'paytabs', CONCAT('BQTR', SUBSTRING(o.id, 5)), NULL),
       IF(o.provider = 'bank_transfer', CONCAT('BQ-BT-', SUBSTRING(o.id, 5)), NULL),
       o.created_at, o.created_at
FROM orders o
WHERE o.id BETWEEN CONCAT('cbqo', LPAD($1, 21, '0')) AND CONCAT('cbqo', LPAD($2, 21, '0'));
SQL
}

# Wait (at most 5 minutes) until InnoDB has purged the history of the rows deleted and written:
# measuring while it does would time the background work, not the requests.
settle() {
    local i hist
    for ((i = 0; i < 150; i++)); do
        hist=$(sql -e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
                       WHERE VARIABLE_NAME = 'INNODB_HISTORY_LIST_LENGTH'")
        [ "${hist:-0}" -lt 1000 ] && return 0
        sleep 2
    done
    k_say "InnoDB still purging after 5 minutes (history list $hist): measuring anyway"
}

seed_range() { # seed_range FROM TO
    local from=$1 to=$2 a b
    for ((a = from; a <= to; a += CHUNK)); do
        b=$((a + CHUNK - 1))
        [ "$b" -le "$to" ] || b=$to
        seed_orders "$a" "$b" | sql || k_die "seeding orders $a..$b failed"
    done
    sql -e 'ANALYZE TABLE orders, payments' >/dev/null
    backfill_counts
    settle
}

# The per-party counters recomputed from orders: the migration's own backfill statements.
backfill_counts() {
    local t=$SECONDS
    [ -n "$(sql -e "SHOW TABLES LIKE 'order_counts'")" ] || return 0
    sed -n '/^LOCK TABLES/,/^UNLOCK TABLES/p' "$K_REPO/sql/migrations/0008_order_counts.sql" | sql ||
        k_die "recomputing the order counters failed"
    k_say "order counters recomputed in $((SECONDS - t)) s"
}

# ---------------------------------------------------------------------------------------------
# Shapes and measurement

FROM_DAY=$(sql -e "SELECT DATE_FORMAT(TIMESTAMP'$T0' - INTERVAL 200 DAY, '%Y-%m-%dT%H:%i:%s.000Z')")
TO_DAY=$(sql -e "SELECT DATE_FORMAT(TIMESTAMP'$T0', '%Y-%m-%dT%H:%i:%s.000Z')")
SHAPES=(default status done fdefault fstatus admin amount dates)
COUNTED=" default status done fdefault fstatus admin "
declare -A PATHS=(
    [default]="/api/orders"
    [status]="/api/orders?filter.status=%24in%3Apending%2Cprocessing"
    [done]="/api/orders?filter.status=completed"
    [fdefault]="/api/orders?as=freelancer"
    [fstatus]="/api/orders?as=freelancer&filter.status=processing"
    [admin]="/api/orders?filter.userId=$CLIENT_ID&filter.status=cancelled"
    [amount]="/api/orders?filter.amount=%24gte%3A500&sortBy=amount%3ADESC"
    [dates]="/api/orders?as=freelancer&filter.createdAt=%24btw%3A${FROM_DAY//:/%3A}%2C${TO_DAY//:/%3A}"
)
token_of() {
    case $1 in
    fdefault | fstatus | dates) echo "$FREELANCER_TOKEN" ;;
    admin) echo "$ADMIN_TOKEN" ;;
    *) echo "$CLIENT_TOKEN" ;;
    esac
}

cat >"$TMP/p95.lua" <<'LUA'
function done(summary, latency, requests)
    io.write(string.format("P95 %d P50 %d P99 %d N %d ERR %d\n", latency:percentile(95),
        latency:percentile(50), latency:percentile(99), summary.requests,
        summary.errors.status + summary.errors.connect + summary.errors.read
        + summary.errors.write + summary.errors.timeout))
end
LUA

declare -A P95 P50 P99 COUNT ITEMS
measure() { # measure LABEL: every shape at the current size
    local label=$1 shape out body
    for shape in "${SHAPES[@]}"; do
        body=$(curl -s -H "Authorization: Bearer $(token_of "$shape")" "$K_URL${PATHS[$shape]}")
        grep -q '"status_code":200' <<<"$body" || k_die "$shape answered: ${body:0:300}"
        COUNT[$label/$shape]=$(python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(d["pagination"]["totalItems"], len(d["items"]))' <<<"$body")
        wrk -t1 -c1 -d2s -H "Authorization: Bearer $(token_of "$shape")" "$K_URL${PATHS[$shape]}" >/dev/null
        out=$(wrk -t1 -c1 -d"${DURATION}s" -s "$TMP/p95.lua" \
            -H "Authorization: Bearer $(token_of "$shape")" "$K_URL${PATHS[$shape]}")
        echo "$out" >>"$K_LOG/bench-orders-query-wrk.out"
        read -r P95["$label/$shape"] P50["$label/$shape"] P99["$label/$shape"] ITEMS["$label/$shape"] < <(
            awk '$1 == "P95" { print $2, $4, $6, $8 " requests, " $10 " errors" }' <<<"$out")
    done
}

# The values each shape binds, in the order of its placeholders (order_query_render: the viewer,
# the filter values, then LIMIT and OFFSET); the COUNT statement takes the first ones.
# (a '~' stands for a space, so that the list splits on spaces).
FROM_DB=$(sql -e "SELECT DATE_FORMAT(TIMESTAMP'$T0' - INTERVAL 200 DAY, '%Y-%m-%d~%H:%i:%s.000')")
TO_DB=$(sql -e "SELECT DATE_FORMAT(TIMESTAMP'$T0', '%Y-%m-%d~%H:%i:%s.000')")
declare -A BINDS=(
    [default]="s:$CLIENT_ID i:25 i:0"
    [status]="s:$CLIENT_ID s:pending s:processing i:25 i:0"
    [done]="s:$CLIENT_ID s:completed i:25 i:0"
    [fdefault]="s:$FREELANCER_ID i:25 i:0"
    [fstatus]="s:$FREELANCER_ID s:processing i:25 i:0"
    [admin]="s:$CLIENT_ID s:cancelled i:25 i:0"
    [amount]="s:$CLIENT_ID s:500 i:25 i:0"
    [dates]="s:$FREELANCER_ID s:$FROM_DB s:$TO_DB i:25 i:0"
)
# The counters' statement binds the side, four statuses (the set, its first one repeated) and
# the users (order_counts_total).
declare -A COUNT_BINDS=(
    [default]="s:client s:pending s:processing s:completed s:cancelled s:$CLIENT_ID"
    [status]="s:client s:pending s:processing s:pending s:pending s:$CLIENT_ID"
    [done]="s:client s:completed s:completed s:completed s:completed s:$CLIENT_ID"
    [fdefault]="s:freelancer s:pending s:processing s:completed s:cancelled s:$FREELANCER_ID"
    [fstatus]="s:freelancer s:processing s:processing s:processing s:processing s:$FREELANCER_ID"
    [admin]="s:client s:cancelled s:cancelled s:cancelled s:cancelled s:$CLIENT_ID"
)
# bind STATEMENT VALUES...: the statement with its placeholders replaced by the values.
bind() {
    python3 - "$@" <<'PY'
import sys
stmt, values = sys.argv[1], sys.argv[2:]
parts = stmt.split("?")
out = parts[0]
for i, rest in enumerate(parts[1:]):
    kind, value = values[i].split(":", 1)
    value = value.replace("~", " ")
    out += (value if kind == "i" else "'" + value.replace("'", "''") + "'") + rest
print(out)
PY
}

# Each shape's two statements exactly as khedmad prepared them (from the private server's general
# log: a statement prepared before the log was on is logged with its placeholders, so they are
# bound here from BINDS) and their EXPLAIN.
explain_all() {
    local shape stmt full
    if [ "$HAVE_ROOT" != 1 ]; then
        echo "EXPLAIN: skipped (needs the private MariaDB's root: run as the user that ran deploy/up)"
        return 0
    fi
    : >"$TMP/explain.out"
    for shape in "${SHAPES[@]}"; do
        root_sql -e "SET GLOBAL general_log = 0; TRUNCATE TABLE mysql.general_log;
                     SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1"
        curl -s -o /dev/null -H "Authorization: Bearer $(token_of "$shape")" "$K_URL${PATHS[$shape]}"
        root_sql -e "SET GLOBAL general_log = 0"
        root_sql -e "SELECT DISTINCT REPLACE(CONVERT(argument USING utf8mb4), '\n', ' ')
                     FROM mysql.general_log WHERE command_type IN ('Prepare', 'Execute')
                     AND (argument LIKE 'SELECT COUNT(*) FROM orders o %'
                          OR argument LIKE 'SELECT CAST(COALESCE(SUM(n), 0) AS SIGNED) FROM order_counts %'
                          OR argument LIKE 'SELECT o.id, o.user_id, %')" >"$TMP/stmts"
        while IFS= read -r stmt; do
            if [[ $stmt == *"FROM order_counts"* ]]; then
                # shellcheck disable=SC2086 # COUNT_BINDS holds space-separated values
                full=$(bind "$stmt" ${COUNT_BINDS[$shape]})
                echo "--- $shape: counters: ${stmt##*FROM }" >>"$TMP/explain.out"
                root_sql -e "EXPLAIN $full" --column-names -t >>"$TMP/explain.out"
                KEYS[$shape]+="count: counters $(root_sql -e "EXPLAIN $full" | awk -F'\t' '$3 == "order_counts" { print $6 }')  "
                continue
            fi
            # shellcheck disable=SC2086 # BINDS holds space-separated values
            full=$(bind "$stmt" ${BINDS[$shape]})
            echo "--- $shape: ${stmt:0:40}... ${stmt##*FROM orders o }" >>"$TMP/explain.out"
            root_sql -e "EXPLAIN $full" --column-names -t >>"$TMP/explain.out"
            # The index on orders: of the COUNT, and of the derived table that picks the page.
            if [[ $stmt == "SELECT COUNT"* ]]; then
                KEYS[$shape]+="count: $(root_sql -e "EXPLAIN $full" | awk -F'\t' '$3 == "o" { print $6 }')  "
            else
                KEYS[$shape]+="page: $(root_sql -e "EXPLAIN $full" | awk -F'\t' '$2 == "DERIVED" && $3 == "o" { print $6 }')  "
            fi
        done <"$TMP/stmts"
    done
    root_sql -e "TRUNCATE TABLE mysql.general_log"
    cat "$TMP/explain.out"
}
declare -A KEYS

# ---------------------------------------------------------------------------------------------
# Run

: >"$K_LOG/bench-orders-query-wrk.out"
k_say "removing an earlier run's bench rows"
clean
seed_people | sql || k_die "seeding users and gigs failed"
k_say "seeding $SMALL orders"
t=$SECONDS
seed_range 1 "$SMALL"
k_say "seeded in $((SECONDS - t)) s; measuring"
measure small
k_say "seeding up to $LARGE orders"
t=$SECONDS
seed_range $((SMALL + 1)) "$LARGE"
k_say "seeded in $((SECONDS - t)) s; measuring"
measure large
total=$(sql -e "SELECT COUNT(*) FROM orders")

echo
echo "EXPLAIN at $LARGE bench orders (COUNT, then page, per shape):"
explain_all
echo
echo "orders in the database: $total ($LARGE bench orders; 1,000 clients, 200 freelancers)"
printf '%-9s %-10s %12s %12s %8s   %s\n' shape matches p95@small p95@large ratio "index used"
for shape in "${SHAPES[@]}"; do
    s=${P95[small/$shape]} l=${P95[large/$shape]}
    ratio=$(awk -v a="$s" -v b="$l" 'BEGIN { printf "%.2f", b / a }')
    label=$shape
    [[ $COUNTED == *" $shape "* ]] && label="$shape*"
    printf '%-9s %-10s %9.2f ms %9.2f ms %7sx   %s\n' "$label" "${COUNT[large/$shape]%% *}" \
        "$(awk -v v="$s" 'BEGIN { print v / 1000 }')" "$(awk -v v="$l" 'BEGIN { print v / 1000 }')" \
        "$ratio" "${KEYS[$shape]:-?}"
done
echo
for label in small large; do
    for shape in "${SHAPES[@]}"; do
        printf '%-5s %-9s matches/items %-12s p50 %6.2f ms  p99 %6.2f ms  (%s)\n' "$label" "$shape" \
            "${COUNT[$label/$shape]/ //}" "$(awk -v v="${P50[$label/$shape]}" 'BEGIN { print v / 1000 }')" \
            "$(awk -v v="${P99[$label/$shape]}" 'BEGIN { print v / 1000 }')" "${ITEMS[$label/$shape]}"
    done
done
echo "(wrk -t1 -c1 -d${DURATION}s per shape after a 2 s warm-up; small = $SMALL, large = $LARGE bench orders)"
echo "* totalItems from the per-party counters; goals: those shapes' p95 at $LARGE <= 1.2x the"
echo "  figure at $SMALL, and every shape <= 10 ms at 1,000,000 orders"
