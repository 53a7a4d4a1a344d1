-- 0001_init.sql - the whole Khedma schema (the interface it serves: docs/api.md).
--
-- Conventions:
--   ids        CHAR(25) utf8mb4_bin CUIDs made by the application (^c[a-z0-9]{24}$); exact match.
--   times      DATETIME(3), always UTC: every session sets time_zone '+00:00' (src/store/db.c), so the
--              CURRENT_TIMESTAMP(3) defaults are UTC too.
--   money      DECIMAL(12,2) in MAD, never a float.
--   JSON       LONGTEXT with a JSON_VALID check where the application owns the content.
--   text       utf8mb4_unicode_ci for what people read and search; utf8mb4_bin for tokens,
--              references, keys and slugs, which must match byte for byte.
-- Once-only rules live in unique keys so they hold across processes and hosts: one payment per
-- order, one order per gateway transaction, one review per order, one earning per order, one
-- effect per gateway event, one delivery per (event, URL), one response per idempotency key.
--
-- MariaDB commits DDL one statement at a time, so every statement here is re-runnable
-- (IF NOT EXISTS): a run interrupted half-way can be applied again.

CREATE TABLE IF NOT EXISTS users (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    name VARCHAR(100) NOT NULL,
    -- [a-z0-9_-]{3,30}; case-insensitive so /api/gigs/JohnDoe/... finds johndoe.
    username VARCHAR(30) COLLATE utf8mb4_unicode_ci NOT NULL,
    -- Stored lower-cased by the application; the case-insensitive key is a second guard.
    email VARCHAR(254) COLLATE utf8mb4_unicode_ci NOT NULL,
    phone VARCHAR(32) NULL,
    password_hash VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
    role ENUM('user', 'admin') NOT NULL DEFAULT 'user',
    image VARCHAR(2048) NULL,
    order_updates_notifications BOOLEAN NOT NULL DEFAULT TRUE,
    inbox_notifications BOOLEAN NOT NULL DEFAULT TRUE,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_users_username (username),
    UNIQUE KEY uq_users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Only the SHA-256 of a session token is stored (hex), never the token.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash CHAR(64) COLLATE utf8mb4_bin NOT NULL,
    user_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    last_used_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    -- last use + 30 days; the jobs process purges by it.
    expires_at DATETIME(3) NOT NULL,
    PRIMARY KEY (token_hash),
    KEY ix_sessions_user (user_id),
    KEY ix_sessions_expires (expires_at),
    CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Two levels: top-level categories (parent_id NULL) and their subcategories.
CREATE TABLE IF NOT EXISTS categories (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    name VARCHAR(100) NOT NULL,
    slug VARCHAR(100) COLLATE utf8mb4_bin NOT NULL,
    parent_id CHAR(25) COLLATE utf8mb4_bin NULL,
    position INT NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    UNIQUE KEY uq_categories_slug (slug),
    KEY ix_categories_parent (parent_id, position),
    CONSTRAINT fk_categories_parent FOREIGN KEY (parent_id) REFERENCES categories (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS gigs (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    owner_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    title VARCHAR(100) NULL,
    -- NULL until published. Unique per owner, so two concurrent publishes cannot share a slug
    -- (the loser gets a duplicate-key error and retries with a suffix).
    slug VARCHAR(255) COLLATE utf8mb4_bin NULL,
    -- EditorJS OutputData as JSON text.
    description LONGTEXT NULL,
    status ENUM('draft', 'published', 'paused', 'deleted') NOT NULL DEFAULT 'draft',
    is_paused BOOLEAN NOT NULL DEFAULT FALSE,
    offers_multiple_packages BOOLEAN NOT NULL DEFAULT FALSE,
    -- The subcategory; its parent is the category.
    category_id CHAR(25) COLLATE utf8mb4_bin NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_gigs_owner_slug (owner_id, slug),
    -- Public listing: published, not paused, newest first.
    KEY ix_gigs_public (status, is_paused, created_at),
    KEY ix_gigs_category (category_id, status, created_at),
    -- getUserGigs: one owner's gigs, newest first.
    KEY ix_gigs_owner_created (owner_id, created_at),
    CONSTRAINT ck_gigs_description CHECK (JSON_VALID(description)),
    CONSTRAINT fk_gigs_owner FOREIGN KEY (owner_id) REFERENCES users (id),
    CONSTRAINT fk_gigs_category FOREIGN KEY (category_id) REFERENCES categories (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per gig and tier: createPackages updates the same rows, so order references stay valid.
CREATE TABLE IF NOT EXISTS packages (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    gig_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    type ENUM('basic', 'standard', 'premium') NOT NULL,
    name VARCHAR(100) NOT NULL,
    description VARCHAR(500) NOT NULL,
    price DECIMAL(12,2) NOT NULL,
    delivery INT NOT NULL,
    revisions INT NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_packages_gig_type (gig_id, type),
    KEY ix_packages_type_price (type, price),
    CONSTRAINT ck_packages_price CHECK (price >= 0),
    CONSTRAINT ck_packages_delivery CHECK (delivery >= 1),
    CONSTRAINT ck_packages_revisions CHECK (revisions >= 0),
    CONSTRAINT fk_packages_gig FOREIGN KEY (gig_id) REFERENCES gigs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS tags (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    gig_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    name VARCHAR(64) NOT NULL,
    position INT NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    KEY ix_tags_gig (gig_id, position),
    KEY ix_tags_name (name),
    CONSTRAINT fk_tags_gig FOREIGN KEY (gig_id) REFERENCES gigs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS faqs (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    gig_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    position INT NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    KEY ix_faqs_gig (gig_id, position),
    CONSTRAINT fk_faqs_gig FOREIGN KEY (gig_id) REFERENCES gigs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS attachments (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    gig_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    -- Last path segment of the URL.
    name VARCHAR(255) NOT NULL,
    url VARCHAR(2048) COLLATE utf8mb4_bin NOT NULL,
    type ENUM('image', 'video', 'document') NOT NULL,
    position INT NOT NULL DEFAULT 0,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY ix_attachments_gig (gig_id, type, position),
    CONSTRAINT fk_attachments_gig FOREIGN KEY (gig_id) REFERENCES gigs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- user_id is the client; freelancer_id is copied from the gig's owner at checkout so that either
-- side's order list is one index range. The amount and revision allowance are copied from the
-- package, which its owner may change later. Orders keep their gig and package (RESTRICT): a gig
-- with orders is soft-deleted (status 'deleted'), never removed.
CREATE TABLE IF NOT EXISTS orders (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    user_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    freelancer_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    gig_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    package_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    status ENUM('pending', 'processing', 'completed', 'cancelled') NOT NULL DEFAULT 'pending',
    total_amount DECIMAL(12,2) NOT NULL,
    currency CHAR(3) COLLATE utf8mb4_bin NOT NULL DEFAULT 'MAD',
    -- 'card' or 'bank_transfer'
    payment_method VARCHAR(32) COLLATE utf8mb4_bin NOT NULL,
    provider ENUM('youcanpay', 'paytabs', 'bank_transfer') NULL,
    idempotency_key VARCHAR(255) COLLATE utf8mb4_bin NULL,
    payment_reference VARCHAR(128) COLLATE utf8mb4_bin NULL,
    meta LONGTEXT NULL,
    webhook_urls LONGTEXT NULL,
    revisions_allowed INT NOT NULL DEFAULT 0,
    revisions_used INT NOT NULL DEFAULT 0,
    due_at DATETIME(3) NULL,
    delivered_at DATETIME(3) NULL,
    completed_at DATETIME(3) NULL,
    cancelled_at DATETIME(3) NULL,
    cancel_reason VARCHAR(1000) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    -- GET /api/orders for each side (as=client / as=freelancer): default sort, status filter,
    -- amount filter and sort. InnoDB appends the primary key, giving a stable tie-break.
    KEY ix_orders_user_created (user_id, created_at),
    KEY ix_orders_user_status (user_id, status, created_at),
    KEY ix_orders_user_amount (user_id, total_amount),
    KEY ix_orders_freelancer_created (freelancer_id, created_at),
    KEY ix_orders_freelancer_status (freelancer_id, status, created_at),
    KEY ix_orders_freelancer_amount (freelancer_id, total_amount),
    KEY ix_orders_gig (gig_id, created_at),
    KEY ix_orders_package (package_id),
    KEY ix_orders_idempotency_key (idempotency_key),
    KEY ix_orders_payment_reference (payment_reference),
    -- Admin listing and the jobs: stale pending checkouts, deliveries to auto-complete.
    KEY ix_orders_status_created (status, created_at),
    KEY ix_orders_status_delivered (status, delivered_at),
    KEY ix_orders_created (created_at),
    CONSTRAINT ck_orders_amount CHECK (total_amount >= 0),
    CONSTRAINT ck_orders_revisions CHECK (revisions_used >= 0 AND revisions_allowed >= 0),
    CONSTRAINT ck_orders_meta CHECK (JSON_VALID(meta)),
    CONSTRAINT ck_orders_webhook_urls CHECK (JSON_VALID(webhook_urls)),
    CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT fk_orders_freelancer FOREIGN KEY (freelancer_id) REFERENCES users (id),
    CONSTRAINT fk_orders_gig FOREIGN KEY (gig_id) REFERENCES gigs (id),
    CONSTRAINT fk_orders_package FOREIGN KEY (package_id) REFERENCES packages (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One payment per order. One gateway transaction (or PayTabs tran_ref) belongs to at most one
-- payment, so a transaction can confirm only one order. NULLs do not collide in unique keys.
CREATE TABLE IF NOT EXISTS payments (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    order_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    status ENUM('pending', 'success', 'failed', 'refunding', 'refunded') NOT NULL DEFAULT 'pending',
    amount DECIMAL(12,2) NOT NULL,
    currency CHAR(3) COLLATE utf8mb4_bin NOT NULL DEFAULT 'MAD',
    payment_method VARCHAR(32) COLLATE utf8mb4_bin NOT NULL,
    provider ENUM('youcanpay', 'paytabs', 'bank_transfer') NOT NULL,
    -- YouCan Pay transaction id (once paid).
    transaction_id VARCHAR(128) COLLATE utf8mb4_bin NULL,
    -- YouCan Pay tokenize result.
    token_id VARCHAR(128) COLLATE utf8mb4_bin NULL,
    -- PayTabs transaction reference from the payment page request.
    tran_ref VARCHAR(64) COLLATE utf8mb4_bin NULL,
    -- Bank transfer: the reference handed to the client, then the one an admin confirms.
    reference VARCHAR(128) COLLATE utf8mb4_bin NULL,
    -- The gateway's reference for the refund, when there is one.
    refund_ref VARCHAR(128) COLLATE utf8mb4_bin NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_payments_order (order_id),
    UNIQUE KEY uq_payments_transaction (provider, transaction_id),
    UNIQUE KEY uq_payments_tran_ref (provider, tran_ref),
    KEY ix_payments_token (token_id),
    KEY ix_payments_reference (reference),
    -- Reconciliation and refund jobs: pending / refunding payments, oldest first.
    KEY ix_payments_status (status, created_at),
    CONSTRAINT ck_payments_amount CHECK (amount >= 0),
    CONSTRAINT fk_payments_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The order's history (GET /api/orders/{id}/events), written in the same transaction as the move.
CREATE TABLE IF NOT EXISTS order_events (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    order_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    -- paid, delivered, revision_requested, completed, cancelled, refunded, payment_failed
    type VARCHAR(32) COLLATE utf8mb4_bin NOT NULL,
    from_status ENUM('pending', 'processing', 'completed', 'cancelled') NULL,
    to_status ENUM('pending', 'processing', 'completed', 'cancelled') NULL,
    -- NULL for the system (webhooks, jobs).
    actor_id CHAR(25) COLLATE utf8mb4_bin NULL,
    reason VARCHAR(1000) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY ix_order_events_order (order_id, created_at),
    CONSTRAINT fk_order_events_order FOREIGN KEY (order_id) REFERENCES orders (id)
        ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS notifications (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    user_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    -- order.paid, order.delivered, ..., payment.failed
    type VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    order_id CHAR(25) COLLATE utf8mb4_bin NULL,
    title VARCHAR(255) NOT NULL,
    body TEXT NOT NULL,
    read_at DATETIME(3) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY ix_notifications_user (user_id, created_at),
    -- ?unread=1 lists (read_at IS NULL) newest first; read-all updates the same range.
    KEY ix_notifications_user_unread (user_id, read_at, created_at),
    KEY ix_notifications_order (order_id),
    CONSTRAINT fk_notifications_user FOREIGN KEY (user_id) REFERENCES users (id)
        ON DELETE CASCADE,
    CONSTRAINT fk_notifications_order FOREIGN KEY (order_id) REFERENCES orders (id)
        ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One review per order, by its client, once completed.
CREATE TABLE IF NOT EXISTS reviews (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    order_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    gig_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    user_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    rating TINYINT NOT NULL,
    comment TEXT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_reviews_order (order_id),
    KEY ix_reviews_gig (gig_id, rating),
    KEY ix_reviews_user (user_id),
    CONSTRAINT ck_reviews_rating CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT fk_reviews_order FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT fk_reviews_gig FOREIGN KEY (gig_id) REFERENCES gigs (id),
    CONSTRAINT fk_reviews_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- POST /api/orders idempotency: the first request inserts (state 'running'); a concurrent one
-- hits the primary key. The stored response is replayed byte for byte; purged after 24 h.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    user_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    idem_key VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
    -- SHA-256 (hex) of the canonical request parameters.
    request_hash CHAR(64) COLLATE utf8mb4_bin NOT NULL,
    state ENUM('running', 'done') NOT NULL DEFAULT 'running',
    response_status INT NULL,
    response_body LONGTEXT COLLATE utf8mb4_bin NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (user_id, idem_key),
    KEY ix_idempotency_keys_created (created_at),
    CONSTRAINT fk_idempotency_keys_user FOREIGN KEY (user_id) REFERENCES users (id)
        ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every incoming gateway event, kept for audit (also unknown orders and bad signatures).
-- Once-only applies to authentic events: the unique key is on effect_key, which is the event id
-- when the signature was valid and NULL otherwise. Keying the raw event_id instead would let a
-- forged request with a real event's id, arriving first, turn the real event into a "repeat".
CREATE TABLE IF NOT EXISTS gateway_events (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    provider ENUM('youcanpay', 'paytabs') NOT NULL,
    event_id VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
    event_type VARCHAR(64) COLLATE utf8mb4_bin NULL,
    order_id CHAR(25) COLLATE utf8mb4_bin NULL,
    signature_valid BOOLEAN NOT NULL,
    effect_key VARCHAR(128) COLLATE utf8mb4_bin
        AS (IF(signature_valid, event_id, NULL)) STORED,
    payload LONGTEXT NOT NULL,
    -- What the event did: applied, duplicate, ignored, rejected, ...
    outcome VARCHAR(64) COLLATE utf8mb4_bin NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_gateway_events_event (provider, effect_key),
    KEY ix_gateway_events_event_id (provider, event_id),
    KEY ix_gateway_events_order (order_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Outgoing webhooks, stored in the transaction that caused them and sent by the jobs process.
-- The body is fixed at creation; the signature (with the attempt's time) is made per attempt.
-- URLs can be longer than an index allows, so uniqueness uses their SHA-256.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    order_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    event_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    -- order.paid, order.delivered, order.completed, order.cancelled, order.refunded
    event_type VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    url VARCHAR(2048) COLLATE utf8mb4_bin NOT NULL,
    url_hash CHAR(64) COLLATE utf8mb4_bin AS (SHA2(url, 256)) STORED,
    body LONGTEXT COLLATE utf8mb4_bin NOT NULL,
    state ENUM('pending', 'delivered', 'failed') NOT NULL DEFAULT 'pending',
    attempts INT NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    last_status INT NULL,
    last_error VARCHAR(500) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    delivered_at DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_webhook_deliveries_event_url (event_id, url_hash),
    -- The sender claims due rows: state = 'pending' AND next_attempt_at <= now, FOR UPDATE
    -- SKIP LOCKED.
    KEY ix_webhook_deliveries_due (state, next_attempt_at),
    KEY ix_webhook_deliveries_order (order_id),
    CONSTRAINT fk_webhook_deliveries_order FOREIGN KEY (order_id) REFERENCES orders (id)
        ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The freelancer's earning, recorded once when an order completes.
CREATE TABLE IF NOT EXISTS earnings (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    order_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    freelancer_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    amount DECIMAL(12,2) NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_earnings_order (order_id),
    KEY ix_earnings_freelancer (freelancer_id, created_at),
    CONSTRAINT ck_earnings_amount CHECK (amount >= 0),
    CONSTRAINT fk_earnings_order FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT fk_earnings_freelancer FOREIGN KEY (freelancer_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
