-- Write-ahead records of the submitter's votes (PostgreSQL dialect; migrations/sqlite has the same
-- table and columns). A row is written and committed before the vote transaction is signed, so
-- after a crash the oracle knows what it may already have signed, and never signs a different
-- root for the same epoch, oracle-set version and voting round.
CREATE TABLE vote_intents (
    -- The epoch the root is for.
    epoch          BIGINT  NOT NULL CHECK (epoch >= 0),
    -- The on-chain oracle-set version the vote is cast under.
    set_version    BIGINT  NOT NULL CHECK (set_version >= 0),
    -- The network's voting round (roots voided so far) when the vote was cast.
    round          BIGINT  NOT NULL CHECK (round >= 0),
    -- The merkle-sum root hash voted for, 32 bytes.
    root_hash      BYTEA   NOT NULL CHECK (length(root_hash) = 32),
    -- The root's sum, base units.
    root_sum       BIGINT  NOT NULL CHECK (root_sum >= 0),
    -- sha256 of the epoch's manifest.json, 32 bytes.
    manifest_hash  BYTEA   NOT NULL CHECK (length(manifest_hash) = 32),
    -- When the intent was recorded, unix milliseconds.
    created_at     BIGINT  NOT NULL,
    PRIMARY KEY (epoch, set_version, round)
);
