-- 0006_identity (SQLite): who may act (src/identity; docs/internals/identity.md). Citizens'
-- accounts with their passkeys and sessions, the one-time activation codes that open an
-- account, the challenges of WebAuthn ceremonies, agencies and the official roles people hold
-- in them, agency systems (clients) and the nonces of their signed requests.
-- Secrets are stored only as hashes: activation codes as HMAC-SHA256 under a key derived from
-- the master key, session tokens and challenges as SHA-256.
-- Keep in step with postgres/0006_identity.sql: same tables, columns and constraints.

-- Agencies: the state bodies officials and systems act for (data, seeded below).
CREATE TABLE agencies (
    code    TEXT NOT NULL PRIMARY KEY CHECK (length(code) BETWEEN 2 AND 32),
    name_uk TEXT NOT NULL,
    name_en TEXT NOT NULL,
    parent  TEXT REFERENCES agencies (code)
);

INSERT INTO agencies (code, name_uk, name_en, parent) VALUES
    ('mintsyfra', 'Міністерство цифрової трансформації України',
     'Ministry of Digital Transformation of Ukraine', NULL),
    ('minjust', 'Міністерство юстиції України', 'Ministry of Justice of Ukraine', NULL),
    ('mvs', 'Міністерство внутрішніх справ України',
     'Ministry of Internal Affairs of Ukraine', NULL),
    ('hsc-mvs', 'Головний сервісний центр МВС',
     'Main Service Centre of the Ministry of Internal Affairs', 'mvs'),
    ('dps', 'Державна податкова служба України', 'State Tax Service of Ukraine', NULL),
    ('pfu', 'Пенсійний фонд України', 'Pension Fund of Ukraine', NULL),
    ('dmsu', 'Державна міграційна служба України', 'State Migration Service of Ukraine', NULL);

-- A person's account: exists once they enrolled a first passkey.
CREATE TABLE accounts (
    rnokpp        TEXT NOT NULL PRIMARY KEY REFERENCES persons (rnokpp),
    user_handle   BLOB NOT NULL UNIQUE CHECK (length(user_handle) = 32), -- WebAuthn user.id
    created_at_ms BIGINT NOT NULL
);

-- One-time activation codes handed out by a service-centre clerk (or the local admin).
CREATE TABLE activation_codes (
    id            TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    rnokpp        TEXT NOT NULL REFERENCES persons (rnokpp),
    code_hash     BLOB NOT NULL UNIQUE CHECK (length(code_hash) = 32),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    used_at_ms    BIGINT
);
CREATE INDEX activation_codes_by_person ON activation_codes (rnokpp, created_at_ms);

-- Challenges of WebAuthn ceremonies in flight: single use (deleted when used), 5 minutes.
CREATE TABLE webauthn_challenges (
    challenge_hash BLOB NOT NULL PRIMARY KEY CHECK (length(challenge_hash) = 32),
    purpose        TEXT NOT NULL CHECK (purpose IN ('enrol', 'signin')),
    rnokpp         TEXT,      -- enrol: who is enrolling
    activation_id  TEXT,      -- enrol: the code that opened it
    user_handle    BLOB,      -- enrol: the account's user handle
    expires_at_ms  BIGINT NOT NULL,
    CHECK ((purpose = 'enrol') = (rnokpp IS NOT NULL))
);
CREATE INDEX webauthn_challenges_by_expiry ON webauthn_challenges (expires_at_ms);

-- Passkeys (WebAuthn credentials). Removed ones stay as history (removed_at_ms).
CREATE TABLE passkeys (
    id              TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    credential_id   BLOB NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 1 AND 1023),
    rnokpp          TEXT NOT NULL REFERENCES accounts (rnokpp),
    public_key      BLOB NOT NULL, -- COSE_Key as the authenticator gave it
    alg             INTEGER NOT NULL CHECK (alg IN (-7, -8, -257)),
    sign_count      BIGINT NOT NULL CHECK (sign_count >= 0),
    backup_eligible INTEGER NOT NULL CHECK (backup_eligible IN (0, 1)),
    backup_state    INTEGER NOT NULL CHECK (backup_state IN (0, 1)),
    transports      TEXT NOT NULL,
    aaguid          BLOB,
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at_ms   BIGINT NOT NULL,
    last_used_at_ms BIGINT,
    removed_at_ms   BIGINT
);
CREATE INDEX passkeys_by_person ON passkeys (rnokpp, created_at_ms);

-- Sessions: opaque tokens, stored as SHA-256, bound to the passkey that made them.
CREATE TABLE sessions (
    id            TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    token_hash    BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    rnokpp        TEXT NOT NULL REFERENCES accounts (rnokpp),
    passkey_id    TEXT NOT NULL REFERENCES passkeys (id),
    label         TEXT NOT NULL, -- the device as the browser named itself (User-Agent, cut)
    created_at_ms BIGINT NOT NULL,
    last_seen_ms  BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL, -- the absolute limit
    ended_at_ms   BIGINT,
    end_reason    TEXT CHECK (end_reason IN ('signout', 'removed', 'passkey-removed')),
    CHECK ((ended_at_ms IS NULL) = (end_reason IS NULL))
);
CREATE INDEX sessions_by_person ON sessions (rnokpp, created_at_ms);

-- Official roles: a person acting for an agency, optionally within one oblast. Granted and
-- revoked with a reason; revoked ones stay as history.
CREATE TABLE official_roles (
    id            TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    rnokpp        TEXT NOT NULL REFERENCES persons (rnokpp),
    role          TEXT NOT NULL
                  CHECK (role IN ('clerk', 'registrar', 'inspector', 'agency-admin', 'auditor')),
    agency        TEXT NOT NULL REFERENCES agencies (code),
    oblast        TEXT NOT NULL, -- '' : every oblast
    granted_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);
CREATE UNIQUE INDEX official_roles_one_active ON official_roles (rnokpp, role, agency, oblast)
    WHERE revoked_at_ms IS NULL;

-- Agency systems (machine clients) that sign their requests (RFC 9421).
CREATE TABLE clients (
    id            TEXT NOT NULL PRIMARY KEY CHECK (length(id) BETWEEN 3 AND 64),
    agency        TEXT NOT NULL REFERENCES agencies (code),
    name          TEXT NOT NULL,
    alg           TEXT NOT NULL CHECK (alg IN ('ed25519', 'ecdsa-p256-sha256')),
    public_key    BLOB NOT NULL, -- Ed25519: 32 bytes; P-256: 65 bytes uncompressed
    scopes        TEXT NOT NULL, -- space-separated
    created_at_ms BIGINT NOT NULL,
    removed_at_ms BIGINT
);

-- The nonces a client used within the signature window: a replay fails on the key.
CREATE TABLE client_nonces (
    client_id  TEXT NOT NULL REFERENCES clients (id),
    nonce      TEXT NOT NULL CHECK (length(nonce) BETWEEN 1 AND 128),
    seen_at_ms BIGINT NOT NULL,
    PRIMARY KEY (client_id, nonce)
);
CREATE INDEX client_nonces_by_age ON client_nonces (seen_at_ms);
