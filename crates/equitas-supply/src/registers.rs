//! The supply registers, each a CSV with a `source` column on every row
//! (and an optional `source_date`): manufacturing sites and capacity,
//! technology transfer and licences, regulatory authorities and their
//! reliance pathways, ingredient (API) sources. Each parser returns the good
//! rows with their line and one [`RowError`] per bad row, naming the field.

use chrono::NaiveDate;
use equitas_market::inputs::{Reader, parse_rows};
use equitas_model::reference::{Parsed, cell};
use equitas_model::{RowError, RowErrors};
use serde::Serialize;
use std::io::Read;

/// Dates in the registers are ISO 8601.
const ISO: &[&str] = &["%Y-%m-%d"];

/// What a row says it was taken from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Provenance {
    /// A URL or a citation.
    pub source: String,
    /// When the source was read or published.
    pub source_date: Option<NaiveDate>,
}

/// Where a site stands.
pub const SITE_STATUSES: &[&str] = &[
    "operational",
    "scaling-up",
    "planned",
    "technology-transfer-recipient",
];

/// Kinds of approval a site holds.
pub const APPROVALS: &[&str] = &["who-pq", "sra", "wla", "national"];

/// Programmes under which technology or licences are transferred.
pub const PROGRAMMES: &[&str] = &["who-mrna", "htap", "c-tap", "mpp", "voluntary", "other"];

/// States of a licence or transfer.
pub const LICENCE_STATUSES: &[&str] = &["active", "planned", "expired", "terminated"];

/// WHO-Listed Authority status.
pub const WLA_STATUSES: &[&str] = &["listed", "transitional", "not-listed"];

/// One approval of a site, with its date where known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Approval {
    /// One of [`APPROVALS`].
    pub kind: String,
    pub date: Option<NaiveDate>,
}

/// Annual capacity as a range with its unit (e.g. 100 to 200 million doses).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Capacity {
    pub min: f64,
    pub max: f64,
    pub unit: String,
}

/// A manufacturing site (finished products or ingredients).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Site {
    /// The site's code (natural key).
    pub site: String,
    pub name: String,
    pub organisation: String,
    /// ISO 3166-1 alpha-3.
    pub country: String,
    /// Technology platform: mRNA, viral vector, oral solid dose, sterile
    /// injectables, rapid diagnostic tests...
    pub platform: Option<String>,
    /// Products made there (`;`-separated in the file).
    pub products: Vec<String>,
    pub capacity: Option<Capacity>,
    /// One of [`SITE_STATUSES`].
    pub status: String,
    pub approvals: Vec<Approval>,
    pub provenance: Provenance,
}

/// A technology transfer or licence.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Licence {
    /// One of [`PROGRAMMES`].
    pub programme: String,
    pub licensor: String,
    pub licensee: String,
    pub licensee_site: Option<String>,
    /// A product or a technology (mRNA platform...).
    pub technology: String,
    /// ISO3 codes of the countries the licence covers (empty: not stated).
    pub territory: Vec<String>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    /// One of [`LICENCE_STATUSES`].
    pub status: String,
    pub provenance: Provenance,
}

/// A national regulatory authority and one of its pathways to authorise a product.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Regulator {
    pub country: String,
    pub authority: String,
    /// WHO Global Benchmarking Tool maturity level, 1 to 4.
    pub gbt_level: Option<u8>,
    /// The year the level was reached (required with a level).
    pub gbt_year: Option<i32>,
    /// One of [`WLA_STATUSES`].
    pub wla: Option<String>,
    /// The pathway (e.g. "standard", "WHO collaborative registration
    /// procedure"); empty for a row about the authority as a whole.
    pub pathway: String,
    /// Typical days from submission to authorisation through the pathway.
    pub days_to_authorise: Option<u32>,
    pub provenance: Provenance,
}

/// Where a finished-product site gets an active ingredient.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct IngredientSource {
    /// The finished-product site's code (as procurement data names sites).
    pub site: String,
    /// The product it applies to (blank: every product of the site).
    pub product: Option<String>,
    pub ingredient: String,
    pub api_manufacturer: String,
    pub api_site: Option<String>,
    /// ISO3 of the ingredient's manufacturing site.
    pub api_country: String,
    pub provenance: Provenance,
}

fn one_of(x: &Reader, i: Option<usize>, field: &str, allowed: &[&str]) -> Result<String, RowError> {
    let s = x
        .text(i, field)?
        .to_ascii_lowercase()
        .replace([' ', '_'], "-");
    if allowed.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(RowError::new(
            x.line,
            field,
            format!("{s:?} is not one of {}", allowed.join(", ")),
        ))
    }
}

fn opt_one_of(
    x: &Reader,
    i: Option<usize>,
    field: &str,
    allowed: &[&str],
) -> Result<Option<String>, RowError> {
    match cell(x.rec, i) {
        None => Ok(None),
        Some(_) => one_of(x, i, field, allowed).map(Some),
    }
}

fn list(x: &Reader, i: Option<usize>) -> Vec<String> {
    cell(x.rec, i)
        .map(|s| {
            s.split(';')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn provenance(
    x: &Reader,
    source: Option<usize>,
    date: Option<usize>,
) -> Result<Provenance, RowError> {
    Ok(Provenance {
        source: x.text(source, "source")?,
        source_date: x.date(date, "source_date", ISO)?,
    })
}

fn opt_number(x: &Reader, i: Option<usize>, field: &str) -> Result<Option<f64>, RowError> {
    match cell(x.rec, i) {
        None => Ok(None),
        Some(_) => x.positive(i, field).map(Some),
    }
}

fn ordered(
    x: &Reader,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    field: &str,
    before: &str,
) -> Result<(), RowError> {
    match (start, end) {
        (Some(s), Some(e)) if e < s => Err(RowError::new(
            x.line,
            field,
            format!("{e} is before {before} ({s})"),
        )),
        _ => Ok(()),
    }
}

/// Columns: `site`, `name`, `organisation`, `country` (ISO3), `status`
/// (operational, scaling-up, planned, technology-transfer-recipient),
/// `source`; optional `platform`, `products` (`;`-separated),
/// `capacity_min`, `capacity_max`, `capacity_unit` (a range: both bounds
/// and the unit, or none), `approvals` (`;`-separated `KIND` or
/// `KIND@YYYY-MM-DD`, KIND one of who-pq, sra, wla, national), `source_date`.
pub fn parse_sites<R: Read>(r: R) -> Result<Parsed<Site>, RowError> {
    parse_rows(
        r,
        &[
            ("site", true),
            ("name", true),
            ("organisation", true),
            ("country", true),
            ("status", true),
            ("source", true),
            ("platform", false),
            ("products", false),
            ("capacity_min", false),
            ("capacity_max", false),
            ("capacity_unit", false),
            ("approvals", false),
            ("source_date", false),
        ],
        |x, i| {
            // Every field is checked, so that a row lists all its bad fields.
            let mut e = RowErrors::default();
            let site = e.field(x.text(i[0], "site"));
            let name = e.field(x.text(i[1], "name"));
            let organisation = e.field(x.text(i[2], "organisation"));
            let country = e.field(x.iso3(i[3], "country"));
            let status = e.field(one_of(x, i[4], "status", SITE_STATUSES));
            let provenance = e.field(provenance(x, i[5], i[12]));
            let min = e.field(opt_number(x, i[8], "capacity_min"));
            let max = e.field(opt_number(x, i[9], "capacity_max"));
            let unit = x.opt(i[10]);
            let capacity = match (min, max) {
                // A bound already refused: its error stands for the range.
                (None, _) | (_, None) => None,
                (Some(min), Some(max)) => match (min, max, unit) {
                    (None, None, None) => None,
                    (Some(min), Some(max), Some(unit)) => {
                        if max < min {
                            e.push(RowError::new(
                                x.line,
                                "capacity_max",
                                format!("{max} is below capacity_min ({min})"),
                            ));
                        }
                        Some(Capacity { min, max, unit })
                    }
                    (min, max, _) => {
                        let field = if min.is_none() {
                            "capacity_min"
                        } else if max.is_none() {
                            "capacity_max"
                        } else {
                            "capacity_unit"
                        };
                        e.push(RowError::new(
                            x.line,
                            field,
                            "empty: a capacity needs capacity_min, capacity_max and capacity_unit",
                        ));
                        None
                    }
                },
            };
            let mut approvals = Vec::new();
            for a in list(x, i[11]) {
                let (kind, date) = match a.split_once('@') {
                    Some((k, d)) => (k.trim(), Some(d.trim())),
                    None => (a.as_str(), None),
                };
                let kind = kind.to_ascii_lowercase();
                if !APPROVALS.contains(&kind.as_str()) {
                    e.push(RowError::new(
                        x.line,
                        "approvals",
                        format!("{kind:?} is not one of {}", APPROVALS.join(", ")),
                    ));
                    continue;
                }
                let date = match date {
                    None => None,
                    Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                        Ok(d) => Some(d),
                        Err(_) => {
                            e.push(RowError::new(
                                x.line,
                                "approvals",
                                format!("{d:?} is not a date (%Y-%m-%d)"),
                            ));
                            continue;
                        }
                    },
                };
                approvals.push(Approval { kind, date });
            }
            match (site, name, organisation, country, status, provenance) {
                (
                    Some(site),
                    Some(name),
                    Some(organisation),
                    Some(country),
                    Some(status),
                    Some(provenance),
                ) if e.is_empty() => Ok(Site {
                    site,
                    name,
                    organisation,
                    country,
                    status,
                    provenance,
                    platform: x.opt(i[6]),
                    products: list(x, i[7]),
                    capacity,
                    approvals,
                }),
                _ => Err(e),
            }
        },
    )
}

/// Columns: `programme` (who-mrna, htap, c-tap, mpp, voluntary, other),
/// `licensor`, `licensee`, `technology`, `status` (active, planned,
/// expired, terminated), `source`; optional `licensee_site`, `territory`
/// (`;`-separated ISO3 codes), `start`, `end`, `source_date`.
pub fn parse_licences<R: Read>(r: R) -> Result<Parsed<Licence>, RowError> {
    parse_rows(
        r,
        &[
            ("programme", true),
            ("licensor", true),
            ("licensee", true),
            ("technology", true),
            ("status", true),
            ("source", true),
            ("licensee_site", false),
            ("territory", false),
            ("start", false),
            ("end", false),
            ("source_date", false),
        ],
        |x, i| {
            let mut e = RowErrors::default();
            let territory = list(x, i[7]);
            if let Some(bad) = territory
                .iter()
                .find(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()))
            {
                e.push(RowError::new(
                    x.line,
                    "territory",
                    format!("{bad:?} is not an ISO 3166-1 alpha-3 code"),
                ));
            }
            let programme = e.field(one_of(x, i[0], "programme", PROGRAMMES));
            let licensor = e.field(x.text(i[1], "licensor"));
            let licensee = e.field(x.text(i[2], "licensee"));
            let technology = e.field(x.text(i[3], "technology"));
            let status = e.field(one_of(x, i[4], "status", LICENCE_STATUSES));
            let provenance = e.field(provenance(x, i[5], i[10]));
            let start = e.field(x.date(i[8], "start", ISO));
            let end = e.field(x.date(i[9], "end", ISO));
            if let (Some(start), Some(end)) = (start, end) {
                e.field(ordered(x, start, end, "end", "start"));
            }
            match (
                programme, licensor, licensee, technology, status, provenance, start, end,
            ) {
                (
                    Some(programme),
                    Some(licensor),
                    Some(licensee),
                    Some(technology),
                    Some(status),
                    Some(provenance),
                    Some(start),
                    Some(end),
                ) if e.is_empty() => Ok(Licence {
                    programme,
                    licensor,
                    licensee,
                    technology,
                    status,
                    provenance,
                    licensee_site: x.opt(i[6]),
                    territory,
                    start,
                    end,
                }),
                _ => Err(e),
            }
        },
    )
}

/// Columns: `country` (ISO3), `authority`, `source`; optional `pathway`
/// (blank: the authority as a whole), `gbt_level` (1 to 4) with `gbt_year`,
/// `wla` (listed, transitional, not-listed), `days_to_authorise` (with a
/// pathway), `source_date`.
pub fn parse_regulators<R: Read>(r: R) -> Result<Parsed<Regulator>, RowError> {
    parse_rows(
        r,
        &[
            ("country", true),
            ("authority", true),
            ("pathway", false),
            ("source", true),
            ("gbt_level", false),
            ("gbt_year", false),
            ("wla", false),
            ("days_to_authorise", false),
            ("source_date", false),
        ],
        |x, i| {
            let mut e = RowErrors::default();
            let country = e.field(x.iso3(i[0], "country"));
            let authority = e.field(x.text(i[1], "authority"));
            let provenance = e.field(provenance(x, i[3], i[8]));
            let gbt_level = e.field(match cell(x.rec, i[4]) {
                None => Ok(None),
                Some(s) => match s.parse::<u8>() {
                    Ok(l @ 1..=4) => Ok(Some(l)),
                    _ => Err(RowError::new(
                        x.line,
                        "gbt_level",
                        format!("{s:?} is not a maturity level (1 to 4)"),
                    )),
                },
            });
            let gbt_year = e.field(x.year(i[5], "gbt_year"));
            if let (Some(Some(_)), Some(None)) = (gbt_level, gbt_year) {
                e.push(RowError::new(
                    x.line,
                    "gbt_year",
                    "empty: a maturity level needs the year it was reached",
                ));
            }
            let days_to_authorise = e.field(match cell(x.rec, i[7]) {
                None => Ok(None),
                Some(s) => s.parse::<u32>().map(Some).map_err(|_| {
                    RowError::new(
                        x.line,
                        "days_to_authorise",
                        format!("{s:?} is not a whole number of days"),
                    )
                }),
            });
            let pathway = x.opt(i[2]).unwrap_or_default();
            if pathway.is_empty() && matches!(days_to_authorise, Some(Some(_))) {
                e.push(RowError::new(
                    x.line,
                    "pathway",
                    "empty: a time to authorise is the time of a pathway",
                ));
            }
            let wla = e.field(opt_one_of(x, i[6], "wla", WLA_STATUSES));
            match (
                country,
                authority,
                provenance,
                gbt_level,
                gbt_year,
                days_to_authorise,
                wla,
            ) {
                (
                    Some(country),
                    Some(authority),
                    Some(provenance),
                    Some(gbt_level),
                    Some(gbt_year),
                    Some(days_to_authorise),
                    Some(wla),
                ) if e.is_empty() => Ok(Regulator {
                    country,
                    authority,
                    pathway,
                    provenance,
                    gbt_level,
                    gbt_year,
                    wla,
                    days_to_authorise,
                }),
                _ => Err(e),
            }
        },
    )
}

/// Columns: `site` (the finished-product site's code), `ingredient`,
/// `api_manufacturer`, `api_country` (ISO3), `source`; optional `product`
/// (blank: every product of the site), `api_site`, `source_date`.
pub fn parse_ingredient_sources<R: Read>(r: R) -> Result<Parsed<IngredientSource>, RowError> {
    parse_rows(
        r,
        &[
            ("site", true),
            ("ingredient", true),
            ("api_manufacturer", true),
            ("api_country", true),
            ("source", true),
            ("product", false),
            ("api_site", false),
            ("source_date", false),
        ],
        |x, i| {
            let mut e = RowErrors::default();
            let site = e.field(x.text(i[0], "site"));
            let ingredient = e.field(x.text(i[1], "ingredient"));
            let api_manufacturer = e.field(x.text(i[2], "api_manufacturer"));
            let api_country = e.field(x.iso3(i[3], "api_country"));
            let provenance = e.field(provenance(x, i[4], i[7]));
            match (site, ingredient, api_manufacturer, api_country, provenance) {
                (
                    Some(site),
                    Some(ingredient),
                    Some(api_manufacturer),
                    Some(api_country),
                    Some(provenance),
                ) => Ok(IngredientSource {
                    site,
                    ingredient,
                    api_manufacturer,
                    api_country,
                    provenance,
                    product: x.opt(i[5]),
                    api_site: x.opt(i[6]),
                }),
                _ => Err(e),
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors<T>(p: &Parsed<T>) -> Vec<String> {
        p.errors.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn sites_with_capacity_and_approvals() {
        let csv = "site,name,organisation,country,status,source,platform,products,capacity_min,capacity_max,capacity_unit,approvals,source_date\n\
                   s1,Site one,Org A,ZAF,Operational,https://example.org/a,mRNA,vax-a; vax-b,100,200,million doses,who-pq@2023-05-01;national,2025-01-02\n\
                   s2,Site two,Org B,South Africa,operational,x,,,,,,,\n\
                   s3,Site three,Org C,KEN,closed,x,,,,,,,\n\
                   s4,Site four,Org D,KEN,planned,x,,,10,,doses,,\n\
                   s5,Site five,Org E,KEN,planned,x,,,10,5,doses,,\n\
                   s6,Site six,Org F,KEN,planned,x,,,,,,pq,\n\
                   s7,Site seven,Org G,KEN,planned,,,,,,,,\n";
        let p = parse_sites(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        let s = &p.records[0].1;
        assert_eq!(s.status, "operational");
        assert_eq!(s.products, vec!["vax-a", "vax-b"]);
        assert_eq!(
            s.capacity,
            Some(Capacity {
                min: 100.0,
                max: 200.0,
                unit: "million doses".into()
            })
        );
        assert_eq!(s.approvals[0].date, NaiveDate::from_ymd_opt(2023, 5, 1));
        assert_eq!(s.approvals[1].kind, "national");
        assert_eq!(
            s.provenance.source_date,
            NaiveDate::from_ymd_opt(2025, 1, 2)
        );
        assert_eq!(
            errors(&p),
            vec![
                "line 3, field `country`: \"South Africa\" is not an ISO 3166-1 alpha-3 code",
                "line 4, field `status`: \"closed\" is not one of operational, scaling-up, planned, technology-transfer-recipient",
                "line 5, field `capacity_max`: empty: a capacity needs capacity_min, capacity_max and capacity_unit",
                "line 6, field `capacity_max`: 5 is below capacity_min (10)",
                "line 7, field `approvals`: \"pq\" is not one of who-pq, sra, wla, national",
                "line 8, field `source`: empty",
            ]
        );
    }

    #[test]
    fn licences_check_territory_dates_and_programme() {
        let csv = "programme,licensor,licensee,technology,status,source,territory,start,end\n\
                   MPP,Gilead,Hetero,tenofovir alafenamide,active,u,IND; ZAF,2014-07-01,\n\
                   mpp,Gilead,Hetero,x,active,u,India,,\n\
                   mpp,Gilead,Hetero,x,active,u,,2020-01-01,2019-01-01\n\
                   patent pool,Gilead,Hetero,x,active,u,,,\n";
        let p = parse_licences(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.records[0].1.programme, "mpp");
        assert_eq!(p.records[0].1.territory, vec!["IND", "ZAF"]);
        assert_eq!(
            errors(&p),
            vec![
                "line 3, field `territory`: \"India\" is not an ISO 3166-1 alpha-3 code",
                "line 4, field `end`: 2019-01-01 is before start (2020-01-01)",
                "line 5, field `programme`: \"patent-pool\" is not one of who-mrna, htap, c-tap, mpp, voluntary, other",
            ]
        );
    }

    #[test]
    fn regulators_need_a_year_with_a_level() {
        let csv = "country,authority,pathway,source,gbt_level,gbt_year,wla,days_to_authorise\n\
                   ZAF,SAHPRA,WHO collaborative registration procedure,u,3,2022,,90\n\
                   NGA,NAFDAC,standard,u,3,,,\n\
                   EGY,EDA,standard,u,5,2022,,\n\
                   KOR,MFDS,standard,u,4,2022,Listed,\n\
                   GHA,FDA Ghana,standard,u,,,,ninety\n\
                   GHA,FDA Ghana,,u,3,2020,,\n\
                   GHA,FDA Ghana,,u,,,,30\n";
        let p = parse_regulators(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 3);
        assert_eq!(p.records[2].1.pathway, "");
        assert_eq!(p.records[0].1.days_to_authorise, Some(90));
        assert_eq!(p.records[1].1.wla.as_deref(), Some("listed"));
        assert_eq!(
            errors(&p),
            vec![
                "line 3, field `gbt_year`: empty: a maturity level needs the year it was reached",
                "line 4, field `gbt_level`: \"5\" is not a maturity level (1 to 4)",
                "line 6, field `days_to_authorise`: \"ninety\" is not a whole number of days",
                "line 8, field `pathway`: empty: a time to authorise is the time of a pathway",
            ]
        );
    }

    /// A row lists all its bad fields, as `--all-errors` promises (user
    /// pass: each register reported only the first).
    #[test]
    fn a_row_lists_every_bad_field() {
        let sites = "site,name,organisation,country,status,source,capacity_min,capacity_max,capacity_unit,approvals\n\
                     s1,,o,ZZ,running,u,5,2,doses,who-pq@2020-13-01;magic\n";
        let p = parse_sites(sites.as_bytes()).unwrap();
        assert_eq!(
            errors(&p),
            vec![
                "line 2, field `name`: empty",
                "line 2, field `country`: \"ZZ\" is not an ISO 3166-1 alpha-3 code",
                "line 2, field `status`: \"running\" is not one of operational, scaling-up, planned, technology-transfer-recipient",
                "line 2, field `capacity_max`: 2 is below capacity_min (5)",
                "line 2, field `approvals`: \"2020-13-01\" is not a date (%Y-%m-%d)",
                "line 2, field `approvals`: \"magic\" is not one of who-pq, sra, wla, national",
            ]
        );
        let regulators = "country,authority,pathway,source,gbt_level,gbt_year,wla,days_to_authorise\n\
                          GBR,,standard,u,5,,maybe,-3\n";
        let p = parse_regulators(regulators.as_bytes()).unwrap();
        assert_eq!(errors(&p).len(), 4, "{:?}", errors(&p));
        let fields: Vec<&str> = p.errors.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(
            fields,
            ["authority", "gbt_level", "days_to_authorise", "wla"]
        );
        let licences = "programme,licensor,licensee,technology,status,source,territory,start,end\n\
                        pool,,Hetero,x,gone,u,India,2020-01-01,2019-01-01\n";
        let p = parse_licences(licences.as_bytes()).unwrap();
        let fields: Vec<&str> = p.errors.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(
            fields,
            ["territory", "programme", "licensor", "status", "end"]
        );
    }

    #[test]
    fn ingredient_sources_and_missing_columns() {
        let csv = "site,ingredient,api_manufacturer,api_country,source,product\n\
                   cipla-goa,efavirenz,API Co,CHN,u,efavirenz-600mg-tablet\n\
                   cipla-goa,efavirenz,API Co,,u,\n";
        let p = parse_ingredient_sources(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        assert_eq!(errors(&p), vec!["line 3, field `api_country`: empty"]);
        let e = parse_ingredient_sources("site,ingredient\n".as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1, field `api_manufacturer`: required column is missing from the header row (it has: site, ingredient)"
        );
    }
}
