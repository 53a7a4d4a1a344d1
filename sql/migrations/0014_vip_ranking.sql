-- 0014_vip_ranking.sql - the indexes the VIP-first gig lists are read through (gigs_read_search
-- in src/gigs/gigs_read.c: WHERE status = 'published' [AND category_id ...] ORDER BY owner_vip
-- DESC, created_at DESC, id DESC LIMIT n). With them the first page is the first entries of one
-- index range read backwards instead of a sort of every published gig. ix_gigs_public and
-- ix_gigs_category stay: other reads use them.
-- IF NOT EXISTS: the file can be applied again.

CREATE INDEX IF NOT EXISTS ix_gigs_public_vip ON gigs (status, owner_vip, created_at, id);
CREATE INDEX IF NOT EXISTS ix_gigs_category_vip ON gigs (category_id, status, owner_vip, created_at, id);

-- The stored gig pages (gig_pages, docs/decisions.md "Read model for gig pages") now carry
-- owner.vip; pages written by an older server do not. Removing them lets `khedmad migrate`, which
-- builds every missing page right after the migrations, write them again in the new shape. The
-- migration runs once; running it again only costs that rebuild.
DELETE FROM gig_pages;
