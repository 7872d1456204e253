-- Epochs the epoch task has published to <data_dir>/epochs/epoch-<n>/ (SQLite dialect;
-- migrations/postgres has the same table and columns). A row is written only after the epoch's
-- directory is in place; the task never recomputes or overwrites an epoch that has a row.
CREATE TABLE published_epochs (
    -- The epoch number.
    epoch          INTEGER PRIMARY KEY CHECK (epoch >= 0),
    -- The merkle-sum root hash, 32 bytes; NULL when no wallet has a nonzero total yet.
    root_hash      BLOB    CHECK (root_hash IS NULL OR length(root_hash) = 32),
    -- The root's sum (Σ cumulative), base units; 0 with no root.
    root_sum       INTEGER NOT NULL CHECK (root_sum >= 0),
    -- sha256 of manifest.json, 32 bytes (goes on-chain with the root).
    manifest_hash  BLOB    NOT NULL CHECK (length(manifest_hash) = 32),
    -- When the oracle recorded it, unix milliseconds.
    published_at   INTEGER NOT NULL
);
