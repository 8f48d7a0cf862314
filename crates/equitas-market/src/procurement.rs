//! Procurement transactions: one line of a shipment or purchase order.

use chrono::NaiveDate;
use equitas_model::{ManufacturingSite, Organisation, Product, RowError, TradeItem};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Why a field of a source row holds no usable value. Sources write these
/// in place of numbers and dates; Equitas keeps them, with the raw text,
/// instead of dropping the row or inventing a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// The cell is empty.
    Blank,
    /// "Date Not Captured".
    NotCaptured,
    /// "Pre-PQ Process": the shipment predates price quotes in the system.
    PrePqProcess,
    /// "N/A - From RDC": supplied from a regional distribution centre's
    /// stock, so there is no vendor order date or Incoterm of its own.
    NotApplicableFromRdc,
    /// "Freight Included in Commodity Cost".
    IncludedInCommodityCost,
    /// "Invoiced Separately".
    InvoicedSeparately,
    /// "Weight Captured Separately".
    CapturedSeparately,
    /// "See ASN-93 (ID#:1281)": recorded on another shipment line.
    SeeOtherShipment,
    /// "Not Applicable", "N/A": the source states there is none (SCMS's
    /// manufacturing site of some lines).
    NotApplicable,
    /// Text Equitas does not recognise: kept as written and counted.
    Unrecognised,
}

impl GapKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GapKind::Blank => "blank",
            GapKind::NotCaptured => "not_captured",
            GapKind::PrePqProcess => "pre_pq_process",
            GapKind::NotApplicableFromRdc => "not_applicable_from_rdc",
            GapKind::IncludedInCommodityCost => "included_in_commodity_cost",
            GapKind::InvoicedSeparately => "invoiced_separately",
            GapKind::CapturedSeparately => "captured_separately",
            GapKind::SeeOtherShipment => "see_other_shipment",
            GapKind::NotApplicable => "not_applicable",
            GapKind::Unrecognised => "unrecognised",
        }
    }

    /// A short explanation for people, naming the source's wording.
    pub fn describe(self) -> &'static str {
        match self {
            GapKind::Blank => "empty cell",
            GapKind::NotCaptured => "\"Date Not Captured\"",
            GapKind::PrePqProcess => "\"Pre-PQ Process\" (before price quotes were recorded)",
            GapKind::NotApplicableFromRdc => {
                "\"N/A - From RDC\" (supplied from a regional distribution centre)"
            }
            GapKind::IncludedInCommodityCost => "\"Freight Included in Commodity Cost\"",
            GapKind::InvoicedSeparately => "\"Invoiced Separately\"",
            GapKind::CapturedSeparately => "\"Weight Captured Separately\"",
            GapKind::SeeOtherShipment => "\"See ASN-/DN-...\" (recorded on another shipment line)",
            GapKind::NotApplicable => {
                "\"Not Applicable\" or \"N/A\" (the source states there is none)"
            }
            GapKind::Unrecognised => "text that is not a value",
        }
    }

    /// Parses the stored name back.
    pub fn from_name(s: &str) -> Option<GapKind> {
        [
            GapKind::Blank,
            GapKind::NotCaptured,
            GapKind::PrePqProcess,
            GapKind::NotApplicableFromRdc,
            GapKind::IncludedInCommodityCost,
            GapKind::InvoicedSeparately,
            GapKind::CapturedSeparately,
            GapKind::SeeOtherShipment,
            GapKind::NotApplicable,
            GapKind::Unrecognised,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Classifies the text of a cell that is not a value.
    pub fn classify(raw: &str) -> GapKind {
        let t = raw.trim();
        let l = t.to_ascii_lowercase();
        if t.is_empty() {
            GapKind::Blank
        } else if l == "date not captured" {
            GapKind::NotCaptured
        } else if l == "pre-pq process" {
            GapKind::PrePqProcess
        } else if l.starts_with("n/a - from rdc") {
            GapKind::NotApplicableFromRdc
        } else if l.contains("included in commodity cost") {
            GapKind::IncludedInCommodityCost
        } else if l == "invoiced separately" {
            GapKind::InvoicedSeparately
        } else if l.ends_with("captured separately") {
            GapKind::CapturedSeparately
        } else if l.starts_with("see ") && (l.contains("asn-") || l.contains("dn-")) {
            GapKind::SeeOtherShipment
        } else if matches!(l.as_str(), "not applicable" | "n/a" | "n.a.") {
            GapKind::NotApplicable
        } else {
            GapKind::Unrecognised
        }
    }
}

impl fmt::Display for GapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field left without a value, with the reason and the raw text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldGap {
    pub field: &'static str,
    pub kind: GapKind,
    pub raw: String,
}

/// One procurement line. Money is in `currency` (US$ for SCMS).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcurementLine {
    /// Source dataset (`scms`, or the name given to a generic import).
    pub source: String,
    /// The line's identifier in its source.
    pub source_id: String,
    /// ISO3 of the buyer (destination) country.
    pub buyer_country: String,
    /// Organisation code of the vendor.
    pub supplier: String,
    pub product: String,
    pub trade_item: String,
    /// Manufacturing site code, where stated.
    pub site: Option<String>,
    /// Comparison units per pack.
    pub pack_size: Option<f64>,
    /// Number of packs.
    pub quantity: f64,
    pub value: Option<f64>,
    pub pack_price: Option<f64>,
    pub unit_price: Option<f64>,
    pub currency: String,
    pub incoterm: Option<String>,
    pub mode: Option<String>,
    pub fulfil_via: Option<String>,
    pub quote_date: Option<NaiveDate>,
    pub order_date: Option<NaiveDate>,
    pub scheduled_date: Option<NaiveDate>,
    pub delivered_date: Option<NaiveDate>,
    pub recorded_date: Option<NaiveDate>,
    pub weight_kg: Option<f64>,
    pub freight: Option<f64>,
    pub insurance: Option<f64>,
    pub first_line: Option<bool>,
    pub project_code: Option<String>,
    pub quote_ref: Option<String>,
    pub order_ref: Option<String>,
    pub shipment_ref: Option<String>,
    pub gaps: Vec<FieldGap>,
}

/// Everything read from a procurement file: the catalogue it describes,
/// its lines, and the rows it could not use.
#[derive(Debug, Default)]
pub struct ProcurementData {
    pub rows_read: u64,
    pub products: Vec<Product>,
    pub trade_items: Vec<TradeItem>,
    pub organisations: Vec<Organisation>,
    pub sites: Vec<ManufacturingSite>,
    /// Lines with the CSV line number they came from.
    pub lines: Vec<(u64, ProcurementLine)>,
    pub errors: Vec<RowError>,
    /// Sites named in the file but absent from the mapping table.
    pub unmapped_sites: BTreeSet<String>,
    /// What the import should tell about the file as a whole (a site or
    /// manufacturer stated in two countries of manufacture, with its lines).
    pub notes: Vec<String>,
}

impl ProcurementData {
    /// Number of gaps per (field, reason), for the import summary.
    pub fn gap_counts(&self) -> BTreeMap<(&'static str, GapKind), u64> {
        let mut m = BTreeMap::new();
        for (_, l) in &self.lines {
            for g in &l.gaps {
                *m.entry((g.field, g.kind)).or_insert(0) += 1;
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_scms_gap_texts() {
        for (raw, kind) in [
            ("", GapKind::Blank),
            ("Date Not Captured", GapKind::NotCaptured),
            ("Pre-PQ Process", GapKind::PrePqProcess),
            ("N/A - From RDC", GapKind::NotApplicableFromRdc),
            (
                "Freight Included in Commodity Cost",
                GapKind::IncludedInCommodityCost,
            ),
            ("Invoiced Separately", GapKind::InvoicedSeparately),
            ("Weight Captured Separately", GapKind::CapturedSeparately),
            ("See ASN-93 (ID#:1281)", GapKind::SeeOtherShipment),
            ("See DN-304 (ID#:10589)", GapKind::SeeOtherShipment),
            ("Not Applicable", GapKind::NotApplicable),
            ("N/A", GapKind::NotApplicable),
            ("about 12", GapKind::Unrecognised),
            ("NA", GapKind::Unrecognised),
        ] {
            assert_eq!(GapKind::classify(raw), kind, "{raw}");
            assert_eq!(GapKind::from_name(kind.as_str()), Some(kind));
        }
    }
}
