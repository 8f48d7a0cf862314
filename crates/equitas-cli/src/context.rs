//! What every command shares: where the database is, and opening it.

use crate::Cli;
use anyhow::{Context, Result};
use equitas_store::{Store, migrations};

/// Exit status when an import finished but rejected some rows.
pub const EXIT_REJECTED_ROWS: u8 = 3;

/// Where the database is: --database, else equitas.db in the data directory.
pub fn database_target(cli: &Cli) -> Result<String> {
    if let Some(db) = &cli.database {
        return Ok(db.clone());
    }
    let dir = match &cli.data_dir {
        Some(d) => d.clone(),
        None => dirs::data_dir()
            .map(|d| d.join("equitas"))
            .context("no data directory for this user: give --data-dir or set EQUITAS_DATA_DIR")?,
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    Ok(dir.join("equitas.db").display().to_string())
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
