-- 0002_keystore (PostgreSQL): mirrors migrations/sqlite/0002_keystore.sql (src/keystore;
-- applied as 0002_keys before the files were renamed).
-- Private keys are stored only sealed with XChaCha20-Poly1305 under the master key, with
-- "id NUL purpose" as associated data, so a sealed blob cannot be moved to another row.

CREATE TABLE keys (
    id                 TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36), -- UUIDv7
    purpose            TEXT NOT NULL
                       CHECK (purpose IN ('document-signing', 'tlog-signing', 'qr-signing')),
    algorithm          TEXT NOT NULL CHECK (algorithm IN ('Ed25519', 'ES256')),
    public_key         BYTEA NOT NULL, -- Ed25519: 32 bytes; ES256: 65 bytes 0x04 || X || Y
    sealed_private_key BYTEA NOT NULL, -- 0x01 || 24-byte nonce || ciphertext || 16-byte tag
    created_at         TEXT NOT NULL CHECK (length(created_at) = 24), -- RFC 3339 UTC, ms
    status             TEXT NOT NULL CHECK (status IN ('active', 'retired', 'revoked'))
);

-- At most one active key per purpose; older keys stay for verifying what they signed.
CREATE UNIQUE INDEX keys_one_active ON keys (purpose) WHERE status = 'active';
