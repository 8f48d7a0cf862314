//! `equitas epcis`: Event Hash IDs, validation, capture and queries of
//! EPCIS 2.0 documents.

use crate::Cli;
use crate::context::open_store;
use crate::output::Format;
use crate::progress::Bar;
use crate::schemas::{SchemaArgs, epcis_schemas};
use anyhow::Result;
use equitas_store::mapped::Mapped;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum EpcisCommand {
    /// Find captured events (EPCIS SimpleEventQuery parameters), in capture
    /// order, a page at a time.
    #[command(
        after_help = "Examples:\n  equitas epcis query --biz-step receiving --from 2026-01-01T00:00:00Z\n  equitas epcis query --within R01 --from 2026-01-01\n  equitas epcis query --limit 50 --after 1200 --format json"
    )]
    Query {
        #[command(flatten)]
        args: crate::op_args::OpArgs<equitas_service::epcis::Query>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Store the events of EPCIS documents (JSON/JSON-LD or XML), each
    /// document in one transaction. Events already held (same Event Hash
    /// ID, or same eventID with the same hash) are counted as duplicates and
    /// not stored again; an event whose eventID is held with other content,
    /// or given to an earlier event of the document, is a conflict: a bad
    /// event. By default a document with a bad event is refused whole (exit
    /// status 1); with --proceed its good events are stored (exit status 3).
    /// Each file is mapped into memory, not copied: it must not be rewritten
    /// while it is being captured.
    #[command(
        after_help = "Examples:\n  equitas epcis capture receipts.jsonld\n  equitas epcis capture --proceed --schema EPCIS-JSON-Schema.json *.json\n  zcat events.json.gz | equitas epcis capture /dev/stdin"
    )]
    Capture {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Store the good events of a document that has bad ones.
        #[arg(long)]
        proceed: bool,
        /// The largest event stored, in bytes as written; a larger one is rejected.
        #[arg(long, default_value_t = equitas_store::epcis::MAX_EVENT_BYTES, value_name = "BYTES")]
        max_event_bytes: usize,
        #[command(flatten)]
        schemas: SchemaArgs,
    },
    /// Check documents against the GS1 EPCIS 2.0 JSON Schema (formats
    /// checked) or, for XML, the GS1 EPCIS 2.0 XSDs. Exit status 0 only if
    /// every file is valid; otherwise one line per problem: file, event
    /// index, field (JSON pointer, or line for XML) and reason.
    #[command(
        after_help = "The schemas are GS1's and are not shipped with Equitas: give the JSON Schema with\n--schema or EQUITAS_EPCIS_SCHEMA, or put it at DATA_DIR/schemas/EPCIS-JSON-Schema.json;\ngive the XSD directory with --xsd or EQUITAS_EPCIS_XSD, or put its files in\nDATA_DIR/schemas/XSD (both are published with the EPCIS 2.0 standard).\n\nExamples:\n  equitas epcis validate --schema EPCIS-JSON-Schema.json shipment.jsonld\n  equitas epcis validate --xsd EPCIS/XSD receipt.xml"
    )]
    Validate {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        schemas: SchemaArgs,
    },
    /// Print the CBV 2.0 Event Hash ID of each event, one per line, in
    /// document order (JSON/JSON-LD or XML binding).
    #[command(
        after_help = "Examples:\n  equitas epcis hash shipment.jsonld\n  equitas epcis hash receipt.xml\n  equitas epcis hash --prehash shipment.jsonld   # the canonical pre-hash strings"
    )]
    Hash {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print the pre-hash string after each hash.
        #[arg(long)]
        prehash: bool,
    },
}

pub fn run(cli: &Cli, cmd: &EpcisCommand) -> Result<ExitCode> {
    match cmd {
        EpcisCommand::Hash { files, prehash } => epcis_hash(files, *prehash),
        EpcisCommand::Capture {
            files,
            proceed,
            max_event_bytes,
            schemas,
        } => epcis_capture(cli, files, *proceed, *max_event_bytes, schemas),
        EpcisCommand::Query { args, format } => query(cli, args, *format),
        EpcisCommand::Validate { files, schemas } => epcis_validate(cli, files, schemas),
    }
}

fn query(
    cli: &Cli,
    args: &crate::op_args::OpArgs<equitas_service::epcis::Query>,
    format: Format,
) -> Result<ExitCode> {
    let q = equitas_service::epcis::query(&args.args()?)?;
    let mut store = crate::context::open_existing(cli)?;
    let found = equitas_store::epcis::query_events(store.as_mut(), &q)?;
    let next = (found.len() == q.limit)
        .then(|| found.last().map(|e| e.cursor))
        .flatten();
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({"events": found, "next": next}))?
        ),
        Format::Csv | Format::CsvFr => {
            let mut w = crate::output::csv_writer(format)?;
            w.write_record([
                "cursor",
                "eventID",
                "type",
                "eventTime",
                "action",
                "bizStep",
                "bizLocation",
                "epcs",
                "quantities",
            ])?;
            for e in &found {
                w.write_record([
                    e.cursor.to_string(),
                    e.event_id.clone(),
                    e.event_type.clone(),
                    e.event_time.clone(),
                    e.action.clone().unwrap_or_default(),
                    e.biz_step.clone().unwrap_or_default(),
                    e.biz_location.clone().unwrap_or_default(),
                    e.epcs.len().to_string(),
                    e.quantities.len().to_string(),
                ])?;
            }
            w.flush()?;
        }
        Format::Table => {
            for e in &found {
                let step = e
                    .biz_step
                    .as_deref()
                    .map(|s| s.rsplit(['-', '/']).next().unwrap_or(s));
                // The event ID last: what `stock problems` names a source by.
                println!(
                    "{:>6}  {}  {:<18} {:<8} {:<14} {} ({} EPCs, {} quantities)  {}",
                    e.cursor,
                    e.event_time,
                    e.event_type,
                    e.action.as_deref().unwrap_or("-"),
                    step.unwrap_or("-"),
                    e.biz_location.as_deref().unwrap_or("-"),
                    e.epcs.len(),
                    e.quantities.len(),
                    e.event_id
                );
            }
            println!("{} event(s)", found.len());
            if let Some(n) = next {
                println!("more: --after {n}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `equitas epcis hash`: one Event Hash ID per event, in document order.
fn epcis_hash(files: &[std::path::PathBuf], show_prehash: bool) -> Result<ExitCode> {
    use std::io::Write as _;
    // One write per block of lines, not per line.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for f in files {
        let name = f.display().to_string();
        let mapped = open_mapped(f)?;
        let doc = equitas_epcis::EventReader::new(mapped.text(&name)?)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        for i in 0..doc.len() {
            let e = doc
                .event(i)
                .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
            writeln!(
                out,
                "{}",
                equitas_epcis::event_hash_ignoring(&e, doc.hash_ignore())
            )?;
            if show_prehash {
                writeln!(
                    out,
                    "{}",
                    equitas_epcis::prehash_ignoring(&e, doc.hash_ignore())
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `equitas epcis validate`: one line per problem, exit 0 only if all are
/// valid. Every document gets Equitas's own checks, those capture makes
/// (the document read, each event's size, fields and identifiers:
/// `equitas_epcis::event::record`), and GS1's schema of its binding when
/// it is at hand; a note on stderr says which schema was not applied and
/// how to get it. (Conflicting eventIDs are found by capture, against
/// what the store holds.)
fn epcis_validate(cli: &Cli, files: &[std::path::PathBuf], args: &SchemaArgs) -> Result<ExitCode> {
    use equitas_store::epcis::{MAX_EVENT_BYTES, schema_rejections};
    let found = epcis_schemas(cli, args)?;
    let none = equitas_epcis::validate::Schemas::default();
    let (mut bad, mut noted) = (0, [false; 2]);
    for f in files {
        let name = f.display().to_string();
        let mapped = open_mapped(f)?;
        let text = mapped.text(&name)?;
        let doc = match equitas_epcis::EventReader::new(text) {
            Ok(doc) => doc,
            Err(e) => {
                bad += 1;
                println!("{name}: {e}");
                continue;
            }
        };
        // Equitas's checks: events too long to capture, then each event read
        // and checked as capture does.
        let too_long = schema_rejections(&none, &doc, MAX_EVENT_BYTES).unwrap_or_default();
        let mut problems: Vec<String> = too_long
            .iter()
            .map(|r| format!("event {}: {}: {}", r.index, r.field, r.reason))
            .collect();
        for i in (0..doc.len()).filter(|i| !too_long.iter().any(|r| r.index == *i)) {
            let checked = match doc.event(i) {
                Ok(e) => equitas_epcis::event::record(&e, doc.hash_ignore()).map(|_| ()),
                Err(equitas_epcis::EpcisError::Event { field, reason, .. }) => Err((field, reason)),
                Err(e) => Err(("event".to_string(), e.to_string())),
            };
            if let Err((field, reason)) = checked {
                problems.push(format!("event {i}: {field}: {reason}"));
            }
        }
        // GS1's schema of the document's binding, when at hand.
        let xml = doc.is_xml();
        let schema = if xml {
            "GS1's XSDs"
        } else {
            "GS1's JSON Schema"
        };
        let checks = match found.schemas.validate_text(text) {
            Some(p) => {
                problems.extend(p.iter().map(ToString::to_string));
                format!("Equitas's checks and {schema}")
            }
            None => {
                if !std::mem::replace(&mut noted[usize::from(xml)], true)
                    && let Some(note) = found.missing_note(xml)
                {
                    eprintln!("note: {note}");
                }
                format!("Equitas's checks only, not {schema}")
            }
        };
        if problems.is_empty() {
            println!("{name}: valid ({} event(s); {checks})", doc.len());
        } else {
            bad += 1;
            for p in &problems {
                println!("{name}: {p}");
            }
        }
    }
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A document given to a command, mapped rather than read (see
/// `Mapped::open`).
fn open_mapped(f: &Path) -> Result<Mapped> {
    // SAFETY: a document given to capture, hash or validate must not be
    // rewritten while the command reads it (`epcis capture --help` says so);
    // one being rewritten could not be read consistently either way.
    Ok(unsafe { Mapped::open(f) }?)
}

/// A capture's progress bar that also lets the system drop the pages of
/// the mapped document that the capture has read past (events are read in
/// order), so that the memory it holds does not grow with the document.
struct Releasing<'a> {
    bar: &'a Bar,
    doc: &'a equitas_epcis::EventReader<'a>,
    mapped: &'a Mapped,
    read: std::cell::Cell<u64>,
}

impl equitas_store::import::Progress for Releasing<'_> {
    fn start(&self, label: &str, total: u64) {
        self.bar.start(label, total);
    }
    fn inc(&self, n: u64) {
        self.bar.inc(n);
        let read = self.read.get() + n;
        self.read.set(read);
        // Every 4,096 events, up to 1,024 events back (the batch being
        // stored; a page dropped too soon would only be read again).
        let i = read as usize;
        if i.is_multiple_of(4096) && i < self.doc.len() {
            let raw = self.doc.raw(i - 1024).as_ptr() as usize;
            self.mapped
                .release_before(raw.saturating_sub(self.doc.text().as_ptr() as usize));
        }
    }
    fn finish(&self) {
        self.bar.finish();
    }
}

/// `equitas epcis capture`.
fn epcis_capture(
    cli: &Cli,
    files: &[std::path::PathBuf],
    proceed: bool,
    max_event_bytes: usize,
    args: &SchemaArgs,
) -> Result<ExitCode> {
    use equitas_store::epcis::{ErrorBehaviour, capture, schema_rejections};
    let found = epcis_schemas(cli, args)?;
    // A note for a missing schema only for the bindings of the documents given.
    let mut noted = [false; 2];
    let behaviour = if proceed {
        ErrorBehaviour::Proceed
    } else {
        ErrorBehaviour::Rollback
    };
    let mut store = open_store(cli)?;
    let mut code = ExitCode::SUCCESS;
    for f in files {
        let name = f.display().to_string();
        // Mapped, not read: the document's pages are read as capture goes.
        let mapped = open_mapped(f)?;
        let doc = equitas_epcis::EventReader::new(mapped.text(&name)?)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let xml = doc.is_xml();
        if !std::mem::replace(&mut noted[usize::from(xml)], true)
            && let Some(note) = found.missing_note(xml)
        {
            eprintln!("note: {note}");
        }
        let rejected = schema_rejections(&found.schemas, &doc, max_event_bytes)
            .map_err(|p| anyhow::anyhow!("{name}: {p} (the document is refused)"))?;
        // The pass that found the events read every page: let them go until
        // the capture reads each again, in order (see `Releasing`).
        mapped.release_before(usize::MAX);
        let bar = Bar::new("capture");
        let progress = Releasing {
            bar: &bar,
            doc: &doc,
            mapped: &mapped,
            read: std::cell::Cell::new(0),
        };
        let r = capture(store.as_mut(), &name, &doc, rejected, behaviour, &progress)?;
        for x in &r.rejected {
            eprintln!("  {name}: event {}: {}: {}", x.index, x.field, x.reason);
        }
        if r.rolled_back {
            println!(
                "{name}: {} events; refused: {} bad event(s), {} of them conflicts, and rollback is the default (--proceed stores the good ones)",
                r.events,
                r.rejected.len(),
                r.conflicts
            );
            code = ExitCode::FAILURE;
        } else {
            println!(
                "{name}: {} events: {} captured, {} already held, {} rejected ({} conflicts)",
                r.events,
                r.captured,
                r.duplicates,
                r.rejected.len(),
                r.conflicts
            );
            if !r.rejected.is_empty() && code == ExitCode::SUCCESS {
                code = ExitCode::from(crate::context::EXIT_REJECTED_ROWS);
            }
        }
    }
    Ok(code)
}
