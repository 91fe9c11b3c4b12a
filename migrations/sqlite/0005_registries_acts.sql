-- 0005_registries_acts (SQLite): three registries whose uniqueness rules the database enforces,
-- never a read-then-write in C (src/registries/business.c, civil.c, share.c;
-- docs/internals/registries.md, "Rules the database enforces"). Each rule is a unique index
-- that a second writer runs into, on one node or many:
--   sole_proprietors_one_active    one active sole-proprietor registration per person
--   marriage_parties_one_active    one active marriage per person, whichever party
--   share_codes PRIMARY KEY + the single conditional UPDATE in share.c: one use per code
-- Rows change only along their one allowed transition (active -> terminated / dissolved,
-- unused -> used) and are never deleted: the triggers refuse everything else.
-- Keep in step with postgres/0005_registries_acts.sql: same tables, columns and constraints.

-- Registrations of a person as a sole proprietor (ФОП).
CREATE TABLE sole_proprietors (
    id               TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    rnokpp           TEXT NOT NULL REFERENCES persons (rnokpp),
    kved             TEXT NOT NULL CHECK (length(kved) = 5), -- main activity, KVED-2010 NN.NN
    registered_at_ms BIGINT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('active', 'terminated')),
    terminated_at_ms BIGINT,
    CHECK ((status = 'active') = (terminated_at_ms IS NULL))
);

-- At most one ACTIVE registration per person; terminated ones stay as history.
CREATE UNIQUE INDEX sole_proprietors_one_active ON sole_proprietors (rnokpp)
    WHERE status = 'active';
CREATE INDEX sole_proprietors_by_person ON sole_proprietors (rnokpp, registered_at_ms);

CREATE TRIGGER sole_proprietors_no_update BEFORE UPDATE ON sole_proprietors
WHEN NOT (OLD.status = 'active' AND NEW.status = 'terminated' AND NEW.id = OLD.id
          AND NEW.rnokpp = OLD.rnokpp AND NEW.kved = OLD.kved
          AND NEW.registered_at_ms = OLD.registered_at_ms)
BEGIN
    SELECT RAISE(ABORT, 'sole_proprietors: only active -> terminated may change');
END;
CREATE TRIGGER sole_proprietors_no_delete BEFORE DELETE ON sole_proprietors
BEGIN
    SELECT RAISE(ABORT, 'sole_proprietors is append-only');
END;

-- Marriages, and their two parties. The rule "one active marriage per person" is over
-- persons whichever side they are on, so each party is a row of its own and one unique
-- index covers them all (two columns party_a/party_b would need two indexes that cannot see
-- each other).
CREATE TABLE marriages (
    id               TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    registered_at_ms BIGINT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('active', 'dissolved')),
    dissolved_at_ms  BIGINT,
    CHECK ((status = 'active') = (dissolved_at_ms IS NULL))
);

CREATE TABLE marriage_parties (
    marriage_id TEXT NOT NULL REFERENCES marriages (id),
    rnokpp      TEXT NOT NULL REFERENCES persons (rnokpp),
    status      TEXT NOT NULL CHECK (status IN ('active', 'dissolved')), -- the marriage's
    PRIMARY KEY (marriage_id, rnokpp)
);

-- At most one ACTIVE marriage per person.
CREATE UNIQUE INDEX marriage_parties_one_active ON marriage_parties (rnokpp)
    WHERE status = 'active';
CREATE INDEX marriage_parties_by_person ON marriage_parties (rnokpp);

CREATE TRIGGER marriages_no_update BEFORE UPDATE ON marriages
WHEN NOT (OLD.status = 'active' AND NEW.status = 'dissolved' AND NEW.id = OLD.id
          AND NEW.registered_at_ms = OLD.registered_at_ms)
BEGIN
    SELECT RAISE(ABORT, 'marriages: only active -> dissolved may change');
END;
CREATE TRIGGER marriages_no_delete BEFORE DELETE ON marriages
BEGIN
    SELECT RAISE(ABORT, 'marriages is append-only');
END;
CREATE TRIGGER marriage_parties_no_update BEFORE UPDATE ON marriage_parties
WHEN NOT (OLD.status = 'active' AND NEW.status = 'dissolved'
          AND NEW.marriage_id = OLD.marriage_id AND NEW.rnokpp = OLD.rnokpp)
BEGIN
    SELECT RAISE(ABORT, 'marriage_parties: only active -> dissolved may change');
END;
CREATE TRIGGER marriage_parties_no_delete BEFORE DELETE ON marriage_parties
BEGIN
    SELECT RAISE(ABORT, 'marriage_parties is append-only');
END;

-- Share codes: a citizen shares one of their records with a verifier through a short-lived
-- random code. Only SHA-256(code) is stored (ARCHITECTURE.md rule 8); it is the key.
-- used_at_ms goes from NULL to a time exactly once, in one conditional UPDATE.
CREATE TABLE share_codes (
    code_hash     BLOB NOT NULL PRIMARY KEY CHECK (length(code_hash) = 32),
    id            TEXT NOT NULL UNIQUE CHECK (length(id) = 36), -- UUIDv7, for the log
    subject       TEXT NOT NULL REFERENCES persons (rnokpp),
    resource      TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms    BIGINT,
    used_by_kind  TEXT CHECK (used_by_kind IN ('citizen', 'official', 'system', 'admin')),
    used_by_id    TEXT,
    CHECK (expires_at_ms > created_at_ms),
    CHECK ((used_at_ms IS NULL) = (used_by_kind IS NULL)
           AND (used_at_ms IS NULL) = (used_by_id IS NULL))
);

CREATE INDEX share_codes_by_subject ON share_codes (subject, created_at_ms);

CREATE TRIGGER share_codes_no_update BEFORE UPDATE ON share_codes
WHEN NOT (OLD.used_at_ms IS NULL AND NEW.used_at_ms IS NOT NULL
          AND NEW.code_hash = OLD.code_hash AND NEW.id = OLD.id
          AND NEW.subject = OLD.subject AND NEW.resource = OLD.resource
          AND NEW.created_at_ms = OLD.created_at_ms AND NEW.expires_at_ms = OLD.expires_at_ms)
BEGIN
    SELECT RAISE(ABORT, 'share_codes: only unused -> used may change');
END;
CREATE TRIGGER share_codes_no_delete BEFORE DELETE ON share_codes
BEGIN
    SELECT RAISE(ABORT, 'share_codes is append-only');
END;
