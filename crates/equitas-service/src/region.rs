//! Data kept in each country (issue 25, docs/region.md): a country's
//! server publishes its monthly figures (`GET /api/v1/publications`,
//! `/api/v1/publications/figures`, for a token with the publications
//! permission only); a regional server pulls them ([`pull`]) and answers
//! across countries from them ([`RegionStock`]).

use crate::error::ServiceError;
use crate::op::{Answer, Ctx, Dim, Endpoint, Head, Needs, Operation, Scoping};
use crate::param::{Args, Kind, Param};
use crate::stock::has_stock;
use equitas_ledger::calendar::{self, MonthIndex};
use equitas_region::{FigureRow, Level, Publication, Pull};
use equitas_store::region as held;
use equitas_store::{Store, StoreError};
use std::collections::{BTreeMap, BTreeSet};

const LEVELS: &[&str] = &["facility", "district", "region", "country"];

const METHOD: &str = "docs/formulas.md 3 as `equitas stock --level LEVEL --as-of END-OF-MONTH` and `equitas availability --by LEVEL` compute them on the country's own server: opening, received, issued, dispensed, adjusted and closing are the sums of its locations' ledger months (3.2); stockout days (3.3) for single locations; AMC (3.5) and months of stock (3.6) at the month's end; availability (3.9) on its last day";

fn publishing(ctx: &mut Ctx<'_>) -> Result<held::Publishing, ServiceError> {
    held::publishing(ctx.store)?.ok_or_else(|| {
        ServiceError::missing(
            "this server publishes nothing: `equitas region publish --country ISO3 --level LEVEL` chooses what it publishes",
        )
    })
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `GET /api/v1/publications`: the months this country publishes.
pub struct Publications;

impl Operation for Publications {
    type Request = ();
    type Row = Publication;
    const NEEDS: Needs = Needs::Stock;
    const UNSCOPED_WHY: &'static str = "a publication is the whole country's";

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/publications",
            "region",
            "The months this country publishes, each with its level, versions, computed-at time and digest (for a regional server)",
            "docs/region.md; docs/formulas.md 3",
            vec![],
        )
    }

    fn request(_: &Args) -> Result<(), ServiceError> {
        Ok(())
    }

    fn run(ctx: &mut Ctx<'_>, _: &()) -> Result<Answer<Publication>, ServiceError> {
        let p = publishing(ctx)?;
        let data = ctx.stock()?;
        has_stock(data)?;
        let at = now();
        let rows = equitas_region::months(&data.ledger)
            .into_iter()
            .map(|m| {
                equitas_region::publish(
                    &data.ledger,
                    &data.places,
                    &data.bands,
                    &p.country,
                    p.level,
                    m,
                    &at,
                )
                .0
            })
            .collect();
        let mut h = crate::stock::head(METHOD.into(), data, None);
        h.extra.insert("country".into(), p.country.into());
        h.extra.insert("level".into(), p.level.as_str().into());
        Ok(Answer::new(h, rows))
    }
}

/// `GET /api/v1/publications/figures`: one month's published rows.
pub struct PublicationFigures;

impl Operation for PublicationFigures {
    type Request = Option<MonthIndex>;
    type Row = FigureRow;
    const NEEDS: Needs = Needs::Stock;
    const UNSCOPED_WHY: &'static str = "a publication is the whole country's";

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/publications/figures",
            "region",
            "One published month's rows: each item at each place of the published level, and the country's totals",
            "docs/region.md; docs/formulas.md 3.2-3.9",
            vec![Param::new(
                "month",
                Kind::Month,
                "The month (default: the last one published).",
            )],
        )
    }

    fn request(a: &Args) -> Result<Option<MonthIndex>, ServiceError> {
        a.month("month")
    }

    fn run(
        ctx: &mut Ctx<'_>,
        month: &Option<MonthIndex>,
    ) -> Result<Answer<FigureRow>, ServiceError> {
        let p = publishing(ctx)?;
        let data = ctx.stock()?;
        has_stock(data)?;
        let months = equitas_region::months(&data.ledger);
        let m = match month {
            Some(m) if months.contains(m) => *m,
            Some(m) => {
                return Err(ServiceError::Unknown {
                    param: "month".into(),
                    reason: format!(
                        "{}: not published (published: {})",
                        calendar::format_month(*m),
                        match (months.first(), months.last()) {
                            (Some(a), Some(b)) => format!(
                                "{} to {}",
                                calendar::format_month(*a),
                                calendar::format_month(*b)
                            ),
                            _ => "none".into(),
                        }
                    ),
                });
            }
            None => *months
                .last()
                .ok_or_else(|| ServiceError::missing("no complete month to publish yet"))?,
        };
        let (publication, rows) = equitas_region::publish(
            &data.ledger,
            &data.places,
            &data.bands,
            &p.country,
            p.level,
            m,
            &now(),
        );
        let mut h = crate::stock::head(METHOD.into(), data, Some(calendar::month_end(m)));
        h.extra.insert(
            "publication".into(),
            serde_json::to_value(&publication)
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
        );
        Ok(Answer::new(h, rows))
    }
}

/// `GET /api/v1/region/stock`, `equitas region stock`: the countries'
/// published figures held by this regional server.
pub struct RegionStock;

pub struct RegionStockRequest {
    pub level: Level,
    pub month: Option<MonthIndex>,
    pub countries: Vec<String>,
    pub items: Vec<String>,
}

impl Operation for RegionStock {
    type Request = RegionStockRequest;
    type Row = FigureRow;
    const NEEDS: Needs = Needs::Store;
    const SCOPING: Scoping = Scoping::Rows(&[(Dim::Country, "country"), (Dim::Product, "item")]);

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/region/stock",
            "region",
            "Stock, months of stock and availability by country and item per month, from the countries' publications pulled (a regional server)",
            "docs/region.md; docs/formulas.md 3.2-3.9",
            vec![
                Param::new(
                    "level",
                    Kind::OneOf(LEVELS),
                    "Rows of this level: country (every country's totals) or the level a country publishes at.",
                )
                .default("country"),
                Param::new(
                    "month",
                    Kind::Month,
                    "Only this month (default: every month held).",
                ),
                Param::new(
                    "country",
                    Kind::List,
                    "Only these countries (ISO 3166 alpha-3).",
                ),
                Param::new(
                    "item",
                    Kind::List,
                    "Only these items (product codes or GTINs, as published).",
                ),
            ],
        )
    }

    fn request(a: &Args) -> Result<RegionStockRequest, ServiceError> {
        let level: String = a.value("level")?;
        Ok(RegionStockRequest {
            level: level.parse().map_err(|e: String| a.bad("level", e))?,
            month: a.month("month")?,
            countries: a
                .list::<String>("country")?
                .into_iter()
                .map(|c| c.to_ascii_uppercase())
                .collect(),
            items: a.list("item")?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &RegionStockRequest) -> Result<Answer<FigureRow>, ServiceError> {
        let month = r.month.map(calendar::format_month);
        let rows = held::figures(
            ctx.store,
            &held::Query {
                level: r.level.as_str().into(),
                month: month.clone(),
                countries: r.countries.clone(),
                items: r.items.clone(),
            },
        )?;
        let publications = held::held(ctx.store)?;
        let mut countries: BTreeSet<String> = held::sources(ctx.store)?
            .into_iter()
            .map(|s| s.country)
            .chain(publications.iter().map(|p| p.country.clone()))
            .collect();
        if !r.countries.is_empty() {
            countries = r.countries.iter().cloned().collect();
        }
        // Only the countries the caller may see are named.
        let scope = ctx.scope().clone();
        countries.retain(|c| scope.allows(&[(Dim::Country, Some(c.as_str()))]));
        let (covered, notes) =
            equitas_region::coverage(&countries, &publications, month.as_deref(), r.level);
        let mut h = Head {
            method: Some(format!(
                "{METHOD}. Each country's rows as it published them, by (country, month, level, location, item); countries and months without a publication held are named in the notes"
            )),
            ..Head::default()
        };
        h.extra.insert(
            "coverage".into(),
            serde_json::to_value(&covered).map_err(|e| ServiceError::Internal(e.to_string()))?,
        );
        let mut a = Answer::new(h, rows);
        a.notes = notes;
        Ok(a)
    }
}

/// Fetches a path (with its query) from a country's server, with its
/// token: the JSON answer.
pub trait Fetch {
    fn get(&mut self, path: &str) -> Result<serde_json::Value, String>;
}

/// What a pull of one country did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pulled {
    pub new: Vec<String>,
    pub republished: Vec<String>,
    pub unchanged: usize,
    pub rows: u64,
}

/// Why a pull of a country failed.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The source: unreachable, refused the token, another format...
    #[error("{0}")]
    Source(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every row of a paged answer at `path`, with the head of each page
/// (the answer without its rows).
fn all_rows(
    fetch: &mut dyn Fetch,
    path: &str,
) -> Result<(Vec<serde_json::Value>, Vec<serde_json::Value>), PullError> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut rows = Vec::new();
    let mut heads = Vec::new();
    loop {
        let mut page = fetch
            .get(&format!("{path}{sep}offset={}&limit=1000", rows.len()))
            .map_err(PullError::Source)?;
        let total = page["total"].as_u64().ok_or_else(|| {
            PullError::Source(format!("{path}: not an answer of Equitas (no total)"))
        })?;
        let got = match page.get_mut("rows").map(serde_json::Value::take) {
            Some(serde_json::Value::Array(v)) => v,
            _ => Vec::new(),
        };
        let empty = got.is_empty();
        rows.extend(got);
        heads.push(page);
        if rows.len() as u64 >= total || empty {
            break;
        }
    }
    Ok((heads, rows))
}

fn bad(what: &str, e: impl std::fmt::Display) -> PullError {
    PullError::Source(format!("{what}: not in the publication format: {e}"))
}

/// Pulls `country`'s new and republished months through `fetch` into the
/// store, each month in one transaction (replacing the month held). A
/// month whose figures changed while it was read (pages of different
/// digests) is refused (pull again).
pub fn pull(
    store: &mut dyn Store,
    country: &str,
    fetch: &mut dyn Fetch,
) -> Result<Pulled, PullError> {
    let (_, list) = all_rows(fetch, "/api/v1/publications")?;
    let offered: Vec<Publication> = list
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .map_err(|e| bad("/api/v1/publications", e))?;
    for p in &offered {
        equitas_region::check(p, country).map_err(PullError::Source)?;
    }
    let held: BTreeMap<String, String> = held::held(store)?
        .into_iter()
        .filter(|p| p.country == country)
        .map(|p| (p.month, p.digest))
        .collect();
    let mut done = Pulled::default();
    for (p, what) in equitas_region::to_pull(&offered, &held) {
        if what == Pull::Unchanged {
            done.unchanged += 1;
            continue;
        }
        let path = format!("/api/v1/publications/figures?month={}", p.month);
        let (heads, rows) = all_rows(fetch, &path)?;
        let described: Vec<Publication> = heads
            .into_iter()
            .map(|h| serde_json::from_value(h["publication"].clone()))
            .collect::<Result<_, _>>()
            .map_err(|e| bad(&path, e))?;
        let Some(publication) = described.first().cloned() else {
            return Err(bad(&path, "no answer"));
        };
        equitas_region::check(&publication, country).map_err(PullError::Source)?;
        let rows: Vec<FigureRow> = rows
            .into_iter()
            .map(serde_json::from_value)
            .collect::<Result<_, _>>()
            .map_err(|e| bad(&path, e))?;
        // Pages of one publication: the same digest on each, and its rows.
        let consistent = publication.month == p.month
            && rows.len() as u64 == publication.rows
            && described.iter().all(|d| d.digest == publication.digest);
        if !consistent {
            return Err(PullError::Source(format!(
                "{path}: the figures changed while they were read (a capture or import meanwhile): pull again"
            )));
        }
        held::save(store, &publication, &rows)?;
        done.rows += rows.len() as u64;
        match what {
            Pull::New => done.new.push(p.month.clone()),
            _ => done.republished.push(p.month.clone()),
        }
    }
    Ok(done)
}
