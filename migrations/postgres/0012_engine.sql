-- 0012_engine (PostgreSQL): mirrors migrations/sqlite/0012_engine.sql; the service engine's state (src/engine; docs/internals/engine.md).
--   service_versions   every definition version ever served, as loaded: an application pins
--                      (service_id, version) and always runs that text, whatever the files
--                      say later, on every node
--   applications       one citizen's application: answers, where its workflow stands
--   application_events its history, one row per transition (with the log's change entry)
--   application_parties who else takes part (a second spouse, a minor registered with a
--                      parent), to list it for them
--   idempotency        the answer to a keyed submission, so that a repeat gets it again
--   tasks              human steps waiting: consents (for one person), decisions (for a role
--                      of an agency, maybe one oblast), with claim and deadline
--   fees               amounts due (payments come later)
--   slots              registrars' calendars: a slot is booked by one application at most
--   inbox              messages to a person
-- Keep in step with sqlite/0012_engine.sql.

CREATE TABLE service_versions (
    service_id   TEXT NOT NULL,
    version      INTEGER NOT NULL CHECK (version > 0),
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
    source       TEXT NOT NULL,
    loaded_at_ms BIGINT NOT NULL,
    PRIMARY KEY (service_id, version)
);

CREATE TABLE applications (
    id              TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    service_id      TEXT NOT NULL,
    service_version INTEGER NOT NULL,
    applicant       TEXT NOT NULL REFERENCES persons (rnokpp),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'in-progress', 'waiting',
                                                    'approved', 'rejected')),
    step            TEXT NOT NULL,
    answers         TEXT NOT NULL, -- JSON object
    facts           TEXT NOT NULL, -- JSON object: what steps established (party answers...)
    reason          TEXT NOT NULL, -- the reason shown on rejection ('' otherwise)
    created_at_ms   BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL,
    submitted_at_ms BIGINT,
    FOREIGN KEY (service_id, service_version) REFERENCES service_versions (service_id, version)
);
CREATE INDEX applications_by_applicant ON applications (applicant, created_at_ms);

CREATE TABLE application_events (
    application_id TEXT NOT NULL REFERENCES applications (id),
    seq            INTEGER NOT NULL CHECK (seq > 0),
    at_ms          BIGINT NOT NULL,
    actor_kind     TEXT NOT NULL,
    actor_id       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    step           TEXT NOT NULL,
    detail         TEXT NOT NULL,
    PRIMARY KEY (application_id, seq)
);

CREATE TABLE application_parties (
    application_id TEXT NOT NULL REFERENCES applications (id),
    rnokpp         TEXT NOT NULL REFERENCES persons (rnokpp),
    role           TEXT NOT NULL CHECK (role IN ('party', 'child')),
    PRIMARY KEY (application_id, rnokpp)
);
CREATE INDEX application_parties_by_person ON application_parties (rnokpp);

CREATE TABLE idempotency (
    rnokpp         TEXT NOT NULL,
    idem_key       TEXT NOT NULL CHECK (length(idem_key) BETWEEN 1 AND 128),
    request_hash   TEXT NOT NULL CHECK (length(request_hash) = 64),
    status         INTEGER NOT NULL,
    response       TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (rnokpp, idem_key)
);

CREATE TABLE tasks (
    id             TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    application_id TEXT NOT NULL REFERENCES applications (id),
    step           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('consent', 'decision')),
    party          TEXT,          -- consent: the person who must consent
    role           TEXT NOT NULL, -- decision: the role ('' for a consent)
    agency         TEXT NOT NULL,
    oblast         TEXT NOT NULL, -- '' for every oblast
    status         TEXT NOT NULL CHECK (status IN ('open', 'done')),
    claimed_by     TEXT,
    claimed_at_ms  BIGINT,
    due_at_ms      BIGINT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    done_at_ms     BIGINT,
    decision       TEXT,
    reason         TEXT
);
CREATE UNIQUE INDEX tasks_one_open ON tasks (application_id, step) WHERE status = 'open';
CREATE INDEX tasks_queue ON tasks (status, agency, role, created_at_ms);
CREATE INDEX tasks_by_party ON tasks (party, status);

CREATE TABLE fees (
    id             TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    application_id TEXT NOT NULL REFERENCES applications (id),
    payer          TEXT NOT NULL REFERENCES persons (rnokpp),
    amount_kop     BIGINT NOT NULL CHECK (amount_kop >= 0),
    purpose        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('due', 'paid', 'waived')),
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX fees_by_application ON fees (application_id);

CREATE TABLE slots (
    id             TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    agency         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    registrar      TEXT NOT NULL REFERENCES persons (rnokpp),
    oblast         TEXT NOT NULL,
    starts_at_ms   BIGINT NOT NULL,
    minutes        INTEGER NOT NULL CHECK (minutes BETWEEN 5 AND 480),
    application_id TEXT REFERENCES applications (id),
    created_at_ms  BIGINT NOT NULL,
    UNIQUE (registrar, starts_at_ms)
);
CREATE UNIQUE INDEX slots_one_per_application ON slots (application_id)
    WHERE application_id IS NOT NULL;
CREATE INDEX slots_free ON slots (agency, kind, starts_at_ms);

CREATE TABLE inbox (
    id             TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    rnokpp         TEXT NOT NULL REFERENCES persons (rnokpp),
    application_id TEXT REFERENCES applications (id),
    at_ms          BIGINT NOT NULL,
    title_uk       TEXT NOT NULL,
    title_en       TEXT NOT NULL,
    body_uk        TEXT NOT NULL,
    body_en        TEXT NOT NULL,
    read_at_ms     BIGINT
);
CREATE INDEX inbox_by_person ON inbox (rnokpp, at_ms);

CREATE FUNCTION application_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'application_events is append-only';
END;
$$;
CREATE TRIGGER application_events_no_update_delete BEFORE UPDATE OR DELETE
    ON application_events FOR EACH ROW EXECUTE FUNCTION application_events_guard();
