# bench/seed_gigs.sh - sourced by the bench scripts (gig_details.sh, web_pages.sh): a mariadb client
# for the stack's database (`sql`, through an option file in $TMP, since the DSN holds the password)
# and the bench data set (`bench_seed`): GIGS published gigs of SELLERS sellers, each with three
# packages, three tags, two FAQs, three attachments, and a completed order with a review on every
# third gig (every seller gets some, so ratings are really computed). Every row's id starts with
# "cbench" and is replaced at each run; nothing else is touched. Seeding is a handful of
# INSERT ... SELECT statements over MariaDB's sequence engine (seq_1_to_N). Seller N is the user
# bench_sN, gig N is bench-gig-N of seller (N - 1) % SELLERS + 1.
# Needs: deploy/lib.sh sourced and k_init run; TMP (a private directory), GIGS, SELLERS.
# shellcheck shell=bash

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

# bench_seed: replace the bench rows with GIGS published gigs of SELLERS sellers, rebuild the read
# model, and set $published to the number of published bench gigs.
bench_seed() {
    k_say "seeding $GIGS published gigs of $SELLERS sellers"
    seed_sql | sql >/dev/null || k_die "seeding failed"
    # Orders written by SQL bypass the per-party counters (order_counts): recompute them with the
    # migration's own backfill, so `khedmad check-read-model` still agrees after a bench.
    sed -n '/^LOCK TABLES/,/^UNLOCK TABLES/p' "$K_REPO/sql/migrations/0008_order_counts.sql" |
        sql >/dev/null || k_die "recomputing the order counters failed"
    # Rows written by SQL are not in the read model yet: build it as `khedmad migrate` would.
    (k_khedmad_env && "$K_BIN" rebuild-read-model) 2>"$TMP/rebuild.err" ||
        k_die "khedmad rebuild-read-model failed: $(tail -n 3 "$TMP/rebuild.err")"
    # shellcheck disable=SC2034 # read by the script that sourced this file
    published=$(sql -e "SELECT COUNT(*) FROM gigs WHERE id LIKE 'cbench%' AND status = 'published'")
}
