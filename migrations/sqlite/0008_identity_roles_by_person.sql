-- 0008_identity_roles_by_person: a person's active roles in the order the policy tries them
-- (granted_at_ms, id), read with every signed-in request (the session's lookup, src/identity/
-- official.c ps_roles_of). Without it the read sorts in a temporary B-tree each time: a third
-- of the cost of a signed-in portal page's lookup (bench/portal.sh).
CREATE INDEX official_roles_by_person ON official_roles (rnokpp, granted_at_ms, id)
    WHERE revoked_at_ms IS NULL;
