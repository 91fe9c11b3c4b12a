-- 0011_registries_services (SQLite): what the first public services write into the registries
-- (src/registries/kinship.c, idp.c, business.c, civil.c; docs/internals/registries.md):
--   person_parents                  who is whose parent (kinship: minors with a parent,
--                                   close relatives who may not marry)
--   sole_proprietor_details         a registration's tax system, further activities, contacts
--   marriage_surnames               the surname each spouse chose at registration
--   idp_registrations               internally displaced persons; one active per person
--                                   (idp_registrations_one_active: the database refuses a
--                                   second, on one node or many)
-- Keep in step with postgres/0011_registries_services.sql.

CREATE TABLE person_parents (
    child  TEXT NOT NULL REFERENCES persons (rnokpp),
    parent TEXT NOT NULL REFERENCES persons (rnokpp),
    CHECK (child <> parent),
    PRIMARY KEY (child, parent)
);
CREATE INDEX person_parents_by_parent ON person_parents (parent);

CREATE TABLE sole_proprietor_details (
    id         TEXT NOT NULL PRIMARY KEY REFERENCES sole_proprietors (id),
    tax_system TEXT NOT NULL CHECK (tax_system IN ('single-1', 'single-2', 'single-3',
                                                   'general')),
    kveds      TEXT NOT NULL, -- every activity, comma-separated, the main one first
    email      TEXT NOT NULL,
    phone      TEXT NOT NULL
);

CREATE TABLE marriage_surnames (
    marriage_id TEXT NOT NULL REFERENCES marriages (id),
    rnokpp      TEXT NOT NULL REFERENCES persons (rnokpp),
    surname     TEXT NOT NULL CHECK (length(surname) BETWEEN 1 AND 400),
    PRIMARY KEY (marriage_id, rnokpp)
);

CREATE TABLE idp_registrations (
    id               TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    rnokpp           TEXT NOT NULL REFERENCES persons (rnokpp),
    number           TEXT NOT NULL UNIQUE, -- the certificate's (довідка ВПО), NNNN-NNNNNNNNNN
    with_parent      TEXT REFERENCES persons (rnokpp), -- a minor registered with a parent
    from_hromada     TEXT NOT NULL,
    from_address     TEXT NOT NULL,
    current_address  TEXT NOT NULL,
    territory_status TEXT NOT NULL CHECK (territory_status IN ('occupied', 'combat')),
    aid_eligible     INTEGER NOT NULL CHECK (aid_eligible IN (0, 1)),
    registered_at_ms BIGINT NOT NULL, -- the certificate's date of issue
    status           TEXT NOT NULL CHECK (status IN ('active', 'cancelled'))
);
CREATE UNIQUE INDEX idp_registrations_one_active ON idp_registrations (rnokpp)
    WHERE status = 'active';

CREATE TRIGGER idp_registrations_no_update BEFORE UPDATE ON idp_registrations
WHEN NOT (OLD.status = 'active' AND NEW.status = 'cancelled' AND NEW.id = OLD.id
          AND NEW.rnokpp = OLD.rnokpp AND NEW.number = OLD.number)
BEGIN
    SELECT RAISE(ABORT, 'idp_registrations: only active -> cancelled may change');
END;
CREATE TRIGGER idp_registrations_no_delete BEFORE DELETE ON idp_registrations
BEGIN
    SELECT RAISE(ABORT, 'idp_registrations is append-only');
END;
