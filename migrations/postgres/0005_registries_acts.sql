-- 0005_registries_acts (PostgreSQL): mirrors migrations/sqlite/0005_registries_acts.sql. Three
-- registries whose uniqueness rules the database enforces, never a read-then-write in C
-- (src/registries/business.c, civil.c, share.c; docs/internals/registries.md, "Rules the
-- database enforces"). Each rule is a unique index that a second writer runs into, on one
-- node or many:
--   sole_proprietors_one_active    one active sole-proprietor registration per person
--   marriage_parties_one_active    one active marriage per person, whichever party
--   share_codes PRIMARY KEY + the single conditional UPDATE in share.c: one use per code
-- Rows change only along their one allowed transition (active -> terminated / dissolved,
-- unused -> used) and are never deleted: the triggers refuse everything else.
-- Keep in step with sqlite/0005_registries_acts.sql: same tables, columns and constraints.

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

CREATE FUNCTION sole_proprietors_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'active' AND NEW.status = 'terminated'
           AND NEW.id = OLD.id AND NEW.rnokpp = OLD.rnokpp AND NEW.kved = OLD.kved
           AND NEW.registered_at_ms = OLD.registered_at_ms THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'sole_proprietors: only active -> terminated may change';
END;
$$;

CREATE TRIGGER sole_proprietors_no_update_delete BEFORE UPDATE OR DELETE ON sole_proprietors
    FOR EACH ROW EXECUTE FUNCTION sole_proprietors_guard();
CREATE TRIGGER sole_proprietors_no_truncate BEFORE TRUNCATE ON sole_proprietors
    FOR EACH STATEMENT EXECUTE FUNCTION sole_proprietors_guard();

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

CREATE FUNCTION marriages_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'active' AND NEW.status = 'dissolved'
           AND NEW.id = OLD.id
           AND NEW.registered_at_ms = OLD.registered_at_ms THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'marriages: only active -> dissolved may change';
END;
$$;

CREATE FUNCTION marriage_parties_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'active' AND NEW.status = 'dissolved'
           AND NEW.marriage_id = OLD.marriage_id AND NEW.rnokpp = OLD.rnokpp THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'marriage_parties: only active -> dissolved may change';
END;
$$;

CREATE TRIGGER marriages_no_update_delete BEFORE UPDATE OR DELETE ON marriages
    FOR EACH ROW EXECUTE FUNCTION marriages_guard();
CREATE TRIGGER marriages_no_truncate BEFORE TRUNCATE ON marriages
    FOR EACH STATEMENT EXECUTE FUNCTION marriages_guard();
CREATE TRIGGER marriage_parties_no_update_delete BEFORE UPDATE OR DELETE ON marriage_parties
    FOR EACH ROW EXECUTE FUNCTION marriage_parties_guard();
CREATE TRIGGER marriage_parties_no_truncate BEFORE TRUNCATE ON marriage_parties
    FOR EACH STATEMENT EXECUTE FUNCTION marriage_parties_guard();

-- Share codes: a citizen shares one of their records with a verifier through a short-lived
-- random code. Only SHA-256(code) is stored (ARCHITECTURE.md rule 8); it is the key.
-- used_at_ms goes from NULL to a time exactly once, in one conditional UPDATE.
CREATE TABLE share_codes (
    code_hash     BYTEA NOT NULL PRIMARY KEY CHECK (length(code_hash) = 32),
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

CREATE FUNCTION share_codes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.used_at_ms IS NULL AND NEW.used_at_ms IS NOT NULL
           AND NEW.code_hash = OLD.code_hash AND NEW.id = OLD.id AND NEW.subject = OLD.subject
           AND NEW.resource = OLD.resource AND NEW.created_at_ms = OLD.created_at_ms
           AND NEW.expires_at_ms = OLD.expires_at_ms THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'share_codes: only unused -> used may change';
END;
$$;

CREATE TRIGGER share_codes_no_update_delete BEFORE UPDATE OR DELETE ON share_codes
    FOR EACH ROW EXECUTE FUNCTION share_codes_guard();
CREATE TRIGGER share_codes_no_truncate BEFORE TRUNCATE ON share_codes
    FOR EACH STATEMENT EXECUTE FUNCTION share_codes_guard();
