-- Signed device reports, one row per accepted report (PostgreSQL dialect; migrations/sqlite has
-- the same tables and columns). The row holds everything needed to rebuild the exact signed
-- binary report: version 0x01 || device || ts || nonce || kind || payload || signature.
CREATE TABLE reports (
    -- Arrival order (the epoch task streams reports by id).
    id          BIGINT   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- ed25519 public key of the device, 32 bytes.
    device      BYTEA    NOT NULL CHECK (length(device) = 32),
    -- The report's timestamp, unix seconds.
    ts          BIGINT   NOT NULL,
    -- The u64 nonce, stored as the i64 with the same 64 bits.
    nonce       BIGINT   NOT NULL,
    -- Payload kind byte (0 heartbeat .. 4 job_receipt).
    kind        SMALLINT NOT NULL CHECK (kind BETWEEN 0 AND 255),
    -- The payload body in the binary encoding (docs/reports.md), without the kind byte.
    payload     BYTEA    NOT NULL,
    -- The device's ed25519 signature, 64 bytes.
    signature   BYTEA    NOT NULL CHECK (length(signature) = 64),
    -- When the oracle committed it, unix milliseconds.
    received_at BIGINT   NOT NULL,
    -- The replay guard: a nonce is accepted once per device.
    CONSTRAINT reports_device_nonce UNIQUE (device, nonce)
);

CREATE INDEX reports_ts ON reports (ts);
