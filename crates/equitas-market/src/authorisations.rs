//! Marketing authorisations as the legal-source figures count them
//! (docs/formulas.md 6.3): which are valid on a date, which product an
//! authorisation counts under, and the legal sources per country and
//! product (`equitas market sources`).
//!
//! An authorisation names its product by an Equitas code where the file
//! gives one (the optional `product` column) and always by the name the
//! register writes (`product_name`). One without a code counts under the
//! catalogue product whose name its name matches, ignoring case, accents,
//! spaces and punctuation ([`name_key`]); only where no product, or
//! several, match does it count under its name as written. Until
//! 2026-12-07 it always counted under its name, so one product's
//! authorisations were split into two rows with a wrong count each.

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The status of an authorisation in force (`inputs::authorisation_status`
/// writes every accepted spelling of it so).
pub const VALID: &str = "valid";

/// Whether an authorisation counts as valid on `on`: status *valid* and
/// `on` within `[from, to]`, both days included, either end open where
/// not given. Suspended, withdrawn, expired, cancelled and pending ones
/// never do, nor a valid one whose dates leave `on` out.
pub fn valid_on(
    status: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    on: NaiveDate,
) -> bool {
    status == VALID && from.is_none_or(|f| f <= on) && to.is_none_or(|t| on <= t)
}

/// The key two product names are compared by, so that case, accents,
/// spaces and punctuation do not matter (`Efavirenz 600 mg, tablet` and
/// `efavirenz 600mg tablet` have one key).
pub use equitas_model::suggest::name_key;

/// What a product name matches in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameMatch<'a> {
    /// Exactly one product: its code.
    One(&'a str),
    /// Several products have that name: their codes, sorted.
    Several(Vec<&'a str>),
    /// No product; `close` is the name of the product most likely meant
    /// ([`equitas_model::suggest`]), if one is.
    None { close: Option<&'a str> },
}

/// The catalogue's products by name ([`name_key`]).
#[derive(Debug, Clone, Default)]
pub struct ProductNames {
    /// Key -> (code, name), codes sorted.
    by_key: BTreeMap<String, Vec<(String, String)>>,
}

impl ProductNames {
    /// From the catalogue's (code, name) pairs.
    pub fn new(products: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut by_key: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (code, name) in products {
            let k = name_key(&name);
            if !k.is_empty() {
                by_key.entry(k).or_default().push((code, name));
            }
        }
        for v in by_key.values_mut() {
            v.sort();
            v.dedup_by(|a, b| a.0 == b.0);
        }
        ProductNames { by_key }
    }

    /// The products `name` matches.
    pub fn find(&self, name: &str) -> NameMatch<'_> {
        let k = name_key(name);
        match self.by_key.get(&k).map(Vec::as_slice) {
            Some([(code, _)]) => NameMatch::One(code),
            Some(v) if !v.is_empty() => {
                NameMatch::Several(v.iter().map(|(c, _)| c.as_str()).collect())
            }
            _ => NameMatch::None {
                close: self.close(&k),
            },
        }
    }

    /// The code of the one product `name` matches.
    pub fn code_of(&self, name: &str) -> Option<&str> {
        match self.find(name) {
            NameMatch::One(c) => Some(c),
            _ => None,
        }
    }

    /// The name of the product whose name `k` most likely meant
    /// ([`equitas_model::suggest`]).
    fn close(&self, k: &str) -> Option<&str> {
        equitas_model::suggest::did_you_mean(
            k,
            self.by_key
                .values()
                .flatten()
                .map(|(_, n)| (n.as_str(), n.as_str())),
        )
    }
}

/// The product an authorisation counts under: its code, else the code of
/// the one catalogue product its name matches, else its name as written.
pub fn product_key(product: Option<&str>, product_name: &str, names: &ProductNames) -> String {
    product
        .or_else(|| names.code_of(product_name))
        .unwrap_or(product_name)
        .to_string()
}

/// One authorisation loaded, as the figures read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub country: String,
    /// The product it counts under ([`product_key`]).
    pub product: String,
    pub holder: String,
    pub manufacturer: Option<String>,
    /// Valid on the date asked ([`valid_on`]).
    pub valid: bool,
}

/// How many sources a country can legally buy a product from.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SourcesRow {
    pub country: String,
    pub product: String,
    /// Distinct holders with an authorisation valid on the date.
    pub authorised_holders: i64,
    /// Distinct manufacturers named by those authorisations.
    pub authorised_manufacturers: i64,
    /// Authorisations valid on the date (0: authorisations are loaded for
    /// the product in the country, none of them valid on the date).
    pub authorisations: i64,
}

/// One row per (country, product) with an authorisation loaded, whatever
/// its status, counting those valid on the date; in country, product order.
pub fn legal_sources(held: &[Held]) -> Vec<SourcesRow> {
    #[derive(Default)]
    struct Acc<'a> {
        holders: BTreeSet<&'a str>,
        manufacturers: BTreeSet<&'a str>,
        n: i64,
    }
    let mut by: BTreeMap<(&str, &str), Acc<'_>> = BTreeMap::new();
    for h in held {
        let a = by
            .entry((h.country.as_str(), h.product.as_str()))
            .or_default();
        if h.valid {
            a.holders.insert(h.holder.as_str());
            if let Some(m) = &h.manufacturer {
                a.manufacturers.insert(m.as_str());
            }
            a.n += 1;
        }
    }
    by.into_iter()
        .map(|((country, product), a)| SourcesRow {
            country: country.to_string(),
            product: product.to_string(),
            authorised_holders: a.holders.len() as i64,
            authorised_manufacturers: a.manufacturers.len() as i64,
            authorisations: a.n,
        })
        .collect()
}

/// Rows of an authorisations file without a product code (line, name) whose
/// name matches no catalogue product or several: one note naming the file,
/// the lines and, where one product's name is close, that product. None
/// when every such row was attributed.
pub fn unattributed_note(
    source_name: &str,
    rows: &[(u64, &str)],
    names: &ProductNames,
) -> Option<String> {
    let mut by_name: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (line, name) in rows {
        if names.code_of(name).is_none() {
            by_name.entry(name).or_default().push(*line);
        }
    }
    if by_name.is_empty() {
        return None;
    }
    let lines = |v: &[u64]| {
        let s: Vec<String> = v.iter().map(u64::to_string).collect();
        format!(
            "{} {}",
            if v.len() == 1 { "line" } else { "lines" },
            s.join(", ")
        )
    };
    let parts: Vec<String> = by_name
        .iter()
        .map(|(name, at)| {
            let why = match names.find(name) {
                NameMatch::Several(codes) => {
                    format!("matches several products ({})", codes.join(", "))
                }
                NameMatch::None { close: Some(n) } => {
                    format!("matches no product; did you mean {n:?}?")
                }
                _ => "matches no product".to_string(),
            };
            format!("{source_name}: {} ({name:?}): {why}", lines(at))
        })
        .collect();
    let n: usize = by_name.values().map(Vec::len).sum();
    Some(format!(
        "{n} authorisation(s) without a product code whose product_name is not one catalogue product's name (compared ignoring case, accents, spaces and punctuation), kept under the name as written and counted apart from any product: {}; give the `product` code, or the product's catalogue name, to count them with it",
        parts.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn catalogue() -> ProductNames {
        ProductNames::new([
            (
                "efavirenz-600mg-tablet".into(),
                "Efavirenz 600mg tablet".into(),
            ),
            ("nvp-200".into(), "Nevirapine 200mg tablet".into()),
            ("x1".into(), "Twin product".into()),
            ("x2".into(), "twin-product".into()),
        ])
    }

    #[test]
    fn only_status_valid_within_its_dates_is_valid() {
        let on = d("2026-06-01");
        assert!(valid_on("valid", None, None, on));
        assert!(
            valid_on("valid", Some(on), Some(on), on),
            "both ends included"
        );
        assert!(!valid_on("valid", None, Some(d("2026-05-31")), on));
        assert!(!valid_on("valid", Some(d("2026-06-02")), None, on));
        for s in ["suspended", "withdrawn", "expired", "cancelled", "pending"] {
            assert!(!valid_on(s, None, None, on), "{s}");
        }
    }

    #[test]
    fn names_match_ignoring_case_spaces_and_punctuation() {
        let c = catalogue();
        for n in [
            "Efavirenz 600mg tablet",
            "EFAVIRENZ 600 MG, TABLET",
            "  efavirenz-600mg tablet ",
        ] {
            assert_eq!(c.find(n), NameMatch::One("efavirenz-600mg-tablet"), "{n}");
        }
        assert_eq!(c.find("Twin Product"), NameMatch::Several(vec!["x1", "x2"]));
        assert_eq!(
            c.find("Efavirenz 600mg tab"),
            NameMatch::None {
                close: Some("Efavirenz 600mg tablet")
            }
        );
        assert_eq!(c.find("Zidovudine 300mg"), NameMatch::None { close: None });
    }

    #[test]
    fn a_code_wins_over_the_name() {
        let c = catalogue();
        assert_eq!(
            product_key(Some("nvp-200"), "Efavirenz 600mg tablet", &c),
            "nvp-200"
        );
        assert_eq!(
            product_key(None, "efavirenz 600 mg tablet", &c),
            "efavirenz-600mg-tablet"
        );
        assert_eq!(product_key(None, "Twin product", &c), "Twin product");
        assert_eq!(product_key(None, "Unknown", &c), "Unknown");
    }

    fn held(product: &str, holder: &str, valid: bool) -> Held {
        Held {
            country: "NGA".into(),
            product: product.into(),
            holder: holder.into(),
            manufacturer: None,
            valid,
        }
    }

    /// The user's case: two coded authorisations and one by name only are
    /// one product with three sources, not two rows.
    #[test]
    fn an_authorisation_named_only_counts_with_its_product() {
        let c = catalogue();
        let key = |code: Option<&str>, name: &str| product_key(code, name, &c);
        let rows = legal_sources(&[
            held(&key(Some("efavirenz-600mg-tablet"), "EFV"), "A", true),
            held(&key(Some("efavirenz-600mg-tablet"), "EFV"), "B", true),
            held(&key(None, "Efavirenz 600mg tablet"), "C", true),
        ]);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].authorised_holders, 3);
    }

    #[test]
    fn a_product_with_none_valid_is_a_row_of_zero() {
        let rows = legal_sources(&[held("p", "A", false), held("q", "B", true)]);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].product.as_str(),
                rows[0].authorised_holders,
                rows[0].authorisations
            ),
            ("p", 0, 0)
        );
        assert_eq!(rows[1].authorised_holders, 1);
    }

    #[test]
    fn the_note_names_file_lines_and_a_close_product() {
        let c = catalogue();
        let note = unattributed_note(
            "ma.csv",
            &[
                (2, "Efavirenz 600mg tablet"),
                (3, "Efavirenz 600mg tab"),
                (5, "Efavirenz 600mg tab"),
                (7, "Twin product"),
            ],
            &c,
        )
        .unwrap();
        assert!(note.starts_with("3 authorisation(s)"), "{note}");
        assert!(
            note.contains(
                "ma.csv: lines 3, 5 (\"Efavirenz 600mg tab\"): matches no product; did you mean \"Efavirenz 600mg tablet\"?"
            ),
            "{note}"
        );
        assert!(
            note.contains("ma.csv: line 7 (\"Twin product\"): matches several products (x1, x2)"),
            "{note}"
        );
        assert!(!note.contains("line 2"), "{note}");
        assert_eq!(
            unattributed_note("ma.csv", &[(2, "efavirenz 600mg tablet")], &c),
            None
        );
    }
}
