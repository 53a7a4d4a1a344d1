-- 0007_read_model.sql - the read model of public gig reads (src/gigs/read_model.c;
-- docs/decisions.md, "Read model for gig pages").
--
-- seller_stats: each seller's review sum and count over all of their gigs, moved by the review's
-- own transaction, so a gig page no longer sums every review of every gig of its seller.
-- gig_pages: each published gig's public GigDetails, serialised once by the write that changed it
-- (in that write's transaction) and cut in two around the owner's rating and numberOfReviews,
-- which the read splices in from seller_stats. A page is found by (username, slug), as the public
-- read asks for it; username has the users table's collation, so it matches the same way.
--
-- This file fills seller_stats; the pages are JSON text written by the server's own serialiser,
-- so `khedmad migrate` builds the missing ones right after applying migrations (and
-- `khedmad rebuild-read-model` rebuilds them all). Re-runnable (IF NOT EXISTS, upserts).

CREATE TABLE IF NOT EXISTS seller_stats (
    user_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    rating_sum BIGINT NOT NULL DEFAULT 0,
    rating_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id),
    CONSTRAINT fk_seller_stats_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS gig_pages (
    gig_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    owner_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    username VARCHAR(30) COLLATE utf8mb4_unicode_ci NOT NULL,
    slug VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
    -- The serialised GigDetails up to and including "rating":, and from after the value of
    -- numberOfReviews to the end.
    head LONGTEXT COLLATE utf8mb4_bin NOT NULL,
    tail LONGTEXT COLLATE utf8mb4_bin NOT NULL,
    PRIMARY KEY (gig_id),
    UNIQUE KEY uq_gig_pages_username_slug (username, slug),
    KEY ix_gig_pages_owner (owner_id),
    CONSTRAINT fk_gig_pages_gig FOREIGN KEY (gig_id) REFERENCES gigs (id) ON DELETE CASCADE,
    CONSTRAINT fk_gig_pages_owner FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO seller_stats (user_id, rating_sum, rating_count)
SELECT g.owner_id, SUM(r.rating), COUNT(*) FROM reviews r JOIN gigs g ON g.id = r.gig_id
GROUP BY g.owner_id
ON DUPLICATE KEY UPDATE rating_sum = VALUES(rating_sum), rating_count = VALUES(rating_count);
