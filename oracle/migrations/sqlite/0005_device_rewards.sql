-- The rewards API's index of every published epoch's devices.csv, by owner (SQLite dialect;
-- migrations/postgres has the same tables and columns): a wallet's per-epoch rows are one index
-- range, newest epoch first (docs/api.md). Rebuilt from the published files at any time: the
-- files stay the record, these tables only find rows in them fast.
CREATE TABLE device_rewards (
    -- The owner at the epoch's registry snapshot (where the reward went), 32 bytes.
    owner    BLOB    NOT NULL CHECK (length(owner) = 32),
    epoch    INTEGER NOT NULL CHECK (epoch >= 0),
    device   BLOB    NOT NULL CHECK (length(device) = 32),
    -- u64 values stored as the i64 with the same bits (store::nonce_to_db).
    score    INTEGER NOT NULL,
    reward   INTEGER NOT NULL,
    -- devices.csv's reasons column as written (`code:count;...`).
    reasons  TEXT    NOT NULL,
    PRIMARY KEY (owner, epoch, device)
) WITHOUT ROWID;
-- The epochs whose devices.csv is in device_rewards, whole (written in the same transaction).
CREATE TABLE indexed_epochs (
    epoch       INTEGER PRIMARY KEY CHECK (epoch >= 0),
    devices     INTEGER NOT NULL CHECK (devices >= 0),
    indexed_at  INTEGER NOT NULL
);
