//! Accounts (issue 23): users with Argon2id password hashes, roles granted
//! within a scope (countries, a subtree of the location hierarchy,
//! programmes), sessions and API tokens stored as the SHA-256 of random
//! tokens, and the append-only audit log. The same SQL on both backends.
//!
//! A scope as granted ([`ScopeSpec`]) is resolved against the reference data
//! into the sets a row is checked against ([`Scope`]): the locations of the
//! subtree (codes and GLNs), the countries, the products of the programmes.

use crate::{Conn, FromValue, StoreError, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashSet};
use std::fmt;

/// What a role allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Read figures, events and reference data (within the scope).
    Read,
    /// Capture EPCIS events (at locations within the scope).
    Capture,
    /// Import files (within the scope).
    Import,
    /// Manage accounts and read the audit log.
    Administer,
    /// Read this country's published monthly figures, and nothing else
    /// (a regional server's token; docs/region.md).
    Publications,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Capture => "capture",
            Permission::Import => "import",
            Permission::Administer => "administer",
            Permission::Publications => "publications",
        }
    }
}

/// The fixed set of roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Viewer,
    Analyst,
    SupplyChainOfficer,
    DataManager,
    Administrator,
    /// A regional server reading this country's publications.
    PublicationReader,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Viewer,
        Role::Analyst,
        Role::SupplyChainOfficer,
        Role::DataManager,
        Role::Administrator,
        Role::PublicationReader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::SupplyChainOfficer => "supply-chain-officer",
            Role::DataManager => "data-manager",
            Role::Administrator => "administrator",
            Role::PublicationReader => "publication-reader",
        }
    }

    pub fn parse(s: &str) -> Result<Role, StoreError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "role {s:?}: expected one of {}",
                    Role::ALL.map(Role::as_str).join(", ")
                ))
            })
    }

    /// The permissions of the role. A viewer and an analyst read the same
    /// answers today; the officer captures and imports; the data manager
    /// too (reference data included); the administrator also manages
    /// accounts and reads the audit log; the publication reader (a
    /// regional server) reads the publications only.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Viewer | Role::Analyst => &[Read],
            Role::SupplyChainOfficer | Role::DataManager => &[Read, Capture, Import],
            Role::Administrator => &[Read, Capture, Import, Administer, Publications],
            Role::PublicationReader => &[Publications],
        }
    }

    pub fn allows(self, p: Permission) -> bool {
        self.permissions().contains(&p)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope as granted: empty lists and no location mean "every one".
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScopeSpec {
    /// ISO 3166 alpha-3 codes.
    pub countries: Vec<String>,
    /// The root of a subtree of the location hierarchy (a location code).
    pub location: Option<String>,
    pub programmes: Vec<String>,
}

impl ScopeSpec {
    pub fn is_unscoped(&self) -> bool {
        self.countries.is_empty() && self.location.is_none() && self.programmes.is_empty()
    }
}

impl fmt::Display for ScopeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_unscoped() {
            return f.write_str("everywhere");
        }
        let mut parts = Vec::new();
        if !self.countries.is_empty() {
            parts.push(format!("countries {}", self.countries.join(",")));
        }
        if let Some(l) = &self.location {
            parts.push(format!("location {l} and below"));
        }
        if !self.programmes.is_empty() {
            parts.push(format!("programmes {}", self.programmes.join(",")));
        }
        f.write_str(&parts.join("; "))
    }
}

/// One role given to a user within a scope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Grant {
    pub id: i64,
    #[serde(serialize_with = "role_name")]
    pub role: Role,
    pub scope: ScopeSpec,
}

fn role_name<S: serde::Serializer>(r: &Role, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.as_str())
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub disabled: bool,
    pub created_at: String,
    pub grants: Vec<Grant>,
}

impl User {
    /// The scopes within which the user has `p`.
    pub fn scopes(&self, p: Permission) -> Vec<&ScopeSpec> {
        self.grants
            .iter()
            .filter(|g| g.role.allows(p))
            .map(|g| &g.scope)
            .collect()
    }

    /// The grants as one line (for the audit log).
    pub fn describe_grants(&self) -> String {
        if self.grants.is_empty() {
            return "no role".into();
        }
        self.grants
            .iter()
            .map(|g| format!("{} ({})", g.role, g.scope))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

// ---- passwords and tokens ----------------------------------------------

/// The shortest password taken.
pub const MIN_PASSWORD: usize = 10;

fn random_hex(bytes: usize) -> Result<String, StoreError> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b)
        .map_err(|e| StoreError::Invalid(format!("no random numbers from the system: {e}")))?;
    Ok(hex::encode(b))
}

/// The SHA-256 of a token, as stored (tokens are 256 random bits: a fast
/// hash cannot be searched back).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An Argon2id hash (PHC string) of `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    if password.chars().count() < MIN_PASSWORD {
        return Err(StoreError::Invalid(format!(
            "password: at least {MIN_PASSWORD} characters"
        )));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| StoreError::Invalid(format!("no random numbers from the system: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| StoreError::Invalid(format!("password salt: {e}")))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("password hash: {e}")))
}

/// True if `password` matches the stored `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so that an
/// unknown name takes as long to refuse as a wrong password.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

// ---- users and grants --------------------------------------------------

fn check_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "user name {name:?}: 1 to 64 ASCII letters (a-z, no accents), digits, '.', '_', '@' or '-'"
        )))
    }
}

fn list(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

fn get<T: FromValue>(row: &[Value], i: usize) -> Result<T, StoreError> {
    row.get(i)
        .ok_or_else(|| StoreError::Invalid(format!("missing column {i}")))?
        .get()
}

/// Adds a user (no role yet); its id.
pub fn add_user(c: &mut dyn Conn, name: &str, password: &str) -> Result<i64, StoreError> {
    check_name(name)?;
    // The name, or one differing only in case: one person to a reader of
    // the audit log (`Clerk` beside `clerk` was accepted until 2026-12-07).
    let like: Vec<String> = c
        .query(
            "SELECT name FROM auth_users WHERE LOWER(name) = $1",
            &[name.to_ascii_lowercase().into()],
        )?
        .iter()
        .map(|r| get(r, 0))
        .collect::<Result<_, _>>()?;
    if like.iter().any(|o| o == name) {
        return Err(StoreError::Invalid(format!("user {name:?} exists already")));
    }
    if let Some(other) = like.first() {
        return Err(StoreError::Invalid(format!(
            "user {name:?}: {other:?} exists already, differing only in case"
        )));
    }
    let hash = hash_password(password)?;
    c.execute(
        "INSERT INTO auth_users (name, password_hash, disabled, created_at) VALUES ($1, $2, 0, $3)",
        &[name.into(), hash.into(), now_text().into()],
    )?;
    c.query_scalar("SELECT id FROM auth_users WHERE name = $1", &[name.into()])?
        .get()
}

/// True if any user exists (then the server requires accounts).
pub fn has_users(c: &mut dyn Conn) -> Result<bool, StoreError> {
    let n: i64 = c
        .query_scalar("SELECT COUNT(*) FROM auth_users", &[])?
        .get()?;
    Ok(n > 0)
}

fn grants_of(c: &mut dyn Conn, user_id: i64) -> Result<Vec<Grant>, StoreError> {
    c.query(
        "SELECT id, role, countries, location, programmes FROM auth_grants WHERE user_id = $1 ORDER BY id",
        &[Value::Int(user_id)],
    )?
    .iter()
    .map(|r| {
        Ok(Grant {
            id: get(r, 0)?,
            role: Role::parse(&get::<String>(r, 1)?)?,
            scope: ScopeSpec {
                countries: list(&get::<String>(r, 2)?),
                location: get(r, 3)?,
                programmes: list(&get::<String>(r, 4)?),
            },
        })
    })
    .collect()
}

fn user_where(c: &mut dyn Conn, cond: &str, v: Value) -> Result<Option<User>, StoreError> {
    let rows = c.query(
        &format!("SELECT id, name, disabled, created_at FROM auth_users WHERE {cond}"),
        &[v],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let id: i64 = get(r, 0)?;
    Ok(Some(User {
        id,
        name: get(r, 1)?,
        disabled: get::<i64>(r, 2)? != 0,
        created_at: get(r, 3)?,
        grants: grants_of(c, id)?,
    }))
}

/// The user named `name`, with its grants.
pub fn user(c: &mut dyn Conn, name: &str) -> Result<Option<User>, StoreError> {
    user_where(c, "name = $1", name.into())
}

fn existing(c: &mut dyn Conn, name: &str) -> Result<User, StoreError> {
    user(c, name)?.ok_or_else(|| StoreError::Invalid(format!("no user {name:?}")))
}

/// Every user with its grants, by name.
pub fn users(c: &mut dyn Conn) -> Result<Vec<User>, StoreError> {
    let names: Vec<String> = c
        .query("SELECT name FROM auth_users ORDER BY name", &[])?
        .iter()
        .map(|r| get(r, 0))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for n in names {
        out.extend(user(c, &n)?);
    }
    Ok(out)
}

/// Disables (or enables again) a user; disabling ends its sessions.
pub fn set_disabled(c: &mut dyn Conn, name: &str, disabled: bool) -> Result<User, StoreError> {
    let u = existing(c, name)?;
    c.execute(
        "UPDATE auth_users SET disabled = $1 WHERE id = $2",
        &[disabled.into(), Value::Int(u.id)],
    )?;
    if disabled {
        c.execute(
            "DELETE FROM auth_sessions WHERE user_id = $1",
            &[Value::Int(u.id)],
        )?;
    }
    existing(c, name)
}

/// Sets a new password; the user's sessions end.
pub fn set_password(c: &mut dyn Conn, name: &str, password: &str) -> Result<(), StoreError> {
    let u = existing(c, name)?;
    let hash = hash_password(password)?;
    c.execute(
        "UPDATE auth_users SET password_hash = $1 WHERE id = $2",
        &[hash.into(), Value::Int(u.id)],
    )?;
    c.execute(
        "DELETE FROM auth_sessions WHERE user_id = $1",
        &[Value::Int(u.id)],
    )?;
    Ok(())
}

/// A scope's countries and location must be known (loaded reference
/// data), its programmes the model's.
fn check_scope(c: &mut dyn Conn, scope: &ScopeSpec) -> Result<(), StoreError> {
    for country in &scope.countries {
        let n: i64 = c
            .query_scalar(
                "SELECT COUNT(*) FROM countries WHERE iso3 = $1",
                &[country.into()],
            )?
            .get()?;
        if n == 0 {
            return Err(StoreError::Invalid(format!(
                "country {country:?}: not an ISO 3166 alpha-3 code of the loaded countries"
            )));
        }
    }
    if let Some(l) = &scope.location {
        let n: i64 = c
            .query_scalar(
                "SELECT COUNT(*) FROM locations WHERE code = $1",
                &[l.into()],
            )?
            .get()?;
        if n == 0 {
            return Err(StoreError::Invalid(format!(
                "location {l:?}: no such location code (load the location hierarchy first)"
            )));
        }
    }
    for p in &scope.programmes {
        p.parse::<equitas_model::Programme>()
            .map_err(|e| StoreError::Invalid(format!("programme {p:?}: {e}")))?;
    }
    Ok(())
}

/// Gives `name` a role within `scope`, whose countries and location must
/// be known (loaded reference data); the grant's id.
pub fn grant(
    c: &mut dyn Conn,
    name: &str,
    role: Role,
    scope: &ScopeSpec,
) -> Result<i64, StoreError> {
    let u = existing(c, name)?;
    check_scope(c, scope)?;
    if role == Role::PublicationReader && !scope.is_unscoped() {
        // A publication is the whole country's: a scoped grant of it could
        // never read one (docs/accounts.md), so it is refused here, not
        // found useless at the first pull.
        return Err(StoreError::Invalid(format!(
            "publication-reader reads the whole country's publications: grant it without a scope (it was given {scope})"
        )));
    }
    c.execute(
        "INSERT INTO auth_grants (user_id, role, countries, location, programmes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            Value::Int(u.id),
            role.as_str().into(),
            scope.countries.join(";").into(),
            scope.location.clone().into(),
            scope.programmes.join(";").into(),
            now_text().into(),
        ],
    )?;
    c.query_scalar(
        "SELECT MAX(id) FROM auth_grants WHERE user_id = $1",
        &[Value::Int(u.id)],
    )?
    .get()
}

/// Takes back grant `id` of `name`; false if the user had no such grant.
pub fn revoke(c: &mut dyn Conn, name: &str, id: i64) -> Result<bool, StoreError> {
    let u = existing(c, name)?;
    Ok(c.execute(
        "DELETE FROM auth_grants WHERE id = $1 AND user_id = $2",
        &[Value::Int(id), Value::Int(u.id)],
    )? > 0)
}

/// The user if `password` is theirs and they are not disabled. An unknown
/// name costs as much as a wrong password.
pub fn check_password(
    c: &mut dyn Conn,
    name: &str,
    password: &str,
) -> Result<Option<User>, StoreError> {
    let rows = c.query(
        "SELECT password_hash FROM auth_users WHERE name = $1 AND disabled = 0",
        &[name.into()],
    )?;
    let hash: Option<String> = rows.first().map(|r| get(r, 0)).transpose()?;
    let ok = verify_password(hash.as_deref().unwrap_or(dummy_hash()), password);
    if ok && hash.is_some() {
        user(c, name)
    } else {
        Ok(None)
    }
}

// ---- sessions ----------------------------------------------------------

/// How long a session lasts, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// Without a request.
    pub idle: i64,
    /// From login, whatever the activity.
    pub absolute: i64,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle: 30 * 60,
            absolute: 12 * 3600,
        }
    }
}

/// A new session of `user_id`: its token (for the cookie) and its CSRF token.
pub fn create_session(
    c: &mut dyn Conn,
    user_id: i64,
    now: i64,
) -> Result<(String, String), StoreError> {
    let token = random_hex(32)?;
    let csrf = random_hex(32)?;
    c.execute(
        "INSERT INTO auth_sessions (token_hash, user_id, csrf, created_at, last_seen) VALUES ($1, $2, $3, $4, $4)",
        &[token_hash(&token).into(), Value::Int(user_id), csrf.clone().into(), Value::Int(now)],
    )?;
    Ok((token, csrf))
}

/// The user of a live session and its CSRF token; an expired session is
/// removed. `last_seen` moves at most once a minute, and at least every
/// half idle limit.
pub fn session(
    c: &mut dyn Conn,
    token: &str,
    now: i64,
    limits: SessionLimits,
) -> Result<Option<(User, String)>, StoreError> {
    let h = token_hash(token);
    let rows = c.query(
        "SELECT user_id, csrf, created_at, last_seen FROM auth_sessions WHERE token_hash = $1",
        &[h.clone().into()],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let (uid, csrf, created, seen): (i64, String, i64, i64) =
        (get(r, 0)?, get(r, 1)?, get(r, 2)?, get(r, 3)?);
    if now - seen > limits.idle || now - created > limits.absolute {
        c.execute(
            "DELETE FROM auth_sessions WHERE token_hash = $1",
            &[h.into()],
        )?;
        return Ok(None);
    }
    // `last_seen` is written at most once a minute, and at least twice
    // within the idle limit: a session used every 15 s with an idle limit
    // of a minute once expired (its last write a minute old).
    if now - seen >= (limits.idle / 2).clamp(1, 60) {
        c.execute(
            "UPDATE auth_sessions SET last_seen = $1 WHERE token_hash = $2",
            &[Value::Int(now), h.into()],
        )?;
    }
    match user_where(c, "id = $1 AND disabled = 0", Value::Int(uid))? {
        Some(u) => Ok(Some((u, csrf))),
        None => Ok(None),
    }
}

/// Ends a session; false if there was none.
pub fn end_session(c: &mut dyn Conn, token: &str) -> Result<bool, StoreError> {
    Ok(c.execute(
        "DELETE FROM auth_sessions WHERE token_hash = $1",
        &[token_hash(token).into()],
    )? > 0)
}

// ---- API tokens --------------------------------------------------------

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub user: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Narrower than the user's (unscoped: the user's scope).
    pub scope: ScopeSpec,
}

/// The prefix of API tokens (so that a leaked one is recognisable).
pub const TOKEN_PREFIX: &str = "eqt_";

/// A new API token of `user`: its id and the token, which is not stored.
/// The token acts as its user, and within `scope` too unless it is unscoped.
pub fn create_token(
    c: &mut dyn Conn,
    user: &str,
    name: &str,
    expires_at: Option<i64>,
    scope: &ScopeSpec,
) -> Result<(i64, String), StoreError> {
    let u = existing(c, user)?;
    check_scope(c, scope)?;
    if !scope.is_unscoped() && !u.grants.is_empty() {
        // A token narrows its user's grants: one whose scope lies outside
        // all of them would reach nothing (user pass: accepted silently).
        // Publications are read whole (a scoped token never reads one):
        // they do not count.
        let mut reaches = false;
        for p in [
            Permission::Read,
            Permission::Capture,
            Permission::Import,
            Permission::Administer,
        ] {
            if let Some(Scope::Within { areas, .. }) = token_scope(c, &u, p, scope)? {
                reaches |= areas.iter().any(|a| !a.is_empty());
            }
        }
        // Programmes are compared by name: a token of malaria for a user
        // granted HIV only reaches nothing, whatever products are loaded
        // (a user pass, 2026-12-07: it was created).
        let programmes_apart = !scope.programmes.is_empty()
            && u.grants.iter().all(|g| {
                !g.scope.programmes.is_empty()
                    && g.scope
                        .programmes
                        .iter()
                        .all(|p| !scope.programmes.contains(p))
            });
        if !reaches || programmes_apart {
            return Err(StoreError::Invalid(format!(
                "a token of {user} limited to {scope} would reach nothing: it lies outside every grant of {user} ({})",
                u.describe_grants()
            )));
        }
    }
    let token = format!("{TOKEN_PREFIX}{}", random_hex(32)?);
    let h = token_hash(&token);
    c.execute(
        "INSERT INTO auth_tokens (user_id, name, token_hash, created_at, expires_at, countries, location, programmes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Value::Int(u.id),
            name.into(),
            h.clone().into(),
            Value::Int(now()),
            expires_at.into(),
            scope.countries.join(";").into(),
            scope.location.clone().into(),
            scope.programmes.join(";").into(),
        ],
    )?;
    let id = c
        .query_scalar(
            "SELECT id FROM auth_tokens WHERE token_hash = $1",
            &[h.into()],
        )?
        .get()?;
    Ok((id, token))
}

pub fn tokens(c: &mut dyn Conn) -> Result<Vec<TokenRow>, StoreError> {
    c.query(
        "SELECT t.id, u.name, t.name, t.created_at, t.expires_at, t.revoked_at, \
         t.countries, t.location, t.programmes FROM auth_tokens t JOIN auth_users u ON u.id = t.user_id ORDER BY t.id",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(TokenRow {
            id: get(r, 0)?,
            user: get(r, 1)?,
            name: get(r, 2)?,
            created_at: get(r, 3)?,
            expires_at: get(r, 4)?,
            revoked_at: get(r, 5)?,
            scope: ScopeSpec {
                countries: list(&get::<String>(r, 6)?),
                location: get(r, 7)?,
                programmes: list(&get::<String>(r, 8)?),
            },
        })
    })
    .collect()
}

/// Revokes token `id`; false if there is no such token not yet revoked.
pub fn revoke_token(c: &mut dyn Conn, id: i64) -> Result<bool, StoreError> {
    Ok(c.execute(
        "UPDATE auth_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        &[Value::Int(now()), Value::Int(id)],
    )? > 0)
}

/// A live API token: its id and its own scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveToken {
    pub id: i64,
    pub scope: ScopeSpec,
}

/// The user of a live API token (not revoked, not expired, user not
/// disabled), with the token.
pub fn token_user(
    c: &mut dyn Conn,
    token: &str,
    now: i64,
) -> Result<Option<(User, LiveToken)>, StoreError> {
    let rows = c.query(
        "SELECT id, user_id, countries, location, programmes FROM auth_tokens \
         WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        &[token_hash(token).into(), Value::Int(now)],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let (id, uid): (i64, i64) = (get(r, 0)?, get(r, 1)?);
    let scope = ScopeSpec {
        countries: list(&get::<String>(r, 2)?),
        location: get(r, 3)?,
        programmes: list(&get::<String>(r, 4)?),
    };
    Ok(user_where(c, "id = $1 AND disabled = 0", Value::Int(uid))?
        .map(|u| (u, LiveToken { id, scope })))
}

/// The scope of `p` of a caller as it stands at `now`: `user` (enabled),
/// through its API token `token` (live, the user's) if any; `None` if the
/// caller no longer has `p` anywhere (a user removed or disabled, a token
/// revoked or expired, a role withdrawn). For what acts later on a
/// caller's behalf (the deliveries of a subscription).
pub fn caller_scope(
    c: &mut dyn Conn,
    user: &str,
    token: Option<i64>,
    p: Permission,
    now: i64,
) -> Result<Option<Scope>, StoreError> {
    let Some(u) = user_where(c, "name = $1 AND disabled = 0", Value::Text(user.into()))? else {
        return Ok(None);
    };
    let narrowed = match token {
        None => ScopeSpec::default(),
        Some(id) => {
            let rows = c.query(
                "SELECT countries, location, programmes FROM auth_tokens \
                 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL \
                 AND (expires_at IS NULL OR expires_at > $3)",
                &[Value::Int(id), Value::Int(u.id), Value::Int(now)],
            )?;
            let Some(r) = rows.first() else {
                return Ok(None);
            };
            ScopeSpec {
                countries: list(&get::<String>(r, 0)?),
                location: get(r, 1)?,
                programmes: list(&get::<String>(r, 2)?),
            }
        }
    };
    token_scope(c, &u, p, &narrowed)
}

// ---- the audit log -----------------------------------------------------

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// `user:NAME`, `token:ID:NAME`, `local` (no accounts) or `cli:USER`.
    pub actor: String,
    /// The client's address, where known.
    pub address: Option<String>,
    /// `capture`, `login`, `login-failed`, `logout`, `user-add`, `grant`...
    pub action: String,
    pub detail: String,
    /// The actor's scope for the action.
    pub scope: String,
}

/// Appends an entry (the log is append-only: the database refuses changes).
pub fn audit(
    c: &mut dyn Conn,
    actor: &str,
    address: Option<&str>,
    action: &str,
    detail: &str,
    scope: &str,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO auth_audit (at, actor, address, action, detail, scope) VALUES ($1, $2, $3, $4, $5, $6)",
        &[now_text().into(), actor.into(), address.into(), action.into(), detail.into(), scope.into()],
    )?;
    Ok(())
}

/// Entries, newest first: the total and one page.
pub fn audit_log(
    c: &mut dyn Conn,
    offset: usize,
    limit: usize,
) -> Result<(i64, Vec<AuditEntry>), StoreError> {
    let total: i64 = c
        .query_scalar("SELECT COUNT(*) FROM auth_audit", &[])?
        .get()?;
    let rows = c
        .query(
            "SELECT id, at, actor, address, action, detail, scope FROM auth_audit ORDER BY id DESC LIMIT $1 OFFSET $2",
            &[Value::from(limit as u64), Value::from(offset as u64)],
        )?
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                id: get(r, 0)?,
                at: get(r, 1)?,
                actor: get(r, 2)?,
                address: get(r, 3)?,
                action: get(r, 4)?,
                detail: get(r, 5)?,
                scope: get(r, 6)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((total, rows))
}

// ---- scopes resolved ---------------------------------------------------

/// What a row may be keyed by, to be checked against a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    /// A location code or GLN.
    Location,
    /// An ISO 3166 alpha-3 code (a buying country).
    Country,
    /// A product code.
    Product,
}

/// One grant's scope, resolved: `None` is "every one".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Area {
    /// Codes and GLNs of the locations of the subtree (and of the countries).
    pub locations: Option<HashSet<String>>,
    pub countries: Option<BTreeSet<String>>,
    /// Products of the programmes.
    pub products: Option<HashSet<String>>,
}

impl Area {
    fn allows(&self, d: Dim, v: Option<&str>) -> bool {
        match d {
            Dim::Location => in_set(self.locations.as_ref(), v),
            Dim::Product => in_set(self.products.as_ref(), v),
            Dim::Country => match &self.countries {
                None => true,
                Some(s) => v.is_some_and(|v| s.contains(v)),
            },
        }
    }
}

impl Area {
    /// True if no place lies within it: its locations or countries allow
    /// none. (A programme without products yet is not empty: its products
    /// may come later.)
    pub fn is_empty(&self) -> bool {
        self.locations.as_ref().is_some_and(HashSet::is_empty)
            || self.countries.as_ref().is_some_and(BTreeSet::is_empty)
    }

    /// What lies within both.
    pub fn intersect(&self, o: &Area) -> Area {
        fn both<T: Clone>(a: &Option<T>, b: &Option<T>, meet: impl Fn(&T, &T) -> T) -> Option<T> {
            match (a, b) {
                (None, x) | (x, None) => x.clone(),
                (Some(a), Some(b)) => Some(meet(a, b)),
            }
        }
        Area {
            locations: both(&self.locations, &o.locations, |a, b| {
                a.intersection(b).cloned().collect()
            }),
            countries: both(&self.countries, &o.countries, |a, b| {
                a.intersection(b).cloned().collect()
            }),
            products: both(&self.products, &o.products, |a, b| {
                a.intersection(b).cloned().collect()
            }),
        }
    }
}

fn in_set(set: Option<&HashSet<String>>, v: Option<&str>) -> bool {
    match set {
        None => true,
        Some(s) => v.is_some_and(|v| s.contains(v)),
    }
}

/// The scope a caller acts within, for one permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything (an unscoped grant, or a server without accounts).
    All,
    /// The union of these areas.
    Within {
        areas: Vec<Area>,
        /// The grants' scopes, as written (for messages, the audit log and
        /// keys of cached answers).
        label: String,
    },
}

impl Scope {
    pub fn is_all(&self) -> bool {
        matches!(self, Scope::All)
    }

    /// True if a row keyed by these values is within the scope: within one
    /// area on every dimension given (a value missing where the area
    /// restricts is outside).
    pub fn allows(&self, keys: &[(Dim, Option<&str>)]) -> bool {
        match self {
            Scope::All => true,
            Scope::Within { areas, .. } => areas
                .iter()
                .any(|a| keys.iter().all(|(d, v)| a.allows(*d, *v))),
        }
    }

    pub fn label(&self) -> &str {
        match self {
            Scope::All => "everywhere",
            Scope::Within { label, .. } => label,
        }
    }
}

/// The scope of `user` for `p`, resolved against the reference data;
/// `None` if no grant gives `p`.
pub fn scope(c: &mut dyn Conn, user: &User, p: Permission) -> Result<Option<Scope>, StoreError> {
    let specs = user.scopes(p);
    if specs.is_empty() {
        return Ok(None);
    }
    if specs.iter().any(|s| s.is_unscoped()) {
        return Ok(Some(Scope::All));
    }
    let mut areas = Vec::new();
    for s in &specs {
        areas.push(resolve(c, s)?);
    }
    let label = specs
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(" | ");
    Ok(Some(Scope::Within { areas, label }))
}

/// The scope of `user` for `p` through a token narrowed to `token` (an
/// unscoped token: the user's scope); `None` if no grant gives `p`.
pub fn token_scope(
    c: &mut dyn Conn,
    user: &User,
    p: Permission,
    token: &ScopeSpec,
) -> Result<Option<Scope>, StoreError> {
    let Some(s) = scope(c, user, p)? else {
        return Ok(None);
    };
    if token.is_unscoped() {
        return Ok(Some(s));
    }
    let t = resolve(c, token)?;
    Ok(Some(match s {
        Scope::All => Scope::Within {
            areas: vec![t],
            label: format!("token: {token}"),
        },
        Scope::Within { areas, label } => Scope::Within {
            areas: areas.iter().map(|a| a.intersect(&t)).collect(),
            label: format!("{label}, and token: {token}"),
        },
    }))
}

fn strings(c: &mut dyn Conn, sql: &str, params: &[Value]) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for r in c.query(sql, params)? {
        for v in r {
            if let Value::Text(t) = v {
                out.push(t);
            }
        }
    }
    Ok(out)
}

/// One scope as granted, as the sets rows are checked against.
pub fn resolve(c: &mut dyn Conn, s: &ScopeSpec) -> Result<Area, StoreError> {
    let mut a = Area::default();
    let countries: BTreeSet<String> = s.countries.iter().cloned().collect();
    if let Some(root) = &s.location {
        let mut locs: HashSet<String> = strings(
            c,
            "WITH RECURSIVE sub (code) AS (SELECT code FROM locations WHERE code = $1 \
             UNION SELECT l.code FROM locations l JOIN sub ON l.parent = sub.code) \
             SELECT l.code, l.gln FROM locations l JOIN sub ON sub.code = l.code",
            &[root.into()],
        )?
        .into_iter()
        .collect();
        let root_country = strings(
            c,
            "SELECT country FROM locations WHERE code = $1",
            &[root.into()],
        )?;
        let mut cs: BTreeSet<String> = root_country.into_iter().collect();
        if !countries.is_empty() {
            cs.retain(|x| countries.contains(x));
            if cs.is_empty() {
                // The subtree lies in none of the countries: nothing.
                locs.clear();
            }
        }
        a.locations = Some(locs);
        a.countries = Some(cs);
    } else if !countries.is_empty() {
        let mut locs = HashSet::new();
        for country in &countries {
            locs.extend(strings(
                c,
                "SELECT code, gln FROM locations WHERE country = $1",
                &[country.into()],
            )?);
        }
        a.locations = Some(locs);
        a.countries = Some(countries);
    }
    if !s.programmes.is_empty() {
        let mut products = HashSet::new();
        for p in &s.programmes {
            // Stock rows name a product by its code or, where the catalogue
            // lacks it, by a trade item's GTIN.
            products.extend(strings(
                c,
                "SELECT p.code, t.code, t.gtin FROM products p \
                 LEFT JOIN trade_items t ON t.product = p.code WHERE p.programme = $1",
                &[p.into()],
            )?);
        }
        a.products = Some(products);
    }
    Ok(a)
}

// ---- single sign-on (OpenID Connect) -----------------------------------

/// Links an identity provider's subject (`issuer` + `sub`) to the user
/// `name`: signing in there signs in as this user, with its roles.
pub fn link_identity(
    c: &mut dyn Conn,
    name: &str,
    issuer: &str,
    subject: &str,
) -> Result<(), StoreError> {
    let u = existing(c, name)?;
    if issuer.trim().is_empty() || subject.is_empty() {
        return Err(StoreError::Invalid(
            "an identity needs its issuer (the provider's URL) and its subject".into(),
        ));
    }
    if let Some(other) = identity_user(c, issuer, subject)? {
        return Err(StoreError::Invalid(format!(
            "the subject {subject:?} of {issuer} is linked to {} already (unlink it first)",
            other.name
        )));
    }
    c.execute(
        "INSERT INTO auth_identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)",
        &[issuer.into(), subject.into(), Value::Int(u.id), now_text().into()],
    )?;
    Ok(())
}

/// Takes back a link; false if there was none.
pub fn unlink_identity(c: &mut dyn Conn, issuer: &str, subject: &str) -> Result<bool, StoreError> {
    Ok(c.execute(
        "DELETE FROM auth_identities WHERE issuer = $1 AND subject = $2",
        &[issuer.into(), subject.into()],
    )? > 0)
}

/// The user a provider's subject is linked to, disabled or not.
pub fn identity_user(
    c: &mut dyn Conn,
    issuer: &str,
    subject: &str,
) -> Result<Option<User>, StoreError> {
    let id: Option<i64> = c
        .query(
            "SELECT user_id FROM auth_identities WHERE issuer = $1 AND subject = $2",
            &[issuer.into(), subject.into()],
        )?
        .first()
        .map(|r| get(r, 0))
        .transpose()?;
    match id {
        Some(id) => user_where(c, "id = $1", Value::Int(id)),
        None => Ok(None),
    }
}

/// The identities linked to `name`: (issuer, subject).
pub fn identities(c: &mut dyn Conn, name: &str) -> Result<Vec<(String, String)>, StoreError> {
    c.query(
        "SELECT i.issuer, i.subject FROM auth_identities i JOIN auth_users u ON u.id = i.user_id \
         WHERE u.name = $1 ORDER BY i.issuer, i.subject",
        &[name.into()],
    )?
    .iter()
    .map(|r| Ok((get(r, 0)?, get(r, 1)?)))
    .collect()
}

/// What a sign-in sent to the provider is checked against when it comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoFlow {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// Remembers a sign-in under way; the random value for the browser's flow
/// cookie (only its hash is stored). Flows older than `max_age` seconds,
/// never come back, are removed.
pub fn start_sso_flow(
    c: &mut dyn Conn,
    flow: &SsoFlow,
    now: i64,
    max_age: i64,
) -> Result<String, StoreError> {
    c.execute(
        "DELETE FROM auth_sso_flows WHERE created_at < $1",
        &[Value::Int(now - max_age)],
    )?;
    let binding = random_hex(32)?;
    c.execute(
        "INSERT INTO auth_sso_flows (binding_hash, state, nonce, verifier, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[
            token_hash(&binding).into(),
            flow.state.clone().into(),
            flow.nonce.clone().into(),
            flow.verifier.clone().into(),
            Value::Int(now),
        ],
    )?;
    Ok(binding)
}

/// The sign-in of the flow cookie `binding`, removed (used once); none if
/// unknown or older than `max_age` seconds. Flows past that age are removed.
pub fn take_sso_flow(
    c: &mut dyn Conn,
    binding: &str,
    now: i64,
    max_age: i64,
) -> Result<Option<SsoFlow>, StoreError> {
    c.execute(
        "DELETE FROM auth_sso_flows WHERE created_at < $1",
        &[Value::Int(now - max_age)],
    )?;
    let h = token_hash(binding);
    let rows = c.query(
        "SELECT state, nonce, verifier FROM auth_sso_flows WHERE binding_hash = $1",
        &[h.clone().into()],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let flow = SsoFlow {
        state: get(r, 0)?,
        nonce: get(r, 1)?,
        verifier: get(r, 2)?,
    };
    // Used once: of two requests with the same cookie, one removes it.
    let removed = c.execute(
        "DELETE FROM auth_sso_flows WHERE binding_hash = $1",
        &[h.into()],
    )?;
    Ok((removed > 0).then_some(flow))
}

// ---- failed logins -----------------------------------------------------

/// Seconds `key` (`u:NAME`, `a:ADDRESS`) is still refused at `now`, if it
/// has failed `limit` times within `window` seconds.
pub fn login_refused(
    c: &mut dyn Conn,
    key: &str,
    limit: u32,
    window: i64,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let rows = c.query(
        "SELECT failures, since FROM auth_login_failures WHERE key = $1",
        &[key.into()],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let (n, since): (i64, i64) = (get(r, 0)?, get(r, 1)?);
    let left = since + window - now;
    Ok((left > 0 && n >= i64::from(limit)).then_some(left))
}

/// Counts a failed login of `key`; the failures within the window. The
/// count starts again once the window since the first one has passed.
pub fn login_failed(c: &mut dyn Conn, key: &str, window: i64, now: i64) -> Result<u32, StoreError> {
    // Windows past are forgotten: a flood of names does not pile up.
    c.execute(
        "DELETE FROM auth_login_failures WHERE since <= $1 AND key <> $2",
        &[Value::Int(now - window), key.into()],
    )?;
    // One statement: processes counting at once add up, none is lost.
    let n: i64 = c
        .query_scalar(
            "INSERT INTO auth_login_failures (key, failures, since) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN auth_login_failures.since <= $3 THEN 1 ELSE auth_login_failures.failures + 1 END, \
               since = CASE WHEN auth_login_failures.since <= $3 THEN $2 ELSE auth_login_failures.since END \
             RETURNING failures",
            &[key.into(), Value::Int(now), Value::Int(now - window)],
        )?
        .get()?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Forgets the failures of `key` (a successful login).
pub fn login_succeeded(c: &mut dyn Conn, key: &str) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM auth_login_failures WHERE key = $1",
        &[key.into()],
    )?;
    Ok(())
}
