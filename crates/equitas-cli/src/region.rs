//! `equitas region`: data kept in each country (docs/region.md). On a
//! country's server, what it publishes; on a regional server, the
//! countries' servers, the pull of their publications over HTTP, and the
//! answers across countries.

use crate::Cli;
use crate::context::open_store;
use crate::op_args::{OpArgs, run};
use crate::output::{Cell, Format, Output, Report};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use equitas_region::Level;
use equitas_service::region::{Fetch, Publications, RegionStock, pull};
use equitas_store::region as held;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum RegionCommand {
    /// On a country's server: choose what it publishes to regional servers:
    /// its monthly figures summed to a level of its hierarchy (its country
    /// totals are always published). Served to API tokens of the
    /// publication-reader role.
    #[command(
        after_help = "Levels: facility (every location on its own), district, region, country.\n\nExample:\n  equitas region publish --country XSY --level district"
    )]
    Publish {
        /// The country (ISO 3166 alpha-3), a place of level country in the hierarchy.
        #[arg(long, value_name = "ISO3")]
        country: String,
        #[arg(long, value_name = "LEVEL")]
        level: Level,
    },
    /// On a country's server: the months it publishes, with their digests.
    #[command(after_help = "Example:\n  equitas region publications --format json")]
    Publications {
        #[command(flatten)]
        args: OpArgs<Publications>,
        #[command(flatten)]
        out: Output,
    },
    /// On a regional server: add a country's server (or change its URL or
    /// token file). The token (created there by `equitas tokens create` for
    /// a publication-reader) stays in its file; only the file's path is kept.
    #[command(
        after_help = "Example:\n  equitas region add XSY https://equitas.moh.example.org --token-file /etc/equitas/xsy.token"
    )]
    Add {
        /// ISO 3166 alpha-3 code of the country.
        country: String,
        /// The country's Equitas server.
        url: String,
        #[arg(long, value_name = "FILE")]
        token_file: PathBuf,
    },
    /// On a regional server: the countries' servers, with their last pull.
    Sources {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// On a regional server: fetch each country's new and republished
    /// months (a month republished replaces the one held, whole, in one
    /// transaction). A line per country; a country that fails is named
    /// with its URL and the others are still pulled (exit status 1).
    #[command(after_help = "Examples:\n  equitas region pull\n  equitas region pull --country XSY")]
    Pull {
        /// Only these countries; repeat for several.
        #[arg(long = "country", value_name = "ISO3")]
        countries: Vec<String>,
        /// Seconds a request to a country's server may take.
        #[arg(long, default_value_t = 120, value_name = "SECONDS")]
        timeout: u64,
    },
    /// On a regional server: closing stock, months of stock and
    /// availability by country and item per month, from the publications
    /// held; the countries and months missing are named.
    #[command(
        after_help = "Examples:\n  equitas region stock\n  equitas region stock --month 2025-06 --format csv\n  equitas region stock --level district --country XSY"
    )]
    Stock {
        #[command(flatten)]
        args: OpArgs<RegionStock>,
        #[command(flatten)]
        out: Output,
    },
}

/// Fetches over HTTP with the source's token.
struct Http {
    agent: ureq::Agent,
    base: String,
    token: String,
}

impl Fetch for Http {
    fn get(&mut self, path: &str) -> Result<serde_json::Value, String> {
        let url = format!("{}{path}", self.base);
        let mut resp = self
            .agent
            .get(&url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Accept", "application/json")
            .call()
            .map_err(|e| format!("cannot reach it: {e}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .read_to_vec()
            .map_err(|e| format!("{path}: cannot read the answer: {e}"))?;
        let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        let detail = json
            .as_ref()
            .and_then(|j| j["detail"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
        match status {
            200 => json.ok_or_else(|| format!("{path}: the answer is not JSON")),
            401 => Err(format!("the token was refused (401): {detail}")),
            403 => Err(format!(
                "the token may not read the publications (403): {detail}"
            )),
            _ => Err(format!("{path} answered {status}: {detail}")),
        }
    }
}

pub fn run_command(cli: &Cli, c: &RegionCommand) -> Result<ExitCode> {
    let mut store = open_store(cli)?;
    match c {
        RegionCommand::Publish { country, level } => {
            let country = country.to_ascii_uppercase();
            held::set_publishing(store.as_mut(), &country, *level)?;
            println!(
                "This server publishes the monthly figures of {country} by {level}, and its country totals, to publication-reader tokens (GET /api/v1/publications)."
            );
        }
        RegionCommand::Publications { args, out } => {
            let a = run(store.as_mut(), args, "computing the publications")?;
            let rows = a
                .rows
                .iter()
                .map(|p| {
                    vec![
                        Cell::Text(p.country.clone()),
                        Cell::Text(p.month.clone()),
                        Cell::Text(p.level.clone()),
                        Cell::Int(p.rows as i64),
                        Cell::Text(p.digest[..16.min(p.digest.len())].to_string()),
                    ]
                })
                .collect();
            Report::answer(
                &a,
                "Months published",
                crate::stock::period_of(&a.head),
                (a.head.movements.unwrap_or(0), "movements"),
                vec!["country", "month", "level", "rows", "digest"],
                rows,
            )
            .print(out)?;
        }
        RegionCommand::Add {
            country,
            url,
            token_file,
        } => {
            let country = country.to_ascii_uppercase();
            let token = std::fs::read_to_string(token_file)
                .with_context(|| format!("--token-file {}", token_file.display()))?;
            if token.trim().is_empty() {
                bail!("--token-file {}: the file is empty", token_file.display());
            }
            let path = std::path::absolute(token_file)
                .with_context(|| format!("--token-file {}", token_file.display()))?;
            let url = url.trim_end_matches('/');
            let new = held::add_source(store.as_mut(), &country, url, &path.display().to_string())?;
            println!(
                "{country}: {} {url} (token in {}).",
                if new { "added" } else { "changed to" },
                path.display()
            );
        }
        RegionCommand::Sources { format } => {
            let list = held::sources(store.as_mut())?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&list)?),
                Format::Csv | Format::CsvFr => {
                    let mut w = crate::output::csv_writer(*format)?;
                    w.write_record(["country", "url", "token_file", "pulled_at", "last_error"])?;
                    for s in &list {
                        w.write_record([
                            s.country.as_str(),
                            s.url.as_str(),
                            s.token_file.as_str(),
                            s.pulled_at.as_deref().unwrap_or(""),
                            s.last_error.as_deref().unwrap_or(""),
                        ])?;
                    }
                    w.flush()?;
                }
                Format::Table => {
                    for s in &list {
                        println!(
                            "{}  {}  last pull: {}{}",
                            s.country,
                            s.url,
                            s.pulled_at.as_deref().unwrap_or("never"),
                            s.last_error
                                .as_deref()
                                .map(|e| format!(" (failed: {e})"))
                                .unwrap_or_default()
                        );
                    }
                    if list.is_empty() {
                        println!(
                            "No country's server yet: equitas region add COUNTRY URL --token-file FILE"
                        );
                    }
                }
            }
        }
        RegionCommand::Pull { countries, timeout } => {
            let wanted: Vec<String> = countries.iter().map(|c| c.to_ascii_uppercase()).collect();
            let sources: Vec<held::Source> = held::sources(store.as_mut())?
                .into_iter()
                .filter(|s| wanted.is_empty() || wanted.contains(&s.country))
                .collect();
            for w in &wanted {
                if !sources.iter().any(|s| s.country == *w) {
                    bail!(
                        "--country {w}: not a source of this server (equitas region add {w} URL --token-file FILE)"
                    );
                }
            }
            if sources.is_empty() {
                bail!(
                    "no country's server to pull from: equitas region add COUNTRY URL --token-file FILE"
                );
            }
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(*timeout)))
                .build()
                .into();
            let mut failed = 0;
            for s in &sources {
                let outcome = std::fs::read_to_string(&s.token_file)
                    .map_err(|e| format!("cannot read the token file {}: {e}", s.token_file))
                    .and_then(|token| {
                        let mut http = Http {
                            agent: agent.clone(),
                            base: s.url.clone(),
                            token: token.trim().to_string(),
                        };
                        pull(store.as_mut(), &s.country, &mut http).map_err(|e| e.to_string())
                    });
                match outcome {
                    Ok(p) => {
                        held::pulled(store.as_mut(), &s.country, None)?;
                        println!(
                            "{}: {} new month(s){}, {} republished{}, {} unchanged; {} row(s) stored from {}",
                            s.country,
                            p.new.len(),
                            list(&p.new),
                            p.republished.len(),
                            list(&p.republished),
                            p.unchanged,
                            p.rows,
                            s.url
                        );
                    }
                    Err(e) => {
                        failed += 1;
                        held::pulled(store.as_mut(), &s.country, Some(e.as_str()))?;
                        eprintln!("{} ({}): {e}", s.country, s.url);
                    }
                }
            }
            if failed > 0 {
                eprintln!(
                    "{failed} of {} country server(s) could not be pulled; the others were.",
                    sources.len()
                );
                return Ok(ExitCode::FAILURE);
            }
        }
        RegionCommand::Stock { args, out } => {
            let a = run(store.as_mut(), args, "")?;
            let rows = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(r.country.clone()),
                        Cell::Text(r.month.clone()),
                        Cell::Text(r.location.clone()),
                        Cell::Text(r.item.clone()),
                        Cell::Text(r.item_name.clone().unwrap_or_default()),
                        Cell::Num(Some(r.closing), 0),
                        Cell::Num(r.amc, 1),
                        Cell::Num(r.months_of_stock, 1),
                        Cell::Int(i64::from(r.facilities)),
                        Cell::Int(i64::from(r.in_stock)),
                        Cell::Pct(r.availability),
                    ]
                })
                .collect();
            let months: std::collections::BTreeSet<&str> =
                a.rows.iter().map(|r| r.month.as_str()).collect();
            let countries: std::collections::BTreeSet<&str> =
                a.rows.iter().map(|r| r.country.as_str()).collect();
            Report::answer(
                &a,
                "Stock and availability by country, from the countries' publications",
                match (months.first(), months.last()) {
                    (Some(f), Some(l)) => format!(
                        "{f} to {l}; countries: {}",
                        countries.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                    _ => "no publication held".into(),
                },
                (a.rows.len(), "rows published"),
                vec![
                    "country",
                    "month",
                    "location",
                    "item",
                    "product",
                    "closing",
                    "amc",
                    "mos",
                    "facilities",
                    "in_stock",
                    "availability",
                ],
                rows,
            )
            .print(out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(months: &[String]) -> String {
    if months.is_empty() {
        String::new()
    } else {
        format!(" ({})", months.join(", "))
    }
}
