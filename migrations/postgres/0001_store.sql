-- 0001_store (PostgreSQL): mirrors migrations/sqlite/0001_store.sql (applied as 0001_core
-- before the files were renamed). schema_migrations itself is created by the store before any
-- migration runs, so every migration is recorded in it.

-- Small settings and facts about this installation (instance id, created_at, ...).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
