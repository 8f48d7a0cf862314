//! `equitas db`: the database's monthly partitions (PostgreSQL, schema
//! version 12; docs/scale.md).

use crate::Cli;
use crate::context::open_store;
use crate::format::int;
use crate::output::Format;
use anyhow::{Context, Result};
use equitas_store::partitions::{self, Month};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum DbCommand {
    /// List the monthly partitions of the EPCIS events and the stock
    /// movements, with the rows each holds (PostgreSQL).
    #[command(
        after_help = "Example:\n  equitas --database postgres://equitas@db/equitas db partitions"
    )]
    Partitions {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },

    /// Detach and drop a month's partitions: its EPCIS events (by UTC event
    /// time) with their identifiers, quantities and parties, and its stock
    /// movements (by local time). With --archive, every row is written to
    /// FILE (JSON lines, a new file) first. The stock ledger no longer
    /// counts that month's movements: detach only months before a physical
    /// count of every item and place kept (docs/scale.md).
    #[command(
        name = "detach-partition",
        after_help = "Example:\n  equitas db detach-partition --month 2023-01 --archive events-2023-01.jsonl"
    )]
    DetachPartition {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Write the rows removed to this new file first (JSON lines).
        #[arg(long, value_name = "FILE")]
        archive: Option<PathBuf>,
    },
}

pub fn run(cli: &Cli, c: &DbCommand) -> Result<()> {
    match c {
        DbCommand::Partitions { format } => {
            let mut store = open_store(cli)?;
            let list = partitions::partitions(store.as_mut())?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&list)?),
                Format::Csv => {
                    let mut w = csv::Writer::from_writer(std::io::stdout());
                    w.write_record(["table", "month", "partition", "rows"])?;
                    for p in &list {
                        let rows = p.rows.to_string();
                        w.write_record([
                            p.table.as_str(),
                            p.month.as_deref().unwrap_or("default"),
                            p.name.as_str(),
                            rows.as_str(),
                        ])?;
                    }
                    w.flush()?;
                }
                Format::Table => {
                    println!("{:<16} {:<8} {:>14}  partition", "table", "month", "rows");
                    for p in &list {
                        println!(
                            "{:<16} {:<8} {:>14}  {}",
                            p.table,
                            p.month.as_deref().unwrap_or("default"),
                            int(p.rows),
                            p.name
                        );
                    }
                }
            }
        }
        DbCommand::DetachPartition { month, archive } => {
            let month = Month::parse(month).context("--month")?;
            let mut store = open_store(cli)?;
            let d = partitions::detach_month(store.as_mut(), month, archive.as_deref())?;
            println!("Detached and dropped the partitions of {}:", d.month);
            for (table, n) in &d.rows {
                println!("  {table:<24} {:>14} rows", int(*n));
            }
            if let Some(a) = &d.archive {
                println!("Archived to {a} (JSON lines: table, row).");
            }
        }
    }
    Ok(())
}
