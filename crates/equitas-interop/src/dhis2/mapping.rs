//! The mapping file (TOML) between Equitas's codes and a DHIS2 instance's
//! metadata: product → data element, metric → category option combo (or
//! data element), location → organisation unit.
//!
//! Two layouts are in use, and both are read:
//!
//! - `category-option-combo`: one data element per product, the metric
//!   being a category option combo of it (the layout of DHIS2's logistics
//!   toolkit for LMIS data sets);
//!
//!   ```toml
//!   layout = "category-option-combo"
//!   [metrics]                       # metric -> category option combo
//!   stock_on_hand = "J2Qf1jtZuj8"
//!   [products.AMOX-250]
//!   data_element = "s46m5MS0hxu"
//!   ```
//!
//! - `data-element-per-metric`: one data element per product and metric,
//!   with the default category option combo (as Open mSupply's DHIS2
//!   integration does);
//!
//!   ```toml
//!   layout = "data-element-per-metric"
//!   [products.AMOX-250.metrics]     # metric -> data element
//!   stock_on_hand = "fbfJHSPpUQD"
//!   ```
//!
//! In both, `[org_units]` maps location codes to organisation units, by
//! UID or by code as `org_unit_scheme` says (`uid`, the default, or
//! `code`); `id_scheme` says the same of data elements and category
//! option combos. `data_set`, `attribute_option_combo` and
//! `category_option_combo` (the combo written in the second layout;
//! DHIS2's default when left out) are optional.

use super::Dhis2Error;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// A monthly figure Equitas exchanges with DHIS2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Stock on hand at the start of the month (imported as an opening count).
    OpeningBalance,
    /// Closing stock on hand at the end of the month.
    StockOnHand,
    /// Issued plus dispensed in the month (formulas 3.2).
    Consumption,
    Received,
    /// Adjustments and count differences, signed.
    Adjustments,
    StockoutDays,
    /// Derived (formulas 3.6): exported, not imported.
    MonthsOfStock,
    /// Derived (formulas 3.7), as text: exported, not imported.
    Status,
}

impl Metric {
    pub const ALL: [Metric; 8] = [
        Metric::OpeningBalance,
        Metric::StockOnHand,
        Metric::Consumption,
        Metric::Received,
        Metric::Adjustments,
        Metric::StockoutDays,
        Metric::MonthsOfStock,
        Metric::Status,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::OpeningBalance => "opening_balance",
            Metric::StockOnHand => "stock_on_hand",
            Metric::Consumption => "consumption",
            Metric::Received => "received",
            Metric::Adjustments => "adjustments",
            Metric::StockoutDays => "stockout_days",
            Metric::MonthsOfStock => "months_of_stock",
            Metric::Status => "status",
        }
    }

    pub fn from_name(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// True for figures Equitas computes from the others: they are sent
    /// to DHIS2 but never read back as data.
    pub fn derived(self) -> bool {
        matches!(self, Metric::MonthsOfStock | Metric::Status)
    }
}

/// How DHIS2 identifies an object in a payload (`idScheme`, `orgUnitIdScheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdScheme {
    #[default]
    Uid,
    Code,
}

impl IdScheme {
    /// The value of DHIS2's `idScheme` query parameters.
    pub fn as_param(self) -> &'static str {
        match self {
            IdScheme::Uid => "UID",
            IdScheme::Code => "CODE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    CategoryOptionCombo,
    DataElementPerMetric,
}

/// DHIS2's default category option combo (the same UID in every instance).
pub const DEFAULT_COMBO: &str = "HllvX50cXC0";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    data_element: Option<String>,
    #[serde(default)]
    metrics: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    layout: Layout,
    data_set: Option<String>,
    attribute_option_combo: Option<String>,
    category_option_combo: Option<String>,
    #[serde(default)]
    id_scheme: IdScheme,
    #[serde(default)]
    org_unit_scheme: IdScheme,
    #[serde(default)]
    metrics: BTreeMap<String, String>,
    #[serde(default)]
    products: BTreeMap<String, RawProduct>,
    #[serde(default)]
    org_units: BTreeMap<String, String>,
}

/// Where one product's metric goes in DHIS2.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub data_element: String,
    /// `None`: the default combo (left out of the payload).
    pub category_option_combo: Option<String>,
}

/// A checked mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub layout: Layout,
    pub data_set: Option<String>,
    pub attribute_option_combo: Option<String>,
    pub id_scheme: IdScheme,
    pub org_unit_scheme: IdScheme,
    /// (product, metric) → target, products in code order.
    targets: BTreeMap<(String, Metric), Target>,
    /// target → (product, metric).
    reverse: HashMap<(String, Option<String>), (String, Metric)>,
    /// location code → org unit.
    org_units: BTreeMap<String, String>,
    /// org unit → location code.
    locations: HashMap<String, String>,
}

/// True for a DHIS2 UID: 11 letters or digits, the first a letter.
pub fn is_uid(s: &str) -> bool {
    s.len() == 11
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
        && s.as_bytes()[0].is_ascii_alphabetic()
}

fn check_id(key: &str, value: &str, scheme: IdScheme) -> Result<(), Dhis2Error> {
    let bad = |reason: String| Dhis2Error::Mapping {
        key: key.to_string(),
        reason,
    };
    if value.trim().is_empty() || value.trim() != value {
        return Err(bad(format!("{value:?} is empty or has spaces around it")));
    }
    if scheme == IdScheme::Uid && !is_uid(value) {
        return Err(bad(format!(
            "{value:?} is not a DHIS2 UID (11 letters or digits, the first a letter); \
             set the scheme to \"code\" to use codes"
        )));
    }
    Ok(())
}

fn metric(key: &str, name: &str) -> Result<Metric, Dhis2Error> {
    Metric::from_name(name).ok_or_else(|| Dhis2Error::Mapping {
        key: key.to_string(),
        reason: format!(
            "{name:?} is not a metric (one of: {})",
            Metric::ALL.map(Metric::as_str).join(", ")
        ),
    })
}

impl Mapping {
    /// Reads and checks a mapping file; errors name the TOML key.
    pub fn parse(text: &str) -> Result<Mapping, Dhis2Error> {
        let raw: RawMapping =
            toml::from_str(text).map_err(|e| Dhis2Error::MappingToml(e.to_string()))?;
        let ids = raw.id_scheme;
        for (k, v) in [
            ("data_set", &raw.data_set),
            ("attribute_option_combo", &raw.attribute_option_combo),
            ("category_option_combo", &raw.category_option_combo),
        ] {
            if let Some(v) = v {
                check_id(k, v, ids)?;
            }
        }
        let mut targets = BTreeMap::new();
        match raw.layout {
            Layout::CategoryOptionCombo => {
                if raw.metrics.is_empty() {
                    return Err(Dhis2Error::Mapping {
                        key: "metrics".into(),
                        reason: "the category-option-combo layout needs [metrics] \
                                 (metric = category option combo)"
                            .into(),
                    });
                }
                let mut combos = Vec::new();
                for (name, coc) in &raw.metrics {
                    let key = format!("metrics.{name}");
                    let m = metric(&key, name)?;
                    check_id(&key, coc, ids)?;
                    combos.push((m, coc.clone()));
                }
                for (code, p) in &raw.products {
                    let key = format!("products.{code}");
                    if !p.metrics.is_empty() {
                        return Err(Dhis2Error::Mapping {
                            key: format!("{key}.metrics"),
                            reason: "per-metric data elements belong to the \
                                     data-element-per-metric layout"
                                .into(),
                        });
                    }
                    let Some(de) = &p.data_element else {
                        return Err(Dhis2Error::Mapping {
                            key: format!("{key}.data_element"),
                            reason: "missing: each product needs its data element".into(),
                        });
                    };
                    check_id(&format!("{key}.data_element"), de, ids)?;
                    for (m, coc) in &combos {
                        targets.insert(
                            (code.clone(), *m),
                            Target {
                                data_element: de.clone(),
                                category_option_combo: Some(coc.clone()),
                            },
                        );
                    }
                }
            }
            Layout::DataElementPerMetric => {
                if !raw.metrics.is_empty() {
                    return Err(Dhis2Error::Mapping {
                        key: "metrics".into(),
                        reason: "[metrics] (category option combos) belong to the \
                                 category-option-combo layout"
                            .into(),
                    });
                }
                let coc = raw.category_option_combo.clone();
                for (code, p) in &raw.products {
                    let key = format!("products.{code}");
                    if p.data_element.is_some() {
                        return Err(Dhis2Error::Mapping {
                            key: format!("{key}.data_element"),
                            reason: "this layout maps each metric to its own data element \
                                     ([products.CODE.metrics])"
                                .into(),
                        });
                    }
                    if p.metrics.is_empty() {
                        return Err(Dhis2Error::Mapping {
                            key: format!("{key}.metrics"),
                            reason: "missing: metric = data element, for each metric sent".into(),
                        });
                    }
                    for (name, de) in &p.metrics {
                        let k = format!("{key}.metrics.{name}");
                        let m = metric(&k, name)?;
                        check_id(&k, de, ids)?;
                        targets.insert(
                            (code.clone(), m),
                            Target {
                                data_element: de.clone(),
                                category_option_combo: coc.clone(),
                            },
                        );
                    }
                }
            }
        }
        if targets.is_empty() {
            return Err(Dhis2Error::Mapping {
                key: "products".into(),
                reason: "no product is mapped".into(),
            });
        }
        let mut reverse = HashMap::new();
        for ((code, m), t) in &targets {
            let k = (t.data_element.clone(), t.category_option_combo.clone());
            if let Some((other, om)) = reverse.insert(k, (code.clone(), *m)) {
                return Err(Dhis2Error::Mapping {
                    key: format!("products.{code}"),
                    reason: format!(
                        "{} {} is also where {other} {} goes: each target must be one figure's",
                        t.data_element,
                        t.category_option_combo
                            .as_deref()
                            .unwrap_or("(default combo)"),
                        om.as_str()
                    ),
                });
            }
        }
        let mut locations = HashMap::new();
        for (code, ou) in &raw.org_units {
            let key = format!("org_units.{code}");
            check_id(&key, ou, raw.org_unit_scheme)?;
            if let Some(other) = locations.insert(ou.clone(), code.clone()) {
                return Err(Dhis2Error::Mapping {
                    key,
                    reason: format!("{ou} is also the org unit of {other}"),
                });
            }
        }
        if locations.is_empty() {
            return Err(Dhis2Error::Mapping {
                key: "org_units".into(),
                reason: "no location is mapped to an organisation unit".into(),
            });
        }
        Ok(Mapping {
            layout: raw.layout,
            data_set: raw.data_set,
            attribute_option_combo: raw.attribute_option_combo,
            id_scheme: ids,
            org_unit_scheme: raw.org_unit_scheme,
            targets,
            reverse,
            org_units: raw.org_units,
            locations,
        })
    }

    /// Where a product's metric goes, if mapped.
    pub fn target(&self, product: &str, metric: Metric) -> Option<&Target> {
        self.targets.get(&(product.to_string(), metric))
    }

    /// The (product, metric) a data value with this data element and
    /// category option combo stands for. An absent combo and DHIS2's
    /// default one are the same.
    pub fn figure(&self, data_element: &str, combo: Option<&str>) -> Option<&(String, Metric)> {
        let combo = combo.filter(|c| !c.is_empty());
        let get = |c: Option<&str>| {
            self.reverse
                .get(&(data_element.to_string(), c.map(str::to_string)))
        };
        get(combo)
            .or_else(|| match combo {
                None => None,
                Some(c) if c == DEFAULT_COMBO => get(None),
                Some(_) => None,
            })
            .or_else(|| {
                // A mapping naming the default combo matches values that leave it out.
                combo.is_none().then(|| get(Some(DEFAULT_COMBO))).flatten()
            })
    }

    /// The data elements of the mapping, with the product and figure each
    /// stands for (the first of its combos), to guess the one a data
    /// element not in the mapping likely misspells
    /// ([`equitas_model::suggest`]); keyed once for a whole import.
    pub fn elements(&self) -> equitas_model::suggest::Suggester<(&str, &(String, Metric))> {
        let mut known: Vec<(&str, &(String, Metric))> = self
            .reverse
            .iter()
            .map(|((e, _), f)| (e.as_str(), f))
            .collect();
        known.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(b.1)));
        known.dedup_by(|a, b| a.0 == b.0);
        equitas_model::suggest::Suggester::new(known.into_iter().map(|(e, f)| ((e, f), e)))
    }

    /// The products mapped, in code order.
    pub fn products(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.targets.keys().map(|(p, _)| p.as_str()).collect();
        out.dedup();
        out
    }

    /// The org unit of a location code.
    pub fn org_unit(&self, location: &str) -> Option<&str> {
        self.org_units.get(location).map(String::as_str)
    }

    /// The location code of an org unit.
    pub fn location(&self, org_unit: &str) -> Option<&str> {
        self.locations.get(org_unit).map(String::as_str)
    }

    /// The location codes mapped, in order.
    pub fn locations(&self) -> impl Iterator<Item = &str> {
        self.org_units.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COC: &str = r#"
layout = "category-option-combo"
data_set = "ULowA8V3ucd"
[metrics]
stock_on_hand = "J2Qf1jtZuj8"
consumption = "KPP63zJPkOu"
[products.AMOX]
data_element = "s46m5MS0hxu"
[org_units]
FAC1 = "DiszpKrYNg8"
"#;

    #[test]
    fn both_layouts_map_figures_both_ways() {
        let m = Mapping::parse(COC).unwrap();
        let t = m.target("AMOX", Metric::Consumption).unwrap();
        assert_eq!(t.data_element, "s46m5MS0hxu");
        assert_eq!(t.category_option_combo.as_deref(), Some("KPP63zJPkOu"));
        assert_eq!(
            m.figure("s46m5MS0hxu", Some("J2Qf1jtZuj8")),
            Some(&("AMOX".to_string(), Metric::StockOnHand))
        );
        assert_eq!(m.figure("s46m5MS0hxu", None), None);
        assert_eq!(m.location("DiszpKrYNg8"), Some("FAC1"));

        let per = Mapping::parse(
            r#"
layout = "data-element-per-metric"
org_unit_scheme = "code"
[products.AMOX.metrics]
stock_on_hand = "fbfJHSPpUQD"
stockout_days = "cYeuwXTCPkU"
[org_units]
FAC1 = "OU_559"
"#,
        )
        .unwrap();
        assert_eq!(
            per.figure("cYeuwXTCPkU", None),
            Some(&("AMOX".to_string(), Metric::StockoutDays))
        );
        assert_eq!(
            per.figure("cYeuwXTCPkU", Some(DEFAULT_COMBO)),
            Some(&("AMOX".to_string(), Metric::StockoutDays))
        );
        assert_eq!(per.org_unit("FAC1"), Some("OU_559"));
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            (
                COC.replace("J2Qf1jtZuj8", "not a uid"),
                "metrics.stock_on_hand",
            ),
            (COC.replace("consumption", "consumed"), "metrics.consumed"),
            (COC.replace("DiszpKrYNg8", "bad"), "org_units.FAC1"),
            (
                COC.replace("data_element = \"s46m5MS0hxu\"", ""),
                "products.AMOX.data_element",
            ),
            (COC.replace("KPP63zJPkOu", "J2Qf1jtZuj8"), "products.AMOX"),
        ];
        for (text, key) in cases {
            let e = Mapping::parse(&text).unwrap_err();
            assert!(
                matches!(&e, Dhis2Error::Mapping { key: k, .. } if k == key),
                "{key}: {e}"
            );
        }
        let e = Mapping::parse("layout = \"sideways\"").unwrap_err();
        assert!(e.to_string().contains("layout"), "{e}");
    }
}
