-- 0001_store (SQLite): the store's own tables (src/store). schema_migrations itself is
-- created by the store before any migration runs, so every migration (including this one) is
-- recorded in it. Migrations are named by the module that owns their tables; databases record
-- them by version (this one was applied as 0001_core before the files were renamed).

-- Small settings and facts about this installation (instance id, created_at, ...).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
