//! GS1 element strings as a scanner reads them from a medicine pack's GS1
//! DataMatrix (`]d2` symbology identifier, FNC1 transmitted as the ASCII
//! group separator 0x1D), or as printed in human-readable form with the
//! application identifiers in parentheses: `(01)09501101530003(17)261130(10)AB12`.
//!
//! Source: GS1 General Specifications, section 3 (AI definitions), section
//! 7.8.5 and figure 7.8.5-2 (AIs of predefined length need no FNC1
//! separator), section 7.12 (century of YYMMDD dates), and the rule that a
//! day of `00` means the last day of the month for expiry-type dates.

use crate::check_cset82;
use crate::epc::Epc;
use crate::error::Gs1Error;
use crate::keys::{Gln, Gtin, Sscc, check_digits_only};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// ASCII group separator: how scanners transmit FNC1 inside a GS1 symbol.
pub const GS: char = '\u{1d}';

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Numeric with a GS1 check digit.
    Key,
    /// YYMMDD. `true` if day 00 means the last day of the month.
    Date(bool),
    Numeric,
    Alnum,
}

struct Ai {
    code: &'static str,
    name: &'static str,
    /// Fixed length of the data, or `None` for variable (up to `max`).
    fixed: Option<usize>,
    max: usize,
    kind: Kind,
}

const fn fixed(code: &'static str, name: &'static str, n: usize, kind: Kind) -> Ai {
    Ai {
        code,
        name,
        fixed: Some(n),
        max: n,
        kind,
    }
}
const fn var(code: &'static str, name: &'static str, max: usize, kind: Kind) -> Ai {
    Ai {
        code,
        name,
        fixed: None,
        max,
        kind,
    }
}

/// The application identifiers Equitas reads. Fixed-length ones are exactly
/// those of figure 7.8.5-2 that appear here (00, 01, 02, 11-17, 41x).
const AIS: &[Ai] = &[
    fixed("00", "AI (00) SSCC", 18, Kind::Key),
    fixed("01", "AI (01) GTIN", 14, Kind::Key),
    fixed("02", "AI (02) content GTIN", 14, Kind::Key),
    var("10", "AI (10) batch/lot", 20, Kind::Alnum),
    fixed("11", "AI (11) production date", 6, Kind::Date(false)),
    fixed("13", "AI (13) packaging date", 6, Kind::Date(false)),
    fixed("15", "AI (15) best before date", 6, Kind::Date(true)),
    fixed("16", "AI (16) sell by date", 6, Kind::Date(true)),
    fixed("17", "AI (17) expiry date", 6, Kind::Date(true)),
    var("21", "AI (21) serial number", 20, Kind::Alnum),
    var("22", "AI (22) consumer product variant", 20, Kind::Alnum),
    var("30", "AI (30) variable count", 8, Kind::Numeric),
    var("37", "AI (37) count of trade items", 8, Kind::Numeric),
    var(
        "240",
        "AI (240) additional product identification",
        30,
        Kind::Alnum,
    ),
    var("241", "AI (241) customer part number", 30, Kind::Alnum),
    var("250", "AI (250) secondary serial number", 30, Kind::Alnum),
    var("254", "AI (254) GLN extension", 20, Kind::Alnum),
    fixed("414", "AI (414) GLN of a physical location", 13, Kind::Key),
    var(
        "710",
        "AI (710) national healthcare reimbursement number (DE)",
        20,
        Kind::Alnum,
    ),
    var(
        "711",
        "AI (711) national healthcare reimbursement number (FR)",
        20,
        Kind::Alnum,
    ),
    var(
        "712",
        "AI (712) national healthcare reimbursement number (ES)",
        20,
        Kind::Alnum,
    ),
    var(
        "713",
        "AI (713) national healthcare reimbursement number (BR)",
        20,
        Kind::Alnum,
    ),
    var(
        "714",
        "AI (714) national healthcare reimbursement number (PT)",
        20,
        Kind::Alnum,
    ),
];

fn lookup(s: &str) -> Option<&'static Ai> {
    AIS.iter().find(|a| s.starts_with(a.code))
}

/// The data carried by one element string, typed where Equitas uses it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ElementString {
    pub gtin: Option<Gtin>,
    pub sscc: Option<Sscc>,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub expiry: Option<NaiveDate>,
    pub production_date: Option<NaiveDate>,
    pub gln: Option<Gln>,
    pub gln_extension: Option<String>,
    /// Every (AI, value) pair in the order read, including those above.
    pub elements: Vec<(String, String)>,
}

impl ElementString {
    /// The EPC this element string identifies: SGTIN (GTIN + serial), LGTIN
    /// (GTIN + lot), GTIN class, SSCC or SGLN.
    pub fn to_epc(&self) -> Option<Epc> {
        if let Some(gtin) = &self.gtin {
            return Some(match (&self.serial, &self.lot) {
                (Some(s), _) => Epc::Sgtin {
                    gtin: gtin.clone(),
                    serial: s.clone(),
                },
                (None, Some(l)) => Epc::Lgtin {
                    gtin: gtin.clone(),
                    lot: l.clone(),
                },
                (None, None) => Epc::GtinClass { gtin: gtin.clone() },
            });
        }
        if let Some(sscc) = &self.sscc {
            return Some(Epc::Sscc { sscc: sscc.clone() });
        }
        self.gln.as_ref().map(|gln| Epc::Sgln {
            gln: gln.clone(),
            extension: self.gln_extension.clone(),
        })
    }

    /// Human-readable form with AIs in parentheses.
    pub fn to_hri(&self) -> String {
        self.elements
            .iter()
            .map(|(ai, v)| format!("({ai}){v}"))
            .collect()
    }
}

fn days_in_month(year: i32, month: u32) -> Option<u32> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some((next - first).num_days() as u32)
}

/// Resolves a GS1 YYMMDD date. The century follows General Specifications
/// 7.12: with `today`'s two-digit year as reference, a year 51 to 99 ahead
/// belongs to the previous century and one 50 to 99 behind to the next.
/// A day of `00` means the last day of the month when `end_of_month_for_00`
/// (expiry, best before, sell by), else the first day.
pub fn resolve_yymmdd(
    field: &'static str,
    yymmdd: &str,
    today: NaiveDate,
    end_of_month_for_00: bool,
) -> Result<NaiveDate, Gs1Error> {
    let bad = |reason| Gs1Error::Date {
        field,
        value: yymmdd.to_string(),
        reason,
    };
    if yymmdd.len() != 6 || !yymmdd.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("expected six digits YYMMDD"));
    }
    let n = |r: std::ops::Range<usize>| yymmdd[r].parse::<i32>().unwrap_or(0);
    let (yy, mm, dd) = (n(0..2), n(2..4), n(4..6));
    let current = today.year();
    let (century, cy) = (current.div_euclid(100) * 100, current.rem_euclid(100));
    let diff = yy - cy;
    let year = if (51..=99).contains(&diff) {
        century - 100 + yy
    } else if (-99..=-50).contains(&diff) {
        century + 100 + yy
    } else {
        century + yy
    };
    if !(1..=12).contains(&mm) {
        return Err(bad("month must be 01 to 12"));
    }
    let dim = days_in_month(year, mm as u32).ok_or_else(|| bad("date out of range"))?;
    let day = if dd == 0 {
        if end_of_month_for_00 { dim } else { 1 }
    } else if dd as u32 > dim {
        return Err(bad("day does not exist in that month"));
    } else {
        dd as u32
    };
    NaiveDate::from_ymd_opt(year, mm as u32, day).ok_or_else(|| bad("date out of range"))
}

fn strip_symbology(s: &str) -> &str {
    for p in ["]d2", "]C1", "]Q3", "]e0", "]J1"] {
        if let Some(r) = s.strip_prefix(p) {
            return r;
        }
    }
    s
}

/// Splits a human-readable `(AI)value(AI)value` string into pairs.
fn split_hri(s: &str) -> Result<Vec<(&'static Ai, String)>, Gs1Error> {
    let mut out = Vec::new();
    let mut rest = s;
    let mut pos = 0;
    while !rest.is_empty() {
        let inner = rest.strip_prefix('(').ok_or_else(|| Gs1Error::UnknownAi {
            position: pos + 1,
            rest: rest.chars().take(12).collect(),
        })?;
        let close = inner.find(')').ok_or_else(|| Gs1Error::UnknownAi {
            position: pos + 1,
            rest: rest.chars().take(12).collect(),
        })?;
        let code = &inner[..close];
        let ai = AIS
            .iter()
            .find(|a| a.code == code)
            .ok_or_else(|| Gs1Error::UnknownAi {
                position: pos + 1,
                rest: rest.chars().take(12).collect(),
            })?;
        let after = &inner[close + 1..];
        // The value runs to the next "(AI)" of a known AI, or to the end.
        let mut end = after.len();
        for (i, _) in after.match_indices('(') {
            if let Some(c) = after[i + 1..].find(')')
                && AIS.iter().any(|a| a.code == &after[i + 1..i + 1 + c])
            {
                end = i;
                break;
            }
        }
        out.push((ai, after[..end].to_string()));
        let consumed = 1 + close + 1 + end;
        pos += consumed;
        rest = &rest[consumed..];
    }
    Ok(out)
}

/// Splits a raw scanned string (FNC1 = GS) into pairs.
fn split_raw(s: &str) -> Result<Vec<(&'static Ai, String)>, Gs1Error> {
    let mut out = Vec::new();
    let mut rest = s.trim_start_matches(GS);
    let mut pos = s.len() - rest.len();
    while !rest.is_empty() {
        let ai = lookup(rest).ok_or_else(|| Gs1Error::UnknownAi {
            position: pos + 1,
            rest: rest.chars().take(12).collect(),
        })?;
        let data = &rest[ai.code.len()..];
        let (value, used) = match ai.fixed {
            Some(n) => {
                let v: String = data.chars().take(n).collect();
                if v.chars().count() < n || v.contains(GS) {
                    return Err(Gs1Error::Length {
                        field: ai.name,
                        found: v.split(GS).next().map_or(0, |x| x.chars().count()),
                        expected: "the fixed length of this AI",
                    });
                }
                let used = v.len();
                (v, used)
            }
            None => {
                let end = data.find(GS).unwrap_or(data.len());
                (data[..end].to_string(), end)
            }
        };
        let consumed = ai.code.len() + used;
        rest = &rest[consumed..];
        pos += consumed;
        // A separator after the field (required after variable-length ones).
        let trimmed = rest.trim_start_matches(GS);
        pos += rest.len() - trimmed.len();
        rest = trimmed;
        out.push((ai, value));
    }
    Ok(out)
}

/// Parses a GS1 element string, raw (`]d2` + FNC1/GS separated) or
/// human-readable with parentheses. `today` anchors the century of
/// two-digit years. Every error names the AI and the reason.
pub fn parse_element_string(input: &str, today: NaiveDate) -> Result<ElementString, Gs1Error> {
    let s = strip_symbology(input.trim_matches(|c: char| c == '\r' || c == '\n' || c == ' '));
    if s.is_empty() {
        return Err(Gs1Error::Empty {
            field: "element string",
        });
    }
    let pairs = if s.starts_with('(') {
        split_hri(s)?
    } else {
        split_raw(s)?
    };
    let mut es = ElementString::default();
    for (ai, value) in pairs {
        if let Some((_, prev)) = es.elements.iter().find(|(c, _)| c == ai.code) {
            if prev == &value {
                continue;
            }
            return Err(Gs1Error::DuplicateAi {
                ai: ai.code.to_string(),
            });
        }
        if let Some(n) = ai.fixed
            && value.chars().count() != n
        {
            return Err(Gs1Error::Length {
                field: ai.name,
                found: value.chars().count(),
                expected: "the fixed length of this AI",
            });
        }
        match ai.kind {
            Kind::Key | Kind::Numeric => {
                check_digits_only(ai.name, &value)?;
                if value.len() > ai.max {
                    return Err(Gs1Error::TooLong {
                        field: ai.name,
                        max: ai.max,
                        found: value.len(),
                    });
                }
            }
            Kind::Date(_) => {}
            Kind::Alnum => check_cset82(ai.name, &value, ai.max)?,
        }
        match ai.code {
            "00" => es.sscc = Some(Sscc::parse(&value).map_err(|e| rename(e, ai.name))?),
            "01" => es.gtin = Some(Gtin::parse(&value).map_err(|e| rename(e, ai.name))?),
            "02" => {
                Gtin::parse(&value).map_err(|e| rename(e, ai.name))?;
            }
            "414" => es.gln = Some(Gln::parse(&value).map_err(|e| rename(e, ai.name))?),
            "10" => es.lot = Some(value.clone()),
            "21" => es.serial = Some(value.clone()),
            "254" => es.gln_extension = Some(value.clone()),
            _ => {}
        }
        if let Kind::Date(eom) = ai.kind {
            let d = resolve_yymmdd(ai.name, &value, today, eom)?;
            match ai.code {
                "17" => es.expiry = Some(d),
                "11" => es.production_date = Some(d),
                _ => {}
            }
        }
        es.elements.push((ai.code.to_string(), value));
    }
    Ok(es)
}

/// Re-labels a key error with the AI's field name.
fn rename(e: Gs1Error, field: &'static str) -> Gs1Error {
    match e {
        Gs1Error::CheckDigit {
            value,
            expected,
            found,
            ..
        } => Gs1Error::CheckDigit {
            field,
            value,
            expected,
            found,
        },
        Gs1Error::Length {
            found, expected, ..
        } => Gs1Error::Length {
            field,
            found,
            expected,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    const TODAY: fn() -> NaiveDate = || NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();

    #[test]
    fn datamatrix_scan_with_fnc1() {
        // GTIN, expiry, lot (variable, ended by GS), serial.
        let scan = "]d2010950110153000317261130\u{1d}10AB-123\u{1d}21XYZ9";
        let es = parse_element_string(scan, TODAY()).unwrap();
        assert_eq!(es.gtin.unwrap().as_gtin14(), "09501101530003");
        assert_eq!(es.expiry, Some(d(2026, 11, 30)));
        assert_eq!(es.lot.as_deref(), Some("AB-123"));
        assert_eq!(es.serial.as_deref(), Some("XYZ9"));
    }

    #[test]
    fn hri_form_and_day_00_is_end_of_month() {
        let es = parse_element_string("(01)09501101530003(17)280200(10)L(1)", TODAY()).unwrap();
        // 2028 is a leap year: day 00 of February is the 29th.
        assert_eq!(es.expiry, Some(d(2028, 2, 29)));
        assert_eq!(es.lot.as_deref(), Some("L(1)"));
        assert_eq!(
            es.to_epc().unwrap().to_digital_link(),
            "https://id.gs1.org/01/09501101530003/10/L%281%29"
        );
        assert_eq!(es.to_hri(), "(01)09501101530003(17)280200(10)L(1)");
    }

    #[test]
    fn century_rule_of_general_specifications_7_12() {
        let t = d(2026, 1, 1);
        assert_eq!(resolve_yymmdd("d", "760101", t, true).unwrap().year(), 2076); // +50: same century
        assert_eq!(resolve_yymmdd("d", "770101", t, true).unwrap().year(), 1977); // +51: previous
        assert_eq!(resolve_yymmdd("d", "000101", t, true).unwrap().year(), 2000);
        let t = d(2080, 1, 1);
        assert_eq!(resolve_yymmdd("d", "300101", t, true).unwrap().year(), 2130); // -50: next
        assert_eq!(resolve_yymmdd("d", "310101", t, true).unwrap().year(), 2031); // -49: same
    }

    #[test]
    fn invalid_dates_name_the_ai() {
        let e = parse_element_string("]d20109501101530003172613", TODAY()).unwrap_err();
        assert!(
            matches!(
                e,
                Gs1Error::Length {
                    field: "AI (17) expiry date",
                    ..
                }
            ),
            "{e}"
        );
        let e = parse_element_string("(17)261301", TODAY()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "AI (17) expiry date: \"261301\" is not a valid date: month must be 01 to 12"
        );
        let e = parse_element_string("(17)270229", TODAY()).unwrap_err();
        assert!(e.to_string().contains("day does not exist"), "{e}");
        // Day 00 of production date is the first of the month.
        let es = parse_element_string("(11)260300", TODAY()).unwrap();
        assert_eq!(es.production_date, Some(d(2026, 3, 1)));
    }

    #[test]
    fn bad_check_digit_unknown_ai_and_duplicates() {
        let e = parse_element_string("]d20109501101530004", TODAY()).unwrap_err();
        assert!(
            matches!(
                e,
                Gs1Error::CheckDigit {
                    field: "AI (01) GTIN",
                    expected: 3,
                    ..
                }
            ),
            "{e}"
        );
        let e = parse_element_string("]d299XYZ", TODAY()).unwrap_err();
        assert!(matches!(e, Gs1Error::UnknownAi { position: 1, .. }), "{e}");
        let e = parse_element_string("(10)A(10)B", TODAY()).unwrap_err();
        assert_eq!(e, Gs1Error::DuplicateAi { ai: "10".into() });
        let e = parse_element_string("(10)ABCDEFGHIJKLMNOPQRSTU", TODAY()).unwrap_err();
        assert!(matches!(
            e,
            Gs1Error::TooLong {
                max: 20,
                found: 21,
                ..
            }
        ));
        let e = parse_element_string("(21)é", TODAY()).unwrap_err();
        assert!(matches!(
            e,
            Gs1Error::InvalidCharacter {
                character: 'é', ..
            }
        ));
    }

    #[test]
    fn sscc_and_gln() {
        let es = parse_element_string("]C100106141412345678908", TODAY()).unwrap();
        assert_eq!(
            es.to_epc().unwrap().to_digital_link(),
            "https://id.gs1.org/00/106141412345678908"
        );
        let es = parse_element_string("4140614141123452254400", TODAY()).unwrap();
        assert_eq!(
            es.to_epc().unwrap().to_digital_link(),
            "https://id.gs1.org/414/0614141123452/254/400"
        );
    }

    proptest! {
        #[test]
        fn raw_and_hri_agree(data in "[0-9]{13}", yy in 0u32..100, mm in 1u32..=12, dd in 0u32..=28,
                             lot in "[A-Za-z0-9-]{1,20}", serial in "[A-Za-z0-9]{1,20}") {
            let gtin = Gtin::from_data_digits(&data).unwrap();
            let date = format!("{yy:02}{mm:02}{dd:02}");
            let raw = format!("]d201{gtin}17{date}10{lot}\u{1d}21{serial}");
            let hri = format!("(01){gtin}(17){date}(10){lot}(21){serial}");
            let a = parse_element_string(&raw, TODAY()).unwrap();
            let b = parse_element_string(&hri, TODAY()).unwrap();
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(a.lot.as_deref(), Some(lot.as_str()));
            prop_assert_eq!(a.serial.as_deref(), Some(serial.as_str()));
            prop_assert_eq!(a.expiry.unwrap().month(), mm);
            prop_assert_eq!(a.to_hri(), hri);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_element_string(&s, TODAY());
            let _ = parse_element_string(&format!("]d201{s}"), TODAY());
            let _ = parse_element_string(&format!("({s}"), TODAY());
        }
    }
}
