-- 0004_tlog (SQLite): the transparency log over access_log (src/tlog/log.c, integrator.c;
-- docs/internals/tlog.md). access_log stays the record table: each row gets a random salt
-- for the public commitment and a kind ('access' reads, 'change' state changes). The
-- integrator turns rows into leaves of an RFC 9162 tree: the exact public entry bytes, the
-- hashes of tile levels 0, 8, 16, ..., and a signed checkpoint per round.
-- Keep in step with postgres/0004_tlog.sql: same tables, columns and constraints.

-- The access log's table as the first version made it (until the files were renamed,
-- 0003_registry created it). IF NOT EXISTS: a database that recorded version 3 under its old
-- name has it already, with its index and triggers; a new one gets them here, and the columns
-- below are added to both alike.
-- Who read whose data, why and when (ARCHITECTURE.md rule 3). Append-only.
CREATE TABLE IF NOT EXISTS access_log (
    id         TEXT NOT NULL PRIMARY KEY,
    at_ms      BIGINT NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('citizen', 'official', 'system', 'admin')),
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    resource   TEXT NOT NULL,
    purpose    TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS access_log_by_subject ON access_log (subject, at_ms);

CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;

CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;

ALTER TABLE access_log ADD COLUMN salt BLOB; -- 32 random bytes per row (NULL: recorded before 0004)
ALTER TABLE access_log ADD COLUMN kind TEXT NOT NULL DEFAULT 'access'
    CHECK (kind IN ('access', 'change'));

-- Leaf idx of the tree: the exact public bytes whose RFC 9162 leaf hash is in the tree.
CREATE TABLE tlog_entries (
    idx       BIGINT NOT NULL PRIMARY KEY CHECK (idx >= 0),
    record_id TEXT NOT NULL UNIQUE,
    entry     BLOB NOT NULL
);

-- Hashes of complete subtrees at the tile levels (tree levels 0, 8, 16, ...).
CREATE TABLE tlog_hashes (
    level INTEGER NOT NULL CHECK (level >= 0 AND level % 8 = 0),
    idx   BIGINT NOT NULL CHECK (idx >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID; -- proofs read hashes by (level, idx): one B-tree, not an index plus the table

-- Signed checkpoints (C2SP tlog-checkpoint in a signed note), the text exactly as served.
CREATE TABLE tlog_checkpoints (
    size  BIGINT NOT NULL PRIMARY KEY CHECK (size >= 0),
    at_ms BIGINT NOT NULL,
    note  TEXT NOT NULL
);

-- Witness cosignature lines (C2SP tlog-cosignature), served after the log's signature.
CREATE TABLE tlog_cosignatures (
    size     BIGINT NOT NULL,
    key_name TEXT NOT NULL,
    line     TEXT NOT NULL,
    at_ms    BIGINT NOT NULL,
    PRIMARY KEY (size, key_name)
);

-- One row: the size of the tree and the id of the last integrated record. Updated by the
-- integrator in the transaction that appends; its row lock serializes integrators.
CREATE TABLE tlog_state (
    id             INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    size           BIGINT NOT NULL CHECK (size >= 0),
    last_record_id TEXT
);
INSERT INTO tlog_state (id, size, last_record_id) VALUES (1, 0, NULL);

CREATE TRIGGER tlog_entries_no_update BEFORE UPDATE ON tlog_entries
BEGIN
    SELECT RAISE(ABORT, 'tlog_entries is append-only');
END;
CREATE TRIGGER tlog_entries_no_delete BEFORE DELETE ON tlog_entries
BEGIN
    SELECT RAISE(ABORT, 'tlog_entries is append-only');
END;
CREATE TRIGGER tlog_hashes_no_update BEFORE UPDATE ON tlog_hashes
BEGIN
    SELECT RAISE(ABORT, 'tlog_hashes is append-only');
END;
CREATE TRIGGER tlog_hashes_no_delete BEFORE DELETE ON tlog_hashes
BEGIN
    SELECT RAISE(ABORT, 'tlog_hashes is append-only');
END;
CREATE TRIGGER tlog_checkpoints_no_update BEFORE UPDATE ON tlog_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'tlog_checkpoints is append-only');
END;
CREATE TRIGGER tlog_checkpoints_no_delete BEFORE DELETE ON tlog_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'tlog_checkpoints is append-only');
END;
