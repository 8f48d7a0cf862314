//! The embedded SQLite backend.

use crate::{Backend, Conn, Store, StoreError, Tx, Value};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params_from_iter};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A SQLite database file. Opened in WAL mode with `synchronous=NORMAL`:
/// a committed transaction survives a crash of the process; a power loss
/// may lose the last commits but never leaves a half-written one.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Self::configure(conn, path.to_path_buf())
    }

    /// A private in-memory database (tests, dry runs).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::configure(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn configure(conn: Connection, path: PathBuf) -> Result<Self, StoreError> {
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Room for the multi-row statements of EPCIS capture (a few sizes
        // per table) besides the others.
        conn.set_prepared_statement_cache_capacity(128);
        Ok(SqliteStore { conn, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Rewrites `$1` placeholders as SQLite's `?1`.
fn rewrite(sql: &str) -> Cow<'_, str> {
    let b = sql.as_bytes();
    if !b.contains(&b'$') {
        return Cow::Borrowed(sql);
    }
    let mut out = b.to_vec();
    for i in 0..out.len().saturating_sub(1) {
        if out[i] == b'$' && out[i + 1].is_ascii_digit() {
            out[i] = b'?';
        }
    }
    // Replacing one ASCII byte by another keeps the text valid UTF-8.
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| sql.to_string()))
}

/// Binds a value without copying its text.
impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ToSqlOutput;
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(SqlValue::Null),
            Value::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Owned(SqlValue::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn execute(conn: &Connection, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
    let mut st = conn.prepare_cached(&rewrite(sql))?;
    let n = st.execute(params_from_iter(params.iter()))?;
    Ok(n as u64)
}

fn query_each(
    conn: &Connection,
    sql: &str,
    params: &[Value],
    f: &mut dyn FnMut(&mut [Value]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut st = conn.prepare_cached(&rewrite(sql))?;
    let ncol = st.column_count();
    let mut rows = st.query(params_from_iter(params.iter()))?;
    let mut row = Vec::with_capacity(ncol);
    while let Some(r) = rows.next()? {
        row.clear();
        for i in 0..ncol {
            row.push(match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Int(i),
                ValueRef::Real(f) => Value::Real(f),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
            });
        }
        f(&mut row)?;
    }
    Ok(())
}

fn query(conn: &Connection, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
    let mut out = Vec::new();
    query_each(conn, sql, params, &mut |r| {
        out.push(r.to_vec());
        Ok(())
    })?;
    Ok(out)
}

/// `Conn` for a type whose field `$f` derefs to a rusqlite `Connection`.
macro_rules! sqlite_conn {
    ($t:ty, $f:ident) => {
        impl Conn for $t {
            fn backend(&self) -> Backend {
                Backend::Sqlite
            }
            fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
                execute(&self.$f, sql, params)
            }
            fn query(
                &mut self,
                sql: &str,
                params: &[Value],
            ) -> Result<Vec<Vec<Value>>, StoreError> {
                query(&self.$f, sql, params)
            }
            fn query_each(
                &mut self,
                sql: &str,
                params: &[Value],
                f: &mut dyn FnMut(&mut [Value]) -> Result<(), StoreError>,
            ) -> Result<(), StoreError> {
                query_each(&self.$f, sql, params, f)
            }
            fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
                Ok(self.$f.execute_batch(sql)?)
            }
        }
    };
}

sqlite_conn!(SqliteStore, conn);
sqlite_conn!(SqliteTx<'_>, tx);

impl Store for SqliteStore {
    fn describe(&self) -> String {
        format!("SQLite database {}", self.path.display())
    }
    fn begin(&mut self) -> Result<Box<dyn Tx + '_>, StoreError> {
        // IMMEDIATE takes the write lock at once, so two writers queue
        // instead of failing when the first one upgrades its read lock.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Box::new(SqliteTx { tx }))
    }
}

struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Tx for SqliteTx<'_> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn placeholders_are_rewritten() {
        assert_eq!(rewrite("a = $1 AND b = $12"), "a = ?1 AND b = ?12");
        assert_eq!(rewrite("cost in $"), "cost in $");
    }
}
