-- 0010_vip.sql - VIP subscriptions for freelancers (docs/vip.md): the plans, the subscriptions,
-- the subscription orders (one per charge: the first payment or authorisation, each renewal,
-- each in-app purchase), their events, the App Store notifications already applied, and the
-- VIP flag that public reads show as owner.vip and rank by.
--
-- Once-only rules live in keys: one live (trialing, active or past_due) subscription per user
-- (uq_subscriptions_live_user over a generated column that is NULL otherwise), one subscription
-- per App Store original transaction, one order per gateway transaction reference, one
-- application of each App Store notification. Every statement can run again.

CREATE TABLE IF NOT EXISTS vip_packages (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    name VARCHAR(100) NOT NULL,
    -- MAD, tax included (the VAT part is computed at KHEDMA_VAT_RATE when charged).
    price DECIMAL(12, 2) NOT NULL,
    currency CHAR(3) NOT NULL DEFAULT 'MAD',
    period_days INT NOT NULL,
    trial_days INT NOT NULL DEFAULT 0,
    app_store_product_id VARCHAR(100) COLLATE utf8mb4_bin NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_vip_packages_product (app_store_product_id),
    CONSTRAINT ck_vip_packages_price CHECK (price > 0),
    CONSTRAINT ck_vip_packages_period CHECK (period_days > 0),
    CONSTRAINT ck_vip_packages_trial CHECK (trial_days >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The two plans every deployment starts with; an operator edits or adds rows.
INSERT IGNORE INTO vip_packages (id, name, price, period_days, trial_days, app_store_product_id)
VALUES (1, 'VIP Monthly', 99.00, 30, 7, 'ma.khedma.vip.monthly'),
       (2, 'VIP Yearly', 990.00, 365, 0, 'ma.khedma.vip.yearly');

CREATE TABLE IF NOT EXISTS subscriptions (
    id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    user_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    vip_package_id INT UNSIGNED NOT NULL,
    provider ENUM('paytabs', 'app_store') NOT NULL,
    status ENUM('pending', 'trialing', 'active', 'past_due', 'cancelled', 'expired') NOT NULL,
    current_period_start DATETIME(3) NULL,
    current_period_end DATETIME(3) NULL,
    trial_end DATETIME(3) NULL,
    cancel_at_period_end BOOLEAN NOT NULL DEFAULT FALSE,
    -- PayTabs: the saved card token renewals are charged with (never logged, never answered),
    -- and the tran_ref of a trial's authorisation (captured at the trial's end, voided on cancel).
    paytabs_token VARCHAR(255) COLLATE utf8mb4_bin NULL,
    paytabs_auth_ref VARCHAR(64) COLLATE utf8mb4_bin NULL,
    -- App Store: the original transaction the subscription is bound to.
    original_transaction_id VARCHAR(64) COLLATE utf8mb4_bin NULL,
    -- Work for the jobs: when the next charge, capture or retry is due, claimed with
    -- FOR UPDATE SKIP LOCKED and leased by moving it forward (like payments.next_check_at).
    next_attempt_at DATETIME(3) NULL,
    failed_attempts INT NOT NULL DEFAULT 0,
    past_due_since DATETIME(3) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    -- RTRIM: MariaDB refuses a generated column that reads a CHAR column as it is (its value
    -- would depend on PAD_CHAR_TO_FULL_LENGTH); ids have no trailing spaces, so nothing changes.
    live_user_id VARCHAR(25) COLLATE utf8mb4_bin
        AS (IF(status IN ('trialing', 'active', 'past_due'), RTRIM(user_id), NULL)) STORED,
    PRIMARY KEY (id),
    UNIQUE KEY uq_subscriptions_live_user (live_user_id),
    UNIQUE KEY uq_subscriptions_original_tx (original_transaction_id),
    KEY ix_subscriptions_user (user_id, created_at),
    KEY ix_subscriptions_due (status, next_attempt_at),
    CONSTRAINT fk_subscriptions_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT fk_subscriptions_package FOREIGN KEY (vip_package_id) REFERENCES vip_packages (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per charge. id is a UUID: an in-app purchase hands it to StoreKit as appAccountToken.
-- order_number is the PayTabs cart_id ("Payment for Subscription order number N").
CREATE TABLE IF NOT EXISTS subscription_orders (
    id CHAR(36) COLLATE utf8mb4_bin NOT NULL,
    order_number BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    vip_package_id INT UNSIGNED NOT NULL,
    subscription_id CHAR(25) COLLATE utf8mb4_bin NULL,
    kind ENUM('initial', 'renewal') NOT NULL DEFAULT 'initial',
    payment_method ENUM('credit_card', 'in_app_purchase') NOT NULL,
    tran_type ENUM('sale', 'auth') NULL,
    amount DECIMAL(12, 2) NOT NULL,
    tax DECIMAL(12, 2) NOT NULL,
    currency CHAR(3) NOT NULL DEFAULT 'MAD',
    status ENUM('pending', 'authorised', 'paid', 'failed', 'voided', 'refunded') NOT NULL DEFAULT 'pending',
    tran_ref VARCHAR(64) COLLATE utf8mb4_bin NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_subscription_orders_number (order_number),
    UNIQUE KEY uq_subscription_orders_tran_ref (tran_ref),
    KEY ix_subscription_orders_user (user_id, created_at),
    KEY ix_subscription_orders_subscription (subscription_id),
    KEY ix_subscription_orders_pending (status, created_at),
    CONSTRAINT fk_subscription_orders_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT fk_subscription_orders_package FOREIGN KEY (vip_package_id) REFERENCES vip_packages (id),
    CONSTRAINT fk_subscription_orders_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS subscription_events (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    subscription_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    type VARCHAR(40) NOT NULL,
    from_status VARCHAR(16) NULL,
    to_status VARCHAR(16) NULL,
    detail VARCHAR(500) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY ix_subscription_events_subscription (subscription_id, id),
    CONSTRAINT fk_subscription_events_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- App Store Server Notifications V2 applied, each notificationUUID once (the insert is the claim).
CREATE TABLE IF NOT EXISTS apple_notifications (
    notification_uuid CHAR(36) COLLATE utf8mb4_bin NOT NULL,
    notification_type VARCHAR(40) NOT NULL,
    subtype VARCHAR(40) NULL,
    original_transaction_id VARCHAR(64) COLLATE utf8mb4_bin NULL,
    received_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (notification_uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The badge and the ranking: true while the user has a live subscription, written by the
-- subscription store in the same transaction as the status (src/vip/subscription_store.c).
-- gigs.owner_vip copies it onto each gig so search and category lists order by it from an index.
ALTER TABLE users ADD COLUMN IF NOT EXISTS vip BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE gigs ADD COLUMN IF NOT EXISTS owner_vip BOOLEAN NOT NULL DEFAULT FALSE;
