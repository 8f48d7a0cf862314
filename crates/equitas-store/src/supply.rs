//! Supply security in the store (issue 20): the registers of sites,
//! licences, regulators and ingredient sources, and the flows the
//! indicators of `equitas_supply` read (docs/formulas.md 6). Written once
//! for both backends.

use crate::market::{Filter, observations};
use crate::repo::{Outcome, upsert};
use crate::{Conn, StoreError, Value};
use chrono::NaiveDate;
use equitas_market::analysis::{Observation, Weight};
use equitas_supply::regional::{AFRICAN_UNION, Flow, Regions};
use equitas_supply::registers::{
    Approval, Capacity, IngredientSource, Licence, Provenance, Regulator, Site,
};
use equitas_supply::{Authorised, Link, Prequalification};
use std::collections::HashMap;

fn joined(v: &[String]) -> Value {
    v.join(";").into()
}

fn provenance(p: &Provenance) -> [Value; 2] {
    [p.source.as_str().into(), p.source_date.into()]
}

pub fn put_site(c: &mut dyn Conn, s: &Site) -> Result<Outcome, StoreError> {
    let approvals: Vec<String> = s
        .approvals
        .iter()
        .map(|a| match a.date {
            Some(d) => format!("{}@{d}", a.kind),
            None => a.kind.clone(),
        })
        .collect();
    let mut v: Vec<Value> = vec![
        s.site.as_str().into(),
        s.name.as_str().into(),
        s.organisation.as_str().into(),
        s.country.as_str().into(),
        s.platform.clone().into(),
        joined(&s.products),
        s.capacity.as_ref().map(|c| c.min).into(),
        s.capacity.as_ref().map(|c| c.max).into(),
        s.capacity.as_ref().map(|c| c.unit.clone()).into(),
        s.status.as_str().into(),
        joined(&approvals),
    ];
    v.extend(provenance(&s.provenance));
    upsert(
        c,
        "supply_sites",
        &["site"],
        &[
            "name",
            "organisation",
            "country",
            "platform",
            "products",
            "capacity_min",
            "capacity_max",
            "capacity_unit",
            "status",
            "approvals",
            "source",
            "source_date",
        ],
        v,
    )
}

pub fn put_licence(c: &mut dyn Conn, l: &Licence) -> Result<Outcome, StoreError> {
    let mut v: Vec<Value> = vec![
        l.programme.as_str().into(),
        l.licensor.as_str().into(),
        l.licensee.as_str().into(),
        l.technology.as_str().into(),
        l.licensee_site.clone().into(),
        joined(&l.territory),
        l.start.into(),
        l.end.into(),
        l.status.as_str().into(),
    ];
    v.extend(provenance(&l.provenance));
    upsert(
        c,
        "supply_licences",
        &["programme", "licensor", "licensee", "technology"],
        &[
            "licensee_site",
            "territory",
            "start_date",
            "end_date",
            "status",
            "source",
            "source_date",
        ],
        v,
    )
}

pub fn put_regulator(c: &mut dyn Conn, r: &Regulator) -> Result<Outcome, StoreError> {
    let mut v: Vec<Value> = vec![
        r.country.as_str().into(),
        r.pathway.as_str().into(),
        r.authority.as_str().into(),
        r.gbt_level.map(i64::from).into(),
        r.gbt_year.map(i64::from).into(),
        r.wla.clone().into(),
        r.days_to_authorise.map(i64::from).into(),
    ];
    v.extend(provenance(&r.provenance));
    upsert(
        c,
        "regulators",
        &["country", "pathway"],
        &[
            "authority",
            "gbt_level",
            "gbt_year",
            "wla",
            "days_to_authorise",
            "source",
            "source_date",
        ],
        v,
    )
}

pub fn put_ingredient_source(
    c: &mut dyn Conn,
    s: &IngredientSource,
) -> Result<Outcome, StoreError> {
    let mut v: Vec<Value> = vec![
        s.site.as_str().into(),
        s.product.as_deref().unwrap_or("").into(),
        s.ingredient.as_str().into(),
        s.api_manufacturer.as_str().into(),
        s.api_country.as_str().into(),
        s.api_site.clone().into(),
    ];
    v.extend(provenance(&s.provenance));
    upsert(
        c,
        "ingredient_sources",
        &[
            "site",
            "product",
            "ingredient",
            "api_manufacturer",
            "api_country",
        ],
        &["api_site", "source", "source_date"],
        v,
    )
}

/// The regulators register, by country and pathway (in byte order, the
/// same on both backends whatever PostgreSQL's collation).
pub fn regulators(c: &mut dyn Conn, country: Option<&str>) -> Result<Vec<Regulator>, StoreError> {
    let (cond, params): (&str, Vec<Value>) = match country {
        Some(k) => ("WHERE country = $1", vec![k.into()]),
        None => ("", vec![]),
    };
    c.query(
        &format!(
            "SELECT country, authority, pathway, gbt_level, gbt_year, wla, days_to_authorise,
                    source, source_date
             FROM regulators {cond}"
        ),
        &params,
    )?
    .iter()
    .map(|r| {
        let small = |v: Option<i64>| v.and_then(|x| u32::try_from(x).ok());
        Ok(Regulator {
            country: r[0].get()?,
            authority: r[1].get()?,
            pathway: r[2].get()?,
            gbt_level: small(r[3].get()?).and_then(|x| u8::try_from(x).ok()),
            gbt_year: r[4]
                .get::<Option<i64>>()?
                .and_then(|y| i32::try_from(y).ok()),
            wla: r[5].get()?,
            days_to_authorise: small(r[6].get()?),
            provenance: Provenance {
                source: r[7].get()?,
                source_date: r[8].get()?,
            },
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()
    .map(|mut v| {
        v.sort_by(|a, b| (&a.country, &a.pathway).cmp(&(&b.country, &b.pathway)));
        v
    })
}

/// The entries of the prequalification list of `programme` (type,
/// manufacturer, responsible authority), as imported.
pub fn prequalified(
    c: &mut dyn Conn,
    programme: &str,
) -> Result<Vec<Prequalification>, StoreError> {
    c.query(
        "SELECT product_type, manufacturer, regulator FROM prequalified
         WHERE programme = $1 ORDER BY reference",
        &[programme.into()],
    )?
    .iter()
    .map(|r| {
        Ok(Prequalification {
            product_type: r[0].get()?,
            manufacturer: r[1].get()?,
            authority: r[2].get()?,
        })
    })
    .collect()
}

/// The supply flows of the procurement lines `f` selects: one per line,
/// keyed by product (and buying country with `per_country`), weighted by
/// value or comparison units, with the manufacturer of its site (the
/// reviewed site mapping's) and its ingredient countries (docs/formulas.md
/// 6.1). Returns the observations too, for the period they span.
pub fn flows(
    c: &mut dyn Conn,
    f: &Filter,
    per_country: bool,
    weight: Weight,
) -> Result<(Vec<Link>, Vec<Observation>), StoreError> {
    let manufacturer: HashMap<String, String> = c
        .query(
            "SELECT code, manufacturer FROM manufacturing_sites WHERE manufacturer IS NOT NULL",
            &[],
        )?
        .iter()
        .map(|r| Ok((r[0].get()?, r[1].get()?)))
        .collect::<Result<_, StoreError>>()?;
    // (site, product or "") -> ingredient countries, one per source row.
    let mut ingredients: HashMap<(String, String), Vec<String>> = HashMap::new();
    for r in c.query(
        "SELECT site, product, api_country FROM ingredient_sources
         ORDER BY site, product, api_country, ingredient, api_manufacturer",
        &[],
    )? {
        ingredients
            .entry((r[0].get()?, r[1].get()?))
            .or_default()
            .push(r[2].get()?);
    }
    let obs = observations(c, f)?;
    let links = obs
        .iter()
        .map(|o| {
            let mut key = vec![o.product.clone()];
            if per_country {
                key.push(o.buyer_country.clone());
            }
            let ingredient_countries = o
                .site
                .as_ref()
                .and_then(|s| {
                    ingredients
                        .get(&(s.clone(), o.product.clone()))
                        .or_else(|| ingredients.get(&(s.clone(), String::new())))
                })
                .cloned()
                .unwrap_or_default();
            Link {
                key,
                manufacturer: o.site.as_ref().and_then(|s| manufacturer.get(s).cloned()),
                site: o.site.clone(),
                country: o.site_country.clone(),
                ingredient_countries,
                weight: match weight {
                    Weight::Value => o.value,
                    Weight::Quantity => o.units(),
                }
                .unwrap_or(0.0),
            }
        })
        .collect();
    Ok((links, obs))
}

/// The marketing authorisations loaded (docs/formulas.md 6.3), whatever
/// their status, each with its country, the product it counts under (its
/// code, else the catalogue product its name matches, else its name), its
/// source (the manufacturer, else the holder) and whether it is valid on
/// `on` (status valid and `on` within its validity). Until 2026-12-07 only
/// the valid ones were read, so that a country whose only authorisation
/// of a product was suspended lost the product from its reach.
pub fn authorisations(
    c: &mut dyn Conn,
    on: NaiveDate,
    country: Option<&str>,
) -> Result<Vec<Authorised>, StoreError> {
    Ok(crate::market::authorisations_held(c, on, country)?
        .into_iter()
        .map(|h| Authorised {
            country: h.country,
            product: h.product,
            source: h.manufacturer.unwrap_or(h.holder),
            valid: h.valid,
        })
        .collect())
}

/// The (buying country, product) pairs of the procurement lines.
pub fn demand(
    c: &mut dyn Conn,
    country: Option<&str>,
) -> Result<Vec<(String, String)>, StoreError> {
    let (cond, params): (&str, Vec<Value>) = match country {
        Some(k) => ("WHERE buyer_country = $1", vec![k.into()]),
        None => ("", vec![]),
    };
    c.query(
        &format!("SELECT DISTINCT buyer_country, product FROM procurement_lines {cond}"),
        &params,
    )?
    .iter()
    .map(|r| Ok((r[0].get()?, r[1].get()?)))
    .collect()
}

/// The flows of the procurement lines `f` selects for the geographic
/// indicators (docs/formulas.md 6.4): buying and producing countries with
/// their regions (WHO regions, or the African Union), weighted by value or comparison units. Returns the
/// observations too, for the period they span.
pub fn regional_flows(
    c: &mut dyn Conn,
    f: &Filter,
    weight: Weight,
    regions: Regions,
) -> Result<(Vec<Flow>, Vec<Observation>), StoreError> {
    let region = region_map(c, regions)?;
    let obs = observations(c, f)?;
    let flows = obs
        .iter()
        .map(|o| Flow {
            buyer_region: region.get(&o.buyer_country).cloned(),
            buyer_country: o.buyer_country.clone(),
            producer_region: o.site_country.as_ref().and_then(|k| region.get(k).cloned()),
            producer_country: o.site_country.clone(),
            weight: match weight {
                Weight::Value => o.value,
                Weight::Quantity => o.units(),
            }
            .unwrap_or(0.0),
        })
        .collect();
    Ok((flows, obs))
}

/// The WHO region of each country that has one, by ISO3 code.
pub fn who_regions(c: &mut dyn Conn) -> Result<HashMap<String, String>, StoreError> {
    c.query(
        "SELECT iso3, who_region FROM countries WHERE who_region IS NOT NULL",
        &[],
    )?
    .iter()
    .map(|r| Ok((r[0].get()?, r[1].get()?)))
    .collect()
}

fn split(s: String) -> Vec<String> {
    s.split(';')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// The sites register, as imported.
pub fn sites(c: &mut dyn Conn) -> Result<Vec<Site>, StoreError> {
    c.query(
        "SELECT site, name, organisation, country, platform, products, capacity_min,
                capacity_max, capacity_unit, status, approvals, source, source_date
         FROM supply_sites",
        &[],
    )?
    .iter()
    .map(|r| {
        let capacity = match (r[6].get()?, r[7].get()?, r[8].get()?) {
            (Some(min), Some(max), Some(unit)) => Some(Capacity { min, max, unit }),
            _ => None,
        };
        let approvals = split(r[10].get()?)
            .into_iter()
            .map(|a| match a.split_once('@') {
                Some((k, d)) => Approval {
                    kind: k.to_string(),
                    date: d.parse().ok(),
                },
                None => Approval {
                    kind: a,
                    date: None,
                },
            })
            .collect();
        Ok(Site {
            site: r[0].get()?,
            name: r[1].get()?,
            organisation: r[2].get()?,
            country: r[3].get()?,
            platform: r[4].get()?,
            products: split(r[5].get()?),
            capacity,
            status: r[9].get()?,
            approvals,
            provenance: Provenance {
                source: r[11].get()?,
                source_date: r[12].get()?,
            },
        })
    })
    .collect()
}

/// The licences register, as imported.
pub fn licences(c: &mut dyn Conn) -> Result<Vec<Licence>, StoreError> {
    c.query(
        "SELECT programme, licensor, licensee, technology, licensee_site, territory,
                start_date, end_date, status, source, source_date
         FROM supply_licences",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(Licence {
            programme: r[0].get()?,
            licensor: r[1].get()?,
            licensee: r[2].get()?,
            technology: r[3].get()?,
            licensee_site: r[4].get()?,
            territory: split(r[5].get()?),
            start: r[6].get()?,
            end: r[7].get()?,
            status: r[8].get()?,
            provenance: Provenance {
                source: r[9].get()?,
                source_date: r[10].get()?,
            },
        })
    })
    .collect()
}

/// The region of each country: its WHO region, or `AU` for the members of
/// the African Union.
pub fn region_map(
    c: &mut dyn Conn,
    regions: Regions,
) -> Result<HashMap<String, String>, StoreError> {
    match regions {
        Regions::Who => who_regions(c),
        Regions::AfricanUnion => Ok(AFRICAN_UNION
            .iter()
            .map(|k| (k.to_string(), "AU".to_string()))
            .collect()),
    }
}
