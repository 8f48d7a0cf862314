-- Equitas schema version 13 (SQLite): single sign-on (OpenID Connect) identities and
-- sign-ins under way, and failed logins counted in the database, so that their limit holds
-- across restarts and across several server processes (issue 23).

-- An identity provider's subject (issuer + sub of its ID tokens) signs in as a local user,
-- whose roles stay in Equitas. Linked by `equitas users link`.
CREATE TABLE auth_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES auth_users (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX auth_identities_user ON auth_identities (user_id);

-- A sign-in sent to the provider and not back yet: found by the SHA-256 of the random value
-- in the browser's flow cookie, it holds the state, the nonce and the PKCE verifier the
-- answer is checked against. Used once; older than a few minutes, refused and removed.
CREATE TABLE auth_sso_flows (
    binding_hash TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Failed logins by key (`u:NAME`, `a:ADDRESS`): how many since the first one of the
-- current window (Unix seconds).
CREATE TABLE auth_login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    since INTEGER NOT NULL
);
