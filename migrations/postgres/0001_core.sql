-- 0001_core (PostgreSQL): mirrors migrations/sqlite/0001_core.sql. schema_migrations itself is
-- created by the store before any migration runs, so every migration is recorded in it.

-- Small settings and facts about this installation (instance id, created_at, ...).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
