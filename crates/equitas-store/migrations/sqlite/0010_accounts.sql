-- Equitas schema version 10 (SQLite): accounts, roles scoped by place and programme, sessions,
-- API tokens and the audit log (issue 23). Times are Unix seconds (INTEGER) where they are
-- compared, RFC 3339 text where they are only shown.

CREATE TABLE auth_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    -- Argon2id in the PHC string format (salt and parameters included).
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- One role given to a user, within a scope: `countries` and `programmes` are `;`-separated
-- lists (empty: every one), `location` the root of a subtree of the location hierarchy (NULL:
-- everywhere).
CREATE TABLE auth_grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES auth_users (id),
    role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'supply-chain-officer', 'data-manager', 'administrator')),
    countries TEXT NOT NULL,
    location TEXT,
    programmes TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX auth_grants_user ON auth_grants (user_id);

-- Sessions by the SHA-256 of their random token (the token itself is only in the cookie).
CREATE TABLE auth_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES auth_users (id),
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);

-- API tokens by the SHA-256 of the token, which is shown once; a token may be narrower than
-- its user (countries, location, programmes as in auth_grants; empty: the user's scope).
CREATE TABLE auth_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES auth_users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    countries TEXT NOT NULL DEFAULT '',
    location TEXT,
    programmes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

-- Append-only: rows are added, never changed or removed (the triggers refuse it).
CREATE TABLE auth_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    address TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    scope TEXT NOT NULL
);
CREATE TRIGGER auth_audit_no_update BEFORE UPDATE ON auth_audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER auth_audit_no_delete BEFORE DELETE ON auth_audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
