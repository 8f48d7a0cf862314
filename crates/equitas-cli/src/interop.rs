//! `equitas interop`: exchanges with DHIS2 (data value sets) and HL7 FHIR
//! R5 in their own formats (docs/interop.md). The formats are `equitas-interop`'s, the
//! figures and imports `equitas-service`'s; this module reads files,
//! talks HTTP and prints.

use crate::Cli;
use crate::context::{EXIT_REJECTED_ROWS, open_store};
use crate::import::print_report;
use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use equitas_interop::dhis2::{ImportSummary, Mapping, values};
use equitas_ledger::calendar::{MonthIndex, parse_month};
use equitas_store::import::ImportOptions;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum InteropCommand {
    /// DHIS2: monthly stock figures as data value sets (JSON, CSV), pushed
    /// to a DHIS2 server or read back as stock reports, through a mapping
    /// file (docs/interop.md; docs/interop/dhis2-mapping.toml for the demo).
    #[command(subcommand)]
    Dhis2(Dhis2Command),
    /// HL7 FHIR R5 (IHE Pharmacy supply): MedicationDispense, SupplyDelivery
    /// and InventoryReport Bundles in as movements; InventoryReport
    /// snapshots and SupplyDeliveries out (docs/interop.md).
    #[command(subcommand)]
    Fhir(FhirCommand),
}

#[derive(Subcommand, Debug)]
pub enum FhirCommand {
    /// Read a Bundle (or one resource) into the ledger: completed
    /// dispenses as dispensing, completed deliveries as receipts, snapshot
    /// inventory reports as counts, captured as the EPCIS events that mean
    /// the same, in one transaction. A bad resource writes nothing: each
    /// bad element is named by its path.
    #[command(
        after_help = "Example:\n  equitas interop fhir import docs/interop/fhir-dispense-bundle.json --codes docs/interop/fhir-codes.toml"
    )]
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Codings of other systems to GTINs for this import only, over the
        /// stored mapping (TOML: [[code]] system, code, gtin).
        #[arg(long, value_name = "FILE")]
        codes: Option<PathBuf>,
    },
    /// Store a product code mapping (codings of other systems, e.g. ATC,
    /// RxNorm or a national code, to GTINs), read by every FHIR import from
    /// then on, on the command line and by the server's /fhir routes.
    #[command(after_help = "Example:\n  equitas interop fhir codes docs/interop/fhir-codes.toml")]
    Codes {
        /// The mapping (TOML: [[code]] system, code, gtin).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Check and count, then roll back.
        #[arg(long)]
        dry_run: bool,
    },
    /// The facility registry's organisations (FHIR Organization read in),
    /// with their type, parent, identifiers and the locations they manage.
    Organizations {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Write a Bundle: the stock snapshot (InventoryReport) of each place
    /// at or below a location, or its shipments and receipts
    /// (SupplyDelivery) of a month.
    #[command(
        after_help = "Examples:\n  equitas interop fhir export --location R01 --as-of 2026-09-30\n  equitas interop fhir export --resource supply-delivery --location CMS --month 2026-09"
    )]
    Export {
        #[arg(long, value_enum, default_value_t = FhirResource::InventoryReport)]
        resource: FhirResource,
        /// A location code or GLN (places below it are included).
        #[arg(long, value_name = "CODE|GLN")]
        location: String,
        /// InventoryReport: stock at the end of this day (default: the last day with data).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// SupplyDelivery: the month (YYYY-MM).
        #[arg(long, value_name = "YYYY-MM", value_parser = month_arg)]
        month: Option<MonthIndex>,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FhirResource {
    InventoryReport,
    SupplyDelivery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SetFormat {
    Json,
    Csv,
}

#[derive(Subcommand, Debug)]
pub enum Dhis2Command {
    /// Write a month's figures (opening balance, stock on hand, consumption,
    /// received, adjustments, stockout days, months of stock, status, as
    /// `equitas stock` shows them at the month's end) as a data value set.
    #[command(
        after_help = "Examples:\n  equitas interop dhis2 export --mapping docs/interop/dhis2-mapping.toml --month 2026-03\n  equitas interop dhis2 export --mapping m.toml --month 2026-03 --format csv --out march.csv"
    )]
    Export {
        #[command(flatten)]
        set: SetArgs,
        #[arg(long, value_enum, default_value_t = SetFormat::Json)]
        format: SetFormat,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Import a data value set (JSON or CSV, as DHIS2 exports it) as
    /// monthly stock reports, with the checks and the single transaction
    /// of `equitas import stock-reports`.
    #[command(
        after_help = "Example:\n  equitas interop dhis2 import march.json --mapping docs/interop/dhis2-mapping.toml --dry-run"
    )]
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(long, value_name = "FILE")]
        mapping: PathBuf,
        /// Check and count everything, then roll back.
        #[arg(long)]
        dry_run: bool,
        /// Import nothing if any value is bad.
        #[arg(long)]
        strict: bool,
        /// List every bad value (default: the first 20).
        #[arg(long)]
        all_errors: bool,
    },
    /// Send a month's figures to a DHIS2 server (`POST /api/dataValueSets`):
    /// a dry run first, then the import, each with DHIS2's import summary
    /// (imported, updated, ignored, every conflict). Authenticates with a
    /// personal access token read from an environment variable.
    #[command(
        after_help = "Example:\n  export DHIS2_TOKEN=d2pat_...\n  equitas interop dhis2 push --mapping m.toml --month 2026-03 --url https://dhis2.example.org --token-env DHIS2_TOKEN --dry-run\n\nExit status 3: done, with values DHIS2 refused (the conflicts listed)."
    )]
    Push {
        #[command(flatten)]
        set: SetArgs,
        /// The DHIS2 server's base URL (…/api/dataValueSets is added).
        #[arg(long, value_name = "URL")]
        url: String,
        /// The environment variable holding a personal access token.
        #[arg(long, value_name = "VAR")]
        token_env: String,
        /// Only the dry run: DHIS2 checks and counts, and stores nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Which figures: the mapping and the month.
#[derive(clap::Args, Debug)]
pub struct SetArgs {
    /// The mapping file (TOML): products, metrics and locations to DHIS2's identifiers.
    #[arg(long, value_name = "FILE")]
    mapping: PathBuf,
    /// The month (YYYY-MM).
    #[arg(long, value_name = "YYYY-MM", value_parser = month_arg)]
    month: MonthIndex,
}

fn month_arg(s: &str) -> Result<MonthIndex, String> {
    parse_month(s).ok_or_else(|| format!("{s:?} is not a month (YYYY-MM)"))
}

fn read_mapping(path: &Path) -> Result<Mapping> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the mapping {}", path.display()))?;
    Mapping::parse(&text).with_context(|| format!("{}", path.display()))
}

pub fn run(cli: &Cli, c: &InteropCommand) -> Result<ExitCode> {
    match c {
        InteropCommand::Dhis2(Dhis2Command::Export { set, format, out }) => {
            let (body, notes) = export(cli, set, *format)?;
            for n in notes {
                eprintln!("note: {n}");
            }
            match out {
                Some(p) => std::fs::write(p, body)
                    .with_context(|| format!("cannot write {}", p.display()))?,
                None => print!("{body}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        InteropCommand::Dhis2(Dhis2Command::Import {
            file,
            mapping,
            dry_run,
            strict,
            all_errors,
        }) => {
            let mapping = read_mapping(mapping)?;
            let bytes =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.display().to_string();
            let mut store = open_store(cli)?;
            let r = equitas_service::interop::dhis2_import(
                store.as_mut(),
                &name,
                &bytes,
                &mapping,
                ImportOptions {
                    strict: *strict,
                    dry_run: *dry_run,
                },
            )?;
            print_report(&r, *all_errors);
            if *dry_run {
                println!("dry run: nothing was written");
            }
            Ok(if r.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_REJECTED_ROWS)
            })
        }
        InteropCommand::Fhir(FhirCommand::Import { file, codes }) => {
            fhir_import(cli, file, codes.as_deref())
        }
        InteropCommand::Fhir(FhirCommand::Codes { file, dry_run }) => {
            let codes = read_codes(file)?;
            let mut store = open_store(cli)?;
            let t = equitas_service::interop::save_product_codes(store.as_mut(), &codes, *dry_run)?;
            println!(
                "{}: {} coding(s): {} new, {} updated, {} unchanged",
                file.display(),
                t.total(),
                t.inserted,
                t.updated,
                t.unchanged
            );
            if *dry_run {
                println!("dry run: nothing was written");
            }
            Ok(ExitCode::SUCCESS)
        }
        InteropCommand::Fhir(FhirCommand::Organizations { format }) => {
            let mut store = open_store(cli)?;
            let rows = equitas_store::registry::organizations(store.as_mut())?;
            match format {
                ListFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                ListFormat::Table => {
                    if rows.is_empty() {
                        println!(
                            "no organisation in the registry (import FHIR Organization resources)"
                        );
                    }
                    for r in &rows {
                        let o = &r.organization;
                        println!(
                            "{}\t{}\ttype {}\tpart of {}\tlocations {}",
                            o.code,
                            o.name,
                            o.kind.as_deref().unwrap_or("-"),
                            o.part_of.as_deref().unwrap_or("-"),
                            if r.locations.is_empty() {
                                "-".to_string()
                            } else {
                                r.locations.join(",")
                            }
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        InteropCommand::Fhir(FhirCommand::Export {
            resource,
            location,
            as_of,
            month,
            out,
        }) => {
            let mut store = open_store(cli)?;
            let bundle = match resource {
                FhirResource::InventoryReport => {
                    let day = match as_of {
                        None => None,
                        Some(d) => {
                            Some(equitas_ledger::calendar::parse_day(d).with_context(|| {
                                format!("--as-of: {d:?} is not a date (YYYY-MM-DD)")
                            })?)
                        }
                    };
                    let s = equitas_service::interop::fhir_inventory(store.as_mut(), location, day)
                        .map_err(|mut e| {
                            if let Some(p) = e.parameter_mut() {
                                *p = format!("--{}", p.replace('_', "-"));
                            }
                            e
                        })?;
                    // An empty Bundle says why, as `equitas stock` does.
                    if let Some(n) = &s.note {
                        eprintln!("note: {n}");
                    }
                    s.bundle
                }
                FhirResource::SupplyDelivery => {
                    let m = month.context("--month is needed for supply-delivery")?;
                    use equitas_ledger::calendar::{month_end, month_start};
                    equitas_service::interop::fhir_deliveries(
                        store.as_mut(),
                        location,
                        month_start(m),
                        month_end(m),
                    )?
                }
            };
            let mut text = serde_json::to_string_pretty(&bundle)?;
            text.push('\n');
            match out {
                Some(p) => std::fs::write(p, text)
                    .with_context(|| format!("cannot write {}", p.display()))?,
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        InteropCommand::Dhis2(Dhis2Command::Push {
            set,
            url,
            token_env,
            dry_run,
        }) => push(cli, set, url, token_env, *dry_run),
    }
}

fn read_codes(p: &Path) -> Result<equitas_interop::fhir::Codes> {
    let text =
        std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
    equitas_interop::fhir::Codes::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
}

fn fhir_import(cli: &Cli, file: &Path, codes: Option<&Path>) -> Result<ExitCode> {
    use equitas_service::interop::FhirError;
    let codes = match codes {
        None => equitas_interop::fhir::Codes::default(),
        Some(p) => read_codes(p)?,
    };
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    let mut store = open_store(cli)?;
    let r = match equitas_service::interop::fhir_import(store.as_mut(), &name, &bytes, &codes) {
        Ok(r) => r,
        Err(FhirError::Outcome(o) | FhirError::Refused(o)) => {
            for i in &o.issue {
                eprintln!("  {name}: {}: {}", i.expression.join(", "), i.diagnostics);
            }
            bail!(
                "{name}: {} bad element(s); nothing was imported",
                o.issue.len()
            );
        }
        Err(FhirError::Store(e)) => return Err(e.into()),
    };
    if let Some(l) = &r.locations {
        print_report(l, false);
    }
    if let Some(t) = &r.codes {
        println!(
            "{name}: product codes: {} new, {} updated, {} unchanged",
            t.inserted, t.updated, t.unchanged
        );
    }
    if let Some(g) = &r.registry {
        println!(
            "{name}: organisations: {} new, {} updated, {} unchanged; managing organisations of locations: {} new, {} updated, {} unchanged",
            g.organizations.inserted,
            g.organizations.updated,
            g.organizations.unchanged,
            g.links.inserted,
            g.links.updated,
            g.links.unchanged
        );
    }
    let read: Vec<String> = r
        .read
        .read
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let (captured, duplicates) = r
        .capture
        .as_ref()
        .map_or((0, 0), |c| (c.captured, c.duplicates));
    println!(
        "{name}: read {}; {captured} movement event(s) captured, {duplicates} already held",
        read.join(", ")
    );
    for n in &r.read.notes {
        println!("  note: {n}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The month's figures; an error naming the month names `--month`.
fn dhis2_export(
    store: &mut dyn equitas_store::Store,
    mapping: &Mapping,
    month: MonthIndex,
) -> Result<equitas_service::interop::Dhis2Export, equitas_service::ServiceError> {
    equitas_service::interop::dhis2_export(store, mapping, month).map_err(|mut e| {
        if let Some(p) = e.parameter_mut().filter(|p| p.as_str() == "month") {
            *p = "--month".into();
        }
        e
    })
}

/// The data value set of the month, and the notes of what was left out.
fn export(cli: &Cli, set: &SetArgs, format: SetFormat) -> Result<(String, Vec<String>)> {
    let mapping = read_mapping(&set.mapping)?;
    let mut store = open_store(cli)?;
    let e = dhis2_export(store.as_mut(), &mapping, set.month)?;
    let body = match format {
        SetFormat::Json => values::write_json(&e.set),
        SetFormat::Csv => values::write_csv(&e.set.data_values),
    };
    Ok((body, e.notes))
}

fn push(cli: &Cli, set: &SetArgs, url: &str, token_env: &str, dry_run: bool) -> Result<ExitCode> {
    let token = std::env::var(token_env)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .with_context(|| format!("the environment variable {token_env} holds no token"))?;
    let mapping = read_mapping(&set.mapping)?;
    let mut store = open_store(cli)?;
    let e = dhis2_export(store.as_mut(), &mapping, set.month)?;
    drop(store);
    for n in &e.notes {
        eprintln!("note: {n}");
    }
    if e.set.data_values.is_empty() {
        bail!("nothing to send: no figures for the mapping's products and org units");
    }
    let body = values::write_json(&e.set);
    let base = url.trim_end_matches('/');
    let endpoint = if base.ends_with("/api/dataValueSets") {
        base.to_string()
    } else {
        format!("{base}/api/dataValueSets")
    };
    let query = format!(
        "idScheme={}&orgUnitIdScheme={}&importStrategy=CREATE_AND_UPDATE",
        mapping.id_scheme.as_param(),
        mapping.org_unit_scheme.as_param()
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into();
    let send = |dry: bool| -> Result<ImportSummary> {
        let target = format!("{endpoint}?dryRun={dry}&{query}");
        let mut resp = agent
            .post(&target)
            .header("Authorization", &format!("ApiToken {token}"))
            .header("Accept", "application/json")
            .content_type("application/json")
            .send(body.as_bytes())
            .with_context(|| format!("cannot reach {endpoint}"))?;
        let status = resp.status().as_u16();
        let answer = resp
            .body_mut()
            .read_to_vec()
            .with_context(|| format!("{endpoint}: cannot read the answer"))?;
        if status == 401 || status == 403 {
            bail!("{endpoint} answered {status}: the token in {token_env} was refused");
        }
        ImportSummary::parse(&answer).with_context(|| {
            format!(
                "{endpoint} answered {status}: {}",
                String::from_utf8_lossy(&answer[..answer.len().min(300)])
            )
        })
    };
    println!(
        "{} data value(s) for {} to {endpoint}",
        e.set.data_values.len(),
        equitas_ledger::calendar::format_month(set.month)
    );
    let dry = send(true)?;
    print_summary("dry run", &dry);
    if dry.failed() {
        bail!("the dry run failed ({}): nothing was sent", dry.status);
    }
    if dry_run {
        println!("dry run only (--dry-run): nothing was stored in DHIS2");
        return Ok(exit_for(&dry));
    }
    let done = send(false)?;
    print_summary("import", &done);
    if done.failed() {
        bail!("DHIS2 refused the import ({})", done.status);
    }
    Ok(exit_for(&done))
}

fn exit_for(s: &ImportSummary) -> ExitCode {
    if s.conflicts.is_empty() && s.import_count.ignored == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_REJECTED_ROWS)
    }
}

fn print_summary(what: &str, s: &ImportSummary) {
    let c = &s.import_count;
    println!(
        "{what}: {}: imported {}, updated {}, ignored {}, deleted {}, conflicts {}",
        s.status,
        c.imported,
        c.updated,
        c.ignored,
        c.deleted,
        s.conflicts.len()
    );
    if let Some(d) = &s.description {
        println!("  {d}");
    }
    for k in &s.conflicts {
        match &k.error_code {
            Some(code) => println!("  conflict: {}: {} ({code})", k.object, k.value),
            None => println!("  conflict: {}: {}", k.object, k.value),
        }
    }
}
