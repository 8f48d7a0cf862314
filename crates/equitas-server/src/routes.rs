//! Routes of `/api/v1`.

use crate::api_doc;
use crate::params::Params;
use crate::{AppState, Problem};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use equitas_market::analysis::{self, ConcentrationBands, Dataset, Dim, Period, Weight};
use equitas_market::methods;
use equitas_store::market::{self as mk};
use equitas_store::report;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;

type Q = Result<Query<HashMap<String, String>>, QueryRejection>;

fn params(q: Q) -> Result<Params, Problem> {
    q.map(|Query(m)| Params(m))
        .map_err(|e| Problem::bad_parameter("query", e.body_text()))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/status", get(status))
        .route("/openapi.json", get(openapi))
        .route("/api/docs", get(docs))
        .route("/api/v1/market/products", get(products))
        .route("/api/v1/market/prices", get(prices))
        .route("/api/v1/market/mpr", get(mpr))
        .route("/api/v1/market/affordability", get(affordability))
        .route("/api/v1/market/concentration", get(concentration))
        .route("/api/v1/market/delivery", get(delivery))
        .route("/api/v1/market/sources", get(sources))
        .route("/api/v1/stock", get(stock))
        .route("/api/v1/stock/problems", get(stock_problems))
        .route("/api/v1/stock/lots", get(stock_lots))
        .route("/api/v1/countries", get(countries))
        .route("/api/v1/items", get(items))
        .route("/api/v1/locations", get(locations))
        .route("/api/v1/epcis/summary", get(epcis_summary))
        .route("/api/v1/epcis/captures", get(capture_jobs))
        .route("/api/v1/availability", get(availability))
        .route("/api/v1/forecast", get(forecast))
        .route("/api/v1/plan", get(plan))
        .route("/api/v1/risk", get(risk))
        .fallback(|uri: axum::http::Uri| async move {
            Problem::not_found(format!(
                "no route {uri}; the API lives under /api/v1, EPCIS under /capture and /events"
            ))
        })
}

/// One page of a list: how many rows there are in all, and which are given.
#[derive(Serialize)]
struct Rows<T: Serialize> {
    /// Rows in all, before paging.
    total: usize,
    offset: usize,
    limit: usize,
    rows: Vec<T>,
}

impl<T: Serialize> Rows<T> {
    /// The page `(offset, limit)` of `all`.
    fn page(all: Vec<T>, (offset, limit): (usize, usize)) -> Self {
        Rows {
            total: all.len(),
            offset,
            limit,
            rows: all.into_iter().skip(offset).take(limit).collect(),
        }
    }
}

/// An answer as JSON.
fn answer<T: Serialize>(v: T) -> Result<Json<Value>, Problem> {
    serde_json::to_value(v)
        .map(Json)
        .map_err(|e| Problem::internal(e.to_string()))
}

/// A page of a market indicator, with what is behind it.
#[derive(Serialize)]
struct Page<T: Serialize> {
    method: String,
    period: Period,
    /// Observations (procurement lines...) behind the whole result.
    observations: usize,
    #[serde(flatten)]
    rows: Rows<T>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

fn page<T: Serialize>(
    method: String,
    obs: &Dataset,
    rows: Vec<T>,
    page: (usize, usize),
    notes: Vec<String>,
) -> Result<Json<Value>, Problem> {
    answer(Page {
        method,
        period: analysis::period(obs.iter()),
        observations: obs.len(),
        rows: Rows::page(rows, page),
        notes,
    })
}

fn load(st: &mut dyn equitas_store::Store, p: &Params) -> Result<Dataset, Problem> {
    let obs = mk::observations(st, &p.filter()?)?;
    if obs.is_empty() {
        return Err(Problem::missing_data(
            "no procurement lines match: load data (`equitas demo`, `equitas import scms`) or widen the filters",
        ));
    }
    Ok(Dataset::from(obs))
}

/// `GET /openapi.json`: the OpenAPI 3.1 description of the API.
async fn openapi() -> Json<Value> {
    Json(api_doc::openapi())
}

/// `GET /api/docs`: the same, as a page to read.
async fn docs() -> axum::response::Html<String> {
    axum::response::Html(api_doc::html())
}

async fn status(State(s): State<AppState>) -> Result<Json<Value>, Problem> {
    s.with_store(|st| {
        let version = equitas_store::migrations::current_version(st)?;
        let overview = report::overview(st)?;
        Ok(Json(json!({
            // The engine only: where the data lives is no business of a client.
            "database": st.backend().to_string(),
            "schema_version": version,
            "overview": overview,
        })))
    })
    .await
}

async fn products(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::PRODUCTS)?;
    s.with_store(move |st| {
        let obs = load(st, &p)?;
        let names = mk::names(st)?;
        let rows: Vec<Value> = analysis::prices(&obs, &[Dim::Product])
            .into_iter()
            .map(|r| {
                let code = &r.key[0];
                json!({"product": code, "name": names.products.get(code), "lines": r.lines})
            })
            .collect();
        page(methods::products(), &obs, rows, p.page()?, vec![])
    })
    .await
}

async fn prices(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::PRICES)?;
    s.with_store(move |st| {
        let mut by: Vec<Dim> = p.list("by")?;
        if by.is_empty() {
            by.push(Dim::Product);
        }
        let obs = load(st, &p)?;
        let rows = analysis::prices(&obs, &by);
        page(methods::prices(), &obs, rows, p.page()?, vec![])
    })
    .await
}

async fn mpr(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::MPR)?;
    s.with_store(move |st| {
        let by_country = p.or("by_country", false)?;
        let min_obs = p.or("min_observations", 4usize)?;
        let rate = p.or("exchange_rate", 1.0f64)?;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(Problem::bad_parameter(
                "exchange_rate",
                "must be a positive number",
            ));
        }
        let source: Option<String> = p.get("reference_source")?;
        let obs = load(st, &p)?;
        let refs = mk::reference_prices(st, source.as_deref())?;
        if refs.is_empty() {
            return Err(Problem::missing_data(
                "no reference prices loaded (`equitas import reference-prices FILE`)",
            ));
        }
        let r = analysis::mpr(&obs, &refs, by_country, min_obs, rate);
        let notes = r
            .basket
            .iter()
            .map(|(k, m, n)| format!("basket ({k}): median MPR {m:.2} over {n} products"))
            .collect();
        page(methods::mpr(rate, min_obs), &obs, r.rows, p.page()?, notes)
    })
    .await
}

async fn affordability(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::AFFORDABILITY)?;
    s.with_store(move |st| {
        let obs = load(st, &p)?;
        let wages = mk::wages(st)?;
        if wages.is_empty() {
            return Err(Problem::missing_data(
                "no wages loaded (`equitas import wages FILE`)",
            ));
        }
        let rows = analysis::affordability(&obs, &mk::courses(st)?, &wages);
        page(methods::affordability(), &obs, rows, p.page()?, vec![])
    })
    .await
}

async fn concentration(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::CONCENTRATION)?;
    s.with_store(move |st| {
        let mut per: Vec<Dim> = p.list("per")?;
        if per.is_empty() {
            per.push(Dim::Product);
        }
        let by = p.or("by", Dim::Supplier)?;
        if !matches!(by, Dim::Supplier | Dim::Site | Dim::SiteCountry) {
            return Err(Problem::bad_parameter(
                "by",
                "must be supplier, site or site-country",
            ));
        }
        let weight = p.or("weight", Weight::Value)?;
        let mut t: Vec<f64> = p.list("bands")?;
        t.sort_by(f64::total_cmp);
        t.dedup();
        let bands = if t.is_empty() {
            ConcentrationBands::default()
        } else {
            ConcentrationBands::from_thresholds(t)
                .map_err(|e| Problem::bad_parameter("bands", e))?
        };
        let obs = load(st, &p)?;
        let rows = analysis::concentration_table(&obs, &per, by, weight, &bands);
        page(
            methods::concentration(by, weight, &bands),
            &obs,
            rows,
            p.page()?,
            vec![],
        )
    })
    .await
}

async fn delivery(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::DELIVERY)?;
    s.with_store(move |st| {
        let mut by: Vec<Dim> = p.list("by")?;
        if by.is_empty() {
            by.push(Dim::Supplier);
        }
        let tolerance = p.or("tolerance", 0i64)?;
        let obs = load(st, &p)?;
        let rows = analysis::delivery(&obs, &by, tolerance);
        page(methods::delivery(tolerance), &obs, rows, p.page()?, vec![])
    })
    .await
}

async fn sources(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::SOURCES)?;
    s.with_store(move |st| {
        let on = p
            .get::<NaiveDate>("on")?
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let country: Option<String> = p.get("country")?;
        let rows = mk::legal_sources(st, on, country.as_deref())?;
        let pq = mk::prequalified_sources(st, "vaccines")?;
        #[derive(Serialize)]
        struct Sources<T: Serialize> {
            method: String,
            on: NaiveDate,
            observations: i64,
            #[serde(flatten)]
            rows: Rows<T>,
            prequalified_vaccines: Vec<Value>,
        }
        answer(Sources {
            method: methods::sources(on),
            on,
            observations: rows.iter().map(|r| r.authorisations).sum::<i64>(),
            rows: Rows::page(rows, p.page()?),
            prequalified_vaccines: pq
                .iter()
                .map(|(t, m, n)| json!({"product_type": t, "manufacturers": m, "presentations": n}))
                .collect(),
        })
    })
    .await
}

fn has_stock(data: &equitas_store::stock::StockData) -> Result<(), Problem> {
    if data.ledger.through().is_none() {
        return Err(Problem::missing_data(
            "no stock data: capture EPCIS events (POST /capture) or import stock reports",
        ));
    }
    Ok(())
}

fn day_param(p: &Params, name: &str) -> Result<Option<i32>, Problem> {
    match p.get::<String>(name)? {
        None => Ok(None),
        Some(s) => equitas_ledger::calendar::parse_day(&s)
            .map(Some)
            .ok_or_else(|| {
                Problem::bad_parameter(name, format!("{s:?} is not a date (YYYY-MM-DD)"))
            }),
    }
}

fn within_param(
    p: &Params,
    data: &equitas_store::stock::StockData,
) -> Result<Option<String>, Problem> {
    let w: Option<String> = p.get("within")?;
    if let Some(c) = &w
        && data.places.get(c).is_none()
    {
        return Err(Problem::not_found(format!(
            "within: no location {c:?} (GET /api/v1/stock lists the locations)"
        )));
    }
    Ok(w)
}

#[derive(Serialize)]
struct StockPage<T: Serialize> {
    method: String,
    as_of: Option<String>,
    /// Movements behind the ledger.
    movements: usize,
    #[serde(flatten)]
    rows: Rows<T>,
}

fn stock_page<T: Serialize>(
    method: &str,
    data: &equitas_store::stock::StockData,
    as_of: Option<i32>,
    rows: Vec<T>,
    page: (usize, usize),
) -> Result<Json<Value>, Problem> {
    answer(StockPage {
        method: method.to_string(),
        as_of: as_of
            .or(data.ledger.through())
            .map(equitas_ledger::calendar::format_day),
        movements: data.ledger.movement_count(),
        rows: Rows::page(rows, page),
    })
}

/// `GET /api/v1/stock`: the rows of `equitas stock`.
pub(crate) async fn stock(State(s): State<AppState>, q: Q) -> Result<Response, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::STOCK)?;
    let key = p.key(api_doc::STOCK.path);
    s.cached(key, move |data, _| {
        has_stock(data)?;
        let as_of = day_param(&p, "as_of")?;
        let level: Option<equitas_model::LocationLevel> = p.get("level")?;
        let statuses = p
            .list::<String>("status")?
            .into_iter()
            .map(|x| {
                equitas_ledger::indicators::Status::from_name(&x).ok_or_else(|| {
                    Problem::bad_parameter(
                        "status",
                        format!("{x:?}: use stocked_out, below_min, adequate, above_max or no_consumption"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let q = equitas_ledger::view::StockQuery {
            as_of,
            window: p.or("window", 3u32)?.max(1),
            horizon: p.or("horizon", 3i32)?.max(0),
            within: within_param(&p, data)?,
            level,
            items: p.list("item")?,
            statuses,
        };
        let rows = equitas_ledger::view::stock(&data.ledger, &data.places, &data.bands, &q);
        stock_page("docs/formulas.md 3.2-3.8", data, as_of, rows, p.page()?)
    })
    .await
}

/// `GET /api/v1/stock/problems`.
pub(crate) async fn stock_problems(State(s): State<AppState>, q: Q) -> Result<Response, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::STOCK_PROBLEMS)?;
    let key = p.key(api_doc::STOCK_PROBLEMS.path);
    s.cached(key, move |data, _| {
        has_stock(data)?;
        let within = within_param(&p, data)?;
        let rows = equitas_ledger::view::problems(&data.ledger, &data.places, within.as_deref());
        stock_page("docs/formulas.md 3.10", data, None, rows, p.page()?)
    })
    .await
}

/// `GET /api/v1/stock/lots`.
pub(crate) async fn stock_lots(State(s): State<AppState>, q: Q) -> Result<Response, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::STOCK_LOTS)?;
    let key = p.key(api_doc::STOCK_LOTS.path);
    s.cached(key, move |data, _| {
        has_stock(data)?;
        let within = within_param(&p, data)?;
        let as_of = day_param(&p, "as_of")?;
        let expiring: Option<i32> = p.get("expiring")?;
        let items: Vec<String> = p.list("item")?;
        let rows = equitas_ledger::view::lots(
            &data.ledger,
            &data.places,
            within.as_deref(),
            &items,
            as_of,
            expiring,
        );
        stock_page("docs/formulas.md 3.2, 3.8", data, as_of, rows, p.page()?)
    })
    .await
}

/// `GET /api/v1/countries`.
async fn countries(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::COUNTRIES)?;
    s.with_store(move |st| answer(Rows::page(report::countries(st)?, p.page()?)))
        .await
}

/// `GET /api/v1/items`: the ledger's items, named from the catalogue.
pub(crate) async fn items(State(s): State<AppState>, q: Q) -> Result<Response, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::ITEMS)?;
    let key = p.key(api_doc::ITEMS.path);
    s.cached(key, move |data, _| {
        let programme: Option<String> = p.get("programme")?;
        let rows: Vec<Value> = data
            .items()
            .into_iter()
            .filter(|(_, info)| match &programme {
                None => true,
                Some(want) => info.and_then(|i| i.programme.as_deref()) == Some(want.as_str()),
            })
            .map(|(code, info)| {
                json!({
                    "item": code,
                    "name": info.map(|i| i.name.as_str()),
                    "product": info.map(|i| i.product.as_str()),
                    "programme": info.and_then(|i| i.programme.as_deref()),
                    "category": info.map(|i| i.category.as_str()),
                })
            })
            .collect();
        stock_page("", data, None, rows, p.page()?)
    })
    .await
}

/// `GET /api/v1/locations`: places with their parent and level.
pub(crate) async fn locations(State(s): State<AppState>, q: Q) -> Result<Response, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::LOCATIONS)?;
    let key = p.key(api_doc::LOCATIONS.path);
    s.cached(key, move |data, _| {
        let within = within_param(&p, data)?;
        let level: Option<equitas_model::LocationLevel> = p.get("level")?;
        let rows: Vec<Value> = data
            .places
            .list
            .iter()
            .filter(|pl| level.is_none() || pl.level == level)
            .filter(|pl| {
                within
                    .as_deref()
                    .is_none_or(|w| data.places.is_within(&pl.code, w))
            })
            .map(|pl| {
                json!({
                    "code": pl.code,
                    "name": pl.name,
                    "level": pl.level.map(|l| l.as_str()),
                    "parent": pl.parent,
                    "gln": pl.gln,
                })
            })
            .collect();
        stock_page("", data, None, rows, p.page()?)
    })
    .await
}

/// `GET /api/v1/epcis/summary`: counted once per state of the repository
/// (the newest capture's commit number tells), as counting millions of events takes seconds.
async fn epcis_summary(State(s): State<AppState>) -> Result<Json<Value>, Problem> {
    let memo = s.epcis_summary.clone();
    s.with_store(move |st| {
        let newest = equitas_store::epcis::newest_capture(st)?;
        // Held while the summary is counted, so that requests arriving
        // meanwhile wait for that count instead of each making its own.
        let mut m = memo
            .lock()
            .map_err(|_| Problem::internal("the EPCIS summary memo was poisoned"))?;
        if let Some((at, v)) = m.as_ref()
            && *at == newest
        {
            return Ok(Json(v.clone()));
        }
        let Json(v) = answer(equitas_store::epcis::summary(st)?)?;
        *m = Some((newest, v.clone()));
        Ok(Json(v))
    })
    .await
}

/// `GET /api/v1/epcis/captures`: capture jobs, newest first.
async fn capture_jobs(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::CAPTURE_JOBS)?;
    s.with_store(move |st| {
        let (offset, limit) = p.page()?;
        let (total, rows) = equitas_store::epcis::capture_jobs(st, offset, limit)?;
        answer(Rows {
            total: usize::try_from(total).unwrap_or(0),
            offset,
            limit,
            rows,
        })
    })
    .await
}

/// `GET /api/v1/availability`.
pub(crate) async fn availability(State(s): State<AppState>, q: Q) -> Result<Response, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::AVAILABILITY)?;
    let key = p.key(api_doc::AVAILABILITY.path);
    s.cached(key, move |data, _| {
        has_stock(data)?;
        let by = p.or("by", equitas_model::LocationLevel::Country)?;
        let items: Vec<String> = p.list("item")?;
        let basket = p.or("basket", false)?;
        let last = day_param(&p, "date")?
            .or(data.ledger.through())
            .unwrap_or_default();
        let months = p.or("months", 1u32)?.min(120);
        let dates = equitas_ledger::view::availability_dates(last, months);
        let rows = equitas_ledger::view::availability(
            &data.ledger,
            &data.places,
            by,
            &items,
            basket,
            &dates,
        );
        stock_page("docs/formulas.md 3.9", data, Some(last), rows, p.page()?)
    })
    .await
}

fn quantify_request(
    p: &Params,
    default_horizon: usize,
) -> Result<equitas_planning::quantify::Request, Problem> {
    let method = match p.get::<String>("method")?.as_deref() {
        None | Some("auto") => None,
        Some(m) => Some(equitas_planning::Method::from_name(m).ok_or_else(|| {
            Problem::bad_parameter(
                "method",
                format!("{m:?}: use auto or a method of docs/formulas.md 4.2"),
            )
        })?),
    };
    let horizon: usize = p.or("horizon", default_horizon)?;
    if !(1..=60).contains(&horizon) {
        return Err(Problem::bad_parameter("horizon", "from 1 to 60 months"));
    }
    Ok(equitas_planning::quantify::Request {
        level: p.or("level", equitas_model::LocationLevel::Country)?,
        items: p.list("item")?,
        history: p.or("history", 36usize)?.clamp(1, 240),
        horizon,
        method,
        lead_time: p.or("lead_time", 4usize)?.min(60),
        min_months: p.get("min")?,
        max_months: p.get("max")?,
        unit_price: p.get("unit_price")?,
        ..equitas_planning::quantify::Request::default()
    })
}

fn quantified(
    data: &equitas_store::stock::StockData,
    r: &equitas_planning::quantify::Request,
) -> Result<(Vec<equitas_planning::quantify::Quantified>, i32), Problem> {
    equitas_planning::quantify::quantify(&data.ledger, &data.places, &data.bands, r)
        .map_err(|e| Problem::missing_data(e.to_string()))
}

/// `GET /api/v1/forecast`.
pub(crate) async fn forecast(State(s): State<AppState>, q: Q) -> Result<Response, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::FORECAST)?;
    let key = p.key(api_doc::FORECAST.path);
    s.cached(key, move |data, _| {
        let r = quantify_request(&p, 12)?;
        let (q, last) = quantified(data, &r)?;
        let months: Vec<String> = (1..=r.horizon as i32)
            .map(|k| equitas_ledger::calendar::format_month(last + k))
            .collect();
        let rows: Vec<Value> = q
            .iter()
            .map(|x| {
                json!({"area": x.series.area, "area_name": x.series.area_name, "item": x.series.item, "item_name": x.series.item_name,
                       "history_from": x.series.first_month, "history": x.series.values,
                       "months": months, "forecast": x.choice})
            })
            .collect();
        stock_page("docs/formulas.md 4.1-4.5", data, None, rows, p.page()?)
    })
    .await
}

/// In-transit shipments between the hierarchy's locations, as pipeline.
fn with_transit(
    mut r: equitas_planning::quantify::Request,
    data: &equitas_store::stock::StockData,
    st: &mut dyn equitas_store::Store,
) -> Result<equitas_planning::quantify::Request, Problem> {
    if let Some(as_of) = data.ledger.through() {
        let legs = equitas_store::stock::transit_legs(st)?;
        r.pipeline = equitas_planning::quantify::incoming_from_transit(&legs, &data.places, as_of);
    }
    Ok(r)
}

/// `GET /api/v1/plan`.
pub(crate) async fn plan(State(s): State<AppState>, q: Q) -> Result<Response, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::PLAN)?;
    let key = p.key(api_doc::PLAN.path);
    s.cached(key, move |data, st| {
        let r = with_transit(quantify_request(&p, 18)?, data, st)?;
        let (q, last) = quantified(data, &r)?;
        let rows = equitas_planning::quantify::plans(&q, last);
        stock_page("docs/formulas.md 4.7", data, None, rows, p.page()?)
    })
    .await
}

/// `GET /api/v1/risk`.
pub(crate) async fn risk(State(s): State<AppState>, q: Q) -> Result<Response, Problem> {
    let p = params(q)?;
    api_doc::check(&p, &api_doc::RISK)?;
    let key = p.key(api_doc::RISK.path);
    s.cached(key, move |data, st| {
        let r = with_transit(quantify_request(&p, 18)?, data, st)?;
        let paths: usize = p.or("paths", 1000usize)?;
        let delays = equitas_store::market::delivery_delays_months(st)?;
        let (q, last) = quantified(data, &r)?;
        let rows = equitas_planning::quantify::risks(
            &q,
            last,
            &delays,
            paths,
            p.or("seed", 1u64)?,
            !p.or("without_orders", false)?,
        );
        stock_page("docs/formulas.md 4.8", data, None, rows, p.page()?)
    })
    .await
}
