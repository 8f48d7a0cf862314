//! Qualified sources per product type (docs/formulas.md 6.2): the distinct
//! manufacturers a list of qualified products (WHO prequalification)
//! names for each type, as the list names them, with the products each
//! responsible authority oversees; single-source types; and where each
//! type stands against a range of sources held to sustain a market.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One qualified product (a presentation on the WHO PQ list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prequalification {
    pub product_type: String,
    pub manufacturer: String,
    /// The responsible regulatory authority, where stated.
    pub authority: Option<String>,
}

/// Where a number of sources stands against the range `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RuleBand {
    Below,
    Within,
    Above,
}

impl RuleBand {
    pub fn of(n: usize, low: usize, high: usize) -> RuleBand {
        if n < low {
            RuleBand::Below
        } else if n <= high {
            RuleBand::Within
        } else {
            RuleBand::Above
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RuleBand::Below => "below",
            RuleBand::Within => "within",
            RuleBand::Above => "above",
        }
    }
}

/// The qualified sources of one product type.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SourcesRow {
    pub product_type: String,
    /// Distinct manufacturers, by name.
    pub manufacturers: Vec<String>,
    /// Qualified products (presentations) of the type.
    pub products: usize,
    /// Products per responsible authority ("not stated" where the list gives none).
    pub authorities: BTreeMap<String, usize>,
    pub single_source: bool,
    pub rule: RuleBand,
}

/// The authority of products whose list entry names none.
pub const NOT_STATED: &str = "not stated";

/// Sources per product type, in type order, against the range `[low, high]`
/// of qualified sources. Names are compared as the list writes them, trimmed.
pub fn sources_per_type(entries: &[Prequalification], low: usize, high: usize) -> Vec<SourcesRow> {
    #[derive(Default)]
    struct Acc<'a> {
        manufacturers: BTreeSet<&'a str>,
        products: usize,
        authorities: BTreeMap<String, usize>,
    }
    let mut by_type: BTreeMap<&str, Acc> = BTreeMap::new();
    for e in entries {
        let a = by_type.entry(e.product_type.trim()).or_default();
        a.manufacturers.insert(e.manufacturer.trim());
        a.products += 1;
        let auth = e
            .authority
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(NOT_STATED);
        *a.authorities.entry(auth.to_string()).or_default() += 1;
    }
    by_type
        .into_iter()
        .map(|(t, a)| SourcesRow {
            product_type: t.to_string(),
            single_source: a.manufacturers.len() == 1,
            rule: RuleBand::of(a.manufacturers.len(), low, high),
            manufacturers: a.manufacturers.into_iter().map(str::to_string).collect(),
            products: a.products,
            authorities: a.authorities,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use equitas_doc_vectors::vectors;

    fn pq(t: &str, m: &str, a: Option<&str>) -> Prequalification {
        Prequalification {
            product_type: t.into(),
            manufacturer: m.into(),
            authority: a.map(str::to_string),
        }
    }

    #[test]
    fn single_sources_and_authorities() {
        let rows = sources_per_type(
            &[
                pq("Yellow Fever", "Inst A", Some("NRA 1")),
                pq("Yellow Fever", "Inst A ", Some("NRA 1")),
                pq("Yellow Fever", "Inst A", None),
                pq("Measles", "Inst A", Some("NRA 1")),
                pq("Measles", "Inst B", Some("NRA 2")),
            ],
            3,
            5,
        );
        assert_eq!(rows.len(), 2);
        let yf = &rows[1];
        assert_eq!(yf.product_type, "Yellow Fever");
        assert!(yf.single_source);
        assert_eq!(yf.manufacturers, vec!["Inst A"]);
        assert_eq!(yf.products, 3);
        assert_eq!(yf.authorities["NRA 1"], 2);
        assert_eq!(yf.authorities[NOT_STATED], 1);
        assert_eq!(rows[0].rule, RuleBand::Below);
        assert!(!rows[0].single_source);
    }

    /// docs/formulas.md, section 6.2.
    #[test]
    fn qualified_sources_worked_examples() {
        for v in vectors("qualified_sources") {
            let entries: Vec<Prequalification> = v["products"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| pq("t", p[0].as_str().unwrap(), p[1].as_str()))
                .collect();
            let r = &sources_per_type(&entries, 3, 5)[0];
            assert_eq!(
                r.manufacturers.len() as u64,
                v["sources"].as_u64().unwrap(),
                "{v}"
            );
            assert_eq!(
                r.single_source,
                v["single_source"].as_bool().unwrap(),
                "{v}"
            );
            assert_eq!(r.rule.as_str(), v["rule"].as_str().unwrap(), "{v}");
        }
    }
}
