-- 0011_registries_services (PostgreSQL): mirrors migrations/sqlite/0011_registries_services.sql
-- (kinship, sole-proprietor details, chosen surnames, internally displaced persons).

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
    kveds      TEXT NOT NULL,
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
    id               TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    rnokpp           TEXT NOT NULL REFERENCES persons (rnokpp),
    number           TEXT NOT NULL UNIQUE, -- the certificate's (довідка ВПО), NNNN-NNNNNNNNNN
    with_parent      TEXT REFERENCES persons (rnokpp),
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

CREATE FUNCTION idp_registrations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'active' AND NEW.status = 'cancelled' AND NEW.id = OLD.id
           AND NEW.rnokpp = OLD.rnokpp AND NEW.number = OLD.number THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'idp_registrations: only active -> cancelled may change';
END;
$$;
CREATE TRIGGER idp_registrations_no_update_delete BEFORE UPDATE OR DELETE ON idp_registrations
    FOR EACH ROW EXECUTE FUNCTION idp_registrations_guard();
