//! The allowed values of parameters, taken from the types that define them
//! (never copied), and the shared readers of places.

use equitas_store::stock::StockData;
use std::sync::LazyLock;

fn leak<T>(all: &[T], name: impl Fn(&T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(name).collect()
}

static LEVELS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| leak(&equitas_model::LocationLevel::ALL, |l| l.as_str()));
static STATUSES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| leak(&equitas_ledger::indicators::Status::ALL, |s| s.as_str()));
static METHODS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut v = vec!["auto"];
    v.extend(leak(&equitas_planning::Method::ALL, |m| m.as_str()));
    v
});
static PROGRAMMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| leak(equitas_model::Programme::ALL, |p| p.as_str()));
static DIMS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| leak(equitas_market::analysis::Dim::ALL, |d| d.as_str()));

/// Location levels: country, region, district, facility, warehouse.
pub fn levels() -> &'static [&'static str] {
    &LEVELS
}

/// Stock statuses (docs/formulas.md 3.7).
pub fn statuses() -> &'static [&'static str] {
    &STATUSES
}

/// `auto` and the forecasting methods (docs/formulas.md 4.2).
pub fn methods() -> &'static [&'static str] {
    &METHODS
}

/// The programmes of the product catalogue: hiv, tb, malaria...
pub fn programmes() -> &'static [&'static str] {
    &PROGRAMMES
}

/// Dimensions of the market figures.
pub fn dims() -> &'static [&'static str] {
    &DIMS
}

/// The code of the place `given` names (code, GLN, SGLN URN or GLN Digital Link).
pub fn find_place(data: &StockData, given: &str) -> Option<String> {
    if let Some(p) = data.places.resolve(given) {
        return Some(p.code.clone());
    }
    let gln = gln_of(given)?;
    data.places
        .list
        .iter()
        .find(|p| p.gln.as_deref() == Some(gln.as_str()))
        .map(|p| p.code.clone())
}

/// The GLN a location identifier stands for: a GLN, an SGLN URN (extension
/// 0) or a GLN Digital Link.
pub fn gln_of(given: &str) -> Option<String> {
    if given.len() == 13 && given.bytes().all(|b| b.is_ascii_digit()) {
        return equitas_gs1::Gln::parse(given).ok().map(|g| g.to_string());
    }
    match equitas_gs1::Epc::parse(given).ok()? {
        equitas_gs1::Epc::Sgln { gln, .. } => Some(gln.as_str().to_string()),
        _ => None,
    }
}
