//! Test stores for this crate's and other crates' tests (feature `testing`):
//! a fresh SQLite file, and a fresh PostgreSQL database on the server named
//! by `EQUITAS_TEST_POSTGRES_URL` (set by `scripts/test.sh`, which starts a
//! throwaway cluster). Without that variable PostgreSQL tests are skipped
//! with a message, unless `EQUITAS_REQUIRE_POSTGRES=1`, in which case they
//! fail: the test script sets it so a broken server setup cannot pass.

use crate::import::{ImportKind, ImportOptions, ImportReport, Mappings, NoProgress, import};
use crate::{Store, open};
use equitas_model::reference::{parse_country_aliases, parse_site_mapping};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A store for one test, removed when dropped.
pub struct TestStore {
    pub store: Box<dyn Store>,
    /// What `open` was given (path or URL).
    pub target: String,
    _dir: Option<tempfile::TempDir>,
    _db: Option<DropDatabase>,
}

pub fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let path: PathBuf = dir.path().join("nested").join("equitas.db");
    let target = path.display().to_string();
    let store = open(&target).expect("open sqlite");
    TestStore {
        store,
        target,
        _dir: Some(dir),
        _db: None,
    }
}

pub fn postgres() -> Option<TestStore> {
    let (target, guard) = postgres_url()?;
    let store = open(&target).expect("open postgres");
    Some(TestStore {
        store,
        target,
        _dir: None,
        _db: Some(guard),
    })
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A URL to a fresh, empty PostgreSQL database, dropped with the guard;
/// `None` (after a message) when no test server is configured.
pub fn postgres_url() -> Option<(String, DropDatabase)> {
    let Ok(admin) = std::env::var("EQUITAS_TEST_POSTGRES_URL") else {
        if std::env::var("EQUITAS_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("EQUITAS_REQUIRE_POSTGRES=1 but EQUITAS_TEST_POSTGRES_URL is not set");
        }
        eprintln!(
            "skipping PostgreSQL test: EQUITAS_TEST_POSTGRES_URL is not set (run scripts/test.sh)"
        );
        return None;
    };
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let db = format!("equitas_test_{}_{}", std::process::id(), n);
    let mut c = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server: {e}"));
    // One statement per call: CREATE DATABASE cannot run in a transaction block.
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .expect("drop old test database");
    c.batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create test database");
    let url = with_database(&admin, &db);
    Some((url, DropDatabase(Some((admin, db)))))
}

/// Drops a test database when it goes out of scope.
pub struct DropDatabase(Option<(String, String)>);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        if let Some((admin, db)) = self.0.take() {
            // Best effort: the whole cluster is removed after the run anyway.
            if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            }
        }
    }
}

/// Replaces the database name in a `postgresql://.../NAME?...` URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..authority_end], db);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The repository's `data/` directory.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// A file of the repository's `data/` directory.
pub fn data_file(name: &str) -> Vec<u8> {
    let p = data_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The reviewed site mapping and country aliases shipped in `data/`.
pub fn shipped_mappings() -> Mappings {
    Mappings {
        sites: parse_site_mapping(data_file("scms-manufacturing-sites.csv").as_slice())
            .expect("site mapping")
            .records
            .into_iter()
            .map(|(_, m)| m)
            .collect(),
        country_aliases: parse_country_aliases(data_file("country-name-aliases.csv").as_slice())
            .expect("country aliases")
            .records
            .into_iter()
            .map(|(_, a)| a)
            .collect(),
        procurement: None,
    }
}

/// Imports `bytes` with the shipped mappings, panicking on failure.
pub fn import_bytes(s: &mut TestStore, kind: ImportKind, name: &str, bytes: &[u8]) -> ImportReport {
    import(
        s.store.as_mut(),
        kind,
        name,
        bytes,
        &shipped_mappings(),
        ImportOptions::default(),
        &NoProgress,
    )
    .unwrap_or_else(|e| panic!("import {name}: {e}"))
}

/// Imports a file of `data/`.
pub fn import_data(s: &mut TestStore, kind: ImportKind, file: &str) -> ImportReport {
    import_bytes(s, kind, file, &data_file(file))
}

/// Defines `#[test] fn NAME` in a `sqlite_backend` and a `postgres_backend`
/// module, both calling the function `body(&mut TestStore)` of the parent module.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident => $body:ident),+ $(,)?) => {
        mod sqlite_backend {
            $(#[test] fn $name() { let mut s = $crate::testing::sqlite(); super::$body(&mut s); })+
        }
        mod postgres_backend {
            $(#[test] fn $name() {
                if let Some(mut s) = $crate::testing::postgres() { super::$body(&mut s); }
            })+
        }
    };
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgresql:///postgres?host=/tmp/x&port=5433", "t1"),
            "postgresql:///t1?host=/tmp/x&port=5433"
        );
        assert_eq!(
            with_database("postgres://u:p@localhost:5432/postgres", "t2"),
            "postgres://u:p@localhost:5432/t2"
        );
    }
}
