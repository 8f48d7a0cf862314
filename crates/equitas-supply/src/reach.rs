//! Regulatory reach (docs/formulas.md 6.3): for each product in each
//! country, the sources authorised there, whether an alternative to a
//! failing source is already authorised, and if not, the shortest typical
//! time to authorise one through the country's regulatory pathways.

use crate::registers::Regulator;
use crate::sources::RuleBand;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A marketing authorisation loaded for a product in a country: its source
/// (its manufacturer, or its holder where none is named) and whether it is
/// valid on the date asked (`equitas_market::authorisations::valid_on`).
/// Only a valid one makes its source an authorised source; one that is not
/// (suspended, withdrawn, expired, cancelled, pending, or out of its dates)
/// still shows that the country's register covers the product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorised {
    pub country: String,
    pub product: String,
    pub source: String,
    pub valid: bool,
}

/// The reach of one product in one country.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ReachRow {
    pub country: String,
    pub product: String,
    /// Distinct authorised sources: those of the authorisations valid on
    /// the date (0 where every one loaded is suspended, expired...).
    pub sources: usize,
    pub rule: RuleBand,
    /// Two or more sources authorised: losing one leaves another.
    pub alternative: bool,
    /// Without an alternative: the country's fastest pathway with a stated time.
    pub pathway: Option<String>,
    pub days_to_authorise: Option<u32>,
}

/// One row per (country, product) of `authorised`, valid or not, and of
/// `demand` (pairs bought, e.g. from procurement lines) in a country whose
/// authorisations are known (it has at least one in `authorised`, valid or
/// not); in country, product order. Sources count only valid authorisations:
/// a product whose every authorisation was suspended or has expired is a
/// row of 0 sources, without an alternative. Until 2026-12-07 only valid
/// authorisations were read, so that such a product, or a country with none
/// valid, was left out.
pub fn reach(
    authorised: &[Authorised],
    demand: &[(String, String)],
    regulators: &[Regulator],
    low: usize,
    high: usize,
) -> Vec<ReachRow> {
    let mut pairs: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for a in authorised {
        let sources = pairs
            .entry((a.country.as_str(), a.product.as_str()))
            .or_default();
        if a.valid {
            sources.insert(a.source.trim());
        }
    }
    let known: BTreeSet<&str> = authorised.iter().map(|a| a.country.as_str()).collect();
    for (c, p) in demand {
        if known.contains(c.as_str()) {
            pairs.entry((c.as_str(), p.as_str())).or_default();
        }
    }
    // The fastest pathway of each country (ties: the first by name).
    let mut fastest: BTreeMap<&str, (u32, &str)> = BTreeMap::new();
    for r in regulators {
        let Some(d) = r.days_to_authorise else {
            continue;
        };
        let e = fastest
            .entry(r.country.as_str())
            .or_insert((d, r.pathway.as_str()));
        if (d, r.pathway.as_str()) < *e {
            *e = (d, r.pathway.as_str());
        }
    }
    pairs
        .into_iter()
        .map(|((country, product), sources)| {
            let n = sources.len();
            let alternative = n >= 2;
            let f = (!alternative).then(|| fastest.get(country)).flatten();
            ReachRow {
                country: country.to_string(),
                product: product.to_string(),
                sources: n,
                rule: RuleBand::of(n, low, high),
                alternative,
                pathway: f.map(|(_, p)| p.to_string()),
                days_to_authorise: f.map(|(d, _)| *d),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registers::Provenance;
    use equitas_doc_vectors::vectors;

    fn reg(country: &str, pathway: &str, days: Option<u32>) -> Regulator {
        Regulator {
            country: country.into(),
            authority: "NRA".into(),
            gbt_level: None,
            gbt_year: None,
            wla: None,
            pathway: pathway.into(),
            days_to_authorise: days,
            provenance: Provenance {
                source: "test".into(),
                source_date: None,
            },
        }
    }

    fn auth(country: &str, product: &str, source: &str) -> Authorised {
        Authorised {
            country: country.into(),
            product: product.into(),
            source: source.into(),
            valid: true,
        }
    }

    fn not_valid(country: &str, product: &str, source: &str) -> Authorised {
        Authorised {
            valid: false,
            ..auth(country, product, source)
        }
    }

    /// Kenya's only efavirenz authorisation was suspended: Kenya shows the
    /// product with no source and no alternative, and its fastest pathway,
    /// rather than nothing (user pass, 2026-12-07).
    #[test]
    fn a_country_with_none_valid_shows_zero_sources() {
        let rows = reach(
            &[not_valid("KEN", "efv", "Cipla"), auth("NGA", "efv", "A")],
            &[("KEN".into(), "nvp".into())],
            &[reg("KEN", "standard", Some(365))],
            3,
            5,
        );
        let ken: Vec<_> = rows.iter().filter(|r| r.country == "KEN").collect();
        assert_eq!(ken.len(), 2, "{rows:?}");
        for r in ken {
            assert_eq!((r.sources, r.alternative), (0, false), "{r:?}");
            assert_eq!(r.days_to_authorise, Some(365));
        }
        // A suspended source is not counted beside a valid one.
        let rows = reach(
            &[auth("X", "p", "A"), not_valid("X", "p", "B")],
            &[],
            &[],
            3,
            5,
        );
        assert_eq!((rows[0].sources, rows[0].alternative), (1, false));
    }

    #[test]
    fn countries_without_authorisations_are_not_judged() {
        let rows = reach(
            &[auth("KEN", "p", "A")],
            &[("KEN".into(), "q".into()), ("UGA".into(), "p".into())],
            &[reg("KEN", "standard", Some(365)), reg("KEN", "", None)],
            3,
            5,
        );
        assert_eq!(rows.len(), 2, "UGA has no authorisations loaded");
        assert_eq!((rows[0].product.as_str(), rows[0].sources), ("p", 1));
        assert_eq!((rows[1].product.as_str(), rows[1].sources), ("q", 0));
        assert_eq!(rows[1].days_to_authorise, Some(365));
        assert_eq!(rows[1].rule, RuleBand::Below);
    }

    /// docs/formulas.md, section 6.3.
    #[test]
    fn reach_worked_examples() {
        for v in vectors("regulatory_reach") {
            let mut a: Vec<Authorised> = v["sources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| auth("X", "p", s.as_str().unwrap()))
                .collect();
            // Authorisations judged on the date: [source, status, from, to].
            let date = |x: &serde_json::Value| {
                x.as_str()
                    .map(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
            };
            if let Some(others) = v["others"].as_array() {
                let on = date(&v["on"]).unwrap();
                for o in others {
                    a.push(Authorised {
                        valid: equitas_market::authorisations::valid_on(
                            o[1].as_str().unwrap(),
                            date(&o[2]),
                            date(&o[3]),
                            on,
                        ),
                        ..auth("X", "p", o[0].as_str().unwrap())
                    });
                }
            }
            let regs: Vec<Regulator> = v["pathways"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| reg("X", p[0].as_str().unwrap(), p[1].as_u64().map(|d| d as u32)))
                .collect();
            let demand = [("X".to_string(), "p".to_string())];
            let known = if a.is_empty() {
                vec![auth("X", "other", "Z")]
            } else {
                a
            };
            let rows = reach(&known, &demand, &regs, 3, 5);
            let r = rows.iter().find(|r| r.product == "p").unwrap();
            assert_eq!(r.sources as u64, v["n"].as_u64().unwrap(), "{v}");
            assert_eq!(r.alternative, v["alternative"].as_bool().unwrap(), "{v}");
            assert_eq!(r.pathway.as_deref(), v["pathway"].as_str(), "{v}");
            assert_eq!(
                r.days_to_authorise.map(u64::from),
                v["days"].as_u64(),
                "{v}"
            );
        }
    }
}
