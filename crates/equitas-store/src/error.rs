use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    #[error("cannot create the data directory {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        #[source]
        source: Box<StoreError>,
    },
    #[error(
        "the database has schema version {found}, newer than this Equitas knows ({supported}); use a newer Equitas"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("column {column}: expected {expected}, found {found}")]
    Type {
        column: String,
        expected: &'static str,
        found: String,
    },
    #[error("{0}")]
    Invalid(String),
    /// Another writer held the database longer than this one waits
    /// (SQLite's write lock, or a PostgreSQL lock); `waited` is zero when
    /// waiting could not help (SQLite: another connection wrote since this
    /// one began to read, or is recovering the file): then try again.
    #[error("{}", busy_text(*waited))]
    Busy { waited: std::time::Duration },
}

fn busy_text(waited: std::time::Duration) -> String {
    if waited.is_zero() {
        "the database is busy: another process wrote to it while this one was reading it (or is recovering it); try again".into()
    } else {
        format!(
            "the database is busy: another capture or import has been writing for {} s, the longest this waits (--write-wait)",
            waited.as_secs()
        )
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        // SQLite says "busy" once its busy handler (`crate::write_wait`)
        // gives up, except for a stale snapshot or a recovery, where it
        // does not wait at all.
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && matches!(
                f.extended_code,
                rusqlite::ffi::SQLITE_BUSY_SNAPSHOT | rusqlite::ffi::SQLITE_BUSY_RECOVERY
            )
        {
            return StoreError::Busy {
                waited: std::time::Duration::ZERO,
            };
        }
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Busy {
                    waited: crate::write_wait(),
                }
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        // lock_timeout (set to `crate::write_wait` by each transaction) ran out.
        if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) {
            return StoreError::Busy {
                waited: crate::write_wait(),
            };
        }
        // The server's message says what went wrong; the default Display
        // of the client error says only "db error".
        match e.as_db_error() {
            Some(db) => {
                let mut s = format!("{}: {}", db.severity(), db.message());
                if let Some(d) = db.detail() {
                    s.push_str(&format!(" ({d})"));
                }
                StoreError::Postgres(s)
            }
            None => StoreError::Postgres(with_causes(&e)),
        }
    }
}

/// An error's message followed by those of its causes (the client's
/// Display alone says "error connecting to server" and not why).
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(&format!(": {c}"));
        cause = c.source();
    }
    s
}

#[cfg(test)]
mod busy_tests {
    use super::*;

    #[test]
    fn a_busy_snapshot_is_not_worded_as_a_full_wait() {
        let e = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY_SNAPSHOT),
            None,
        );
        let s = StoreError::from(e);
        assert!(matches!(s, StoreError::Busy { waited } if waited.is_zero()));
        assert!(s.to_string().contains("try again"), "{s}");
        let e = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert!(
            StoreError::from(e)
                .to_string()
                .contains("the longest this waits")
        );
    }
}
