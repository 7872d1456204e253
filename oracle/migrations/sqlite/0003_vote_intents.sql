-- Write-ahead records of the submitter's votes (SQLite dialect; migrations/postgres has the same
-- table and columns). A row is written and committed before the vote transaction is signed, so
-- after a crash the oracle knows what it may already have signed, and never signs a different
-- root for the same epoch, oracle-set version and voting round.
CREATE TABLE vote_intents (
    -- The epoch the root is for.
    epoch          INTEGER NOT NULL CHECK (epoch >= 0),
    -- The on-chain oracle-set version the vote is cast under.
    set_version    INTEGER NOT NULL CHECK (set_version >= 0),
    -- The network's voting round (roots voided so far) when the vote was cast.
    round          INTEGER NOT NULL CHECK (round >= 0),
    -- The merkle-sum root hash voted for, 32 bytes.
    root_hash      BLOB    NOT NULL CHECK (length(root_hash) = 32),
    -- The root's sum, base units.
    root_sum       INTEGER NOT NULL CHECK (root_sum >= 0),
    -- sha256 of the epoch's manifest.json, 32 bytes.
    manifest_hash  BLOB    NOT NULL CHECK (length(manifest_hash) = 32),
    -- When the intent was recorded, unix milliseconds.
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (epoch, set_version, round)
);
