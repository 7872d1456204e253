-- The reward tree's leaf count (the rows of the epoch's wallets.csv) of each published epoch and
-- of each vote intent (PostgreSQL dialect; migrations/sqlite has the same columns). It goes
-- on-chain with the root (`VoteRootArgs.leaves`) and fixes the tree's shape: wallets keep their
-- leaf index from epoch to epoch (docs/merkle-sum.md, section 9). 0 for an epoch with no root.
-- Rows recorded before this migration read 0: the submitter refuses to vote for a record that
-- has a root but no leaf count.
ALTER TABLE published_epochs
    ADD COLUMN leaves BIGINT NOT NULL DEFAULT 0 CHECK (leaves >= 0);
ALTER TABLE vote_intents
    ADD COLUMN leaves BIGINT NOT NULL DEFAULT 0 CHECK (leaves >= 0);
