//! `equitas users`, `equitas tokens` and `equitas audit`: accounts of a
//! multi-user server (docs/accounts.md). Every change is written to the
//! audit log in the same transaction, by `cli:` and the system user.

use crate::output::Format;
use anyhow::{Context, Result, bail};
use equitas_store::Store;
use equitas_store::auth::{self, Role, ScopeSpec};
use std::io::{BufRead, IsTerminal};

#[derive(clap::Subcommand, Debug)]
pub enum UsersCommand {
    /// Adds a user (no role yet: see `users grant`). The password is asked
    /// for, or read as one line from standard input when it is not a terminal.
    #[command(
        after_help = "Examples:\n  equitas users add amina\n  printf '%s\\n' \"$PASSWORD\" | equitas users add amina"
    )]
    Add { name: String },
    /// Lists users with their roles and scopes.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Disables a user (its sessions end at once, its tokens stop working);
    /// --enable takes it back.
    Disable {
        name: String,
        #[arg(long)]
        enable: bool,
    },
    /// Sets a new password (asked for, or one line of standard input); the
    /// user's sessions end.
    Passwd { name: String },
    /// Gives a user a role, within countries, a location and what is below
    /// it, and programmes (none of them given: everywhere).
    #[command(
        after_help = "Roles: viewer, analyst (read); supply-chain-officer, data-manager (read, capture, import);\nadministrator (also accounts, the audit log and publications);\npublication-reader (this country's publications only: a regional server's token, docs/region.md).\n\nExamples:\n  equitas users grant amina supply-chain-officer --location R01 --programme hiv\n  equitas users grant kofi viewer --country GHA --country TGO\n  equitas users grant root administrator"
    )]
    Grant {
        name: String,
        role: String,
        /// ISO 3166 alpha-3 code; repeat for several.
        #[arg(long = "country", value_name = "ISO3")]
        countries: Vec<String>,
        /// A location code: the grant covers it and everything below it.
        #[arg(long, value_name = "CODE")]
        location: Option<String>,
        /// A programme (hiv, tb, malaria, immunisation...); repeat for several.
        #[arg(long = "programme", value_name = "NAME")]
        programmes: Vec<String>,
    },
    /// Takes back a grant (its number in `users list`).
    Revoke { name: String, grant: i64 },
    /// Links an identity provider's subject to a user: signing in there
    /// (single sign-on, `equitas serve --sso-issuer`) signs in as this
    /// user, with its roles in Equitas.
    #[command(
        after_help = "The issuer is exactly as in the provider's ID tokens (`iss`), the subject its `sub`.\n\nExample:\n  equitas users link --user amina --issuer https://sso.example.org/realms/moh --subject 3f1c0d9e-..."
    )]
    Link {
        #[arg(long)]
        user: String,
        #[arg(long, value_name = "URL")]
        issuer: String,
        #[arg(long, value_name = "SUB")]
        subject: String,
    },
    /// Takes back a link made by `users link`.
    Unlink {
        #[arg(long, value_name = "URL")]
        issuer: String,
        #[arg(long, value_name = "SUB")]
        subject: String,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum TokensCommand {
    /// Creates an API token for a user (sent as `Authorization: Bearer`);
    /// it is printed once and stored only hashed.
    #[command(
        after_help = "Examples:\n  equitas tokens create --user scanner-01 --name 'district scanner' --expires 90d\n  equitas tokens create --user etl --expires 2027-06-30"
    )]
    Create {
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "api")]
        name: String,
        /// When it stops working: a number of days (`90d`) or a date
        /// (YYYY-MM-DD, at midnight UTC). Without it, until revoked.
        #[arg(long, value_name = "Nd|DATE")]
        expires: Option<String>,
        /// Narrower than the user: only these countries (repeatable).
        #[arg(long = "country", value_name = "ISO3")]
        countries: Vec<String>,
        /// Narrower than the user: only this location and what is below it.
        #[arg(long, value_name = "CODE")]
        location: Option<String>,
        /// Narrower than the user: only these programmes (repeatable).
        #[arg(long = "programme", value_name = "NAME")]
        programmes: Vec<String>,
    },
    /// Lists tokens (never the tokens themselves).
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Revokes a token by its number.
    Revoke { id: i64 },
}

/// The actor the CLI writes in the audit log.
fn actor() -> String {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|w| !w.trim().is_empty())
        .unwrap_or_else(system_user);
    format!("cli:{who}")
}

/// The process's user when the environment names none (a service, a
/// container): `uid:N` on Unix, so that the audit log still tells users
/// apart (it wrote `cli:unknown`).
#[cfg(unix)]
fn system_user() -> String {
    // SAFETY: getuid has no preconditions and cannot fail.
    format!("uid:{}", unsafe { libc::getuid() })
}

#[cfg(not(unix))]
fn system_user() -> String {
    "unknown".into()
}

/// A password from a prompt (twice) or one line of standard input.
fn read_password(what: &str) -> Result<String> {
    if std::io::stdin().is_terminal() {
        let p =
            rpassword::prompt_password(format!("{what}: ")).context("cannot read the password")?;
        let again = rpassword::prompt_password("Again: ").context("cannot read the password")?;
        if p != again {
            bail!("the two passwords differ");
        }
        Ok(p)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

/// Runs `f` and its audit entry in one transaction.
fn audited<T>(
    store: &mut dyn Store,
    action: &str,
    f: impl FnOnce(&mut dyn equitas_store::Conn) -> Result<(T, String)>,
) -> Result<T> {
    let mut tx = store.begin()?;
    let (out, detail) = f(tx.as_mut())?;
    auth::audit(tx.as_mut(), &actor(), None, action, &detail, "everywhere")?;
    tx.commit()?;
    Ok(out)
}

pub fn users(store: &mut dyn Store, c: &UsersCommand) -> Result<()> {
    match c {
        UsersCommand::Add { name } => {
            let pw = read_password(&format!("Password for {name}"))?;
            audited(store, "user-add", |tx| {
                auth::add_user(tx, name, &pw)?;
                Ok(((), format!("user {name}")))
            })?;
            println!("User {name} added; give it a role with `equitas users grant {name} ROLE`.");
        }
        UsersCommand::List { format } => {
            let us = auth::users(store)?;
            if *format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&us)?);
                return Ok(());
            }
            if us.is_empty() {
                println!("No users: `equitas serve` on the loopback address needs no login.");
            }
            for u in us {
                let state = if u.disabled { " (disabled)" } else { "" };
                println!("{}{state}", u.name);
                for g in &u.grants {
                    println!("  #{} {} {}", g.id, g.role, g.scope);
                }
                for (iss, sub) in auth::identities(store, &u.name)? {
                    println!("  signs in by {iss} as {sub}");
                }
            }
        }
        UsersCommand::Disable { name, enable } => {
            let action = if *enable {
                "user-enable"
            } else {
                "user-disable"
            };
            audited(store, action, |tx| {
                auth::set_disabled(tx, name, !enable)?;
                Ok(((), format!("user {name}")))
            })?;
            println!(
                "User {name} {}.",
                if *enable { "enabled" } else { "disabled" }
            );
        }
        UsersCommand::Passwd { name } => {
            let pw = read_password(&format!("New password for {name}"))?;
            audited(store, "password", |tx| {
                auth::set_password(tx, name, &pw)?;
                Ok(((), format!("user {name}")))
            })?;
            println!("Password of {name} changed; its sessions have ended.");
        }
        UsersCommand::Grant {
            name,
            role,
            countries,
            location,
            programmes,
        } => {
            let role = Role::parse(role)?;
            let scope = scope_of(countries, location, programmes);
            let id = audited(store, "grant", |tx| {
                let id = auth::grant(tx, name, role, &scope)?;
                Ok((id, format!("user {name}: #{id} {role} ({scope})")))
            })?;
            println!("Grant #{id}: {name} is {role} ({scope}).");
        }
        UsersCommand::Revoke { name, grant } => {
            // Nothing taken back, nothing audited: the error rolls back.
            audited(store, "revoke", |tx| {
                if !auth::revoke(tx, name, *grant)? {
                    bail!("user {name} has no grant #{grant} (see `equitas users list`)");
                }
                Ok(((), format!("user {name}: #{grant}")))
            })?;
            println!("Grant #{grant} of {name} taken back.");
        }
        UsersCommand::Link {
            user,
            issuer,
            subject,
        } => {
            audited(store, "sso-link", |tx| {
                auth::link_identity(tx, user, issuer, subject)?;
                Ok(((), format!("user {user}: {issuer} subject {subject}")))
            })?;
            println!("{issuer} subject {subject} signs in as {user}.");
        }
        UsersCommand::Unlink { issuer, subject } => {
            audited(store, "sso-unlink", |tx| {
                if !auth::unlink_identity(tx, issuer, subject)? {
                    bail!("{issuer} subject {subject} is linked to no user");
                }
                Ok(((), format!("{issuer} subject {subject}")))
            })?;
            println!("{issuer} subject {subject} unlinked.");
        }
    }
    Ok(())
}

/// A scope from the options `--country`, `--location`, `--programme`.
fn scope_of(countries: &[String], location: &Option<String>, programmes: &[String]) -> ScopeSpec {
    ScopeSpec {
        countries: countries.iter().map(|c| c.to_ascii_uppercase()).collect(),
        location: location.clone(),
        programmes: programmes.iter().map(|p| p.to_ascii_lowercase()).collect(),
    }
}

/// `--expires`: `90d` or a date, as Unix seconds.
fn expiry(s: &str) -> Result<i64> {
    if let Some(d) = s.strip_suffix('d') {
        let days: i64 = d
            .parse()
            .ok()
            .filter(|d| *d > 0 && *d <= 36_500)
            .with_context(|| format!("--expires {s}: a number of days from 1 to 36500 (90d)"))?;
        return Ok(auth::now() + days * 86_400);
    }
    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("--expires {s}: a number of days (90d) or a date YYYY-MM-DD"))?;
    // The token is valid through that day (UTC), as a date on a card is:
    // it expires when the next day begins (until 2026-12-07 it expired as
    // the day began, and today's date was refused as past).
    let t = date
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp());
    match t {
        Some(t) if t <= auth::now() => bail!("--expires {s}: the date is past"),
        Some(t) if t > auth::now() + 36_500 * 86_400 => {
            bail!("--expires {s}: more than 36500 days ahead (100 years), as 36500d at most")
        }
        Some(t) => Ok(t),
        None => bail!("--expires {s}: the date is past"),
    }
}

fn time(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(|| "-".into(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}

/// An expiry as `time` shows it, but one at midnight UTC as the end of the
/// day before (`2027-06-30 24:00`, ISO 8601), the last day the token is
/// valid (`--expires 2027-06-30`), not the next day's 00:00.
fn expiry_shown(t: Option<i64>) -> String {
    match t.and_then(|t| chrono::DateTime::from_timestamp(t, 0)) {
        Some(d) if t.is_some_and(|t| t.rem_euclid(86_400) == 0) => {
            format!(
                "{} 24:00",
                (d - chrono::TimeDelta::days(1)).format("%Y-%m-%d")
            )
        }
        _ => time(t),
    }
}

pub fn tokens(store: &mut dyn Store, c: &TokensCommand) -> Result<()> {
    match c {
        TokensCommand::Create {
            user,
            name,
            expires,
            countries,
            location,
            programmes,
        } => {
            let exp = expires.as_deref().map(expiry).transpose()?;
            let scope = scope_of(countries, location, programmes);
            let (id, token) = audited(store, "token-create", |tx| {
                let (id, token) = auth::create_token(tx, user, name, exp, &scope)?;
                let within = if scope.is_unscoped() {
                    String::new()
                } else {
                    format!(", within {scope}")
                };
                Ok((
                    (id, token),
                    format!(
                        "token #{id} {name:?} of {user}, expires {}{within}",
                        expiry_shown(exp)
                    ),
                ))
            })?;
            eprintln!(
                "Token #{id} for {user} (shown once; send it as `Authorization: Bearer TOKEN`):"
            );
            println!("{token}");
        }
        TokensCommand::List { format } => {
            let ts = auth::tokens(store)?;
            if *format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&ts)?);
                return Ok(());
            }
            println!(
                "{:>4}  {:<16} {:<20} {:<16} {:<16} revoked",
                "id", "user", "name", "created", "expires"
            );
            for t in ts {
                let scope = if t.scope.is_unscoped() {
                    "the user's".to_string()
                } else {
                    t.scope.to_string()
                };
                println!(
                    "{:>4}  {:<16} {:<20} {:<16} {:<16} {:<16} {scope}",
                    t.id,
                    t.user,
                    t.name,
                    time(Some(t.created_at)),
                    expiry_shown(t.expires_at),
                    time(t.revoked_at)
                );
            }
        }
        TokensCommand::Revoke { id } => {
            audited(store, "token-revoke", |tx| {
                if !auth::revoke_token(tx, *id)? {
                    bail!(
                        "token #{id} does not exist or is already revoked (see `equitas tokens list`)"
                    );
                }
                Ok(((), format!("token #{id}")))
            })?;
            println!("Token #{id} revoked.");
        }
    }
    Ok(())
}

pub fn audit(store: &mut dyn Store, limit: usize, format: Format) -> Result<()> {
    let (total, rows) = auth::audit_log(store, 0, limit)?;
    if format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"total": total, "rows": rows}))?
        );
        return Ok(());
    }
    println!("{total} entries, newest first:");
    for e in rows {
        println!(
            "{}  {:<20} {:<15} {:<14} {}  [{}]",
            e.at,
            e.actor,
            e.address.as_deref().unwrap_or("-"),
            e.action,
            e.detail,
            e.scope
        );
    }
    Ok(())
}
