//! Canonical forms of EPCIS values, as the CBV 2.0 Event Hash ID requires
//! (CBV 2.0 section 8.9, rules 6-8 and 14-18):
//!
//! - CBV URN vocabulary (`urn:epcglobal:cbv:bizstep:shipping`) becomes its
//!   web URI (`https://ref.gs1.org/cbv/BizStep-shipping`);
//! - numbers lose trailing zeros (`26.0` -> `26`);
//! - EPC URIs (`urn:epc:id:...`, `urn:epc:class:lgtin:...`,
//!   `urn:epc:idpat:...`) and GS1 Digital Link URIs on any host become the
//!   constrained canonical Digital Link on `https://id.gs1.org`, keeping only
//!   the finest level of identification (serial over lot) and no query;
//! - timestamps become UTC with millisecond precision and a `Z`.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Timelike, Utc};
use equitas_gs1::check_digit;

const DL: &str = "https://id.gs1.org";

/// The CBV 2.0 web vocabulary prefix of each CBV 1.x URN prefix.
const CBV_URNS: &[(&str, &str)] = &[
    (
        "urn:epcglobal:cbv:bizstep:",
        "https://ref.gs1.org/cbv/BizStep-",
    ),
    ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
    ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
    ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
    ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
];

/// Replaces CBV URN vocabulary by web URIs (copying only what changes).
pub fn cbv_web_uri(v: &str) -> std::borrow::Cow<'_, str> {
    if v.starts_with("urn:epcglobal:cbv:") {
        for (urn, web) in CBV_URNS {
            if let Some(rest) = v.strip_prefix(urn) {
                return format!("{web}{rest}").into();
            }
        }
    }
    v.into()
}

/// A number without trailing zeros: `1.0` -> `1`, `0.34340` -> `0.3434`.
/// Text that is not a finite number is returned unchanged.
///
/// Numbers pass through an IEEE-754 double, as in the reference generator
/// whose vectors define the hash in practice: an integral value is written
/// out exactly (`111100001111000000000000` becomes the double's
/// `111100001111000003641344`), other values by their shortest round-trip
/// digits, with an exponent (`1e-05`) below 0.0001.
pub fn numeric(v: &str) -> std::borrow::Cow<'_, str> {
    // Only text that starts like a number can be one.
    if !v.bytes().next().is_some_and(|b| {
        b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'i' | b'I' | b'n' | b'N')
    }) {
        return v.into();
    }
    let Ok(x) = v.parse::<f64>() else {
        return v.into();
    };
    if !x.is_finite() {
        return v.into();
    }
    if x == 0.0 {
        return "0".into();
    }
    if x.fract() == 0.0 {
        return format!("{x:.0}").into();
    }
    if x.abs() < 1e-4 {
        // Shortest digits with a two-digit signed exponent: 1e-05, 2.5e-07.
        let s = format!("{x:e}");
        if let Some((mantissa, exp)) = s.split_once('e') {
            let e: i32 = exp.parse().unwrap_or(0);
            let sign = if e < 0 { '-' } else { '+' };
            return format!("{mantissa}e{sign}{:02}", e.abs()).into();
        }
    }
    format!("{x}").into()
}

/// An EPC URN component (URN-escaped) in its Digital Link form; a
/// malformed escape is kept as written.
fn dl_encode(s: &str) -> std::borrow::Cow<'_, str> {
    equitas_gs1::urn_component_to_dl(s).unwrap_or(s.into())
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The parts written one after the other, then their check digit.
fn with_check(parts: &[&str]) -> String {
    let mut out = cat(parts);
    let d = check_digit(&out).unwrap_or(0);
    out.push(char::from(b'0' + d));
    out
}

/// `(company prefix, reference)` when `cp` is 6 to 12 digits and
/// `cp + reference` has `total` digits.
fn cp_ref<'a>(cp: &'a str, reference: &'a str, total: usize) -> Option<(&'a str, &'a str)> {
    ((6..=12).contains(&cp.len())
        && digits(cp)
        && (reference.is_empty() || digits(reference))
        && cp.len() + reference.len() == total)
        .then_some((cp, reference))
}

/// GTIN-14 from company prefix and indicator + item reference.
fn gtin(cp: &str, iir: &str) -> Option<String> {
    let (cp, iir) = cp_ref(cp, iir, 13)?;
    Some(with_check(&[&iir[..1], cp, &iir[1..]]))
}

/// `s` split at each `sep`, an ASCII byte (so always at a character
/// boundary). `str::split` by a `char` sets up a search that costs more
/// than the short identifiers split here, several times per event.
fn split_at_byte(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == sep) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The parts written one after the other, with room for a check digit (no
/// `format!` machinery: this runs for every identifier of every event).
fn cat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 1);
    for p in parts {
        out.push_str(p);
    }
    out
}

/// The canonical Digital Link of an EPC URI, or `None` if `v` is not one.
fn epc_uri(v: &str) -> Option<String> {
    let rest = v.strip_prefix("urn:epc:")?;
    let (kind, rest) = rest.split_once(':')?;
    let (scheme, body) = rest.split_once(':')?;
    // The first five dot-separated parts, and how many there are in all.
    let mut p = [""; 5];
    let mut n = 0;
    for s in split_at_byte(body, b'.') {
        if let Some(slot) = p.get_mut(n) {
            *slot = s;
        }
        n += 1;
    }
    // The body after its first `k` dots (`k` < 5 and < `n`): a serial, lot or
    // extension, dots included.
    let after = |k: usize| &body[p[..k].iter().map(|s| s.len() + 1).sum::<usize>()..];
    let dl = dl_encode;
    Some(match (kind, scheme) {
        ("id", "sgtin") if n >= 3 => cat(&[DL, "/01/", &gtin(p[0], p[1])?, "/21/", &dl(after(2))]),
        ("id", "sscc") if n == 2 => {
            let (cp, sr) = cp_ref(p[0], p[1], 17)?;
            cat(&[DL, "/00/", &with_check(&[&sr[..1], cp, &sr[1..]])])
        }
        ("id", "sgln") if n >= 3 => {
            let (cp, lr) = cp_ref(p[0], p[1], 12)?;
            let ext = after(2);
            let gln = with_check(&[cp, lr]);
            if ext == "0" {
                cat(&[DL, "/414/", &gln])
            } else {
                cat(&[DL, "/414/", &gln, "/254/", &dl(ext)])
            }
        }
        ("id", "pgln") if n == 2 => {
            let (cp, pr) = cp_ref(p[0], p[1], 12)?;
            cat(&[DL, "/417/", &with_check(&[cp, pr])])
        }
        ("id", "grai") if n >= 3 => {
            let (cp, at) = cp_ref(p[0], p[1], 12)?;
            cat(&[DL, "/8003/", &with_check(&["0", cp, at]), &dl(after(2))])
        }
        ("id", "giai") if n >= 2 => {
            let (cp, ar) = (p[0], after(1));
            (digits(cp) && (6..=12).contains(&cp.len())).then_some(())?;
            cat(&[DL, "/8004/", cp, &dl(ar)])
        }
        ("id", "gsrn") if n == 2 => {
            let (cp, sr) = cp_ref(p[0], p[1], 17)?;
            cat(&[DL, "/8018/", &with_check(&[cp, sr])])
        }
        ("id", "gsrnp") if n == 2 => {
            let (cp, sr) = cp_ref(p[0], p[1], 17)?;
            cat(&[DL, "/8017/", &with_check(&[cp, sr])])
        }
        ("id", "gdti") if n >= 3 => {
            let (cp, dt) = cp_ref(p[0], p[1], 12)?;
            cat(&[DL, "/253/", &with_check(&[cp, dt]), &dl(after(2))])
        }
        ("id", "sgcn") if n == 3 => {
            let (cp, cr) = cp_ref(p[0], p[1], 12)?;
            digits(p[2]).then_some(())?;
            cat(&[DL, "/255/", &with_check(&[cp, cr]), p[2]])
        }
        ("id", "ginc") if n >= 2 => {
            let (cp, cr) = (p[0], after(1));
            (digits(cp) && (6..=12).contains(&cp.len())).then_some(())?;
            cat(&[DL, "/401/", cp, &dl(cr)])
        }
        ("id", "gsin") if n == 2 => {
            let (cp, sr) = cp_ref(p[0], p[1], 16)?;
            cat(&[DL, "/402/", &with_check(&[cp, sr])])
        }
        ("id", "itip") if n >= 5 => cat(&[
            DL,
            "/8006/",
            &gtin(p[0], p[1])?,
            p[2],
            p[3],
            "/21/",
            &dl(after(4)),
        ]),
        ("id", "upui") if n >= 3 => cat(&[DL, "/01/", &gtin(p[0], p[1])?, "/235/", &dl(after(2))]),
        ("id", "cpi") if n >= 3 => {
            let cp = p[0];
            (digits(cp) && (6..=12).contains(&cp.len())).then_some(())?;
            let (head, serial) = body.rsplit_once('.')?;
            let cpref = head.split_once('.')?.1;
            cat(&[DL, "/8010/", &dl(&cat(&[cp, cpref])), "/8011/", serial])
        }
        ("class", "lgtin") if n >= 3 => {
            cat(&[DL, "/01/", &gtin(p[0], p[1])?, "/10/", &dl(after(2))])
        }
        ("idpat", "sgtin") if n == 3 && p[2] == "*" => cat(&[DL, "/01/", &gtin(p[0], p[1])?]),
        ("idpat", "upui") if n == 3 && p[2] == "*" => cat(&[DL, "/01/", &gtin(p[0], p[1])?]),
        ("idpat", "grai") if n == 3 && p[2] == "*" => {
            let (cp, at) = cp_ref(p[0], p[1], 12)?;
            cat(&[DL, "/8003/", &with_check(&["0", cp, at])])
        }
        ("idpat", "gdti") if n == 3 && p[2] == "*" => {
            let (cp, dt) = cp_ref(p[0], p[1], 12)?;
            cat(&[DL, "/253/", &with_check(&[cp, dt])])
        }
        ("idpat", "sgcn") if n == 3 && p[2] == "*" => {
            let (cp, cr) = cp_ref(p[0], p[1], 12)?;
            cat(&[DL, "/255/", &with_check(&[cp, cr])])
        }
        ("idpat", "itip") if n == 5 && p[4] == "*" => {
            cat(&[DL, "/8006/", &gtin(p[0], p[1])?, p[2], p[3]])
        }
        ("idpat", "cpi") if n >= 3 && body.ends_with(".*") => {
            let head = &body[..body.len() - 2];
            let (cp, cpref) = head.split_once('.')?;
            cat(&[DL, "/8010/", &dl(&cat(&[cp, cpref]))])
        }
        _ => return None,
    })
}

/// Short names a Digital Link may use instead of the AI.
const DL_NAMES: &[(&str, &str)] = &[
    ("gtin", "01"),
    ("itip", "8006"),
    ("cpid", "8010"),
    ("gln", "414"),
    ("party", "417"),
    ("gsrnp", "8017"),
    ("gsrn", "8018"),
    ("gcn", "255"),
    ("sscc", "00"),
    ("gdti", "253"),
    ("ginc", "401"),
    ("gsin", "402"),
    ("grai", "8003"),
    ("giai", "8004"),
    ("cpv", "22"),
    ("lot", "10"),
    ("ser", "21"),
];

const PRIMARY: &[&str] = &[
    "01", "00", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017",
    "8018",
];

/// The constrained canonical form of a GS1 Digital Link URI.
fn digital_link(v: &str) -> Option<String> {
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))?;
    let rest = rest.split(['?', '#']).next()?;
    let (_, path) = rest.split_once('/')?;
    let mut segs = split_at_byte(path, b'/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            DL_NAMES
                .iter()
                .find(|(n, _)| *n == s)
                .map_or(s, |(_, ai)| *ai)
        });
    // Most web URIs met are not Digital Links (CBV vocabulary): they are
    // told apart before anything is collected.
    let primary = segs.find(|s| PRIMARY.contains(s))?;
    let kv: Vec<&str> = std::iter::once(primary).chain(segs).collect();
    if kv.len() < 2 || !kv.len().is_multiple_of(2) {
        return None;
    }
    let key = kv[0];
    let mut value = kv[1].to_string();
    if key == "01" {
        if !digits(&value) || !matches!(value.len(), 8 | 12 | 13 | 14) {
            return None;
        }
        value = format!("{value:0>14}");
    }
    let quals: Vec<(&str, &str)> = kv[2..].chunks(2).map(|c| (c[0], c[1])).collect();
    let q = |ai: &str| quals.iter().find(|(k, _)| *k == ai).map(|(_, v)| *v);
    let tail = match key {
        "01" | "8006" => match (q("21"), q("10"), q("235")) {
            (Some(s), _, _) => format!("/21/{s}"),
            (None, Some(l), _) => format!("/10/{l}"),
            (None, None, Some(t)) if key == "01" => format!("/235/{t}"),
            _ => String::new(),
        },
        "414" => q("254").map(|e| format!("/254/{e}")).unwrap_or_default(),
        "8010" => q("8011").map(|s| format!("/8011/{s}")).unwrap_or_default(),
        _ => String::new(),
    };
    Some(format!("{DL}/{key}/{value}{tail}"))
}

/// The canonical Digital Link of an EPC URI or Digital Link, if `v` is one.
pub fn digital_link_of(v: &str) -> Option<String> {
    if v.starts_with("urn:epc:") {
        epc_uri(v)
    } else if v.starts_with("http://") || v.starts_with("https://") {
        digital_link(v)
    } else {
        None
    }
}

/// Every value canonicalisation in order: vocabulary, number, identifier.
pub fn value(v: &str) -> String {
    let web = cbv_web_uri(v);
    let v = numeric(&web);
    digital_link_of(&v).unwrap_or_else(|| v.into_owned())
}

/// The forms of a date and time without a time zone [`timestamp`] reads.
const WITHOUT_ZONE: [&str; 2] = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"];

/// `v` read as a date and time without a time zone (neither `Z` nor an
/// offset), if it is one.
fn without_zone(v: &str) -> Option<NaiveDateTime> {
    WITHOUT_ZONE
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
}

/// True if `v` is a date and time written without a time zone (neither
/// `Z` nor an offset): a wall-clock time, not an instant. EPCIS times are
/// instants (its Time type is "a date and time in a time zone-independent
/// manner"), so capture refuses such an `eventTime` (`event::record`)
/// rather than let [`timestamp`] read it as UTC.
pub fn lacks_time_zone(v: &str) -> bool {
    DateTime::parse_from_rfc3339(v).is_err() && without_zone(v).is_some()
}

/// A timestamp in UTC with milliseconds and `Z`. Microseconds round to the
/// nearest millisecond (half to even); a timestamp without offset is taken
/// as UTC (as the Event Hash ID's canonical form does; capture refuses an
/// `eventTime` without one first, [`lacks_time_zone`]). Text that is not a
/// timestamp is returned unchanged.
pub fn timestamp(v: &str) -> String {
    let parsed: Option<DateTime<Utc>> = DateTime::parse_from_rfc3339(v)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| without_zone(v).map(|n| n.and_utc()));
    let Some(t) = parsed else {
        return v.to_string();
    };
    let micros = i64::from(t.nanosecond() / 1000);
    let (ms, rem) = (micros / 1000, micros % 1000);
    let ms = if rem > 500 || (rem == 500 && ms % 2 == 1) {
        ms + 1
    } else {
        ms
    };
    let base = t.with_nanosecond(0).unwrap_or(t) + chrono::Duration::milliseconds(ms);
    base.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use equitas_gs1::{Epc, Gtin, Sscc};
    use proptest::prelude::*;

    use equitas_gs1::strategies::cset82_serial;

    proptest! {
        /// Splitting at an ASCII byte gives what `str::split` by that
        /// character gives, on any text.
        #[test]
        fn split_at_byte_is_split(s in "[a-z0-9é€./:]{0,40}", sep in prop::sample::select(vec!['.', '/', ':'])) {
            let ours: Vec<&str> = split_at_byte(&s, sep as u8).collect();
            let std: Vec<&str> = s.split(sep).collect();
            prop_assert_eq!(ours, std);
        }

        /// The hash's canonical Digital Link of an EPC URN is the one the
        /// identifier library writes: Equitas has one form per identifier.
        #[test]
        fn one_canonical_form(data in "[0-9]{13}", d17 in "[0-9]{17}", gcp in 6usize..=12, serial in cset82_serial()) {
            let sgtin = Epc::Sgtin { gtin: Gtin::from_data_digits(&data).unwrap(), serial };
            let urn = sgtin.to_urn(gcp).unwrap();
            prop_assert_eq!(value(&urn), sgtin.to_digital_link());
            let cd = equitas_gs1::check_digit(&d17).unwrap();
            let sscc = Epc::Sscc { sscc: Sscc::parse(&format!("{d17}{cd}")).unwrap() };
            prop_assert_eq!(value(&sscc.to_urn(gcp).unwrap()), sscc.to_digital_link());
            // And a Digital Link is already canonical.
            prop_assert_eq!(value(&sgtin.to_digital_link()), sgtin.to_digital_link());
        }
    }

    #[test]
    fn epc_uris_to_digital_link() {
        assert_eq!(
            value("urn:epc:id:sscc:4012345.0000000333"),
            "https://id.gs1.org/00/040123450000003338"
        );
        assert_eq!(
            value("urn:epc:id:sgln:4012345.00011.987"),
            "https://id.gs1.org/414/4012345000115/254/987"
        );
        assert_eq!(
            value("urn:epc:id:pgln:5200001.00000"),
            "https://id.gs1.org/417/5200001000008"
        );
        assert_eq!(
            value("urn:epc:class:lgtin:4054739.099914.20160711"),
            "https://id.gs1.org/01/04054739999148/10/20160711"
        );
        assert_eq!(
            value("urn:epc:id:gdti:4012345.55555.1234"),
            "https://id.gs1.org/253/40123455555541234"
        );
        assert_eq!(
            value("urn:epc:id:sgtin:0614141.812345.A(1)"),
            "https://id.gs1.org/01/80614141123458/21/A%281%29"
        );
    }

    #[test]
    fn digital_links_are_constrained() {
        assert_eq!(
            value("https://example.com/gtin/9780345418913/lot/L1/ser/S1?17=290101"),
            "https://id.gs1.org/01/09780345418913/21/S1"
        );
        assert_eq!(
            value("https://id.gs1.org/01/09780345418913/22/X/10/L1"),
            "https://id.gs1.org/01/09780345418913/10/L1"
        );
        assert_eq!(
            value("https://example.org/not/a/gs1/link"),
            "https://example.org/not/a/gs1/link"
        );
    }

    #[test]
    fn vocabulary_numbers_and_times() {
        assert_eq!(
            value("urn:epcglobal:cbv:bizstep:receiving"),
            "https://ref.gs1.org/cbv/BizStep-receiving"
        );
        assert_eq!(value("26.0"), "26");
        assert_eq!(value("0.34340"), "0.3434");
        assert_eq!(value("-0.0"), "0");
        assert_eq!(
            value("111100001111000000000000"),
            "111100001111000003641344"
        );
        assert_eq!(value("0.00001"), "1e-05");
        assert_eq!(value("0.000025"), "2.5e-05");
        assert_eq!(value("12.10"), "12.1");
        assert_eq!(value("OBSERVE"), "OBSERVE");
        assert_eq!(
            timestamp("2020-03-04T11:00:30.000+01:00"),
            "2020-03-04T10:00:30.000Z"
        );
        assert_eq!(
            timestamp("2022-02-17T11:30:47Z"),
            "2022-02-17T11:30:47.000Z"
        );
        assert_eq!(
            timestamp("2020-01-01T00:00:00.0015Z"),
            "2020-01-01T00:00:00.002Z"
        );
        assert_eq!(
            timestamp("2020-01-01T00:00:00.0025Z"),
            "2020-01-01T00:00:00.002Z"
        );
        assert_eq!(timestamp("not a time"), "not a time");
    }
}
