//! Supply security operations (issue 20, docs/formulas.md 6): concentration
//! at every tier with each product's weakest tier, qualified sources and
//! single-source products on the WHO prequalification list, and the
//! regulators register.

use crate::error::ServiceError;
use crate::market::{Labels, filter, name, scope};
use crate::op::{Answer, Ctx, Endpoint, Head, Needs, Operation, Scoping};
use crate::param::{Args, Kind, Param};
use equitas_market::analysis::{self, ConcentrationBands as Bands, Dim, Weight};
use equitas_store::auth::Dim as Scoped;
use equitas_store::market::{self as mk, Filter, Names};
use equitas_store::supply as st;
use equitas_supply::registers::{Licence, Provenance, Regulator};
use equitas_supply::{SourcesRow, SupplyRow, Tier, methods, sources_per_type, supply_tiers};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

/// `GET /api/v1/supply/concentration`, `equitas supply concentration`.
pub struct Concentration;

pub struct ConcentrationRequest {
    pub filter: Filter,
    pub by_country: bool,
    pub weight: Weight,
    pub bands: Bands,
}

/// One product's (or product in a buying country's) tiers, with the band
/// of its weakest tier.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TiersRow {
    #[serde(flatten)]
    pub row: SupplyRow,
    pub band: String,
}

/// The names of the codes an answer shows: products, countries,
/// manufacturers, sites.
fn labels(names: &Names, rows: &[SupplyRow], by_country: bool) -> Value {
    let mut l = Labels::new(names);
    for r in rows {
        l.add(Dim::Product, "product", &r.key[0]);
        if by_country {
            l.add(Dim::BuyerCountry, "country", &r.key[1]);
        }
        for t in &r.tiers {
            match t.tier {
                Tier::Manufacturer => l.add(Dim::Supplier, "manufacturer", &t.top),
                Tier::Site => l.add(Dim::Site, "site", &t.top),
                Tier::Country | Tier::IngredientCountry => {
                    l.add(Dim::SiteCountry, "country", &t.top)
                }
            }
        }
    }
    l.into_value()
}

impl Operation for Concentration {
    const UNSCOPED_WHY: &'static str = "each tier's concentration is computed over every buying country's supply together: a part of it for some countries would be another figure";
    type Request = ConcentrationRequest;
    type Row = TiersRow;
    const NEEDS: Needs = Needs::Store;

    fn endpoint() -> Endpoint {
        let mut p = vec![
            Param::new(
                "by_country",
                Kind::Bool,
                "One row per product and buying country instead of per product.",
            ),
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
        ];
        p.extend(scope());
        Endpoint::list(
            "/api/v1/supply/concentration",
            "supply",
            "Concentration at every tier (manufacturer, site, producing country, ingredient country), the weakest tier, single-source and single-country products",
            "docs/formulas.md 6.1",
            p,
        )
    }

    fn request(a: &Args) -> Result<ConcentrationRequest, ServiceError> {
        let mut t: Vec<f64> = a.list("bands")?;
        t.sort_by(f64::total_cmp);
        t.dedup();
        Ok(ConcentrationRequest {
            filter: filter(a)?,
            by_country: a.flag("by_country")?,
            weight: a.value("weight")?,
            bands: Bands::from_thresholds(t).map_err(|e| a.bad("bands", e))?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &ConcentrationRequest) -> Result<Answer<TiersRow>, ServiceError> {
        let (links, obs) = crate::market::read_lines(ctx.store, &r.filter, |st| {
            st::flows(st, &r.filter, r.by_country, r.weight)
        })?;
        let rows = supply_tiers(&links);
        let names = mk::names(ctx.store, ctx.lang)?;
        // Keys bought whose every line is of unknown manufacturer, site
        // and country have no tier to measure, so no row: named.
        let shown: std::collections::BTreeSet<&[String]> =
            rows.iter().map(|x| x.key.as_slice()).collect();
        let unmeasured: std::collections::BTreeSet<&[String]> = links
            .iter()
            .filter(|l| l.weight.is_finite() && l.weight > 0.0)
            .map(|l| l.key.as_slice())
            .filter(|k| !shown.contains(k))
            .collect();
        let unmeasured_note = (!unmeasured.is_empty()).then(|| {
            let listed: Vec<String> = unmeasured
                .iter()
                .take(10)
                .map(|k| {
                    let mut s = crate::market::name_and_code(&names, Dim::Product, &k[0]);
                    if r.by_country && k.len() > 1 {
                        s.push_str(&format!(
                            " in {}",
                            crate::market::name_and_code(&names, Dim::BuyerCountry, &k[1])
                        ));
                    }
                    s
                })
                .collect();
            format!(
                "{} {} bought with no known manufacturer, site or country in any line, so no row: {}{}",
                unmeasured.len(),
                if r.by_country { "product-country pair(s)" } else { "product(s)" },
                listed.join("; "),
                if unmeasured.len() > listed.len() { "; ..." } else { "" }
            )
        });
        let weight = match r.weight {
            Weight::Value => "value",
            Weight::Quantity => "comparison units",
        };
        let mut h = Head {
            method: Some(methods::tiers(weight, r.by_country, &r.bands.thresholds)),
            period: Some(analysis::period(obs.iter())),
            observations: Some(obs.len() as i64),
            observed: Some("procurement lines"),
            ..Head::default()
        };
        h.extra.insert(
            "sources".into(),
            json!([
                "procurement lines as imported",
                "manufacturing sites' manufacturers and countries (for SCMS: data/scms-manufacturing-sites.csv)",
                "ingredient sources as imported (equitas import ingredient-sources)"
            ]),
        );
        h.extra
            .insert("labels".into(), labels(&names, &rows, r.by_country));
        let rows: Vec<TiersRow> = rows
            .into_iter()
            .map(|row| TiersRow {
                band: r
                    .bands
                    .label(row.tier(row.weakest).map_or(0.0, |t| t.hhi))
                    .to_string(),
                row,
            })
            .collect();
        let note = single_country_note(&rows, r.by_country);
        let mut a = Answer::new(h, rows);
        a.notes.extend(note);
        a.notes.extend(unmeasured_note);
        Ok(a)
    }
}

/// How many rows have a single producing country, out of those whose
/// producing country is known at all (a row of unknown origin is neither
/// single- nor multi-country), the rows of unknown origin counted apart.
fn single_country_note(rows: &[TiersRow], by_country: bool) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let what = if by_country {
        "product-country pairs"
    } else {
        "products"
    };
    let known = rows
        .iter()
        .filter(|r| r.row.tier(Tier::Country).is_some())
        .count();
    let single = rows.iter().filter(|r| r.row.single_country).count();
    let unknown = rows.len() - known;
    let apart = if unknown > 0 {
        format!(" ({unknown} more of unknown origin)")
    } else {
        String::new()
    };
    Some(format!(
        "{single} of {known} {what} with a known producing country have a single one{apart}."
    ))
}

/// Parameters shared by the qualified-sources operations.
fn sources_params() -> Vec<Param> {
    vec![
        Param::new(
            "programme",
            Kind::OneOf(&["vaccines"]),
            "Which WHO prequalification list (imported with `equitas import who-pq-vaccines FILE`).",
        )
        .default("vaccines"),
        Param::new(
            "rule",
            Kind::Range { min: 1, max: 1000 },
            "The range of qualified sources held to sustain a market: lower,upper.",
        )
        .default("3,5"),
    ]
}

pub struct SourcesRequest {
    pub programme: String,
    pub low: usize,
    pub high: usize,
}

fn sources_request(a: &Args) -> Result<SourcesRequest, ServiceError> {
    rule(a, a.value("programme")?)
}

/// The `rule` parameter: two whole numbers of sources, the lower first.
fn rule(a: &Args, programme: String) -> Result<SourcesRequest, ServiceError> {
    let (low, high) = a
        .range("rule")?
        .ok_or_else(|| ServiceError::Internal("rule has no default".into()))?;
    Ok(SourcesRequest {
        programme,
        low: low as usize,
        high: high as usize,
    })
}

/// The rows of the list, or what to import when it is not loaded.
fn qualified(
    ctx: &mut Ctx<'_>,
    r: &SourcesRequest,
) -> Result<(Vec<SourcesRow>, Head), ServiceError> {
    let entries = st::prequalified(ctx.store, &r.programme)?;
    if entries.is_empty() {
        return Err(ServiceError::missing(format!(
            "no WHO prequalification list of {} loaded: `equitas import who-pq-vaccines FILE` (the list as WHO publishes it)",
            r.programme
        )));
    }
    let rows = sources_per_type(&entries, r.low, r.high);
    let mut h = Head {
        method: Some(methods::sources(&r.programme, r.low, r.high)),
        observations: Some(entries.len() as i64),
        observed: Some("prequalified products"),
        ..Head::default()
    };
    h.extra.insert("types".into(), json!(rows.len()));
    h.extra.insert(
        "sources".into(),
        json!([format!(
            "WHO list of prequalified {} as imported",
            r.programme
        )]),
    );
    Ok((rows, h))
}

/// `GET /api/v1/supply/qualified-sources`, `equitas supply qualified-sources`.
pub struct QualifiedSources;

impl Operation for QualifiedSources {
    type Request = SourcesRequest;
    type Row = SourcesRow;
    const NEEDS: Needs = Needs::Store;
    const SCOPING: Scoping = Scoping::Public;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/supply/qualified-sources",
            "supply",
            "Qualified (prequalified) manufacturers per product type against the range held to sustain a market",
            "docs/formulas.md 6.2",
            sources_params(),
        )
    }

    fn request(a: &Args) -> Result<SourcesRequest, ServiceError> {
        sources_request(a)
    }

    fn run(ctx: &mut Ctx<'_>, r: &SourcesRequest) -> Result<Answer<SourcesRow>, ServiceError> {
        let (rows, h) = qualified(ctx, r)?;
        Ok(Answer::new(h, rows))
    }
}

/// `GET /api/v1/supply/single-source`, `equitas supply single-source`.
pub struct SingleSource;

/// A product type made by one qualified manufacturer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SingleSourceRow {
    pub product_type: String,
    pub manufacturer: String,
    /// Qualified products (presentations) of the type.
    pub products: usize,
    /// Products per responsible authority.
    pub authorities: BTreeMap<String, usize>,
}

impl Operation for SingleSource {
    const UNSCOPED_WHY: &'static str =
        "a product type is single-source across the whole prequalification list, whoever buys it";
    type Request = SourcesRequest;
    type Row = SingleSourceRow;
    const NEEDS: Needs = Needs::Store;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/supply/single-source",
            "supply",
            "Product types of the WHO prequalification list made by a single manufacturer, with the products per responsible authority",
            "docs/formulas.md 6.2",
            sources_params(),
        )
    }

    fn request(a: &Args) -> Result<SourcesRequest, ServiceError> {
        sources_request(a)
    }

    fn run(ctx: &mut Ctx<'_>, r: &SourcesRequest) -> Result<Answer<SingleSourceRow>, ServiceError> {
        let (rows, mut h) = qualified(ctx, r)?;
        let rows: Vec<SingleSourceRow> = rows
            .into_iter()
            .filter(|r| r.single_source)
            .filter_map(|r| {
                Some(SingleSourceRow {
                    manufacturer: r.manufacturers.into_iter().next()?,
                    product_type: r.product_type,
                    products: r.products,
                    authorities: r.authorities,
                })
            })
            .collect();
        // Across the single-source types: products per responsible authority.
        let mut by_authority: BTreeMap<&str, usize> = BTreeMap::new();
        for row in &rows {
            for (a, n) in &row.authorities {
                *by_authority.entry(a).or_default() += n;
            }
        }
        h.extra.insert("by_authority".into(), json!(by_authority));
        let types = h.extra.get("types").and_then(Value::as_u64).unwrap_or(0);
        let note = format!(
            "{} of {types} product types have a single qualified manufacturer.",
            rows.len()
        );
        let mut a = Answer::new(h, rows);
        a.notes.push(note);
        Ok(a)
    }
}

/// `GET /api/v1/supply/regulators`, `equitas supply regulators`.
pub struct Regulators;

pub struct RegulatorsRequest {
    pub country: Option<String>,
}

impl Operation for Regulators {
    type Request = RegulatorsRequest;
    type Row = Regulator;
    const NEEDS: Needs = Needs::Store;
    const SCOPING: Scoping = Scoping::Public;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/supply/regulators",
            "supply",
            "Regulatory authorities: WHO GBT maturity level and year, WLA status, reliance pathways and their typical days to authorise",
            "",
            vec![Param::new(
                "country",
                Kind::Text,
                "Only this country: ISO 3166 alpha-3.",
            )],
        )
    }

    fn request(a: &Args) -> Result<RegulatorsRequest, ServiceError> {
        Ok(RegulatorsRequest {
            country: a.get("country")?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &RegulatorsRequest) -> Result<Answer<Regulator>, ServiceError> {
        let rows = st::regulators(ctx.store, r.country.as_deref())?;
        let mut h = Head {
            method: Some("the regulators register as imported (equitas import regulators), one row per country and pathway, each with its source".into()),
            observations: Some(rows.len() as i64),
            observed: Some("regulatory pathways"),
            ..Head::default()
        };
        h.extra.insert(
            "sources".into(),
            sources_of(rows.iter().map(|r| &r.provenance)),
        );
        // The countries' names, as other answers give them.
        let names = mk::names(ctx.store, ctx.lang)?;
        let countries: Map<String, Value> = rows
            .iter()
            .filter_map(|r| {
                name(&names, Dim::BuyerCountry, &r.country).map(|n| (r.country.clone(), json!(n)))
            })
            .collect();
        h.extra
            .insert("labels".into(), json!({ "country": countries }));
        Ok(Answer::new(h, rows))
    }
}

/// The distinct sources of a register's rows, in order.
fn sources_of<'a>(rows: impl Iterator<Item = &'a Provenance>) -> Value {
    let sources: std::collections::BTreeSet<&str> = rows.map(|p| p.source.as_str()).collect();
    json!(sources)
}

/// `GET /api/v1/supply/licences`, `equitas supply licences`.
pub struct Licences;

pub struct LicencesRequest {
    pub country: Option<String>,
    pub programme: Option<String>,
}

impl Operation for Licences {
    const SCOPING: Scoping = Scoping::Public;
    type Request = LicencesRequest;
    type Row = Licence;
    const NEEDS: Needs = Needs::Store;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/supply/licences",
            "supply",
            "Technology transfers and licences: licensor, licensee, product or technology, programme, territory, dates, status, each with its source",
            "",
            vec![
                Param::new(
                    "country",
                    Kind::Text,
                    "Only licences whose territory covers this country: ISO 3166 alpha-3.",
                ),
                Param::new(
                    "programme",
                    Kind::OneOf(equitas_supply::registers::PROGRAMMES),
                    "Only this programme.",
                ),
            ],
        )
    }

    fn request(a: &Args) -> Result<LicencesRequest, ServiceError> {
        Ok(LicencesRequest {
            country: a.get("country")?,
            programme: a.get("programme")?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &LicencesRequest) -> Result<Answer<Licence>, ServiceError> {
        let rows: Vec<Licence> = st::licences(ctx.store)?
            .into_iter()
            .filter(|l| r.programme.as_ref().is_none_or(|p| &l.programme == p))
            .filter(|l| {
                r.country
                    .as_ref()
                    .is_none_or(|c| l.territory.iter().any(|t| t == c))
            })
            .collect();
        let mut h = Head {
            method: Some("the licences register as imported (equitas import licences), one row per licence or transfer, each with its source; territory as ISO 3166 alpha-3 codes (empty: not stated)".into()),
            observations: Some(rows.len() as i64),
            observed: Some("licences"),
            ..Head::default()
        };
        h.extra.insert(
            "sources".into(),
            sources_of(rows.iter().map(|r| &r.provenance)),
        );
        Ok(Answer::new(h, rows))
    }
}

/// `GET /api/v1/supply/reach`, `equitas supply reach`.
pub struct Reach;

pub struct ReachRequest {
    pub country: Option<String>,
    pub on: Option<chrono::NaiveDate>,
    pub rule: SourcesRequest,
}

impl Operation for Reach {
    // One row per (country, product): that country's authorisations.
    const SCOPING: Scoping =
        Scoping::Rows(&[(Scoped::Country, "country"), (Scoped::Product, "product")]);
    type Request = ReachRequest;
    type Row = equitas_supply::ReachRow;
    const NEEDS: Needs = Needs::Store;

    fn endpoint() -> Endpoint {
        let mut p = vec![
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
        ];
        p.extend(sources_params().into_iter().filter(|p| p.name == "rule"));
        Endpoint::list(
            "/api/v1/supply/reach",
            "supply",
            "Regulatory reach: sources authorised per product and country, whether an alternative is authorised, else the fastest pathway's time to authorise one",
            "docs/formulas.md 6.3",
            p,
        )
    }

    fn request(a: &Args) -> Result<ReachRequest, ServiceError> {
        Ok(ReachRequest {
            country: a.get("country")?,
            on: a.get("on")?,
            rule: rule(a, String::new())?,
        })
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &ReachRequest,
    ) -> Result<Answer<equitas_supply::ReachRow>, ServiceError> {
        let on = r.on.unwrap_or_else(|| chrono::Local::now().date_naive());
        let country = r.country.as_deref();
        // Every authorisation loaded, valid or not: a product whose only
        // authorisation was suspended is a row of 0 sources (formulas 6.3).
        let authorised = st::authorisations(ctx.store, on, country)?;
        if authorised.is_empty() {
            return Err(ServiceError::missing(
                "no marketing authorisation is loaded for the countries asked: `equitas import authorisations FILE` (columns country, number, product_name, holder, status, ...)",
            ));
        }
        let demand = st::demand(ctx.store, country)?;
        let regulators = st::regulators(ctx.store, country)?;
        let mut rows =
            equitas_supply::reach(&authorised, &demand, &regulators, r.rule.low, r.rule.high);
        crate::op::keep_within(ctx, Self::SCOPING, &mut rows);
        let names = mk::names(ctx.store, ctx.lang)?;
        let mut labels = Labels::new(&names);
        for row in &rows {
            labels.add(Dim::Product, "product", &row.product);
            labels.add(Dim::BuyerCountry, "country", &row.country);
        }
        let mut h = Head {
            method: Some(methods::reach(on, r.rule.low, r.rule.high)),
            on: Some(on),
            // The authorisations behind the rows the caller sees.
            observed: Some("authorisations"),
            observations: Some(
                authorised
                    .iter()
                    .filter(|a| {
                        ctx.scope().allows(&[
                            (Scoped::Country, Some(a.country.as_str())),
                            (Scoped::Product, Some(a.product.as_str())),
                        ])
                    })
                    .count() as i64,
            ),
            ..Head::default()
        };
        h.extra.insert(
            "sources".into(),
            json!([
                "marketing authorisations as imported (equitas import authorisations)",
                "procurement lines as imported (the products each country buys)",
                "regulators register as imported (equitas import regulators)"
            ]),
        );
        h.extra.insert("labels".into(), labels.into_value());
        let without = rows.iter().filter(|r| !r.alternative).count();
        let n = rows.len();
        let mut a = Answer::new(h, rows);
        a.notes.push(format!(
            "{without} of {n} product-country pairs have no alternative source authorised."
        ));
        Ok(a)
    }
}

/// Scope and weight, for the geographic operations.
fn geo_params() -> Vec<Param> {
    let mut p = vec![
        Param::new(
            "regions",
            Kind::OneOf(&["who", "au"]),
            "Group countries by WHO region, or the African Union (au).",
        )
        .default("who"),
        Param::new(
            "weight",
            Kind::OneOf(&["value", "quantity"]),
            "Shares of value or of quantity (comparison units).",
        )
        .default("value"),
    ];
    p.extend(scope());
    p
}

pub struct GeoRequest {
    pub filter: Filter,
    pub weight: Weight,
    pub regions: equitas_supply::regional::Regions,
}

fn geo_request(a: &Args) -> Result<GeoRequest, ServiceError> {
    Ok(GeoRequest {
        filter: filter(a)?,
        weight: a.value("weight")?,
        regions: a.value("regions")?,
    })
}

/// The flows and the head every geographic answer shares.
fn geo(
    ctx: &mut Ctx<'_>,
    r: &GeoRequest,
    method: String,
) -> Result<(Vec<equitas_supply::regional::Flow>, Head), ServiceError> {
    let (flows, obs) = crate::market::read_lines(ctx.store, &r.filter, |st| {
        st::regional_flows(st, &r.filter, r.weight, r.regions)
    })?;
    let names = mk::names(ctx.store, ctx.lang)?;
    let mut countries = Map::new();
    for f in &flows {
        for c in [Some(&f.buyer_country), f.producer_country.as_ref()]
            .into_iter()
            .flatten()
        {
            if let Some(n) = name(&names, Dim::BuyerCountry, c) {
                countries.insert(c.clone(), json!(n));
            }
        }
    }
    let mut h = Head {
        method: Some(method),
        period: Some(analysis::period(obs.iter())),
        observations: Some(obs.len() as i64),
        observed: Some("procurement lines"),
        ..Head::default()
    };
    h.extra.insert(
        "sources".into(),
        json!([
            "procurement lines as imported",
            "manufacturing sites' countries (for SCMS: data/scms-manufacturing-sites.csv)",
            regions_source(r.regions)
        ]),
    );
    h.extra
        .insert("labels".into(), json!({ "country": countries }));
    Ok((flows, h))
}

fn weight_word(w: Weight) -> &'static str {
    match w {
        Weight::Value => "value",
        Weight::Quantity => "comparison units",
    }
}

fn regions_source(r: equitas_supply::regional::Regions) -> String {
    match r {
        equitas_supply::regional::Regions::Who => {
            "WHO regions of the country list (data/who_regions_wb_income.csv)".into()
        }
        equitas_supply::regional::Regions::AfricanUnion => format!(
            "African Union members: {}",
            equitas_supply::regional::AFRICAN_UNION_SOURCE
        ),
    }
}

/// `GET /api/v1/supply/regional`, `equitas supply regional`.
pub struct Regional;

impl Operation for Regional {
    const UNSCOPED_WHY: &'static str =
        "each WHO region's share combines the procurement of every country of the region";
    type Request = GeoRequest;
    type Row = equitas_supply::regional::RegionRow;
    const NEEDS: Needs = Needs::Store;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/supply/regional",
            "supply",
            "Share of each WHO region's procurement produced inside the region",
            "docs/formulas.md 6.4",
            geo_params(),
        )
    }

    fn request(a: &Args) -> Result<GeoRequest, ServiceError> {
        geo_request(a)
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &GeoRequest,
    ) -> Result<Answer<equitas_supply::regional::RegionRow>, ServiceError> {
        let (flows, h) = geo(ctx, r, methods::regional(weight_word(r.weight)))?;
        Ok(Answer::new(h, equitas_supply::regional::regional(&flows)))
    }
}

/// `GET /api/v1/supply/dependence`, `equitas supply dependence`.
pub struct Dependence;

impl Operation for Dependence {
    // One row per (buying country, producer): shares of that country's own supply.
    const SCOPING: Scoping = Scoping::Rows(&[(Scoped::Country, "country")]);
    type Request = GeoRequest;
    type Row = equitas_supply::regional::DependenceRow;
    const NEEDS: Needs = Needs::Store;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/supply/dependence",
            "supply",
            "Each buying country's dependence on each producing country",
            "docs/formulas.md 6.4",
            geo_params(),
        )
    }

    fn request(a: &Args) -> Result<GeoRequest, ServiceError> {
        geo_request(a)
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &GeoRequest,
    ) -> Result<Answer<equitas_supply::regional::DependenceRow>, ServiceError> {
        let (flows, h) = geo(ctx, r, methods::dependence(weight_word(r.weight)))?;
        // Buying countries in the order of the names shown (Benin before
        // Burundi), each country's producers as the table gives them.
        let names = mk::names(ctx.store, ctx.lang)?;
        let mut rows = equitas_supply::regional::dependence(&flows);
        rows.sort_by_cached_key(|x| {
            let shown = name(&names, Dim::BuyerCountry, &x.country)
                .map_or(x.country.as_str(), String::as_str);
            equitas_model::slug(shown)
        });
        Ok(Answer::new(h, rows))
    }
}

/// `GET /api/v1/supply/match`, `equitas supply match`.
pub struct Match;

impl Operation for Match {
    const UNSCOPED_WHY: &'static str =
        "demand is pooled per WHO region across its countries, and matched to producers anywhere";
    type Request = GeoRequest;
    type Row = equitas_supply::matching::MatchRow;
    const NEEDS: Needs = Needs::Store;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/supply/match",
            "supply",
            "Regional manufacturing matchmaking: demand per WHO region and product, what is made in the region, regional producers, licences; priority gaps first",
            "docs/formulas.md 6.5",
            geo_params(),
        )
    }

    fn request(a: &Args) -> Result<GeoRequest, ServiceError> {
        geo_request(a)
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &GeoRequest,
    ) -> Result<Answer<equitas_supply::matching::MatchRow>, ServiceError> {
        let (flows, obs) = crate::market::read_lines(ctx.store, &r.filter, |st| {
            st::regional_flows(st, &r.filter, r.weight, r.regions)
        })?;
        let flows: Vec<(String, equitas_supply::regional::Flow)> =
            obs.iter().map(|o| o.product.clone()).zip(flows).collect();
        let sites = st::sites(ctx.store)?;
        let licences = st::licences(ctx.store)?;
        let regions = st::region_map(ctx.store, r.regions)?;
        let period = analysis::period(obs.iter());
        // Capacity is set against demand only when demand counts units.
        let unit_of = match r.weight {
            Weight::Quantity => mk::comparison_units(ctx.store)?,
            Weight::Value => HashMap::new(),
        };
        // Yearly demand is over the period of every line within the dates
        // asked, whatever products or countries are: a product's cover does
        // not change with what else is asked (until 2026-12-07 the period
        // was the selection's, a user pass: 1.52 alone, 1.46 filtered).
        let dates_only = Filter {
            from: r.filter.from,
            to: r.filter.to,
            ..Filter::default()
        };
        // Read again only when the selection is narrower than its dates.
        let span = if r.filter == dates_only {
            period
        } else {
            analysis::period(mk::observations(ctx.store, &dates_only)?.iter())
        };
        let units = match (r.weight, span.from, span.to) {
            (Weight::Quantity, Some(from), Some(to)) => {
                Some(equitas_supply::matching::DemandUnits {
                    unit_of: &unit_of,
                    years: ((to - from).num_days() + 1) as f64 / 365.25,
                })
            }
            _ => None,
        };
        let rows = equitas_supply::matching::matchmaking(
            &flows,
            &sites,
            &licences,
            &regions,
            units.as_ref(),
        );
        let names = mk::names(ctx.store, ctx.lang)?;
        let mut products = Map::new();
        for row in &rows {
            if let Some(n) = name(&names, Dim::Product, &row.product) {
                products.insert(row.product.clone(), json!(n));
            }
        }
        let mut h = Head {
            method: Some(methods::matching(weight_word(r.weight))),
            period: Some(period),
            observations: Some(obs.len() as i64),
            observed: Some("procurement lines"),
            ..Head::default()
        };
        h.extra.insert(
            "sources".into(),
            json!([
                "procurement lines as imported".to_string(),
                regions_source(r.regions),
                format!("sites register as imported ({} sites)", sites.len()),
                format!(
                    "licences register as imported ({} licences)",
                    licences.len()
                )
            ]),
        );
        h.extra
            .insert("labels".into(), json!({ "product": products }));
        let priority = rows.iter().filter(|r| r.priority).count();
        let mut a = Answer::new(h, rows);
        a.notes.push(format!("{priority} priority gap(s)."));
        Ok(a)
    }
}

/// `GET /api/v1/supply/map`, `equitas supply map`.
pub struct SupplyMap;

impl Operation for SupplyMap {
    const UNSCOPED_WHY: &'static str =
        "each weight is a share of every buying country's supply together";
    type Request = ConcentrationRequest;
    type Row = equitas_supply::MapRow;
    const NEEDS: Needs = Needs::Store;

    fn endpoint() -> Endpoint {
        let mut p = vec![
            Param::new(
                "by_country",
                Kind::Bool,
                "One map per product and buying country instead of per product.",
            ),
            Param::new(
                "weight",
                Kind::OneOf(&["value", "quantity"]),
                "Shares of value or of quantity (comparison units).",
            )
            .default("value"),
        ];
        p.extend(scope());
        Endpoint::list(
            "/api/v1/supply/map",
            "supply",
            "The supply map: each product's (and buying country's) weight by manufacturer, manufacturing site and producing country",
            "docs/formulas.md 6.1",
            p,
        )
    }

    fn request(a: &Args) -> Result<ConcentrationRequest, ServiceError> {
        Ok(ConcentrationRequest {
            filter: filter(a)?,
            by_country: a.flag("by_country")?,
            weight: a.value("weight")?,
            bands: Bands::default(),
        })
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &ConcentrationRequest,
    ) -> Result<Answer<equitas_supply::MapRow>, ServiceError> {
        let (links, obs) = crate::market::read_lines(ctx.store, &r.filter, |st| {
            st::flows(st, &r.filter, r.by_country, r.weight)
        })?;
        let rows = equitas_supply::supply_map(&links);
        let names = mk::names(ctx.store, ctx.lang)?;
        let mut labels = Labels::new(&names);
        for row in &rows {
            labels.add(Dim::Product, "product", &row.key[0]);
            if r.by_country {
                labels.add(Dim::BuyerCountry, "country", &row.key[1]);
            }
            if let Some(m) = &row.manufacturer {
                labels.add(Dim::Supplier, "manufacturer", m);
            }
            if let Some(s) = &row.site {
                labels.add(Dim::Site, "site", s);
            }
            if let Some(c) = &row.country {
                labels.add(Dim::SiteCountry, "country", c);
            }
        }
        let mut h = Head {
            method: Some(methods::map(weight_word(r.weight), r.by_country)),
            period: Some(analysis::period(obs.iter())),
            observations: Some(obs.len() as i64),
            observed: Some("procurement lines"),
            ..Head::default()
        };
        h.extra.insert(
            "sources".into(),
            json!([
                "procurement lines as imported",
                "manufacturing sites' manufacturers and countries (for SCMS: data/scms-manufacturing-sites.csv)"
            ]),
        );
        h.extra.insert("labels".into(), labels.into_value());
        Ok(Answer::new(h, rows))
    }
}
