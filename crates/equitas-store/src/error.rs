use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
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
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
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
            None => StoreError::Postgres(e.to_string()),
        }
    }
}
