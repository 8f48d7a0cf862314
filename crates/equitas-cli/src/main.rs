//! `equitas`: the command-line entry point.

/// mimalloc: parsing and hashing EPCIS documents allocate many small
/// strings, and it halves the time the system allocator takes for them
/// (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod accounts;
mod context;
mod db;
mod demo;
mod demo_data;
mod epcis;
mod forecast;
mod format;
mod generate;
mod gs1;
mod import;
mod interop;
mod market;
mod op_args;
mod output;
mod progress;
mod region;
mod scenario;
mod schemas;
mod serve;
mod stock;
mod supply;

use clap::{Parser, Subcommand};
use output::Format;
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
        after_help = "Kinds and their columns:\n  countries      ISO 3166 codes (datasets/country-codes layout: ISO3166-1-Alpha-3, ISO3166-1-Alpha-2, official_name_en, ...)\n  income-groups  iso3c, who.region, wb.region, Income.group\n  locations      code, name, level (region|district|facility|warehouse; in French région, district, formation sanitaire, entrepôt), parent, country (ISO3), gln (a GLN, an SGLN URN with extension 0 or a GLN Digital Link), latitude, longitude\n  scms           the USAID SCMS Supply Chain Shipment Pricing file\n  procurement    procurement lines in any layout, with --mapping FILE.toml naming the columns\n  reference-prices  product (Equitas code), price_usd (per comparison unit), source, unit, year\n  courses        product, units (per standard treatment course), description, source\n  wages          country, daily_wage, currency, exchange_rate (local units per US$), source, year\n  authorisations country, number, product_name, holder, status, product, manufacturer, valid_from, valid_to\n  who-pq-vaccines  the WHO list of prequalified vaccines\n  stock-reports  location, product, period (YYYY-MM, 09/2026, 2026-09-01, Sept. 2026, septembre 2026...), opening_balance, received, dispensed, closing_balance, stockout_days[, issued, adjustments]\n  stock-levels   item (blank: all), tier (central|store|facility|area), min_months, max_months\n  products       code, name[, programme, category, inns, strength, dosage_form, atc, essential, gtin, pack_size]\n  supply-sites   site, name, organisation, country, status (operational|scaling-up|planned|technology-transfer-recipient), source[, platform, products, capacity_min, capacity_max, capacity_unit, approvals (who-pq@DATE;national...), source_date]\n  licences       programme (who-mrna|htap|c-tap|mpp|voluntary|other), licensor, licensee, technology, status (active|planned|expired|terminated), source[, licensee_site, territory (ISO3;ISO3), start, end, source_date]\n  regulators     country, authority, source[, pathway, gbt_level (1-4), gbt_year, wla (listed|transitional|not-listed), days_to_authorise, source_date]\n  ingredient-sources  site, ingredient, api_manufacturer, api_country, source[, product, api_site, source_date]\n  pipeline       item, place (location code or GLN), arrival (YYYY-MM, 2026-09-15, 09/2026, Sept. 2026...), quantity: shipments expected from suppliers, the pipeline of plans and risks without --pipeline; each import replaces the list (a file with a rejected row replaces nothing; a header only empties it)\n  lead-times     item (blank: all), supplier, order_months, production_months, transport_months, receipt_months: the lead times of plans without --lead-times; each import replaces the list (a file with a rejected row replaces nothing; a header only empties it)\n\nExamples:\n  equitas import countries country-codes.csv\n  equitas import locations --strict facilities.csv\n  equitas import scms --dry-run supply_chain_shipment_pricing.csv"
    )]
    Import(import::ImportArgs),

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

    /// Disruption scenarios: if a site, a manufacturer or a producing
    /// country stops or bans exports, who runs out of what, when, and which
    /// mitigation would prevent it.
    #[command(subcommand)]
    Scenario(scenario::ScenarioCommand),

    /// Serve the HTTP API (JSON; errors as RFC 9457 problem details) on the
    /// database. Listens on the loopback address unless told otherwise.
    #[command(
        after_help = "Examples:\n  equitas serve\n  curl 'http://127.0.0.1:8080/api/v1/market/prices?product=efavirenz-600mg-tablet'\n  equitas --database postgres://equitas@db/equitas serve --addr 0.0.0.0:8080\n\nRoutes: /api/v1/status, /api/v1/market/{products,prices,mpr,affordability,concentration,delivery,sources},\n/api/v1/supply/{concentration,map,single-source,qualified-sources,reach,regional,dependence,match,regulators},\n/api/v1/stock, /api/v1/stock/{lots,problems}, /api/v1/availability, /api/v1/{forecast,plan,risk},\n/api/v1/scenario/{run,countries,projection,nodes,compare,allocation};\n/api/v1/publications, /api/v1/publications/figures (a country's, docs/region.md), /api/v1/region/stock (a regional server's);\nEPCIS: /capture, /events. The description: /openapi.json (OpenAPI 3.1) and /api/docs (a page to read)."
    )]
    Serve(Box<serve::ServeArgs>),

    /// GS1 EPCIS 2.0 events.
    #[command(subcommand)]
    Epcis(epcis::EpcisCommand),

    /// Accounts of a multi-user server: users, their roles and scopes
    /// (docs/accounts.md).
    #[command(subcommand)]
    Users(accounts::UsersCommand),

    /// API tokens for machines and EPCIS clients (docs/accounts.md).
    #[command(subcommand)]
    Tokens(accounts::TokensCommand),

    /// The audit log, newest first: logins, captures, role and token changes.
    #[command(after_help = "Example:\n  equitas audit --limit 20")]
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },

    /// The database's monthly partitions (PostgreSQL): partition by month,
    /// list them, detach and archive an old month.
    #[command(subcommand)]
    Db(db::DbCommand),

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
        after_help = "Examples:\n  equitas forecast --level region --horizon 6\n  equitas forecast --item 09520000000011 --method croston_sba --format json\n  equitas forecast --horizon 6 --by-month --format csv   # a row per month\n  equitas forecast accuracy --level facility"
    )]
    Forecast {
        #[command(subcommand)]
        command: Option<forecast::ForecastCommand>,
        #[command(flatten)]
        args: op_args::OpArgs<equitas_service::planning::Forecast>,
        #[command(flatten)]
        by: forecast::ByMonth,
        #[command(flatten)]
        out: output::Output,
    },

    /// Supply plans: stock projected month by month from the stock on hand
    /// (lots with expiry), the demand forecast and the pipeline, with the
    /// orders (quantity and date) that keep it within the min-max band.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  equitas plan --level country --lead-time 6\n  equitas plan --item 09520000000011 --unit-price 0.12 --format json\n  equitas plan --by-month --format csv   # projected stock month by month\n  equitas plan --pipeline shipments.csv   # item,place,arrival (YYYY-MM or the day),quantity\n  equitas plan --lead-times lead-times.csv --supplier 'Pharma A'   # item,supplier,order_months,production_months,transport_months,receipt_months\n  equitas plan lead-times   # the lead times imported\n  equitas plan pipeline     # the shipments expected, as imported"
    )]
    Plan {
        #[command(subcommand)]
        command: Option<forecast::PlanCommand>,
        #[command(flatten)]
        args: op_args::OpArgs<equitas_service::planning::Plan>,
        #[command(flatten)]
        by: forecast::ByMonth,
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
        by: forecast::ByMonth,
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

    /// Exchanges with other systems in their formats: DHIS2 data value
    /// sets, HL7 FHIR R5 Bundles (docs/interop.md).
    #[command(subcommand)]
    Interop(interop::InteropCommand),

    /// Data kept in each country (docs/region.md): a country's server
    /// publishes its monthly figures; a regional server pulls them and
    /// answers across countries.
    #[command(subcommand)]
    Region(region::RegionCommand),

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

/// Runs the command: each group's module owns its arguments and its run.
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let serving = matches!(cli.command, Command::Serve(_));
    let wait = cli.write_wait.unwrap_or(if serving { 30 } else { 600 });
    equitas_store::set_write_wait(std::time::Duration::from_secs(wait));
    if !serving {
        equitas_store::on_write_wait(|bound| {
            eprintln!(
                "Waiting for another capture or import to finish writing to the database (up to {} s, --write-wait)...",
                bound.as_secs()
            );
        });
    }
    let ok = |()| ExitCode::SUCCESS;
    let store = || context::open_store(&cli);
    // Reports read: a database that does not exist is an error, not created.
    let existing = || context::open_existing(&cli);
    match &cli.command {
        Command::Init => demo::init(&cli),
        Command::Demo { format } => demo::demo(&cli, *format),
        Command::Status { format } => demo::status(&cli, *format),
        Command::Import(a) => import::run(&cli, a),
        Command::Serve(a) => serve::run(&cli, a),
        Command::Epcis(c) => epcis::run(&cli, c),
        Command::Users(c) => accounts::users(store()?.as_mut(), c).map(ok),
        Command::Tokens(c) => accounts::tokens(store()?.as_mut(), c).map(ok),
        Command::Audit { limit, format } => {
            accounts::audit(existing()?.as_mut(), *limit, *format).map(ok)
        }
        Command::Db(c) => db::run(&cli, c).map(ok),
        Command::Gs1 { ids, gcp_length } => Ok(gs1::run(ids, *gcp_length)),
        Command::Generate(a) => generate::run(a).map(ok),
        Command::Interop(c) => interop::run(&cli, c),
        Command::Region(c) => region::run_command(&cli, c),
        Command::Market(c) => market::run_command(existing()?.as_mut(), c).map(ok),
        Command::Supply(c) => supply::run_command(existing()?.as_mut(), c).map(ok),
        Command::Scenario(c) => scenario::run_command(existing()?.as_mut(), c).map(ok),
        Command::Stock { command, args, out } => {
            let mut st = existing()?;
            match command {
                None => stock::stock(st.as_mut(), args, out),
                Some(stock::StockCommand::Problems { args, out }) => {
                    stock::problems(st.as_mut(), args, out)
                }
                Some(stock::StockCommand::Lots { args, out }) => {
                    stock::lots(st.as_mut(), args, out)
                }
            }
            .map(ok)
        }
        Command::Availability { args, out } => {
            stock::availability(existing()?.as_mut(), args, out).map(ok)
        }
        Command::Forecast {
            command,
            args,
            by,
            out,
        } => {
            let mut st = existing()?;
            match command {
                None => forecast::forecast(st.as_mut(), args, by, out),
                Some(forecast::ForecastCommand::Accuracy { args, out }) => {
                    forecast::accuracy(st.as_mut(), args, out)
                }
            }
            .map(ok)
        }
        Command::Plan {
            command,
            args,
            by,
            out,
        } => {
            let mut st = existing()?;
            match command {
                None => forecast::plan(st.as_mut(), args, by, out),
                Some(forecast::PlanCommand::LeadTimes { args, out }) => {
                    forecast::lead_times(st.as_mut(), args, out)
                }
                Some(forecast::PlanCommand::Pipeline { args, out }) => {
                    forecast::pipeline(st.as_mut(), args, out)
                }
            }
            .map(ok)
        }
        Command::Risk { args, by, out } => {
            forecast::risk(existing()?.as_mut(), args, by, out).map(ok)
        }
    }
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

impl Cli {
    /// Parses the command line, with the help texts built at run time
    /// (`equitas import --help` states the location nesting rules).
    fn parse_with_help() -> Cli {
        use clap::{CommandFactory, FromArgMatches};
        let m = Cli::command()
            .mut_subcommand("import", import::with_nesting_help)
            .get_matches();
        Cli::from_arg_matches(&m).unwrap_or_else(|e| e.exit())
    }
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse_with_help();
    init_tracing(cli.verbose);
    match run(cli) {
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
