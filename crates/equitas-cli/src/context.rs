//! What every command shares: where the database is, and opening it.

use crate::Cli;
use anyhow::{Context, Result};
use equitas_store::{Store, migrations};

/// Exit status when an import finished but rejected some rows.
pub const EXIT_REJECTED_ROWS: u8 = 3;

/// Where the database is: --database, else equitas.db in the data
/// directory (which is created).
pub fn database_target(cli: &Cli) -> Result<String> {
    let (target, dir) = locate(cli)?;
    if let Some(dir) = dir {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    }
    Ok(target)
}

/// The database's target, and the data directory it lies in if it comes
/// from one.
fn locate(cli: &Cli) -> Result<(String, Option<std::path::PathBuf>)> {
    if let Some(db) = &cli.database {
        return Ok((db.clone(), None));
    }
    let dir = match &cli.data_dir {
        Some(d) => d.clone(),
        None => dirs::data_dir()
            .map(|d| d.join("equitas"))
            .context("no data directory for this user: give --data-dir or set EQUITAS_DATA_DIR")?,
    };
    Ok((dir.join("equitas.db").display().to_string(), Some(dir)))
}

/// [`open_store`] for a command that only reads: a `--database` file or a
/// `--data-dir` folder given that does not exist is most likely mistyped,
/// and said so, rather than a new empty database (and folder) created to
/// report nothing. A data directory that exists without a database, or
/// the default one, gets its database as before (the report then says
/// what to load).
pub fn open_existing(cli: &Cli) -> Result<Box<dyn Store>> {
    let (target, dir) = locate(cli)?;
    let missing = match (&cli.database, &cli.data_dir, &dir) {
        (Some(db), _, _) => {
            !equitas_store::is_postgres_url(db) && !std::path::Path::new(db).exists()
        }
        (None, Some(_), Some(dir)) => !dir.exists(),
        _ => false,
    };
    if missing {
        anyhow::bail!(
            "no database at {target}: check --database or --data-dir (EQUITAS_DATABASE, EQUITAS_DATA_DIR), or create one with `equitas init`, `equitas demo` or an import"
        );
    }
    open_store(cli)
}

pub fn open_store(cli: &Cli) -> Result<Box<dyn Store>> {
    let target = database_target(cli)?;
    let shown = equitas_store::redact(&target);
    tracing::info!(target = %shown, "opening database");
    let fail = || format!("cannot open the database {shown}");
    let mut store = equitas_store::connect(&target).with_context(fail)?;
    let version = migrations::current_version(store.as_mut()).with_context(fail)?;
    if version > 0 && version < migrations::latest() {
        // Some migrations rewrite tables: say why a large database waits.
        eprintln!(
            "Updating the database schema from version {version} to {}; on a large database this can take minutes",
            migrations::latest()
        );
    }
    migrations::migrate(store.as_mut()).with_context(fail)?;
    Ok(store)
}
