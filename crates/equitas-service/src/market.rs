//! Market operations: prices, median price ratios, affordability,
//! concentration, delivery and legal sources (docs/formulas.md 2), from the
//! procurement lines and registers in the store.

use crate::error::ServiceError;
use crate::op::{Answer, Ctx, Endpoint, Head, Needs, Operation, Scoping};
use crate::param::{Args, Kind, Param};
use crate::vocab;
use chrono::NaiveDate;
use equitas_market::analysis::{self, ConcentrationBands, Dataset, Dim, Key, Weight};
use equitas_market::methods;
use equitas_store::market::{self as mk, Filter, Names};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Which procurement lines, for every market figure.
pub(crate) fn scope() -> Vec<Param> {
    vec![
        Param::new(
            "product",
            Kind::List,
            "Only these products: codes (`equitas market products`, GET /api/v1/market/products).",
        ),
        Param::new(
            "programme",
            Kind::OneOf(vocab::programmes()),
            "Only products of this programme.",
        ),
        Param::new(
            "country",
            Kind::List,
            "Only these buyer countries: ISO 3166 alpha-3.",
        ),
        Param::new("from", Kind::Date, "Delivered on or after this date."),
        Param::new("to", Kind::Date, "Delivered on or before this date."),
    ]
}

fn with_scope(mut p: Vec<Param>) -> Vec<Param> {
    p.extend(scope());
    p
}

pub(crate) fn filter(a: &Args) -> Result<Filter, ServiceError> {
    let from = a.get::<NaiveDate>("from")?;
    let to = a.get::<NaiveDate>("to")?;
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        // A valid request no line can match: said so, naming `to`.
        return Err(ServiceError::OutsideData {
            param: a.display("to"),
            reason: format!("{t} is before from ({f}): no day is both"),
        });
    }
    Ok(Filter {
        products: a.list("product")?,
        programme: a.get("programme")?,
        countries: a.list("country")?,
        from,
        to,
    })
}

/// Refuses a filter naming a product or a buyer country the store does not
/// know: a typing error (`nope`, `nga` for `NGA`) would otherwise select
/// nothing, or less than asked, and read as "no lines match: load some".
/// A code written in another case is suggested.
pub(crate) fn known_codes(
    store: &mut dyn equitas_store::Store,
    f: &Filter,
) -> Result<(), ServiceError> {
    if f.products.is_empty() && f.countries.is_empty() {
        return Ok(());
    }
    let names = mk::names(store, equitas_model::Lang::En)?;
    let check = |param: &str,
                 what: &str,
                 asked: &[String],
                 known: &std::collections::HashMap<String, String>,
                 list: &str| {
        for code in asked {
            if known.contains_key(code) {
                continue;
            }
            let like = suggest(code, known);
            let reason = match like {
                Some(k) => format!("{code:?} is not a known {what}; did you mean {k:?}?"),
                None => format!("{code:?} is not a known {what} ({list})"),
            };
            return Err(ServiceError::Unknown {
                param: param.into(),
                reason,
            });
        }
        Ok(())
    };
    check(
        "product",
        "product code",
        &f.products,
        &names.products,
        "`equitas market products`, GET /api/v1/market/products",
    )?;
    check(
        "country",
        "country code",
        &f.countries,
        &names.countries,
        "ISO 3166 alpha-3, in capitals",
    )
}

/// The known code `asked` most likely meant, among `known` (code -> name),
/// by its code or its name ([`equitas_model::suggest`]: `Nigeria` or `nga`
/// for `NGA`, `efavirenz-600-tablet` for `efavirenz-600mg-tablet`, not
/// `nope` for anything).
fn suggest<'a>(
    asked: &str,
    known: &'a std::collections::HashMap<String, String>,
) -> Option<&'a String> {
    equitas_model::suggest::did_you_mean(
        asked,
        known
            .iter()
            .flat_map(|(k, n)| [(k, k.as_str()), (k, n.as_str())]),
    )
}

/// Why no procurement line matched `f`: none loaded, or none within the
/// filters (whose codes [`known_codes`] checked).
pub(crate) fn no_lines(store: &mut dyn equitas_store::Store, f: &Filter) -> ServiceError {
    let any = store
        .query_scalar(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM procurement_lines) THEN 1 ELSE 0 END",
            &[],
        )
        .and_then(|v| v.get::<bool>());
    let filtered = !f.products.is_empty()
        || !f.countries.is_empty()
        || f.programme.is_some()
        || f.from.is_some()
        || f.to.is_some();
    match any {
        Ok(true) if filtered => ServiceError::missing(
            "no procurement line matches these filters (product, programme, country, from, to) within your scope: widen them",
        ),
        _ => ServiceError::missing(
            "no procurement lines are loaded within your scope: load some (`equitas demo`, `equitas import scms FILE`)",
        ),
    }
}

/// What `read` makes of the procurement lines `f` selects, with the lines,
/// once [`known_codes`] has checked `f`'s codes; no line is [`no_lines`].
pub(crate) fn read_lines<T, O>(
    store: &mut dyn equitas_store::Store,
    f: &Filter,
    read: impl FnOnce(&mut dyn equitas_store::Store) -> Result<(T, Vec<O>), equitas_store::StoreError>,
) -> Result<(T, Vec<O>), ServiceError> {
    known_codes(store, f)?;
    let (made, lines) = read(store)?;
    if lines.is_empty() {
        return Err(no_lines(store, f));
    }
    Ok((made, lines))
}

/// The procurement lines the filter selects; none is missing data.
/// Lines outside the caller's scope (buying country, product) are not read.
fn load(ctx: &mut Ctx<'_>, f: &Filter) -> Result<Dataset, ServiceError> {
    use crate::op::Dim as D;
    known_codes(ctx.store, f)?;
    let mut obs = mk::observations(ctx.store, f)?;
    let scope = ctx.scope();
    if !scope.is_all() {
        obs.retain(|o| {
            scope.allows(&[
                (D::Country, Some(&o.buyer_country)),
                (D::Product, Some(&o.product)),
            ])
        });
    }
    if obs.is_empty() {
        return Err(no_lines(ctx.store, f));
    }
    Ok(Dataset::from(obs))
}

/// The names of the codes an answer shows, under the field each is named
/// in (`labels.country["NGA"]`), in the language the names were read in:
/// what market, supply and scenario answers carry as `labels`. A code the
/// store has no name for is left out.
pub struct Labels<'a> {
    names: &'a Names,
    out: BTreeMap<String, Map<String, Value>>,
}

impl<'a> Labels<'a> {
    pub fn new(names: &'a Names) -> Self {
        Labels {
            names,
            out: BTreeMap::new(),
        }
    }

    /// Names `code`, of dimension `d`, under `field`.
    pub fn add(&mut self, d: Dim, field: &str, code: &str) {
        if let Some(n) = name(self.names, d, code) {
            self.out
                .entry(field.to_string())
                .or_default()
                .insert(code.to_string(), json!(n));
        }
    }

    pub fn into_value(self) -> Value {
        json!(self.out)
    }
}

/// The names of the codes in the rows' keys, by dimension, so that every
/// code can be shown by its name (`labels.supplier["aurobindo-pharma-limited"]`).
fn labels<'a>(names: &Names, dims: &[Dim], keys: impl Iterator<Item = &'a Key>) -> Value {
    let mut l = Labels::new(names);
    for key in keys {
        for (d, v) in dims.iter().zip(key) {
            l.add(*d, d.as_str(), v);
        }
    }
    l.into_value()
}

/// One dimension value for a note: its name with the code beside
/// ("Efavirenz 600 mg tablet (efavirenz-600mg-tablet)"), or the code
/// alone where the store knows no other name.
pub(crate) fn name_and_code(names: &Names, d: Dim, v: &str) -> String {
    match name(names, d, v) {
        Some(n) if n != v => format!("{n} ({v})"),
        _ => v.to_string(),
    }
}

/// Puts rows in the order of the names shown for their key, dimension by
/// dimension, as a reader looks them up (Benin before Burundi, though BEN
/// follows BDI): case, accents and punctuation aside (`slug`), the code
/// where the store knows no name (years, modes), then the code to break a
/// tie.
fn in_name_order<R>(names: &Names, dims: &[Dim], rows: &mut [R], key: impl Fn(&R) -> Vec<&str>) {
    rows.sort_by_cached_key(|r| {
        dims.iter()
            .zip(key(r))
            .map(|(d, v)| {
                let shown = name(names, *d, v).map_or(v, String::as_str);
                (equitas_model::slug(shown), v.to_string())
            })
            .collect::<Vec<_>>()
    });
}

/// The name of one dimension value, where the store knows it.
pub fn name<'a>(names: &'a Names, d: Dim, v: &str) -> Option<&'a String> {
    let m = match d {
        Dim::Product => &names.products,
        Dim::Supplier => &names.organisations,
        Dim::BuyerCountry | Dim::SiteCountry => &names.countries,
        Dim::Site => &names.sites,
        Dim::Mode | Dim::Year => return None,
    };
    m.get(v)
}

fn head(method: String, obs: &Dataset, labels: Value) -> Head {
    let mut h = Head {
        method: Some(method),
        period: Some(analysis::period(obs.iter())),
        observations: Some(obs.len() as i64),
        observed: Some("procurement lines"),
        ..Head::default()
    };
    h.extra.insert("labels".into(), labels);
    h
}

fn dims(a: &Args, name: &str) -> Result<Vec<Dim>, ServiceError> {
    a.list(name)
}

fn dims_param(name: &'static str, doc: &'static str, default: &'static str) -> Param {
    Param::new(name, Kind::ListOf(vocab::dims()), doc).default(default)
}

/// `GET /api/v1/market/products`, `equitas market products`.
pub struct Products;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ProductRow {
    pub product: String,
    pub name: Option<String>,
    pub lines: usize,
}

impl Operation for Products {
    type Request = Filter;
    type Row = ProductRow;
    const NEEDS: Needs = Needs::Store;
    const SCOPING: Scoping = Scoping::Inputs;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/market/products",
            "market",
            "Products with procurement lines",
            "docs/formulas.md 2",
            scope(),
        )
    }

    fn request(a: &Args) -> Result<Filter, ServiceError> {
        filter(a)
    }

    fn run(ctx: &mut Ctx<'_>, f: &Filter) -> Result<Answer<ProductRow>, ServiceError> {
        let obs = load(ctx, f)?;
        let names = mk::names(ctx.store, ctx.lang)?;
        let rows = analysis::prices(&obs, &[Dim::Product])
            .into_iter()
            .map(|r| ProductRow {
                name: names.products.get(&r.key[0]).cloned(),
                product: r.key[0].clone(),
                lines: r.lines,
            })
            .collect();
        Ok(Answer::new(
            head(methods::products(), &obs, json!({})),
            rows,
        ))
    }
}

/// `GET /api/v1/market/prices`, `equitas market prices`.
pub struct Prices;

pub struct GroupedRequest<T> {
    pub filter: Filter,
    pub by: Vec<Dim>,
    pub more: T,
}

impl Operation for Prices {
    type Request = GroupedRequest<()>;
    type Row = analysis::PriceRow;
    const NEEDS: Needs = Needs::Store;
    const SCOPING: Scoping = Scoping::Inputs;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/market/prices",
            "market",
            "Unit prices per comparison unit: quartiles, range, volume-weighted price",
            "docs/formulas.md 2.4-2.5",
            with_scope(vec![dims_param(
                "by",
                "Group by these dimensions.",
                "product",
            )]),
        )
    }

    fn request(a: &Args) -> Result<GroupedRequest<()>, ServiceError> {
        Ok(GroupedRequest {
            filter: filter(a)?,
            by: dims(a, "by")?,
            more: (),
        })
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &GroupedRequest<()>,
    ) -> Result<Answer<analysis::PriceRow>, ServiceError> {
        let obs = load(ctx, &r.filter)?;
        let names = mk::names(ctx.store, ctx.lang)?;
        let mut rows = analysis::prices(&obs, &r.by);
        in_name_order(&names, &r.by, &mut rows, |x| {
            x.key.iter().map(String::as_str).collect()
        });
        let l = labels(&names, &r.by, rows.iter().map(|x| &x.key));
        Ok(Answer::new(head(methods::prices(), &obs, l), rows))
    }
}

/// `GET /api/v1/market/mpr`, `equitas market mpr`.
pub struct Mpr;

pub struct MprRequest {
    pub filter: Filter,
    pub by_country: bool,
    pub min_observations: usize,
    pub exchange_rate: f64,
    pub reference_source: Option<String>,
}

impl Operation for Mpr {
    type Request = MprRequest;
    type Row = analysis::MprRow;
    const NEEDS: Needs = Needs::Store;
    const SCOPING: Scoping = Scoping::Inputs;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/market/mpr",
            "market",
            "WHO/HAI median price ratios",
            "docs/formulas.md 2.6",
            with_scope(vec![
                Param::new(
                    "by_country",
                    Kind::Bool,
                    "One ratio per product and buyer country instead of per product.",
                ),
                Param::new(
                    "min_observations",
                    Kind::Int {
                        min: 0,
                        max: i32::MAX as i64,
                    },
                    "Fewest price observations for a median price ratio.",
                )
                .default("4"),
                Param::new(
                    "exchange_rate",
                    Kind::Number {
                        min: 0.0,
                        max: 1e12,
                        exclusive: true,
                    },
                    "Local currency units per US$ (prices in the data are US$ for SCMS: 1).",
                )
                .default("1"),
                Param::new(
                    "reference_source",
                    Kind::Text,
                    "Reference prices of this source only, when several are loaded.",
                ),
            ]),
        )
    }

    fn request(a: &Args) -> Result<MprRequest, ServiceError> {
        Ok(MprRequest {
            filter: filter(a)?,
            by_country: a.flag("by_country")?,
            min_observations: a.value("min_observations")?,
            exchange_rate: a.value("exchange_rate")?,
            reference_source: a.get("reference_source")?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &MprRequest) -> Result<Answer<analysis::MprRow>, ServiceError> {
        let obs = load(ctx, &r.filter)?;
        let refs = mk::reference_prices(ctx.store, r.reference_source.as_deref())?;
        if refs.is_empty() {
            return Err(ServiceError::missing(match &r.reference_source {
                Some(s) => format!(
                    "no reference prices of source {s:?} loaded: `equitas import reference-prices FILE` (columns product, price_usd, source)"
                ),
                None => "no reference prices loaded: `equitas import reference-prices FILE` (columns product, price_usd, source)".into(),
            }));
        }
        let names = mk::names(ctx.store, ctx.lang)?;
        let mut m = analysis::mpr(
            &obs,
            &refs,
            r.by_country,
            r.min_observations,
            r.exchange_rate,
        );
        let dims: &[Dim] = if r.by_country {
            &[Dim::Product, Dim::BuyerCountry]
        } else {
            &[Dim::Product]
        };
        in_name_order(&names, dims, &mut m.rows, |x| {
            x.key.iter().map(String::as_str).collect()
        });
        let l = labels(&names, dims, m.rows.iter().map(|x| &x.key));
        // One basket per reference source (and buying country, per
        // country): a median over MPRs against different references, or
        // over one product's several countries, is no basket (2.6).
        let mut notes: Vec<String> = m
            .basket
            .iter()
            .map(|b| {
                format!(
                    "basket ({}, against {}{}): median MPR {:.2} over {} products",
                    b.kind,
                    b.reference_source,
                    b.country
                        .as_deref()
                        .map(|c| format!(", in {}", name_and_code(&names, Dim::BuyerCountry, c)))
                        .unwrap_or_default(),
                    b.median_mpr,
                    b.products
                )
            })
            .collect();
        // Products bought but without a reference price have no ratio:
        // named, so that none is left out unseen.
        let bought: std::collections::BTreeSet<&str> =
            obs.iter().map(|o| o.product.as_str()).collect();
        let with_row: std::collections::BTreeSet<&str> =
            m.rows.iter().map(|x| x.key[0].as_str()).collect();
        let named = |list: &[&str]| -> String {
            let shown: Vec<String> = list
                .iter()
                .take(10)
                .map(|p| name_and_code(&names, Dim::Product, p))
                .collect();
            let more = if list.len() > shown.len() {
                "; ..."
            } else {
                ""
            };
            format!("{}{more}", shown.join("; "))
        };
        let (unpriced, unclassed): (Vec<&str>, Vec<&str>) = bought
            .into_iter()
            .filter(|p| !with_row.contains(p))
            .partition(|p| !refs.contains_key(*p));
        if !unpriced.is_empty() {
            notes.push(format!(
                "{} product(s) bought have no reference price{} and so no ratio: {}",
                unpriced.len(),
                r.reference_source
                    .as_deref()
                    .map_or(String::new(), |s| format!(" of source {s:?}")),
                named(&unpriced)
            ));
        }
        if !unclassed.is_empty() {
            notes.push(format!(
                "{} product(s) with a reference price have no line with a unit price known as originator or generic (brand unknown) and so no ratio: {}",
                unclassed.len(),
                named(&unclassed)
            ));
        }
        let sources: std::collections::BTreeSet<&str> =
            refs.values().map(|p| p.source.as_str()).collect();
        let sources: Vec<&str> = sources.into_iter().collect();
        // Several sources, none asked for: each product's ratio is against
        // its first source in alphabetical order (2.6), so the table mixes
        // them; said, with how many products each prices.
        if r.reference_source.is_none() && sources.len() > 1 {
            let per: Vec<String> = sources
                .iter()
                .map(|s| {
                    let n = refs.values().filter(|p| p.source == *s).count();
                    format!("{n} product(s) against {:?}", equitas_model::clip(s))
                })
                .collect();
            notes.push(format!(
                "reference prices of several sources loaded, each product's ratio against its first source in alphabetical order: {}; give reference_source (--reference-source) to compare every product against one",
                per.join(", ")
            ));
        }
        let mut a = Answer::new(
            head(
                methods::mpr(r.exchange_rate, r.min_observations, &sources),
                &obs,
                l,
            ),
            m.rows,
        );
        a.notes = notes;
        Ok(a)
    }
}

/// `GET /api/v1/market/pooled-prices`, `equitas market pooled-prices`.
pub struct PooledPrices;

pub struct PooledRequest {
    pub filter: Filter,
    pub min_observations: usize,
    pub lines_name: String,
}

impl Operation for PooledPrices {
    const SCOPING: Scoping = Scoping::Inputs;
    type Request = PooledRequest;
    type Row = analysis::PooledPrice;
    const NEEDS: Needs = Needs::Store;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/market/pooled-prices",
            "market",
            "Pooled reference prices: each product's median unit price over the lines selected, in the layout `import reference-prices` reads",
            "docs/formulas.md 2.6",
            with_scope(vec![
                Param::new(
                    "min_observations",
                    Kind::Int {
                        min: 1,
                        max: i32::MAX as i64,
                    },
                    "Fewest lines with a unit price for a product's pooled price.",
                )
                .default("4"),
                Param::new(
                    "lines_name",
                    Kind::Text,
                    "What the lines are, written into each price's source.",
                )
                .default("procurement lines as imported"),
            ]),
        )
    }

    fn request(a: &Args) -> Result<PooledRequest, ServiceError> {
        Ok(PooledRequest {
            filter: filter(a)?,
            min_observations: a.value("min_observations")?,
            lines_name: a.value("lines_name")?,
        })
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &PooledRequest,
    ) -> Result<Answer<analysis::PooledPrice>, ServiceError> {
        let obs = load(ctx, &r.filter)?;
        let period = analysis::period(obs.iter());
        let day = |d: Option<NaiveDate>| d.map_or("?".to_string(), |d| d.to_string());
        let source = format!(
            "pooled median unit price of {}, deliveries {} to {} (Equitas, docs/formulas.md 2.6)",
            r.lines_name,
            day(period.from),
            day(period.to)
        );
        let units = mk::comparison_units(ctx.store)?;
        let mut rows = analysis::pooled_prices(&obs, r.min_observations, &source, &|p| {
            units.get(p).cloned()
        });
        let names = mk::names(ctx.store, ctx.lang)?;
        in_name_order(&names, &[Dim::Product], &mut rows, |x| vec![&x.product]);
        let keys: Vec<Key> = rows.iter().map(|x| vec![x.product.clone()]).collect();
        let l = labels(&names, &[Dim::Product], keys.iter());
        Ok(Answer::new(
            head(methods::pooled_prices(r.min_observations), &obs, l),
            rows,
        ))
    }
}

/// `GET /api/v1/market/affordability`, `equitas market affordability`.
pub struct Affordability;

pub struct AffordabilityRequest {
    pub filter: Filter,
    pub min_observations: usize,
}

impl Operation for Affordability {
    type Request = AffordabilityRequest;
    type Row = analysis::AffordabilityRow;
    const NEEDS: Needs = Needs::Store;
    const SCOPING: Scoping = Scoping::Inputs;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/market/affordability",
            "market",
            "Affordability in days' wages of a standard treatment course, originator brand and lowest-priced generic apart",
            "docs/formulas.md 2.7",
            with_scope(vec![
                Param::new(
                    "min_observations",
                    Kind::Int {
                        min: 0,
                        max: i32::MAX as i64,
                    },
                    "Fewest price observations for the days' wages to be computed (as for a median price ratio).",
                )
                .default("4"),
            ]),
        )
    }

    fn request(a: &Args) -> Result<AffordabilityRequest, ServiceError> {
        Ok(AffordabilityRequest {
            filter: filter(a)?,
            min_observations: a.value("min_observations")?,
        })
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &AffordabilityRequest,
    ) -> Result<Answer<analysis::AffordabilityRow>, ServiceError> {
        let obs = load(ctx, &r.filter)?;
        let wages = mk::wages(ctx.store)?;
        if wages.is_empty() {
            return Err(ServiceError::missing(
                "no wages loaded: `equitas import wages FILE` (columns country, daily_wage, currency, exchange_rate, source)",
            ));
        }
        let names = mk::names(ctx.store, ctx.lang)?;
        let mut rows =
            analysis::affordability(&obs, &mk::courses(ctx.store)?, &wages, r.min_observations);
        in_name_order(&names, &[Dim::Product, Dim::BuyerCountry], &mut rows, |x| {
            vec![&x.product, &x.country]
        });
        let keys: Vec<Key> = rows
            .iter()
            .map(|x| vec![x.product.clone(), x.country.clone()])
            .collect();
        let l = labels(&names, &[Dim::Product, Dim::BuyerCountry], keys.iter());
        let notes = affordability_notes(&rows, r.min_observations, &|c| {
            name(&names, Dim::BuyerCountry, c).map_or_else(|| c.to_string(), String::clone)
        });
        let mut a = Answer::new(
            head(methods::affordability(r.min_observations), &obs, l),
            rows,
        );
        a.notes = notes;
        Ok(a)
    }
}

/// What an affordability answer rests on: each country's wage and its
/// source, the rows with too few prices for the days, and wages of a year
/// outside the years of the prices they are set against.
fn affordability_notes(
    rows: &[analysis::AffordabilityRow],
    min_observations: usize,
    country: &dyn Fn(&str) -> String,
) -> Vec<String> {
    let mut notes = Vec::new();
    let mut wages: std::collections::BTreeMap<&str, &analysis::AffordabilityRow> =
        std::collections::BTreeMap::new();
    for r in rows {
        wages.entry(r.country.as_str()).or_insert(r);
    }
    for (c, r) in &wages {
        let year = r.wage_year.map_or(String::new(), |y| format!(" of {y}"));
        notes.push(format!(
            "Wage, {}: {} {} a day{year} at {} {} per US$ ({}).",
            country(c),
            r.daily_wage,
            r.currency,
            r.exchange_rate,
            r.currency,
            r.wage_source
        ));
    }
    let few = rows.iter().filter(|r| r.days_wages.is_none()).count();
    if few > 0 {
        notes.push(format!(
            "{few} of {} rows have fewer than {min_observations} prices: their median is given, their days are not.",
            rows.len()
        ));
    }
    // The years of a country's prices, over all its rows.
    let mut years: std::collections::BTreeMap<&str, (i32, i32)> = std::collections::BTreeMap::new();
    for r in rows {
        if let Some((a, b)) = r.price_years {
            let e = years.entry(r.country.as_str()).or_insert((a, b));
            *e = (e.0.min(a), e.1.max(b));
        }
    }
    let apart: Vec<String> = wages
        .iter()
        .filter_map(|(c, r)| {
            let (y, (a, b)) = (r.wage_year?, *years.get(c)?);
            let prices = if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            };
            (y < a || y > b).then(|| format!("{} (wage of {y}, prices of {prices})", country(c)))
        })
        .collect();
    if !apart.is_empty() {
        notes.push(format!(
            "Wages of a year outside the years of the prices they are set against: {}.",
            apart.join(", ")
        ));
    }
    notes
}

/// `GET /api/v1/market/concentration`, `equitas market concentration`.
pub struct Concentration;

pub struct ConcentrationRequest {
    pub filter: Filter,
    pub per: Vec<Dim>,
    pub by: Dim,
    pub weight: Weight,
    pub bands: ConcentrationBands,
}

impl Operation for Concentration {
    type Request = ConcentrationRequest;
    type Row = analysis::ConcentrationRow;
    const NEEDS: Needs = Needs::Store;
    const SCOPING: Scoping = Scoping::Inputs;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/market/concentration",
            "market",
            "Supplier concentration: HHI, effective number, single-source flags",
            "docs/formulas.md 2.2, 2.8",
            with_scope(vec![
                dims_param("per", "One row per group of these dimensions.", "product"),
                Param::new(
                    "by",
                    Kind::OneOf(&["supplier", "site", "site-country"]),
                    "Shares of what: supplier, site or site-country.",
                )
                .default("supplier"),
                Param::new(
                    "weight",
                    Kind::OneOf(&["value", "quantity"]),
                    "Shares of value or of quantity (comparison units).",
                )
                .default("value"),
                Param::new(
                    "bands",
                    Kind::Numbers,
                    "Ascending HHI thresholds between bands (US merger guidelines 2023).",
                )
                .default("1000,1800"),
            ]),
        )
    }

    fn request(a: &Args) -> Result<ConcentrationRequest, ServiceError> {
        let mut t: Vec<f64> = a.list("bands")?;
        t.sort_by(f64::total_cmp);
        t.dedup();
        Ok(ConcentrationRequest {
            filter: filter(a)?,
            per: dims(a, "per")?,
            by: a.value("by")?,
            weight: a.value("weight")?,
            bands: ConcentrationBands::from_thresholds(t).map_err(|e| a.bad("bands", e))?,
        })
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &ConcentrationRequest,
    ) -> Result<Answer<analysis::ConcentrationRow>, ServiceError> {
        let obs = load(ctx, &r.filter)?;
        let names = mk::names(ctx.store, ctx.lang)?;
        let (mut rows, unknown_only) =
            analysis::concentration_rows(&obs, &r.per, r.by, r.weight, &r.bands);
        in_name_order(&names, &r.per, &mut rows, |x| {
            x.key.iter().map(String::as_str).collect()
        });
        let mut l = labels(&names, &r.per, rows.iter().map(|x| &x.key));
        let tops: Vec<Key> = rows.iter().map(|x| vec![x.top.clone()]).collect();
        if let (Value::Object(m), Value::Object(t)) = (&mut l, labels(&names, &[r.by], tops.iter()))
        {
            for (k, v) in t {
                match (m.get_mut(&k), v) {
                    (Some(Value::Object(a)), Value::Object(b)) => a.extend(b),
                    (_, v) => {
                        m.insert(k, v);
                    }
                }
            }
        }
        let mut a = Answer::new(
            head(methods::concentration(r.by, r.weight, &r.bands), &obs, l),
            rows,
        );
        if !unknown_only.is_empty() {
            const SHOWN: usize = 10;
            let mut named: Vec<String> = unknown_only
                .iter()
                .take(SHOWN)
                .map(|k| {
                    r.per
                        .iter()
                        .zip(k)
                        .map(|(d, v)| name_and_code(&names, *d, v))
                        .collect::<Vec<_>>()
                        .join(" / ")
                })
                .collect();
            if unknown_only.len() > SHOWN {
                named.push(format!("{} more", unknown_only.len() - SHOWN));
            }
            a.notes.push(format!(
                "{} group(s) have no row: every line of theirs with a weight is of unknown {}: {}",
                unknown_only.len(),
                r.by,
                named.join(", ")
            ));
        }
        Ok(a)
    }
}

/// `GET /api/v1/market/delivery`, `equitas market delivery`.
pub struct Delivery;

impl Operation for Delivery {
    type Request = GroupedRequest<i64>;
    type Row = analysis::DeliveryRow;
    const NEEDS: Needs = Needs::Store;
    const SCOPING: Scoping = Scoping::Inputs;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/market/delivery",
            "market",
            "Lead times, delays and on-time delivery",
            "docs/formulas.md 2.9",
            with_scope(vec![
                dims_param(
                    "by",
                    "Group by these dimensions, as for prices.",
                    "supplier",
                ),
                Param::new(
                    "tolerance",
                    Kind::Int {
                        min: 0,
                        max: i32::MAX as i64,
                    },
                    "Days late still counted as on time.",
                )
                .default("0"),
            ]),
        )
    }

    fn request(a: &Args) -> Result<GroupedRequest<i64>, ServiceError> {
        Ok(GroupedRequest {
            filter: filter(a)?,
            by: dims(a, "by")?,
            more: a.value("tolerance")?,
        })
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &GroupedRequest<i64>,
    ) -> Result<Answer<analysis::DeliveryRow>, ServiceError> {
        let obs = load(ctx, &r.filter)?;
        let names = mk::names(ctx.store, ctx.lang)?;
        let mut rows = analysis::delivery(&obs, &r.by, r.more);
        in_name_order(&names, &r.by, &mut rows, |x| {
            x.key.iter().map(String::as_str).collect()
        });
        let l = labels(&names, &r.by, rows.iter().map(|x| &x.key));
        let before: usize = rows.iter().map(|x| x.delivered_before_order).sum();
        let mut a = Answer::new(head(methods::delivery(r.more), &obs, l), rows);
        if before > 0 {
            a.notes.push(format!(
                "{before} line(s) delivered before their order date (a data error) are left out of the lead times (delivered_before_order; formulas 2.9)"
            ));
        }
        Ok(a)
    }
}

/// `GET /api/v1/market/sources`, `equitas market sources`.
pub struct Sources;

pub struct SourcesRequest {
    pub country: Option<String>,
    pub on: Option<NaiveDate>,
}

impl Operation for Sources {
    type Request = SourcesRequest;
    type Row = mk::SourcesRow;
    const NEEDS: Needs = Needs::Store;
    const SCOPING: Scoping = Scoping::Rows(&[
        (crate::op::Dim::Country, "country"),
        (crate::op::Dim::Product, "product"),
    ]);

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/market/sources",
            "market",
            "Legal sources: marketing authorisations and WHO prequalification",
            "",
            vec![
                Param::new(
                    "country",
                    Kind::Text,
                    "Only this country: ISO 3166 alpha-3.",
                ),
                Param::new(
                    "on",
                    Kind::Date,
                    "Authorisations valid on this date (default: today).",
                ),
            ],
        )
    }

    fn request(a: &Args) -> Result<SourcesRequest, ServiceError> {
        Ok(SourcesRequest {
            country: a.get("country")?,
            on: a.get("on")?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &SourcesRequest) -> Result<Answer<mk::SourcesRow>, ServiceError> {
        let on = r.on.unwrap_or_else(|| chrono::Local::now().date_naive());
        let mut rows = mk::legal_sources(ctx.store, on, r.country.as_deref())?;
        let pq = mk::prequalified_sources(ctx.store, "vaccines")?;
        let names = mk::names(ctx.store, ctx.lang)?;
        in_name_order(&names, &[Dim::BuyerCountry, Dim::Product], &mut rows, |x| {
            vec![&x.country, &x.product]
        });
        let keys: Vec<Key> = rows
            .iter()
            .map(|x| vec![x.country.clone(), x.product.clone()])
            .collect();
        let mut h = Head {
            method: Some(methods::sources(on)),
            on: Some(on),
            observations: Some(rows.iter().map(|r| r.authorisations).sum()),
            observed: Some("authorisations"),
            ..Head::default()
        };
        h.extra.insert(
            "prequalified_vaccines".into(),
            pq.iter()
                .map(|(t, m, n)| json!({"product_type": t, "manufacturers": m, "presentations": n}))
                .collect(),
        );
        h.extra.insert(
            "labels".into(),
            labels(&names, &[Dim::BuyerCountry, Dim::Product], keys.iter()),
        );
        let mut a = Answer::new(h, rows);
        if pq.is_empty() {
            a.notes.push(
                "No WHO prequalification list loaded (`equitas import who-pq-vaccines FILE`): prequalified_vaccines is empty.".into(),
            );
        }
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows follow the names shown, not the codes: Benin (BEN) before
    /// Burundi (BDI), Côte d'Ivoire among the Cs, years and codes without
    /// a name as written.
    #[test]
    fn rows_follow_the_names_shown() {
        let mut names = Names::default();
        for (c, n) in [
            ("BDI", "Burundi"),
            ("BEN", "Benin"),
            ("CIV", "Côte d’Ivoire"),
            ("CMR", "Cameroon"),
            ("COD", "Congo - Kinshasa"),
        ] {
            names.countries.insert(c.into(), n.into());
        }
        let mut rows: Vec<Vec<String>> = [
            ["BDI", "2015"],
            ["CIV", "2014"],
            ["BEN", "2015"],
            ["COD", "2013"],
            ["BEN", "2009"],
            ["ZZZ", "2001"],
            ["CMR", "2010"],
        ]
        .iter()
        .map(|k| k.iter().map(|s| s.to_string()).collect())
        .collect();
        in_name_order(&names, &[Dim::BuyerCountry, Dim::Year], &mut rows, |r| {
            r.iter().map(String::as_str).collect()
        });
        let order: Vec<String> = rows.iter().map(|r| r.join(" ")).collect();
        assert_eq!(
            order,
            [
                "BEN 2009", "BEN 2015", "BDI 2015", "CMR 2010", "COD 2013", "CIV 2014", "ZZZ 2001"
            ]
        );
    }

    fn row(country: &str, days: Option<f64>, years: (i32, i32)) -> analysis::AffordabilityRow {
        analysis::AffordabilityRow {
            product: "p".into(),
            country: country.into(),
            kind: "lowest-priced generic",
            course: "30 days".into(),
            n: 4,
            median_unit_price_usd: 0.1,
            course_cost_local: days.map(|d| d * 1000.0),
            currency: "NGN".into(),
            days_wages: days,
            daily_wage: 1000.0,
            exchange_rate: 160.0,
            wage_year: Some(2014),
            wage_source: "made up".into(),
            price_years: Some(years),
        }
    }

    /// A misspelt code, a name for a code, a code in another case: the
    /// code meant; nothing for a word like none.
    #[test]
    fn a_code_mistyped_is_suggested() {
        let known: std::collections::HashMap<String, String> = [
            ("efavirenz-600mg-tablet", "Efavirenz 600mg tablet"),
            ("efavirenz-200mg-tablet", "Efavirenz 200mg tablet"),
            ("NGA", "Nigeria"),
            ("NER", "Niger"),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_string(), n.to_string()))
        .collect();
        let s = |a: &str| suggest(a, &known).map(String::as_str);
        assert_eq!(s("efavirenz-600-tablet"), Some("efavirenz-600mg-tablet"));
        assert_eq!(s("Efavirenz 600mg Tablet"), Some("efavirenz-600mg-tablet"));
        assert_eq!(s("nga"), Some("NGA"));
        assert_eq!(s("Nigeria"), Some("NGA"));
        assert_eq!(s("niger"), Some("NER"));
        assert_eq!(s("Nigria"), Some("NGA"));
        assert_eq!(s("nope"), None);
        assert_eq!(s("XYZ"), None);
    }

    /// docs/formulas.md 2.7: the notes name each wage and its source, the
    /// rows with too few prices, and a wage of a year outside the prices'.
    #[test]
    fn affordability_notes_name_the_wage_and_what_it_is_set_against() {
        let rows = [
            row("KEN", None, (2009, 2009)),
            row("NGA", Some(0.7), (2007, 2012)),
            row("NGA", Some(1.1), (2013, 2015)),
        ];
        let notes = affordability_notes(&rows, 4, &|c| format!("<{c}>"));
        assert_eq!(
            notes,
            [
                "Wage, <KEN>: 1000 NGN a day of 2014 at 160 NGN per US$ (made up).",
                "Wage, <NGA>: 1000 NGN a day of 2014 at 160 NGN per US$ (made up).",
                "1 of 3 rows have fewer than 4 prices: their median is given, their days are not.",
                "Wages of a year outside the years of the prices they are set against: <KEN> (wage of 2014, prices of 2009).",
            ]
        );
    }
}
