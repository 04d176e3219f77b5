-- API keys: only a SHA-256 of each key is kept (keys are 256 random bits, so a slow hash adds nothing).
CREATE TABLE api_keys (
    id           uuid        PRIMARY KEY,
    name         text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    owner        text        NOT NULL,
    key_hash     bytea       NOT NULL UNIQUE,
    key_prefix   text        NOT NULL,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Ownership: the owner of the key that created a session; the admin key's owner is 'admin'.
ALTER TABLE sessions DROP COLUMN owner_key_id;
ALTER TABLE sessions ADD COLUMN owner text NOT NULL DEFAULT 'admin';
ALTER TABLE sessions ADD COLUMN created_by_key text;
CREATE INDEX sessions_owner_created_at ON sessions (owner, created_at DESC);
