//! Products, trade items, organisations and manufacturing sites.

use equitas_gs1::Gtin;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of health product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductCategory {
    Medicine,
    Vaccine,
    Diagnostic,
    Device,
}

/// The health programme a product is managed under. Users slice every view by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Programme {
    Hiv,
    Tb,
    Malaria,
    Immunisation,
    Ntd,
    Srh,
    MentalHealth,
    EssentialMedicines,
}

/// Roles an organisation plays in the supply chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    Manufacturer,
    Supplier,
    Procurer,
    Regulator,
    Distributor,
}

macro_rules! text_enum {
    ($t:ty, $what:literal, { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let t = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                match t.as_str() {
                    $($s => Ok(<$t>::$v),)+
                    _ => Err(format!(
                        concat!("unknown ", $what, " {:?}; expected one of: {}"),
                        s,
                        [$($s),+].join(", ")
                    )),
                }
            }
        }
    };
}

text_enum!(ProductCategory, "product category", {
    Medicine => "medicine", Vaccine => "vaccine", Diagnostic => "diagnostic", Device => "device",
});
text_enum!(Programme, "programme", {
    Hiv => "hiv", Tb => "tb", Malaria => "malaria", Immunisation => "immunisation", Ntd => "ntd",
    Srh => "srh", MentalHealth => "mental_health", EssentialMedicines => "essential_medicines",
});
text_enum!(OrgRole, "organisation role", {
    Manufacturer => "manufacturer", Supplier => "supplier", Procurer => "procurer",
    Regulator => "regulator", Distributor => "distributor",
});

/// A product as clinicians and programmes name it: active ingredients (INN),
/// strength and dosage form, independent of who makes it or how it is packed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Stable key, e.g. `efavirenz-600mg-tablet`.
    pub code: String,
    pub name: String,
    /// International non-proprietary names of the active ingredients.
    pub inns: Vec<String>,
    pub strength: Option<String>,
    pub dosage_form: Option<String>,
    pub category: ProductCategory,
    pub programme: Option<Programme>,
    /// WHO ATC code where known.
    pub atc: Option<String>,
    /// On the WHO Model List of Essential Medicines (or a national list); `None` if unknown.
    pub essential: Option<bool>,
}

/// A product in one packed presentation, identified by a GTIN where known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeItem {
    /// Stable key: the GTIN-14 where known, else a code from the source.
    pub code: String,
    pub gtin: Option<Gtin>,
    pub product: String,
    pub description: String,
    /// Number of comparison units (tablets, tests, ml...) in one pack.
    pub pack_size: Option<f64>,
    pub brand: Option<String>,
    /// Organisation code of the brand owner or manufacturer, where known.
    pub manufacturer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    pub code: String,
    pub name: String,
    pub roles: Vec<OrgRole>,
    /// ISO 3166-1 alpha-3 of the head office, where known.
    pub country: Option<String>,
}

/// A plant where products are made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManufacturingSite {
    pub code: String,
    /// The name as the source wrote it.
    pub name: String,
    pub manufacturer: Option<String>,
    /// ISO 3166-1 alpha-3; `None` when the source does not allow it to be known.
    pub country: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A stable, URL-safe key from a name: ASCII lower-case letters and digits,
/// every other run of characters becoming one `-`. Common Latin accents are
/// folded (`Côte` -> `cote`).
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars() {
        let folded = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
                'a'
            }
            'ç' | 'Ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
            'ñ' | 'Ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => {
                'o'
            }
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
            c => c.to_ascii_lowercase(),
        };
        if folded.is_ascii_alphanumeric() {
            out.push(folded);
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Côte d'Ivoire"), "cote-d-ivoire");
        assert_eq!(slug("  Efavirenz 600mg, Tablet "), "efavirenz-600mg-tablet");
        assert_eq!(slug("--"), "");
    }

    #[test]
    fn enums_parse_their_names() {
        assert_eq!(
            "Mental health".parse::<Programme>(),
            Ok(Programme::MentalHealth)
        );
        assert_eq!(
            "vaccine".parse::<ProductCategory>(),
            Ok(ProductCategory::Vaccine)
        );
        let e = "pharmacy".parse::<OrgRole>().unwrap_err();
        assert!(e.contains("unknown organisation role \"pharmacy\""), "{e}");
        for p in Programme::ALL {
            assert_eq!(p.as_str().parse::<Programme>(), Ok(*p));
        }
    }

    proptest! {
        #[test]
        fn slug_is_idempotent_and_safe(s in "\\PC{0,40}") {
            let a = slug(&s);
            prop_assert_eq!(slug(&a), a.clone());
            prop_assert!(a.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            prop_assert!(!a.starts_with('-') && !a.ends_with('-'));
        }
    }
}
