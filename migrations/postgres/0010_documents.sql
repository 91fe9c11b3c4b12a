-- 0010_documents (PostgreSQL): digital documents (src/documents; docs/internals/documents.md).
-- A document row holds no claim values: they are read from the registries whenever the
-- document is shown, so the registries stay the one copy of the truth. The row says which
-- record it was drawn from, a SHA-256 of the values it was issued with (a record that no
-- longer matches it is reissued), its place in a status list, and its status.
--   issuer_keys    each agency's signing keys, sealed under the master key, with the types
--                  they may sign and the window in which they sign (rotation with overlap)
--   status_lists   IETF Token Status Lists, one per (issuer, bits), indices handed out by an
--                  affine permutation so that neighbours in a list are unrelated documents
--   documents      one row per issued document; at most one in force per (type, holder,
--                  record), a rule the database enforces
-- Keep in step with sqlite/0008_documents.sql: same tables, columns and constraints.

CREATE TABLE issuer_keys (
    id                 TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    agency             TEXT NOT NULL REFERENCES agencies (code),
    kid                BYTEA NOT NULL UNIQUE CHECK (length(kid) = 8),
    alg                TEXT NOT NULL CHECK (alg IN ('ES256', 'EdDSA')),
    public_key         BYTEA NOT NULL,  -- ES256: 65 bytes 0x04 || X || Y; EdDSA: 32 bytes
    sealed_private_key BYTEA NOT NULL,  -- PKCS#8 DER sealed (crypto/keys.h ps_keys_seal)
    certificate        BYTEA NOT NULL,  -- X.509 DER, signed by the platform root
    types              TEXT NOT NULL,  -- space-separated document types it may sign
    created_at_ms      BIGINT NOT NULL,
    not_before_ms      BIGINT NOT NULL, -- signs from
    not_after_ms       BIGINT,          -- signs until (set when rotated out); NULL: open
    CHECK (not_after_ms IS NULL OR not_after_ms >= not_before_ms)
);
CREATE INDEX issuer_keys_by_agency ON issuer_keys (agency, not_before_ms);

CREATE TABLE status_lists (
    id            INTEGER NOT NULL PRIMARY KEY CHECK (id > 0),
    issuer        TEXT NOT NULL REFERENCES agencies (code),
    bits          INTEGER NOT NULL CHECK (bits IN (1, 2)),
    capacity      INTEGER NOT NULL CHECK (capacity > 0),
    mul           INTEGER NOT NULL CHECK (mul > 0),       -- odd: index = (mul*n + add) mod capacity
    add_          INTEGER NOT NULL CHECK (add_ >= 0),
    next          INTEGER NOT NULL CHECK (next >= 0),     -- n of the next document
    revision      BIGINT NOT NULL CHECK (revision >= 0),  -- bumped by every status change
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX status_lists_by_issuer ON status_lists (issuer, bits);

CREATE TABLE documents (
    id            TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    type          TEXT NOT NULL,
    type_version  INTEGER NOT NULL CHECK (type_version > 0),
    holder        TEXT NOT NULL REFERENCES persons (rnokpp),
    record_id     TEXT NOT NULL, -- the registry record it is drawn from
    issuer        TEXT NOT NULL REFERENCES agencies (code),
    content_hash  BYTEA NOT NULL CHECK (length(content_hash) = 32),
    status_list   INTEGER NOT NULL REFERENCES status_lists (id),
    status_idx    INTEGER NOT NULL CHECK (status_idx >= 0),
    status        TEXT NOT NULL CHECK (status IN ('valid', 'suspended', 'revoked')),
    issued_at_ms  BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    changed_at_ms BIGINT,         -- the last status change
    change_reason TEXT,
    superseded_by TEXT,           -- revoked because reissued: the new document
    revocation    TEXT CHECK (revocation IN ('issuer', 'reissued', 'ended')), -- why revoked
    holder_key    BYTEA,           -- the device's P-256 key (x || y), bound as cnf
    CHECK (expires_at_ms > issued_at_ms),
    CHECK (status = 'valid' OR changed_at_ms IS NOT NULL),
    CHECK ((status = 'revoked') = (revocation IS NOT NULL)),
    CHECK (holder_key IS NULL OR length(holder_key) = 64)
);
-- One document in force per type, holder and record.
CREATE UNIQUE INDEX documents_one_in_force ON documents (type, holder, record_id)
    WHERE status IN ('valid', 'suspended');
CREATE UNIQUE INDEX documents_by_status_slot ON documents (status_list, status_idx);
CREATE INDEX documents_by_holder ON documents (holder, issued_at_ms);
-- Documents an issuer revoked stay revoked until their record changes: sync reads them.
CREATE INDEX documents_withdrawn ON documents (holder) WHERE revocation = 'issuer';
-- What a status list token shows: the documents that are not valid.
CREATE INDEX documents_not_valid ON documents (status_list) WHERE status <> 'valid';

-- Documents change only by status (valid <-> suspended -> revoked) and by getting a holder
-- key; keys only by their window closing.
CREATE FUNCTION documents_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.id = OLD.id AND NEW.type = OLD.type AND NEW.holder = OLD.holder
           AND NEW.record_id = OLD.record_id AND NEW.content_hash = OLD.content_hash
           AND NEW.status_list = OLD.status_list AND NEW.status_idx = OLD.status_idx
           AND NEW.issued_at_ms = OLD.issued_at_ms AND NEW.expires_at_ms = OLD.expires_at_ms
           AND OLD.status <> 'revoked' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'documents: only the status of a document in force may change';
    END IF;
    RAISE EXCEPTION 'documents is append-only';
END;
$$;
CREATE TRIGGER documents_no_update_delete BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_guard();
CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION documents_guard();

CREATE FUNCTION issuer_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.id = OLD.id AND NEW.kid = OLD.kid AND NEW.public_key = OLD.public_key
           AND NEW.sealed_private_key = OLD.sealed_private_key AND NEW.types = OLD.types
           AND NEW.not_before_ms = OLD.not_before_ms AND OLD.not_after_ms IS NULL THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'issuer_keys: only an open signing window may close';
    END IF;
    RAISE EXCEPTION 'issuer_keys is append-only';
END;
$$;
CREATE TRIGGER issuer_keys_no_update_delete BEFORE UPDATE OR DELETE ON issuer_keys
    FOR EACH ROW EXECUTE FUNCTION issuer_keys_guard();
CREATE TRIGGER issuer_keys_no_truncate BEFORE TRUNCATE ON issuer_keys
    FOR EACH STATEMENT EXECUTE FUNCTION issuer_keys_guard();
