-- Population registry and the access log (src/registries, src/tlog/access.c).
-- Keep in step with postgres/0003_registry.sql: same tables, columns and constraints.

CREATE TABLE persons (
    rnokpp           TEXT NOT NULL PRIMARY KEY CHECK (length(rnokpp) = 10),
    unzr             TEXT NOT NULL UNIQUE CHECK (length(unzr) = 14),
    id_card          TEXT NOT NULL UNIQUE CHECK (length(id_card) = 9),
    surname          TEXT NOT NULL,
    given_name       TEXT NOT NULL,
    patronymic       TEXT NOT NULL,
    surname_latin    TEXT NOT NULL,
    given_name_latin TEXT NOT NULL,
    patronymic_latin TEXT NOT NULL,
    birth_date       TEXT NOT NULL CHECK (length(birth_date) = 10),
    sex              TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    oblast           TEXT NOT NULL,
    hromada          TEXT NOT NULL,
    settlement       TEXT NOT NULL,
    street           TEXT NOT NULL,
    building         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('alive', 'deceased'))
);

-- Who read whose data, why and when (ARCHITECTURE.md rule 3). Append-only.
CREATE TABLE access_log (
    id         TEXT NOT NULL PRIMARY KEY,
    at_ms      BIGINT NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('citizen', 'official', 'system', 'admin')),
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    resource   TEXT NOT NULL,
    purpose    TEXT NOT NULL
);

CREATE INDEX access_log_by_subject ON access_log (subject, at_ms);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;

CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;
