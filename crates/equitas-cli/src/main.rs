//! `equitas`: the command-line entry point.

/// mimalloc: parsing and hashing EPCIS documents allocate many small
/// strings, and it halves the time the system allocator takes for them
/// (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod commands;
mod demo_data;
mod demo_net;
mod forecast;
mod format;
mod generate;
mod market;
mod op_args;
mod output;
mod progress;
mod stock;
mod supply;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Equitas: is each essential health product available, affordable and
/// securely supplied? Stock, prices and supply risk from one binary.
#[derive(Parser, Debug)]
#[command(
    name = "equitas",
    version,
    about,
    long_about = None,
    after_help = "Examples:\n  equitas demo                         load the shipped demo data and print a summary\n  equitas status                       what the database holds\n  equitas import locations sites.csv   add a location hierarchy\n  equitas --database postgres://equitas@db.example/equitas status\n\nData directory: --data-dir, or EQUITAS_DATA_DIR, or the user's data directory."
)]
pub struct Cli {
    /// Directory for Equitas's data (the embedded database lives here).
    #[arg(long, env = "EQUITAS_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database to use: a SQLite file path, or a postgres:// URL for a
    /// PostgreSQL server. Default: equitas.db in the data directory.
    #[arg(long, env = "EQUITAS_DATABASE", global = true, value_name = "PATH|URL")]
    pub database: Option<String>,

    /// How long a write waits for another writer of the same database (a
    /// capture or import in another process) before giving up. Default:
    /// 600 for commands; for `serve`, 30, after which a write is answered
    /// 503 with Retry-After.
    #[arg(long, global = true, value_name = "SECONDS")]
    pub write_wait: Option<u64>,

    /// More log output on stderr (-v: info, -vv: debug, -vvv: trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create the data directory and database, or bring an existing
    /// database's schema up to date.
    #[command(after_help = "Example:\n  equitas --data-dir ./my-country init")]
    Init,

    /// Load the demo data shipped inside Equitas (country codes, WHO regions
    /// and income groups, the USAID SCMS shipments, and a synthetic country's
    /// EPCIS events) and print a summary.
    /// Running it again changes nothing.
    #[command(
        after_help = "Example:\n  equitas demo\n  equitas --data-dir /tmp/equitas-demo demo --format json"
    )]
    Demo {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },

    /// Import a file into the database, in one transaction: all of it or,
    /// on a crash, none of it. Importing the same file again changes
    /// nothing. Rows with errors are listed with their line and field and
    /// the others are imported (exit status 3), unless --strict is given.
    #[command(
        after_help = "Kinds and their columns:\n  countries      ISO 3166 codes (datasets/country-codes layout: ISO3166-1-Alpha-3, ISO3166-1-Alpha-2, official_name_en, ...)\n  income-groups  iso3c, who.region, wb.region, Income.group\n  locations      code, name, level (region|district|facility|warehouse), parent, country (ISO3), gln, latitude, longitude\n  scms           the USAID SCMS Supply Chain Shipment Pricing file\n  procurement    procurement lines in any layout, with --mapping FILE.toml naming the columns\n  reference-prices  product (Equitas code), price_usd (per comparison unit), source, unit, year\n  courses        product, units (per standard treatment course), description, source\n  wages          country, daily_wage, currency, exchange_rate (local units per US$), source, year\n  authorisations country, number, product_name, holder, status, product, manufacturer, valid_from, valid_to\n  who-pq-vaccines  the WHO list of prequalified vaccines\n  stock-reports  location, product, period (YYYY-MM), opening_balance, received, dispensed, closing_balance, stockout_days[, issued, adjustments]\n  stock-levels   item (blank: all), tier (central|store|facility|area), min_months, max_months\n  products       code, name[, programme, category, inns, strength, dosage_form, atc, essential, gtin, pack_size]\n  supply-sites   site, name, organisation, country, status (operational|scaling-up|planned|technology-transfer-recipient), source[, platform, products, capacity_min, capacity_max, capacity_unit, approvals (who-pq@DATE;national...), source_date]\n  licences       programme (who-mrna|htap|c-tap|mpp|voluntary|other), licensor, licensee, technology, status (active|planned|expired|terminated), source[, licensee_site, territory (ISO3;ISO3), start, end, source_date]\n  regulators     country, authority, source[, pathway, gbt_level (1-4), gbt_year, wla (listed|transitional|not-listed), days_to_authorise, source_date]\n  ingredient-sources  site, ingredient, api_manufacturer, api_country, source[, product, api_site, source_date]\n\nExamples:\n  equitas import countries country-codes.csv\n  equitas import locations --strict facilities.csv\n  equitas import scms --dry-run supply_chain_shipment_pricing.csv"
    )]
    Import {
        /// What the file holds.
        #[arg(value_parser = import_kind_parser())]
        kind: equitas_store::import::ImportKind,
        /// Files to import, in order.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Import nothing if any row is bad.
        #[arg(long)]
        strict: bool,
        /// Check and count everything, then roll back.
        #[arg(long)]
        dry_run: bool,
        /// List every bad row (default: the first 20).
        #[arg(long)]
        all_errors: bool,
        /// Site-to-country mapping for `scms` (default: the reviewed table shipped with Equitas).
        #[arg(long, value_name = "FILE")]
        site_map: Option<PathBuf>,
        /// Country-name aliases for `scms` and `procurement` (default: the table shipped with Equitas).
        #[arg(long, value_name = "FILE")]
        country_aliases: Option<PathBuf>,
        /// Column mapping (TOML) for `procurement`: see docs/procurement-mapping.toml.
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
    },

    /// Show where the data is, its schema version, what it holds and the
    /// latest imports.
    #[command(after_help = "Example:\n  equitas status --format json")]
    Status {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },

    /// Market intelligence from procurement data: prices, median price
    /// ratios, affordability, supplier concentration, delivery, legal sources.
    #[command(subcommand)]
    Market(market::MarketCommand),

    /// Supply security: concentration at every tier (manufacturer, site,
    /// producing country, ingredient country), single-source products,
    /// qualified sources, regulators.
    #[command(subcommand)]
    Supply(supply::SupplyCommand),

    /// Serve the HTTP API (JSON; errors as RFC 9457 problem details) on the
    /// database. Listens on the loopback address unless told otherwise.
    #[command(
        after_help = "Examples:\n  equitas serve\n  curl 'http://127.0.0.1:8080/api/v1/market/prices?product=efavirenz-600mg-tablet'\n  equitas --database postgres://equitas@db/equitas serve --addr 0.0.0.0:8080\n\nRoutes: /api/v1/status, /api/v1/market/{products,prices,mpr,affordability,concentration,delivery,sources},\n/api/v1/supply/{concentration,map,single-source,qualified-sources,reach,regional,dependence,match,regulators},\n/api/v1/stock, /api/v1/stock/{lots,problems}, /api/v1/availability, /api/v1/{forecast,plan,risk};\nEPCIS: /capture, /events. The description: /openapi.json (OpenAPI 3.1) and /api/docs (a page to read)."
    )]
    Serve {
        /// Address and port to listen on. The loopback address serves this
        /// machine only; another address (0.0.0.0: every interface) lets
        /// anyone who reaches it read everything and capture events, as
        /// Equitas has no accounts yet.
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
        addr: std::net::SocketAddr,
        /// A host name this server is reached by (the Host header), besides
        /// localhost and its address; repeat for several. On a loopback
        /// address, requests for any other name are refused (a hostile page
        /// can point a name of its own at 127.0.0.1); on another address,
        /// giving names restricts the server to them.
        #[arg(long = "allow-host", value_name = "NAME")]
        allow_hosts: Vec<String>,
        /// The largest request body taken, in bytes (EPCIS documents).
        #[arg(long, default_value_t = equitas_server::Limits::default().body, value_name = "BYTES")]
        max_body_bytes: u64,
        /// The largest event taken, in bytes as written; a larger one is rejected.
        #[arg(long, default_value_t = equitas_store::epcis::MAX_EVENT_BYTES, value_name = "BYTES")]
        max_event_bytes: usize,
        /// The most events one document sent over HTTP may hold.
        #[arg(long, default_value_t = equitas_server::Limits::default().events, value_name = "N")]
        max_events: usize,
        /// Connections served at once; further ones wait to be accepted.
        #[arg(long, default_value_t = equitas_server::ServeOptions::default().max_connections, value_name = "N")]
        max_connections: usize,
        /// Seconds a client has to send a request's headers, and to send
        /// each part of its body.
        #[arg(long, default_value_t = equitas_server::ServeOptions::default().header_timeout.as_secs(), value_name = "SECONDS")]
        header_timeout: u64,
        /// Seconds a read-only request may take before it is answered 503.
        #[arg(long, default_value_t = equitas_server::ServeOptions::default().request_timeout.as_secs(), value_name = "SECONDS")]
        request_timeout: u64,
        #[command(flatten)]
        schemas: SchemaArgs,
    },

    /// GS1 EPCIS 2.0 events.
    #[command(subcommand)]
    Epcis(EpcisCommand),

    /// Stock on hand, average monthly consumption, months of stock, status,
    /// stockout days and expiry risk by location and item, from captured
    /// EPCIS events and stock reports (docs/formulas.md section 3).
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  equitas stock --level facility --status stocked_out\n  equitas stock --within R01 --item 09520000000011 --as-of 2026-06-30\n  equitas stock --level region --format csv > regions.csv\n  equitas stock problems\n  equitas stock lots --expiring 3"
    )]
    Stock {
        #[command(subcommand)]
        command: Option<stock::StockCommand>,
        #[command(flatten)]
        args: op_args::OpArgs<equitas_service::stock::Stock>,
        #[command(flatten)]
        out: output::Output,
    },

    /// Availability: the share of facilities with each item in stock, by
    /// area, on a date and the months before (docs/formulas.md 3.9).
    #[command(
        after_help = "Examples:\n  equitas availability --by region\n  equitas availability --by country --months 12 --item 09520000000011\n  equitas availability --basket --item 09520000000011 --item 09520000000028"
    )]
    Availability {
        #[command(flatten)]
        args: op_args::OpArgs<equitas_service::stock::Availability>,
        #[command(flatten)]
        out: output::Output,
    },

    /// Forecast monthly demand per item and place from the stock ledger: a
    /// model chosen per series by rolling-origin evaluation (or the one
    /// asked for), with 80% and 95% intervals and the reason for the choice.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  equitas forecast --level region --horizon 6\n  equitas forecast --item 09520000000011 --method croston_sba --format json\n  equitas forecast accuracy --level facility"
    )]
    Forecast {
        #[command(subcommand)]
        command: Option<forecast::ForecastCommand>,
        #[command(flatten)]
        args: op_args::OpArgs<equitas_service::planning::Forecast>,
        #[command(flatten)]
        out: output::Output,
    },

    /// Supply plans: stock projected month by month from the stock on hand
    /// (lots with expiry), the demand forecast and the pipeline, with the
    /// orders (quantity and date) that keep it within the min-max band.
    #[command(
        after_help = "Examples:\n  equitas plan --level country --lead-time 6\n  equitas plan --item 09520000000011 --unit-price 0.12 --format json\n  equitas plan --pipeline shipments.csv   # item,place,arrival (YYYY-MM),quantity\n  equitas plan --lead-times lead-times.csv --supplier 'Pharma A'   # item,supplier,order_months,production_months,transport_months,receipt_months"
    )]
    Plan {
        #[command(flatten)]
        args: op_args::OpArgs<equitas_service::planning::Plan>,
        #[command(flatten)]
        out: output::Output,
    },

    /// Probability of a stockout in each of the next months, by Monte Carlo
    /// (demand uncertainty and delivery delays), product-places ranked by risk.
    #[command(
        after_help = "Examples:\n  equitas risk --level region\n  equitas risk --without-orders --paths 5000 --format csv"
    )]
    Risk {
        #[command(flatten)]
        args: op_args::OpArgs<equitas_service::planning::Risk>,
        #[command(flatten)]
        out: output::Output,
    },

    /// Write a synthetic national supply network (deterministic from the
    /// seed, labelled synthetic): country.csv, locations.csv, products.csv and
    /// EPCIS 2.0 documents, ready for `equitas import countries`, `equitas
    /// import locations`, `equitas import products` and `equitas epcis capture`.
    #[command(
        after_help = "Examples:\n  equitas generate --out net --facilities 200 --products 30 --months 12\n  equitas import countries net/country.csv && equitas import locations net/locations.csv\n  equitas import products net/products.csv\n  equitas epcis capture net/events-*.jsonld\n\nThe network is filed under the user-assigned country code XSY (no real country)."
    )]
    Generate(generate::GenerateArgs),

    /// Check and convert GS1 identifiers: GTIN, GLN, SSCC, EPC URNs, GS1
    /// Digital Link URIs and element strings scanned from a pack.
    #[command(
        after_help = "Examples:\n  equitas gs1 09501101530003\n  equitas gs1 urn:epc:id:sgtin:0614141.812345.6789\n  equitas gs1 '(01)09501101530003(17)261130(10)AB12'\n  equitas gs1 --gcp-length 7 https://id.gs1.org/01/80614141123458/21/6789"
    )]
    Gs1 {
        /// Identifiers to check (a raw scan may use the ASCII GS character as FNC1).
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
        /// GS1 Company Prefix length, to print EPC URNs for Digital Links and scans.
        #[arg(long, value_name = "6..12")]
        gcp_length: Option<usize>,
    },
}

/// Where the GS1 EPCIS 2.0 schemas are (GS1's, not shipped with Equitas;
/// docs/epcis.md).
#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// The GS1 EPCIS 2.0 JSON Schema file, to validate JSON documents.
    #[arg(long, env = "EQUITAS_EPCIS_SCHEMA", value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// The directory of the GS1 EPCIS 2.0 XSDs (EPCglobal-epcis-2_0.xsd and
    /// the files it imports), to validate XML documents.
    #[arg(long, env = "EQUITAS_EPCIS_XSD", value_name = "DIR")]
    pub xsd: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum EpcisCommand {
    /// Find captured events (EPCIS SimpleEventQuery parameters), in capture
    /// order, a page at a time.
    #[command(
        after_help = "Examples:\n  equitas epcis query --biz-step receiving --from 2026-01-01T00:00:00Z\n  equitas epcis query --within R01 --from 2026-01-01\n  equitas epcis query --limit 50 --after 1200 --format json"
    )]
    Query {
        #[command(flatten)]
        args: op_args::OpArgs<equitas_service::epcis::Query>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Parses an import kind from the names the store gives its kinds.
fn import_kind_parser()
-> impl clap::builder::TypedValueParser<Value = equitas_store::import::ImportKind> {
    use clap::builder::TypedValueParser as _;
    use equitas_store::import::ImportKind;
    clap::builder::PossibleValuesParser::new(ImportKind::ALL.iter().map(|k| k.as_str()))
        .try_map(|s| ImportKind::from_name(&s).ok_or("unknown import kind"))
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("EQUITAS_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Lets `equitas ... | head` end quietly, as command-line tools do, instead
/// of failing on the closed pipe.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal disposition to its default at start-up,
    // before any thread exists, has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            // A value the command line should not have taken: a usage
            // error, as clap's own (exit status 2).
            match e
                .downcast_ref::<equitas_service::ServiceError>()
                .map(|e| e.kind())
            {
                Some(equitas_service::ErrorKind::BadInput) => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            }
        }
    }
}
