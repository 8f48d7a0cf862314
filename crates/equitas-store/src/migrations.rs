//! Versioned schema migrations. Each migration has one script per backend
//! and runs in its own transaction together with the row recording it, so
//! a database is always at exactly one version. Migrations are only ever
//! added at the end of [`MIGRATIONS`], never edited once released.

use crate::{Backend, Store, StoreError, Value};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
    /// The SQLite script rebuilds tables that others refer to, so it runs
    /// with foreign key enforcement off, as SQLite's procedure for schema
    /// changes that ALTER TABLE cannot make requires; the foreign keys are
    /// checked before it commits.
    pub sqlite_rebuild: bool,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "reference data, catalogue and procurement",
        sqlite: include_str!("../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../migrations/postgres/0001_init.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 2,
        name: "market reference prices, courses, wages and registers",
        sqlite: include_str!("../migrations/sqlite/0002_market.sql"),
        postgres: include_str!("../migrations/postgres/0002_market.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 3,
        name: "captured EPCIS events",
        sqlite: include_str!("../migrations/sqlite/0003_epcis.sql"),
        postgres: include_str!("../migrations/postgres/0003_epcis.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 4,
        name: "stock movements, stock reports and stock level bands",
        sqlite: include_str!("../migrations/sqlite/0004_stock.sql"),
        postgres: include_str!("../migrations/postgres/0004_stock.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 5,
        name: "events captured as XML also in the JSON binding",
        sqlite: include_str!("../migrations/sqlite/0005_epcis_json.sql"),
        postgres: include_str!("../migrations/postgres/0005_epcis_json.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 6,
        name: "held events found by short keys of their hash and eventID",
        sqlite: include_str!("../migrations/sqlite/0006_epcis_hash_index.sql"),
        postgres: include_str!("../migrations/postgres/0006_epcis_hash_index.sql"),
        sqlite_rebuild: true,
    },
    Migration {
        version: 7,
        name: "captures numbered in commit order; stock movements by capture",
        sqlite: include_str!("../migrations/sqlite/0007_commit_order.sql"),
        postgres: include_str!("../migrations/postgres/0007_commit_order.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 8,
        name: "no foreign key checked per row a capture writes (PostgreSQL)",
        sqlite: include_str!("../migrations/sqlite/0008_capture_checks.sql"),
        postgres: include_str!("../migrations/postgres/0008_capture_checks.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 9,
        name: "supply security registers: sites, licences, regulators, ingredient sources",
        sqlite: include_str!("../migrations/sqlite/0009_supply.sql"),
        postgres: include_str!("../migrations/postgres/0009_supply.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 10,
        name: "accounts, scoped roles, sessions, API tokens and the audit log",
        sqlite: include_str!("../migrations/sqlite/0010_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0010_accounts.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 11,
        name: "EPCIS named queries and subscriptions (outbox marks in commit order)",
        sqlite: include_str!("../migrations/sqlite/0011_epcis_subscriptions.sql"),
        postgres: include_str!("../migrations/postgres/0011_epcis_subscriptions.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 12,
        name: "each capture's range of event ids, in place of the index of events by capture",
        sqlite: include_str!("../migrations/sqlite/0012_capture_event_range.sql"),
        postgres: include_str!("../migrations/postgres/0012_capture_event_range.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 13,
        name: "single sign-on identities and flows; failed logins in the database",
        sqlite: include_str!("../migrations/sqlite/0013_sso_and_login_failures.sql"),
        postgres: include_str!("../migrations/postgres/0013_sso_and_login_failures.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 14,
        name: "facility registry organisations, product code mapping, subscribers of subscriptions",
        sqlite: include_str!("../migrations/sqlite/0014_interop_registry.sql"),
        postgres: include_str!("../migrations/postgres/0014_interop_registry.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 15,
        name: "data kept in each country: publishing, sources, publications held; the publication-reader role",
        sqlite: include_str!("../migrations/sqlite/0015_region.sql"),
        postgres: include_str!("../migrations/postgres/0015_region.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 16,
        name: "the shipments expected from suppliers (the pipeline), as last imported",
        sqlite: include_str!("../migrations/sqlite/0016_pipeline.sql"),
        postgres: include_str!("../migrations/postgres/0016_pipeline.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 17,
        name: "the lead times by item and supplier, as last imported",
        sqlite: include_str!("../migrations/sqlite/0017_lead_times.sql"),
        postgres: include_str!("../migrations/postgres/0017_lead_times.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 18,
        name: "import runs that changed the data, counted (the stock data's watermark)",
        sqlite: include_str!("../migrations/sqlite/0018_import_changes.sql"),
        postgres: include_str!("../migrations/postgres/0018_import_changes.sql"),
        sqlite_rebuild: false,
    },
    Migration {
        version: 19,
        name: "countries' UN short names, the English names shown",
        sqlite: include_str!("../migrations/sqlite/0019_country_un_name.sql"),
        postgres: include_str!("../migrations/postgres/0019_country_un_name.sql"),
        sqlite_rebuild: false,
    },
];

/// The newest schema version this build knows.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)";

/// An arbitrary constant identifying Equitas migrations among PostgreSQL
/// advisory locks, so two servers starting at once migrate one at a time.
const PG_LOCK_KEY: i64 = 0x4571_7569_7461_7301;

/// The schema version of the database (0 if empty).
pub fn current_version(store: &mut dyn Store) -> Result<i64, StoreError> {
    store.batch(CREATE_TABLE)?;
    store
        .query_scalar(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )?
        .get()
}

/// Applies every migration newer than the database. Returns the versions applied.
pub fn migrate(store: &mut dyn Store) -> Result<Vec<i64>, StoreError> {
    migrate_to(store, latest())
}

/// Applies the migrations newer than the database up to `target`.
pub fn migrate_to(store: &mut dyn Store, target: i64) -> Result<Vec<i64>, StoreError> {
    let current = current_version(store)?;
    if current > latest() {
        return Err(StoreError::NewerSchema {
            found: current,
            supported: latest(),
        });
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > current && m.version <= target)
    {
        if run(store, m)? {
            tracing::info!(version = m.version, name = m.name, "applied migration");
            applied.push(m.version);
        }
    }
    Ok(applied)
}

/// Applies one migration (see [`apply`]); for a SQLite rebuild, with
/// foreign key enforcement off around it, on again whatever happened.
fn run(store: &mut dyn Store, m: &Migration) -> Result<bool, StoreError> {
    let wrap = |source| StoreError::Migration {
        version: m.version,
        name: m.name,
        source: Box::new(source),
    };
    // Foreign key enforcement can only change outside a transaction.
    let rebuild = m.sqlite_rebuild && store.backend() == Backend::Sqlite;
    if rebuild {
        store.batch("PRAGMA foreign_keys = OFF").map_err(wrap)?;
    }
    let done = apply(store, m, rebuild);
    if rebuild {
        store.batch("PRAGMA foreign_keys = ON").map_err(wrap)?;
    }
    done.map_err(wrap)
}

/// Runs one migration in its own transaction; false if another process
/// applied it first. After a SQLite rebuild, every foreign key must hold.
fn apply(store: &mut dyn Store, m: &Migration, rebuild: bool) -> Result<bool, StoreError> {
    let backend = store.backend();
    let mut tx = store.begin()?;
    if backend == Backend::Postgres {
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[Value::Int(PG_LOCK_KEY)],
        )?;
    }
    // Another process may have applied it while we waited for the lock.
    let done: i64 = tx
        .query_scalar(
            "SELECT COUNT(*) FROM schema_migrations WHERE version = $1",
            &[Value::Int(m.version)],
        )?
        .get()?;
    if done > 0 {
        return Ok(false);
    }
    let sql = match backend {
        Backend::Sqlite => m.sqlite,
        Backend::Postgres => m.postgres,
    };
    tx.batch(sql)?;
    if rebuild {
        let broken = tx.query("PRAGMA foreign_key_check", &[])?;
        if let Some(r) = broken.first() {
            return Err(StoreError::Invalid(format!(
                "the rebuilt schema breaks a foreign key: table {:?}, row {:?}",
                r[0], r[1]
            )));
        }
    }
    tx.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        &[
            Value::Int(m.version),
            m.name.into(),
            chrono::Utc::now().to_rfc3339().into(),
        ],
    )?;
    tx.commit()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Conn;

    /// A SQLite rebuild that leaves a foreign key broken is rolled back
    /// whole, and foreign keys are enforced again afterwards.
    #[test]
    fn broken_rebuild_is_rolled_back() {
        let mut s = crate::SqliteStore::in_memory().unwrap();
        migrate(&mut s).unwrap();
        let broken = Migration {
            version: latest() + 1,
            name: "test",
            sqlite: "CREATE TABLE p (id INTEGER PRIMARY KEY);
                     CREATE TABLE c (p INTEGER REFERENCES p (id));
                     INSERT INTO c VALUES (5);",
            postgres: "",
            sqlite_rebuild: true,
        };
        let e = run(&mut s, &broken).unwrap_err().to_string();
        assert!(e.contains("breaks a foreign key"), "{e}");
        let on: i64 = s
            .query_scalar("PRAGMA foreign_keys", &[])
            .unwrap()
            .get()
            .unwrap();
        assert_eq!(on, 1);
        let left: i64 = s
            .query_scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('p', 'c')",
                &[],
            )
            .unwrap()
            .get()
            .unwrap();
        assert_eq!(left, 0);
        assert_eq!(current_version(&mut s).unwrap(), latest());
        // The same script without the broken row goes through.
        let fixed = Migration {
            sqlite: "CREATE TABLE p (id INTEGER PRIMARY KEY);
                     CREATE TABLE c (p INTEGER REFERENCES p (id));",
            ..broken
        };
        assert!(run(&mut s, &fixed).unwrap());
    }

    #[test]
    fn versions_increase_and_scripts_exist() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
        }
        for m in MIGRATIONS {
            assert!(!m.sqlite.trim().is_empty() && !m.postgres.trim().is_empty());
        }
    }
}
