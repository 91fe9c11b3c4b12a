-- 0009_registries_records (PostgreSQL): the registries documents draw on beyond persons, marriages and sole
-- proprietors (src/registries/records.c, transport.c; docs/internals/registries.md, "Records
-- for documents"): travel passports, driving licences, vehicles and birth
-- records, plus the agency that issues IDP certificates (drawn from idp_registrations,
-- 0011_registries_services: one registry, one table). Each row belongs to one person and
-- is never deleted; a record that ends changes its status (the triggers refuse everything
-- else). Numbers that identify a thing in the real world are unique.
-- Keep in step with sqlite/0009_registries_records.sql: same tables, columns and constraints.

INSERT INTO agencies (code, name_uk, name_en, parent) VALUES
    ('minsoc', 'Міністерство соціальної політики України',
     'Ministry of Social Policy of Ukraine', NULL);

-- Travel passports (паспорт громадянина України для виїзду за кордон): 2 Latin letters and
-- 6 digits, issued by a State Migration Service unit (4-digit code) for 10 years.
CREATE TABLE passports (
    id         TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    rnokpp     TEXT NOT NULL REFERENCES persons (rnokpp),
    number     TEXT NOT NULL UNIQUE CHECK (length(number) = 8),
    authority  TEXT NOT NULL CHECK (length(authority) = 4),
    issued_on  TEXT NOT NULL CHECK (length(issued_on) = 10),
    expires_on TEXT NOT NULL CHECK (length(expires_on) = 10),
    status     TEXT NOT NULL CHECK (status IN ('active', 'cancelled'))
);
CREATE INDEX passports_by_person ON passports (rnokpp);

-- Driving licences (посвідчення водія): 3 Cyrillic letters and 6 digits, categories as
-- printed ("B C1"), issued by a service centre of the MVS ("ТСЦ 4641").
CREATE TABLE driving_licences (
    id         TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    rnokpp     TEXT NOT NULL REFERENCES persons (rnokpp),
    number     TEXT NOT NULL UNIQUE, -- 3 letters (6 bytes in UTF-8) + 6 digits
    categories TEXT NOT NULL CHECK (length(categories) BETWEEN 1 AND 64),
    authority  TEXT NOT NULL,
    issued_on  TEXT NOT NULL CHECK (length(issued_on) = 10),
    expires_on TEXT NOT NULL CHECK (length(expires_on) = 10),
    status     TEXT NOT NULL CHECK (status IN ('active', 'revoked'))
);
CREATE INDEX driving_licences_by_person ON driving_licences (rnokpp);

-- Vehicles and their registration (свідоцтво про реєстрацію транспортного засобу): plate in
-- the 2013 regional series ("BC1234AI", stored without spaces), VIN (ISO 3779, check digit
-- valid), the certificate's number (3 Cyrillic letters and 6 digits).
CREATE TABLE vehicles (
    id            TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    owner         TEXT NOT NULL REFERENCES persons (rnokpp),
    plate         TEXT NOT NULL CHECK (length(plate) = 8),
    vin           TEXT NOT NULL UNIQUE CHECK (length(vin) = 17),
    make          TEXT NOT NULL,
    model         TEXT NOT NULL,
    year          INTEGER NOT NULL CHECK (year BETWEEN 1950 AND 2100),
    colour        TEXT NOT NULL,
    certificate   TEXT NOT NULL UNIQUE,
    registered_on TEXT NOT NULL CHECK (length(registered_on) = 10),
    status        TEXT NOT NULL CHECK (status IN ('registered', 'deregistered'))
);
CREATE INDEX vehicles_by_owner ON vehicles (owner);
-- A plate is on at most one registered vehicle.
CREATE UNIQUE INDEX vehicles_one_plate ON vehicles (plate) WHERE status = 'registered';

-- Birth records (актовий запис про народження) and the certificate issued on them.
CREATE TABLE birth_records (
    id              TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    rnokpp          TEXT NOT NULL UNIQUE REFERENCES persons (rnokpp),
    act_number      INTEGER NOT NULL CHECK (act_number > 0),
    registered_on   TEXT NOT NULL CHECK (length(registered_on) = 10),
    registry_office TEXT NOT NULL,
    place_of_birth  TEXT NOT NULL,
    father          TEXT NOT NULL, -- full name, '' when not recorded
    mother          TEXT NOT NULL,
    certificate     TEXT NOT NULL UNIQUE
);

CREATE FUNCTION passports_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'active' AND NEW.status = 'cancelled' AND NEW.id = OLD.id
           AND NEW.rnokpp = OLD.rnokpp AND NEW.number = OLD.number THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'passports: only active -> cancelled may change';
END;
$$;
CREATE TRIGGER passports_no_update_delete BEFORE UPDATE OR DELETE ON passports
    FOR EACH ROW EXECUTE FUNCTION passports_guard();
CREATE TRIGGER passports_no_truncate BEFORE TRUNCATE ON passports
    FOR EACH STATEMENT EXECUTE FUNCTION passports_guard();

CREATE FUNCTION driving_licences_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'active' AND NEW.status = 'revoked' AND NEW.id = OLD.id
           AND NEW.rnokpp = OLD.rnokpp AND NEW.number = OLD.number THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'driving_licences: only active -> revoked may change';
END;
$$;
CREATE TRIGGER driving_licences_no_update_delete BEFORE UPDATE OR DELETE ON driving_licences
    FOR EACH ROW EXECUTE FUNCTION driving_licences_guard();
CREATE TRIGGER driving_licences_no_truncate BEFORE TRUNCATE ON driving_licences
    FOR EACH STATEMENT EXECUTE FUNCTION driving_licences_guard();

CREATE FUNCTION vehicles_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'registered' AND NEW.status = 'deregistered' AND NEW.id = OLD.id
           AND NEW.owner = OLD.owner AND NEW.vin = OLD.vin AND NEW.plate = OLD.plate THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'vehicles: only registered -> deregistered may change';
END;
$$;
CREATE TRIGGER vehicles_no_update_delete BEFORE UPDATE OR DELETE ON vehicles
    FOR EACH ROW EXECUTE FUNCTION vehicles_guard();
CREATE TRIGGER vehicles_no_truncate BEFORE TRUNCATE ON vehicles
    FOR EACH STATEMENT EXECUTE FUNCTION vehicles_guard();

CREATE FUNCTION birth_records_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'birth_records is append-only';
END;
$$;
CREATE TRIGGER birth_records_no_update_delete BEFORE UPDATE OR DELETE ON birth_records
    FOR EACH ROW EXECUTE FUNCTION birth_records_guard();
CREATE TRIGGER birth_records_no_truncate BEFORE TRUNCATE ON birth_records
    FOR EACH STATEMENT EXECUTE FUNCTION birth_records_guard();
