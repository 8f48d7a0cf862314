-- Equitas schema version 10 (PostgreSQL): accounts, roles scoped by place and programme, sessions,
-- API tokens and the audit log (issue 23). Times are Unix seconds (BIGINT) where they are
-- compared, RFC 3339 text where they are only shown.

CREATE TABLE auth_users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- Argon2id in the PHC string format (salt and parameters included).
    password_hash TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- One role given to a user, within a scope: `countries` and `programmes` are `;`-separated
-- lists (empty: every one), `location` the root of a subtree of the location hierarchy (NULL:
-- everywhere).
CREATE TABLE auth_grants (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES auth_users (id),
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
    user_id BIGINT NOT NULL REFERENCES auth_users (id),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);

-- API tokens by the SHA-256 of the token, which is shown once; a token may be narrower than
-- its user (countries, location, programmes as in auth_grants; empty: the user's scope).
CREATE TABLE auth_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES auth_users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    countries TEXT NOT NULL DEFAULT '',
    location TEXT,
    programmes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

-- Append-only: rows are added, never changed or removed (the triggers refuse it).
CREATE TABLE auth_audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    address TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    scope TEXT NOT NULL
);
CREATE FUNCTION auth_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER auth_audit_no_change BEFORE UPDATE OR DELETE ON auth_audit
    FOR EACH ROW EXECUTE FUNCTION auth_audit_append_only();
CREATE TRIGGER auth_audit_no_truncate BEFORE TRUNCATE ON auth_audit
    FOR EACH STATEMENT EXECUTE FUNCTION auth_audit_append_only();
