-- 0001_core (SQLite): the store's own tables. schema_migrations itself is created by the
-- store before any migration runs, so every migration (including this one) is recorded in it.

-- Small settings and facts about this installation (instance id, created_at, ...).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
