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
    /// List every bad row (default: the first 20 bad rows; each row is
    /// listed with all its bad fields, one line per field).
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

/// `import`'s help with which location level may hang under which
/// (`LocationLevel::allowed_parents`) before its examples.
pub fn with_nesting_help(cmd: clap::Command) -> clap::Command {
    let help = cmd
        .get_after_help()
        .map(|h| h.to_string())
        .unwrap_or_default();
    let (kinds, examples) = help
        .split_once("\n\nExamples:")
        .map_or((help.as_str(), String::new()), |(k, e)| {
            (k, format!("\n\nExamples:{e}"))
        });
    let text = format!("{kinds}\n\n{}{examples}", nesting_rules());
    cmd.after_help(text)
}

/// Which location level may be the parent of which, as `import locations`
/// checks it.
fn nesting_rules() -> String {
    use equitas_model::LocationLevel;
    let mut out = String::from(
        "Location nesting (the `parent` of a row of `locations`, which must come before it):",
    );
    for level in LocationLevel::ALL {
        let parents = level.allowed_parents();
        if parents.is_empty() {
            continue;
        }
        let names: Vec<String> = parents.iter().map(|p| format!("a {p}")).collect();
        let list = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        out.push_str(&format!("\n  {:<10} under {list}", level.as_str()));
    }
    out.push_str(
        "\n  country    from `import countries` (its code is the ISO3 code), the top of every hierarchy",
    );
    out.push_str(
        "\nA location imported again is updated; a blank gln, latitude or longitude keeps the one stored.",
    );
    out
}

/// Parses an import kind from the names the store gives its kinds.
fn import_kind_parser() -> impl clap::builder::TypedValueParser<Value = ImportKind> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(ImportKind::ALL.iter().map(|k| k.as_str()))
        .try_map(|s| ImportKind::from_name(&s).ok_or("unknown import kind"))
}

/// How many bad rows (each with all its field errors) to list unless
/// --all-errors.
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
        rejected += report.rejected_rows();
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
            bail!(
                "{name}: {e} ({} bad row(s) in all)",
                equitas_model::rows_with_errors(errors)
            );
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

/// The summary of an import: the rows read (and rejected), then what they
/// hold by kind of record, since one row may give several records (a
/// procurement line names its product, supplier and site): "10,324 rows
/// read" is followed by the 10,324 procurement lines and the products they
/// name, never by one total that reads as more new rows than were read.
pub fn print_report(r: &ImportReport, all_errors: bool) {
    let count = |t: &equitas_store::repo::Tally| {
        format!(
            "{} new, {} updated, {} unchanged{}",
            int(t.inserted as i64),
            int(t.updated as i64),
            int(t.unchanged as i64),
            if t.removed > 0 {
                format!(", {} removed", int(t.removed as i64))
            } else {
                String::new()
            }
        )
    };
    let rejected = if r.rejected.is_empty() {
        String::new()
    } else {
        format!(", {} rejected", int(r.rejected_rows() as i64))
    };
    let head = format!(
        "{}: {} {} read{rejected}",
        r.source_name,
        int(r.rows_read as i64),
        if r.rows_read == 1 { "row" } else { "rows" }
    );
    match r.written.as_slice() {
        _ if r.total() == Default::default() => println!("{head}; nothing imported"),
        _ if r.unchanged() => println!("{head}; already up to date, nothing changed"),
        [(what, t)] => println!("{head}; {what}: {}", count(t)),
        several => {
            println!("{head}; the records they hold, by kind:");
            for (what, t) in several {
                println!(
                    "  {what:<22} {:>7} new {:>7} updated {:>7} unchanged",
                    int(t.inserted as i64),
                    int(t.updated as i64),
                    int(t.unchanged as i64)
                );
            }
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
    // The errors of the first SHOWN_ERRORS bad rows (of all with
    // --all-errors), every field of each.
    let rows: Vec<&[RowError]> = r.rejected.chunk_by(|a, b| a.line == b.line).collect();
    let shown = if all_errors {
        rows.len()
    } else {
        SHOWN_ERRORS.min(rows.len())
    };
    for e in rows[..shown].iter().copied().flatten() {
        eprintln!("  {}", e.located(&r.source_name));
    }
    if rows.len() > shown {
        eprintln!(
            "  ... and {} more bad row(s) (use --all-errors to list them all)",
            int((rows.len() - shown) as i64)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use equitas_model::LocationLevel;

    /// Each level's line names exactly the levels `allowed_parents` allows.
    #[test]
    fn nesting_rules_follow_allowed_parents() {
        let text = nesting_rules();
        for level in LocationLevel::ALL {
            let Some(line) = text
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{level} ")))
            else {
                panic!("no line for {level}: {text}");
            };
            for p in LocationLevel::ALL {
                let named = line.contains(&format!("a {p}"));
                assert_eq!(named, level.allowed_parents().contains(&p), "{line}");
            }
        }
        assert!(
            text.contains("  district   under a region or a country"),
            "{text}"
        );
    }
}
