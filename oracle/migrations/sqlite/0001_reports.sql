-- Signed device reports, one row per accepted report (SQLite dialect; migrations/postgres has
-- the same tables and columns). The row holds everything needed to rebuild the exact signed
-- binary report: version 0x01 || device || ts || nonce || kind || payload || signature.
CREATE TABLE reports (
    -- Arrival order (the epoch task streams reports by id).
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- ed25519 public key of the device, 32 bytes.
    device      BLOB    NOT NULL CHECK (length(device) = 32),
    -- The report's timestamp, unix seconds.
    ts          INTEGER NOT NULL,
    -- The u64 nonce, stored as the i64 with the same 64 bits.
    nonce       INTEGER NOT NULL,
    -- Payload kind byte (0 heartbeat .. 4 job_receipt).
    kind        INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 255),
    -- The payload body in the binary encoding (docs/reports.md), without the kind byte.
    payload     BLOB    NOT NULL,
    -- The device's ed25519 signature, 64 bytes.
    signature   BLOB    NOT NULL CHECK (length(signature) = 64),
    -- When the oracle committed it, unix milliseconds.
    received_at INTEGER NOT NULL,
    -- The replay guard: a nonce is accepted once per device.
    CONSTRAINT reports_device_nonce UNIQUE (device, nonce)
);

CREATE INDEX reports_ts ON reports (ts);
