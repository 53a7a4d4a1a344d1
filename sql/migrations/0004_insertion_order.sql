-- 0004_insertion_order.sql - the order in which events and notifications were written.
--
-- Order events (oldest first) and notifications (newest first) were listed by created_at with
-- ties broken by id. Two moves on one order are serialised by the order's row lock, but they can
-- still fall in the same millisecond (a fast client, two workers), and a CUID made by one worker
-- does not sort after a CUID made by another in the same millisecond - so a delivery could be
-- listed before the revision request that preceded it. seq is assigned by the database at insert
-- time; a later move's insert waits for the earlier move's commit, so it always gets the larger
-- seq. Existing rows are numbered in primary-key order, which is as good as the old tie-break.
--
-- Re-runnable (IF NOT EXISTS / IF EXISTS), as every migration must be.

ALTER TABLE order_events
    ADD COLUMN IF NOT EXISTS seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT AFTER id,
    ADD UNIQUE KEY IF NOT EXISTS ux_order_events_seq (seq),
    ADD KEY IF NOT EXISTS ix_order_events_order_seq (order_id, seq);

-- The foreign key on order_id is served by ix_order_events_order_seq from here on.
ALTER TABLE order_events DROP INDEX IF EXISTS ix_order_events_order;

-- Notifications: a user's list newest first, and ?unread=1 (read_at IS NULL) newest first; the
-- read-all update walks the same (user_id, read_at) range.
ALTER TABLE notifications
    ADD COLUMN IF NOT EXISTS seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT AFTER id,
    ADD UNIQUE KEY IF NOT EXISTS ux_notifications_seq (seq),
    ADD KEY IF NOT EXISTS ix_notifications_user_seq (user_id, seq),
    ADD KEY IF NOT EXISTS ix_notifications_user_unread_seq (user_id, read_at, seq);

ALTER TABLE notifications
    DROP INDEX IF EXISTS ix_notifications_user,
    DROP INDEX IF EXISTS ix_notifications_user_unread;
