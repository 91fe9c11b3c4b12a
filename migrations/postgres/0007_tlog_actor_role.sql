-- 0007_tlog_actor_role: an official's record names the role and the agency the act used (an
-- agency system's, its agency), so that "who used my data" can say "an official of the Pension
-- Fund, role registrar" and the public entry can say it without the official's own number.
-- Existing rows keep '' in both (their public entries do not change). src/tlog/access.c.
ALTER TABLE access_log ADD COLUMN actor_role TEXT NOT NULL DEFAULT '';
ALTER TABLE access_log ADD COLUMN actor_agency TEXT NOT NULL DEFAULT '';
