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
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "reference data, catalogue and procurement",
        sqlite: include_str!("../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "market reference prices, courses, wages and registers",
        sqlite: include_str!("../migrations/sqlite/0002_market.sql"),
        postgres: include_str!("../migrations/postgres/0002_market.sql"),
    },
    Migration {
        version: 3,
        name: "captured EPCIS events",
        sqlite: include_str!("../migrations/sqlite/0003_epcis.sql"),
        postgres: include_str!("../migrations/postgres/0003_epcis.sql"),
    },
    Migration {
        version: 4,
        name: "stock movements, stock reports and stock level bands",
        sqlite: include_str!("../migrations/sqlite/0004_stock.sql"),
        postgres: include_str!("../migrations/postgres/0004_stock.sql"),
    },
    Migration {
        version: 5,
        name: "events captured as XML also in the JSON binding",
        sqlite: include_str!("../migrations/sqlite/0005_epcis_json.sql"),
        postgres: include_str!("../migrations/postgres/0005_epcis_json.sql"),
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
    let current = current_version(store)?;
    if current > latest() {
        return Err(StoreError::NewerSchema {
            found: current,
            supported: latest(),
        });
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let wrap = |source| StoreError::Migration {
            version: m.version,
            name: m.name,
            source: Box::new(source),
        };
        let backend = store.backend();
        let mut tx = store.begin().map_err(wrap)?;
        if backend == Backend::Postgres {
            tx.execute(
                "SELECT pg_advisory_xact_lock($1)",
                &[Value::Int(PG_LOCK_KEY)],
            )
            .map_err(wrap)?;
        }
        // Another process may have applied it while we waited for the lock.
        let done: i64 = tx
            .query_scalar(
                "SELECT COUNT(*) FROM schema_migrations WHERE version = $1",
                &[Value::Int(m.version)],
            )
            .and_then(|v| v.get())
            .map_err(wrap)?;
        if done > 0 {
            continue;
        }
        let sql = match backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        tx.batch(sql).map_err(wrap)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[
                Value::Int(m.version),
                m.name.into(),
                chrono::Utc::now().to_rfc3339().into(),
            ],
        )
        .map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        applied.push(m.version);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_and_scripts_exist() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
            assert!(!m.sqlite.trim().is_empty() && !m.postgres.trim().is_empty());
        }
    }
}
