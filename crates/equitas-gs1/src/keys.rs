//! GS1 keys with a mod-10 check digit: GTIN, GLN, SSCC.

use crate::error::Gs1Error;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Ensures `s` is all ASCII digits, naming the first offending character.
pub(crate) fn check_digits_only(field: &'static str, s: &str) -> Result<(), Gs1Error> {
    if s.is_empty() {
        return Err(Gs1Error::Empty { field });
    }
    match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, c)) => Err(Gs1Error::NotDigits {
            field,
            character: c,
            position: i + 1,
        }),
        None => Ok(()),
    }
}

/// The GS1 mod-10 check digit of `data` (the digits *before* the check
/// digit). GS1 General Specifications 7.9.1: from the rightmost data digit
/// leftwards, digits are weighted 3, 1, 3, 1...; the check digit is the
/// difference between the weighted sum and the next multiple of ten.
///
/// Returns `None` if `data` contains a non-digit.
pub fn check_digit(data: &str) -> Option<u8> {
    let mut sum: u32 = 0;
    for (i, c) in data.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = u32::from(c - b'0');
        sum += if i % 2 == 0 { 3 * d } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// True if the last digit of `key` is the correct check digit for the rest.
pub fn is_valid_check_digit(key: &str) -> bool {
    if key.len() < 2 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (data, last) = key.split_at(key.len() - 1);
    check_digit(data) == Some(last.as_bytes()[0] - b'0')
}

fn verify(field: &'static str, key: &str) -> Result<(), Gs1Error> {
    let (data, last) = key.split_at(key.len() - 1);
    let expected = check_digit(data).ok_or_else(|| Gs1Error::syntax(field, "not numeric"))?;
    let found = last.as_bytes()[0] - b'0';
    if expected != found {
        return Err(Gs1Error::CheckDigit {
            field,
            value: key.to_string(),
            expected,
            found,
        });
    }
    Ok(())
}

macro_rules! string_key {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = Gs1Error;
            fn from_str(s: &str) -> Result<Self, Gs1Error> {
                Self::parse(s)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = Gs1Error;
            fn try_from(s: String) -> Result<Self, Gs1Error> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(k: $name) -> String {
                k.0
            }
        }
    };
}

/// Global Trade Item Number. Accepts GTIN-8, -12, -13 and -14 and stores the
/// 14-digit form (left-padded with zeros), which is how GS1 compares GTINs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Gtin(String);

impl Gtin {
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        const FIELD: &str = "GTIN";
        let s = s.trim();
        check_digits_only(FIELD, s)?;
        if !matches!(s.len(), 8 | 12 | 13 | 14) {
            return Err(Gs1Error::Length {
                field: FIELD,
                found: s.len(),
                expected: "8, 12, 13 or 14 digits",
            });
        }
        verify(FIELD, s)?;
        Ok(Gtin(format!("{s:0>14}")))
    }

    /// Builds a GTIN-14 from its 13 data digits, computing the check digit.
    pub fn from_data_digits(data13: &str) -> Result<Self, Gs1Error> {
        check_digits_only("GTIN", data13)?;
        if data13.len() != 13 {
            return Err(Gs1Error::Length {
                field: "GTIN",
                found: data13.len(),
                expected: "13 data digits",
            });
        }
        let cd = check_digit(data13).unwrap_or(0);
        Ok(Gtin(format!("{data13}{cd}")))
    }

    /// The 14-digit form to write `code` in, where `known` does not know
    /// `code` as written but knows it as a GTIN's 14-digit form (written
    /// with 8, 12 or 13 digits: a spreadsheet drops the leading zero);
    /// `None` otherwise, `code` to be kept as it is.
    pub fn known_form(code: &str, known: impl Fn(&str) -> bool) -> Option<String> {
        if known(code) {
            return None;
        }
        Gtin::parse(code)
            .ok()
            .map(|g| g.as_gtin14().to_string())
            .filter(|g| known(g))
    }

    /// The 14-digit form.
    pub fn as_gtin14(&self) -> &str {
        &self.0
    }

    /// The indicator digit (packaging level) of the GTIN-14 form.
    pub fn indicator(&self) -> char {
        self.0.as_bytes()[0] as char
    }
}
string_key!(Gtin);

/// Global Location Number: 13 digits, the last a check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Gln(String);

impl Gln {
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        const FIELD: &str = "GLN";
        let s = s.trim();
        check_digits_only(FIELD, s)?;
        if s.len() != 13 {
            return Err(Gs1Error::Length {
                field: FIELD,
                found: s.len(),
                expected: "13 digits",
            });
        }
        verify(FIELD, s)?;
        Ok(Gln(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_key!(Gln);

/// Serial Shipping Container Code: 18 digits, the last a check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sscc(String);

impl Sscc {
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        const FIELD: &str = "SSCC";
        let s = s.trim();
        check_digits_only(FIELD, s)?;
        if s.len() != 18 {
            return Err(Gs1Error::Length {
                field: FIELD,
                found: s.len(),
                expected: "18 digits",
            });
        }
        verify(FIELD, s)?;
        Ok(Sscc(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_key!(Sscc);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn published_examples() {
        // GS1 General Specifications 7.9.1 worked example: GTIN-13 629104150021 + check 3.
        assert_eq!(check_digit("629104150021"), Some(3));
        // SSCC example used throughout the GS1 General Specifications and EPC TDS.
        assert!(Sscc::parse("106141412345678908").is_ok());
        // GTIN-14 from the EPC Tag Data Standard SGTIN example.
        assert!(Gtin::parse("80614141123458").is_ok());
        // GTIN-12 (UPC-A) and GTIN-8 (EAN-8).
        assert!(Gtin::parse("036000291452").is_ok());
        assert!(Gtin::parse("73513537").is_ok());
        // GLN from the EPC TDS SGLN example (414)0614141123452.
        assert!(Gln::parse("0614141123452").is_ok());
    }

    #[test]
    fn gtin_normalises_to_14() {
        let g = Gtin::parse("036000291452").unwrap();
        assert_eq!(g.as_gtin14(), "00036000291452");
        assert_eq!(g, Gtin::parse("00036000291452").unwrap());
        assert_eq!(g.indicator(), '0');
    }

    #[test]
    fn errors_name_field_and_reason() {
        let e = Gtin::parse("6291041500214").unwrap_err();
        assert_eq!(
            e,
            Gs1Error::CheckDigit {
                field: "GTIN",
                value: "6291041500214".into(),
                expected: 3,
                found: 4
            }
        );
        assert_eq!(
            e.to_string(),
            "GTIN: check digit is 4, expected 3 for 6291041500214"
        );
        assert!(matches!(
            Gtin::parse("12345"),
            Err(Gs1Error::Length { field: "GTIN", .. })
        ));
        assert!(matches!(
            Gln::parse("061414112345X"),
            Err(Gs1Error::NotDigits {
                field: "GLN",
                character: 'X',
                position: 13
            })
        ));
        assert!(matches!(Sscc::parse(""), Err(Gs1Error::Empty { .. })));
    }

    proptest! {
        #[test]
        fn computed_check_digit_always_validates(data in "[0-9]{7,17}") {
            let cd = check_digit(&data).unwrap();
            let key = format!("{data}{cd}");
            prop_assert!(is_valid_check_digit(&key));
        }

        #[test]
        fn any_single_digit_error_is_detected(data in "[0-9]{12}", pos in 0usize..13, delta in 1u8..10) {
            let cd = check_digit(&data).unwrap();
            let key = format!("{data}{cd}");
            let mut bytes = key.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let altered = String::from_utf8(bytes).unwrap();
            prop_assert!(!is_valid_check_digit(&altered));
            prop_assert!(Gtin::parse(&altered).is_err());
        }

        #[test]
        fn gtin_roundtrips_through_display(data in "[0-9]{13}") {
            let g = Gtin::from_data_digits(&data).unwrap();
            prop_assert_eq!(Gtin::parse(&format!("{g}")).unwrap(), g);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = Gtin::parse(&s);
            let _ = Gln::parse(&s);
            let _ = Sscc::parse(&s);
        }
    }
}
