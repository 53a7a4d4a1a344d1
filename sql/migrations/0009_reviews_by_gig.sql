-- 0009_reviews_by_gig.sql - the index the gig page's newest reviews are read through
-- (reviews_of_gig in src/orders/reviews.c: WHERE gig_id = ? ORDER BY created_at DESC, id DESC
-- LIMIT n). With it the newest reviews are the first entries of one index range read backwards;
-- without it every review of the gig was read and sorted on each uncached page view.
-- ix_reviews_gig (gig_id, rating) stays: it covers the count and sum of a gig's ratings.
-- IF NOT EXISTS: the file can be applied again.

CREATE INDEX IF NOT EXISTS ix_reviews_gig_newest ON reviews (gig_id, created_at, id);
