//! GS1 identifiers used across Equitas: GTIN, GLN and SSCC with their check
//! digits, EPC URNs (SGTIN, SSCC, SGLN, LGTIN class, SGTIN pattern), GS1
//! Digital Link URIs, and GS1 element strings as scanned from a pack's
//! DataMatrix.
//!
//! Everything here is pure computation. Sources:
//! - GS1 General Specifications (release 24.0), section 7.9 (check digit
//!   calculation), section 3 (application identifiers), figure 7.8.5-2
//!   (element strings with predefined length), section 7.12 (century of
//!   six-digit dates).
//! - GS1 EPC Tag Data Standard 2.1, sections 6 (EPC URIs) and 7 (conversion
//!   between EPC URIs and GS1 keys).
//! - GS1 Digital Link standard: URI syntax 1.2.

mod digital_link;
mod element_string;
mod epc;
mod error;
mod keys;

#[cfg(feature = "strategies")]
pub mod strategies;

pub use digital_link::{DIGITAL_LINK_DEFAULT_HOST, dl_escape, urn_component_to_dl};
pub use element_string::{ElementString, parse_element_string, resolve_yymmdd};
pub use epc::Epc;
pub use error::Gs1Error;
pub use keys::{Gln, Gtin, Sscc, check_digit, is_valid_check_digit};

/// Characters allowed in GS1 alphanumeric fields (GS1 General Specifications,
/// figure 7.11-1, "GS1 AI encodable character set 82").
pub fn is_cset82(c: char) -> bool {
    matches!(c,
        '!' | '"' | '%' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | '-' | '.' | '/'
        | '0'..='9' | ':' | ';' | '<' | '=' | '>' | '?' | 'A'..='Z' | '_' | 'a'..='z')
}

/// Checks that `value` is a non-empty GS1 alphanumeric field of at most `max` characters.
pub(crate) fn check_cset82(field: &'static str, value: &str, max: usize) -> Result<(), Gs1Error> {
    if value.is_empty() {
        return Err(Gs1Error::Empty { field });
    }
    let n = value.chars().count();
    if n > max {
        return Err(Gs1Error::TooLong {
            field,
            max,
            found: n,
        });
    }
    if let Some((i, c)) = value.char_indices().find(|(_, c)| !is_cset82(*c)) {
        return Err(Gs1Error::InvalidCharacter {
            field,
            character: c,
            position: i + 1,
        });
    }
    Ok(())
}

#[cfg(test)]
mod formulas_md {
    use super::*;
    use chrono::NaiveDate;
    use equitas_doc_vectors::vectors;

    /// docs/formulas.md, section 1.1.
    #[test]
    fn check_digit_worked_examples() {
        for v in vectors("gs1_check_digit") {
            let data = v["data"].as_str().unwrap();
            let expected = v["check"].as_u64().unwrap() as u8;
            assert_eq!(check_digit(data), Some(expected), "{v}");
            assert!(is_valid_check_digit(&format!("{data}{expected}")));
        }
    }

    /// docs/formulas.md, section 1.2.
    #[test]
    fn yymmdd_worked_examples() {
        for v in vectors("gs1_yymmdd") {
            let today =
                NaiveDate::parse_from_str(v["today"].as_str().unwrap(), "%Y-%m-%d").unwrap();
            let hri = format!(
                "({}){}",
                v["ai"].as_str().unwrap(),
                v["yymmdd"].as_str().unwrap()
            );
            let es = parse_element_string(&hri, today).unwrap();
            let got = es.expiry.or(es.production_date).unwrap();
            assert_eq!(got.to_string(), v["date"].as_str().unwrap(), "{v}");
        }
    }
}
