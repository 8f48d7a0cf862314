//! The MSH International Medical Products Price Guide layout, and the
//! matching of its rows to Equitas products.
//!
//! The WHO/HAI method (2nd ed., 2008, section 3.3) takes the MSH
//! *supplier* median price per comparison unit as the international
//! reference price, and the *buyer* median when no supplier price exists.
//!
//! A guide row names a medicine (`Abacavir/Lamivudine`), a strength
//! (`600 mg/300mg`) and a comparison unit (`TAB-CAP`, `ML`...); an Equitas
//! product has active ingredients, a strength (`600/300mg`) and a dosage
//! form (`tablet`). Both are reduced to the same matching key: ingredients
//! without salt names, strength numbers with one unit, and the comparison
//! unit the dosage form is priced in.

use equitas_model::RowError;
use equitas_model::reference::{Parsed, Table, cell};
use std::io::Read;

/// One priced row of the guide.
#[derive(Debug, Clone, PartialEq)]
pub struct MshRow {
    pub medicine: String,
    pub strength: String,
    pub comparison_unit: String,
    /// Supplier median, or buyer median when there is none (US$ per unit).
    pub price_usd: f64,
    /// "supplier median" or "buyer median".
    pub basis: &'static str,
    pub atc: Option<String>,
}

/// True if a header row is the MSH guide layout.
pub fn is_msh_layout(header: &str) -> bool {
    let h = header.to_ascii_lowercase();
    h.contains("comparison unit") && h.contains("supplier median")
}

/// Parses the guide. Rows with neither a supplier nor a buyer median are
/// errors (there is no price to use); the first column holds the medicine.
pub fn parse_msh<R: Read>(r: R) -> Result<Parsed<MshRow>, RowError> {
    let mut t = Table::new(r)?;
    let strength = t.require("Strength")?;
    let unit = t.require("Comparison Unit")?;
    let supplier = t.require("Supplier Median (US$)")?;
    let buyer = t.column("Buyer Median (US$)");
    let atc = t.column("ATC Code");
    Ok(t.parse(|rec, line| {
        let num = |i: Option<usize>| {
            cell(rec, i)
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|v| *v > 0.0)
        };
        let mut e = equitas_model::RowErrors::default();
        let medicine = e.field(
            cell(rec, Some(0))
                .ok_or_else(|| RowError::new(line, "medicine (first column)", "empty")),
        );
        let price = e.field(match (num(Some(supplier)), num(buyer)) {
            (Some(p), _) => Ok((p, "supplier median")),
            (None, Some(p)) => Ok((p, "buyer median")),
            (None, None) => Err(RowError::new(
                line,
                "Supplier Median (US$)",
                "no supplier or buyer median price",
            )),
        });
        let (Some(medicine), Some((price_usd, basis))) = (medicine, price) else {
            return Err(e);
        };
        Ok(MshRow {
            medicine: medicine.to_string(),
            strength: cell(rec, Some(strength)).unwrap_or("").to_string(),
            comparison_unit: cell(rec, Some(unit)).unwrap_or("").to_ascii_uppercase(),
            price_usd,
            basis,
            atc: cell(rec, atc).map(str::to_string),
        })
    }))
}

const SALTS: &[&str] = &[
    "sulfate",
    "sulphate",
    "disoproxil",
    "fumarate",
    "hydrochloride",
    "maleate",
    "sodium",
    "potassium",
    "mesilate",
    "mesylate",
    "phosphate",
    "succinate",
    "citrate",
];

/// Ingredients, lower-case, salt names removed, in their written order.
pub fn norm_molecule(s: &str) -> String {
    s.split('/')
        .map(|part| {
            part.split_whitespace()
                .map(str::to_lowercase)
                .filter(|w| !SALTS.contains(&w.as_str()))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Strength as numbers with one unit: `600 mg/300mg` and `600/300mg` both
/// give `600/300mg`; `80/20 mg/ml` gives `80/20mg/ml`.
pub fn norm_strength(s: &str) -> String {
    let t: String = s
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let (body, unit) = match t.strip_suffix("mg/ml") {
        Some(b) => (b.to_string(), "mg/ml".to_string()),
        None => {
            let unit: String = t
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            (t[..t.len() - unit.len()].to_string(), unit)
        }
    };
    let numbers: Vec<String> = body
        .split('/')
        .map(|p| {
            p.trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .to_string()
        })
        .collect();
    format!("{}{}", numbers.join("/"), unit)
}

/// The MSH comparison unit a dosage form is priced in.
pub fn comparison_unit(dosage_form: &str) -> Option<&'static str> {
    let f = dosage_form.to_lowercase();
    if f.contains("tablet") || f.contains("capsule") {
        Some("TAB-CAP")
    } else if f.contains("oral solution")
        || f.contains("suspension")
        || f.contains("syrup")
        || f.contains("oral powder")
    {
        Some("ML")
    } else if f.contains("test") {
        Some("TEST")
    } else if f.contains("injection") {
        Some("VIAL")
    } else {
        None
    }
}

/// The key a product and a guide row share when they are the same medicine.
pub fn matching_key(molecule: &str, strength: &str, unit: &str) -> String {
    format!(
        "{}|{}|{}",
        norm_molecule(molecule),
        norm_strength(strength),
        unit
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_guide_rows_and_products_meet() {
        assert_eq!(
            matching_key("Abacavir/Lamivudine", "600 mg/300mg", "TAB-CAP"),
            matching_key(
                "Abacavir/Lamivudine",
                "600/300mg",
                comparison_unit("Tablet - FDC").unwrap()
            )
        );
        assert_eq!(
            matching_key("Lopinavir/Ritonavir", "200 mg/50 mg", "TAB-CAP"),
            matching_key("Lopinavir/Ritonavir", "200/50mg", "TAB-CAP")
        );
        assert_eq!(norm_strength("80/20 mg/ml"), "80/20mg/ml");
        assert_eq!(norm_molecule("Tenofovir Disoproxil Fumarate"), "tenofovir");
        assert_eq!(norm_molecule("Abacavir Sulfate"), "abacavir");
        assert_ne!(
            matching_key("Efavirenz", "600 mg", "TAB-CAP"),
            matching_key("Efavirenz", "200mg", "TAB-CAP")
        );
    }

    #[test]
    fn parses_the_guide_layout() {
        let csv = "Antibiotic,Supplementary Info,Strength,,Dosage Form,Buyer Median (US$),Supplier Median (US$),Comparison Unit\n\
                   Efavirenz,EFV,600 mg,,TAB-CAP,0.1333,0.112,TAB-CAP\n\
                   Efavirenz,EFV,100 mg,,TAB-CAP,0.05,,TAB-CAP\n\
                   Zinc,,20 mg,,TAB-CAP,,,TAB-CAP\n";
        assert!(is_msh_layout(csv.lines().next().unwrap()));
        let p = parse_msh(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.records[0].1.price_usd, 0.112);
        assert_eq!(p.records[1].1.basis, "buyer median");
        assert_eq!(p.errors[0].line, 4);
    }
}
