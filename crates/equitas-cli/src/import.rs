//! `equitas import KIND FILE...`: files into the database, one transaction each.

use crate::Cli;
use crate::context::{EXIT_REJECTED_ROWS, open_store};
use crate::format::int;
use crate::progress::Bar;
use anyhow::{Context, Result, bail};
use equitas_model::RowError;
use equitas_model::reference::{parse_country_aliases, parse_site_mapping};
use equitas_store::Store;
use equitas_store::import::{ImportKind, ImportOptions, ImportReport, Mappings, import};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Import a file into the database (see `equitas import --help`).
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_parser = import_kind_parser())]
    pub kind: ImportKind,
    /// Files to import, in order.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Import nothing if any row is bad.
    #[arg(long)]
    pub strict: bool,
    /// Check and count everything, then roll back.
    #[arg(long)]
    pub dry_run: bool,
    /// List every bad row (default: the first 20).
    #[arg(long)]
    pub all_errors: bool,
    /// Site-to-country mapping for `scms` (default: the reviewed table shipped with Equitas).
    #[arg(long, value_name = "FILE")]
    pub site_map: Option<PathBuf>,
    /// Country-name aliases for `scms` and `procurement` (default: the table shipped with Equitas).
    #[arg(long, value_name = "FILE")]
    pub country_aliases: Option<PathBuf>,
    /// Column mapping (TOML) for `procurement`: see docs/procurement-mapping.toml.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
}

/// Parses an import kind from the names the store gives its kinds.
fn import_kind_parser() -> impl clap::builder::TypedValueParser<Value = ImportKind> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(ImportKind::ALL.iter().map(|k| k.as_str()))
        .try_map(|s| ImportKind::from_name(&s).ok_or("unknown import kind"))
}

/// How many bad rows to list unless --all-errors.
const SHOWN_ERRORS: usize = 20;

pub fn run(cli: &Cli, a: &ImportArgs) -> Result<ExitCode> {
    let ImportArgs {
        kind,
        files,
        strict,
        dry_run,
        all_errors,
        site_map,
        country_aliases,
        mapping,
    } = a;
    let mut store = open_store(cli)?;
    let mappings = load_mappings(
        site_map.as_deref(),
        country_aliases.as_deref(),
        mapping.as_deref(),
    )?;
    let opts = ImportOptions {
        strict: *strict,
        dry_run: *dry_run,
    };
    let mut rejected = 0;
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let name = f.display().to_string();
        let report = run_import(store.as_mut(), *kind, &name, &bytes, &mappings, opts)?;
        print_report(&report, *all_errors);
        rejected += report.rejected.len();
    }
    if *dry_run {
        println!("Dry run: nothing was written.");
    }
    Ok(if rejected > 0 {
        ExitCode::from(EXIT_REJECTED_ROWS)
    } else {
        ExitCode::SUCCESS
    })
}

pub(crate) fn load_mappings(
    site_map: Option<&Path>,
    aliases: Option<&Path>,
    procurement: Option<&Path>,
) -> Result<Mappings> {
    let read = |p: Option<&Path>, shipped: &'static [u8]| -> Result<(String, Vec<u8>)> {
        Ok(match p {
            Some(p) => (
                p.display().to_string(),
                std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
            ),
            None => ("(shipped table)".to_string(), shipped.to_vec()),
        })
    };
    let bad = |name: &str, errors: &[RowError]| -> Result<()> {
        if let Some(e) = errors.first() {
            bail!("{name}: {e} ({} bad row(s) in all)", errors.len());
        }
        Ok(())
    };
    let (name, bytes) = read(site_map, crate::demo_data::SITE_MAP)?;
    let sites = parse_site_mapping(bytes.as_slice()).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    bad(&name, &sites.errors)?;
    let (name, bytes) = read(aliases, crate::demo_data::COUNTRY_ALIASES)?;
    let al = parse_country_aliases(bytes.as_slice()).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    bad(&name, &al.errors)?;
    let procurement = match procurement {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Some(
                equitas_market::generic::parse_mapping(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            )
        }
    };
    Ok(Mappings {
        sites: sites.records.into_iter().map(|(_, m)| m).collect(),
        country_aliases: al.records.into_iter().map(|(_, a)| a).collect(),
        procurement,
    })
}

pub(crate) fn run_import(
    store: &mut dyn Store,
    kind: ImportKind,
    name: &str,
    bytes: &[u8],
    mappings: &Mappings,
    opts: ImportOptions,
) -> Result<ImportReport> {
    let bar = Bar::new(kind.as_str());
    let spinner = Bar::spinner(&format!("reading {name}"));
    let started = std::time::Instant::now();
    let result = import(
        store,
        kind,
        name,
        bytes,
        mappings,
        opts,
        &SpinnerThenBar { spinner, bar },
    );
    tracing::info!(kind = kind.as_str(), file = name, elapsed = ?started.elapsed(), "import finished");
    Ok(result?)
}

/// Shows a spinner while the file is parsed, then a bar while it is written.
struct SpinnerThenBar {
    spinner: indicatif::ProgressBar,
    bar: Bar,
}

impl equitas_store::import::Progress for SpinnerThenBar {
    fn start(&self, label: &str, total: u64) {
        self.spinner.finish_and_clear();
        self.bar.start(label, total);
    }
    fn inc(&self, n: u64) {
        self.bar.inc(n);
    }
    fn finish(&self) {
        self.spinner.finish_and_clear();
        self.bar.finish();
    }
}

pub fn print_report(r: &ImportReport, all_errors: bool) {
    let t = r.total();
    let verdict = if t.changed() == 0 {
        "already up to date, nothing changed".to_string()
    } else {
        format!(
            "{} new, {} updated, {} unchanged",
            int(t.inserted as i64),
            int(t.updated as i64),
            int(t.unchanged as i64)
        )
    };
    println!(
        "{}: {} rows read; {}{}",
        r.source_name,
        int(r.rows_read as i64),
        verdict,
        if r.rejected.is_empty() {
            String::new()
        } else {
            format!("; {} rejected", int(r.rejected.len() as i64))
        }
    );
    if r.written.len() > 1 && t.changed() > 0 {
        for (what, t) in &r.written {
            println!(
                "  {what:<22} {:>7} new {:>7} updated {:>7} unchanged",
                int(t.inserted as i64),
                int(t.updated as i64),
                int(t.unchanged as i64)
            );
        }
    }
    if !r.gaps.is_empty() {
        let n: u64 = r.gaps.values().sum();
        println!(
            "  {} field(s) had no value in the source; kept as gaps with their reason:",
            int(n as i64)
        );
        for ((field, kind), n) in &r.gaps {
            println!("    {field:<16} {:>6}  {}", int(*n as i64), kind.describe());
        }
    }
    for note in &r.notes {
        println!("  note: {note}");
    }
    let shown = if all_errors {
        r.rejected.len()
    } else {
        SHOWN_ERRORS
    };
    for e in r.rejected.iter().take(shown) {
        eprintln!("  {}", e.located(&r.source_name));
    }
    if r.rejected.len() > shown {
        eprintln!(
            "  ... and {} more bad row(s) (use --all-errors to list them all)",
            r.rejected.len() - shown
        );
    }
}
