-- 0003_registries_persons (PostgreSQL): the population registry (src/registries; applied as
-- 0003_registry before the files were renamed, when this file also created the access log,
-- whose table belongs to tlog and is now created by 0004_tlog).
-- Keep in step with sqlite/0003_registries_persons.sql: same tables, columns and constraints.

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
