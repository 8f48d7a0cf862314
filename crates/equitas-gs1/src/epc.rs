//! EPC identifiers as pure-identity URNs (EPC Tag Data Standard 2.1) and as
//! GS1 Digital Link URIs, with conversion both ways.
//!
//! A Digital Link does not say where the GS1 Company Prefix ends, so turning
//! one into a URN needs the prefix length (from the GS1 prefix allocation
//! or the trading partner); [`Epc::to_urn`] takes it as an argument.
//! Equitas therefore stores identifiers in their Digital Link form, which
//! is lossless from both sides.

use crate::check_cset82;
use crate::digital_link::{DIGITAL_LINK_DEFAULT_HOST, dl_escape, percent_decode, urn_escape};
use crate::error::Gs1Error;
use crate::keys::{Gln, Gtin, Sscc, check_digit, check_digits_only};
use std::fmt;

/// An EPC: one instance (SGTIN, SSCC, SGLN) or a class (LGTIN: a GTIN and a
/// lot; SGTIN pattern: every instance of a GTIN).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Epc {
    /// Serialised trade item: AI (01) + AI (21).
    Sgtin { gtin: Gtin, serial: String },
    /// Logistic unit: AI (00).
    Sscc { sscc: Sscc },
    /// Location: AI (414), with optional extension AI (254).
    Sgln { gln: Gln, extension: Option<String> },
    /// Class of a trade item in one lot: AI (01) + AI (10).
    Lgtin { gtin: Gtin, lot: String },
    /// Class of all instances of a trade item (`urn:epc:idpat:sgtin:...*`).
    GtinClass { gtin: Gtin },
}

const SERIAL_MAX: usize = 20;

fn split_gcp<'a>(
    field: &'static str,
    body: &'a str,
    parts: usize,
) -> Result<Vec<&'a str>, Gs1Error> {
    let v: Vec<&str> = body.splitn(parts, '.').collect();
    if v.len() != parts {
        return Err(Gs1Error::syntax(
            field,
            format!("expected {parts} dot-separated parts, found {}", v.len()),
        ));
    }
    Ok(v)
}

fn check_gcp(field: &'static str, cp: &str) -> Result<(), Gs1Error> {
    check_digits_only(field, cp)?;
    if !(6..=12).contains(&cp.len()) {
        return Err(Gs1Error::Length {
            field,
            found: cp.len(),
            expected: "a GS1 Company Prefix of 6 to 12 digits",
        });
    }
    Ok(())
}

fn gtin_from_cp_iir(field: &'static str, cp: &str, iir: &str) -> Result<Gtin, Gs1Error> {
    check_gcp(field, cp)?;
    check_digits_only(field, iir)?;
    if cp.len() + iir.len() != 13 {
        return Err(Gs1Error::Length {
            field,
            found: cp.len() + iir.len(),
            expected: "13 digits in company prefix plus indicator and item reference",
        });
    }
    Gtin::from_data_digits(&format!("{}{}{}", &iir[..1], cp, &iir[1..]))
}

fn gtin_cp_iir(gtin: &Gtin, gcp_len: usize) -> (String, String) {
    let g = gtin.as_gtin14();
    let cp = g[1..1 + gcp_len].to_string();
    let iir = format!("{}{}", &g[..1], &g[1 + gcp_len..13]);
    (cp, iir)
}

fn decode_component(field: &'static str, raw: &str) -> Result<String, Gs1Error> {
    let v = percent_decode(field, raw)?;
    check_cset82(field, &v, SERIAL_MAX)?;
    Ok(v)
}

impl Epc {
    /// Parses an EPC pure-identity URN or class URN.
    pub fn from_urn(s: &str) -> Result<Epc, Gs1Error> {
        let s = s.trim();
        if let Some(body) = s.strip_prefix("urn:epc:id:sgtin:") {
            let p = split_gcp("SGTIN", body, 3)?;
            let gtin = gtin_from_cp_iir("SGTIN", p[0], p[1])?;
            let serial = decode_component("SGTIN serial", p[2])?;
            Ok(Epc::Sgtin { gtin, serial })
        } else if let Some(body) = s.strip_prefix("urn:epc:id:sscc:") {
            let p = split_gcp("SSCC", body, 2)?;
            check_gcp("SSCC", p[0])?;
            check_digits_only("SSCC serial reference", p[1])?;
            if p[0].len() + p[1].len() != 17 {
                return Err(Gs1Error::Length {
                    field: "SSCC",
                    found: p[0].len() + p[1].len(),
                    expected: "17 digits in company prefix plus serial reference",
                });
            }
            let data = format!("{}{}{}", &p[1][..1], p[0], &p[1][1..]);
            let cd = check_digit(&data).unwrap_or(0);
            Ok(Epc::Sscc {
                sscc: Sscc::parse(&format!("{data}{cd}"))?,
            })
        } else if let Some(body) = s.strip_prefix("urn:epc:id:sgln:") {
            let p = split_gcp("SGLN", body, 3)?;
            check_gcp("SGLN", p[0])?;
            // The location reference may be empty when the prefix has 12 digits.
            if !p[1].is_empty() {
                check_digits_only("SGLN location reference", p[1])?;
            }
            if p[0].len() + p[1].len() != 12 {
                return Err(Gs1Error::Length {
                    field: "SGLN",
                    found: p[0].len() + p[1].len(),
                    expected: "12 digits in company prefix plus location reference",
                });
            }
            let data = format!("{}{}", p[0], p[1]);
            let cd = check_digit(&data).unwrap_or(0);
            let gln = Gln::parse(&format!("{data}{cd}"))?;
            let ext = decode_component("SGLN extension", p[2])?;
            let extension = if ext == "0" { None } else { Some(ext) };
            Ok(Epc::Sgln { gln, extension })
        } else if let Some(body) = s.strip_prefix("urn:epc:class:lgtin:") {
            let p = split_gcp("LGTIN", body, 3)?;
            let gtin = gtin_from_cp_iir("LGTIN", p[0], p[1])?;
            let lot = decode_component("LGTIN lot", p[2])?;
            Ok(Epc::Lgtin { gtin, lot })
        } else if let Some(body) = s.strip_prefix("urn:epc:idpat:sgtin:") {
            let p = split_gcp("SGTIN pattern", body, 3)?;
            if p[2] != "*" {
                return Err(Gs1Error::syntax(
                    "SGTIN pattern",
                    "only the class pattern ending in .* is supported",
                ));
            }
            let gtin = gtin_from_cp_iir("SGTIN pattern", p[0], p[1])?;
            Ok(Epc::GtinClass { gtin })
        } else {
            Err(Gs1Error::syntax(
                "EPC URN",
                format!(
                    "{s:?} is not an sgtin, sscc, sgln, lgtin or sgtin pattern URN (urn:epc:id:..., urn:epc:class:lgtin:..., urn:epc:idpat:sgtin:...)"
                ),
            ))
        }
    }

    /// The EPC URN, given the length of the GS1 Company Prefix (6 to 12).
    pub fn to_urn(&self, gcp_len: usize) -> Result<String, Gs1Error> {
        if !(6..=12).contains(&gcp_len) {
            return Err(Gs1Error::syntax(
                "GS1 Company Prefix length",
                format!("{gcp_len} is outside 6..=12"),
            ));
        }
        Ok(match self {
            Epc::Sgtin { gtin, serial } => {
                let (cp, iir) = gtin_cp_iir(gtin, gcp_len);
                format!("urn:epc:id:sgtin:{cp}.{iir}.{}", urn_escape(serial))
            }
            Epc::Lgtin { gtin, lot } => {
                let (cp, iir) = gtin_cp_iir(gtin, gcp_len);
                format!("urn:epc:class:lgtin:{cp}.{iir}.{}", urn_escape(lot))
            }
            Epc::GtinClass { gtin } => {
                let (cp, iir) = gtin_cp_iir(gtin, gcp_len);
                format!("urn:epc:idpat:sgtin:{cp}.{iir}.*")
            }
            Epc::Sscc { sscc } => {
                let s = sscc.as_str();
                format!(
                    "urn:epc:id:sscc:{}.{}{}",
                    &s[1..1 + gcp_len],
                    &s[..1],
                    &s[1 + gcp_len..17]
                )
            }
            Epc::Sgln { gln, extension } => {
                let g = gln.as_str();
                let ext = extension.as_deref().map(urn_escape);
                format!(
                    "urn:epc:id:sgln:{}.{}.{}",
                    &g[..gcp_len],
                    &g[gcp_len..12],
                    ext.as_deref().unwrap_or("0")
                )
            }
        })
    }

    /// The GS1 Digital Link URI on the canonical host `https://id.gs1.org`.
    pub fn to_digital_link(&self) -> String {
        let h = DIGITAL_LINK_DEFAULT_HOST;
        match self {
            Epc::Sgtin { gtin, serial } => format!("{h}/01/{gtin}/21/{}", dl_escape(serial)),
            Epc::Lgtin { gtin, lot } => format!("{h}/01/{gtin}/10/{}", dl_escape(lot)),
            Epc::GtinClass { gtin } => format!("{h}/01/{gtin}"),
            Epc::Sscc { sscc } => format!("{h}/00/{sscc}"),
            Epc::Sgln {
                gln,
                extension: None,
            } => format!("{h}/414/{gln}"),
            Epc::Sgln {
                gln,
                extension: Some(e),
            } => format!("{h}/414/{gln}/254/{}", dl_escape(e)),
        }
    }

    /// Parses a GS1 Digital Link URI on any host (`http` or `https`, with or
    /// without a path prefix before the primary key). The query string and
    /// fragment are ignored: they carry attributes, not identity.
    pub fn from_digital_link(uri: &str) -> Result<Epc, Gs1Error> {
        const F: &str = "Digital Link";
        let uri = uri.trim();
        let rest = uri
            .strip_prefix("https://")
            .or_else(|| uri.strip_prefix("http://"))
            .ok_or_else(|| Gs1Error::syntax(F, "must start with https:// or http://"))?;
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let path = rest
            .split_once('/')
            .map(|(_, p)| p)
            .ok_or_else(|| Gs1Error::syntax(F, "no path after the host"))?;
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let start = segs
            .iter()
            .position(|s| matches!(*s, "01" | "00" | "414"))
            .ok_or_else(|| Gs1Error::syntax(F, "no primary key (01), (00) or (414) in the path"))?;
        let kv = &segs[start..];
        if !kv.len().is_multiple_of(2) {
            return Err(Gs1Error::syntax(
                F,
                "path must alternate application identifiers and values",
            ));
        }
        let val = |i: usize| percent_decode(F, kv[i + 1]);
        match (kv[0], kv.len()) {
            ("01", 2) => Ok(Epc::GtinClass {
                gtin: Gtin::parse(&val(0)?)?,
            }),
            ("01", 4) => {
                let gtin = Gtin::parse(&val(0)?)?;
                let v = val(2)?;
                match kv[2] {
                    "21" => {
                        check_cset82("AI (21) serial", &v, SERIAL_MAX)?;
                        Ok(Epc::Sgtin { gtin, serial: v })
                    }
                    "10" => {
                        check_cset82("AI (10) lot", &v, SERIAL_MAX)?;
                        Ok(Epc::Lgtin { gtin, lot: v })
                    }
                    other => Err(Gs1Error::syntax(
                        F,
                        format!(
                            "qualifier ({other}) after (01) is not supported; expected (21) or (10)"
                        ),
                    )),
                }
            }
            ("00", 2) => Ok(Epc::Sscc {
                sscc: Sscc::parse(&val(0)?)?,
            }),
            ("414", 2) => Ok(Epc::Sgln {
                gln: Gln::parse(&val(0)?)?,
                extension: None,
            }),
            ("414", 4) if kv[2] == "254" => {
                let e = val(2)?;
                check_cset82("AI (254) extension", &e, SERIAL_MAX)?;
                Ok(Epc::Sgln {
                    gln: Gln::parse(&val(0)?)?,
                    extension: Some(e),
                })
            }
            (ai, _) => Err(Gs1Error::syntax(
                F,
                format!("unsupported key/qualifier combination starting at ({ai})"),
            )),
        }
    }

    /// Parses either an EPC URN or a Digital Link URI.
    pub fn parse(s: &str) -> Result<Epc, Gs1Error> {
        if s.trim_start().starts_with("urn:") {
            Epc::from_urn(s)
        } else {
            Epc::from_digital_link(s)
        }
    }

    /// A one-line description for people, e.g. `SGTIN: GTIN 80614141123458, serial 6789`.
    pub fn describe(&self) -> String {
        match self {
            Epc::Sgtin { gtin, serial } => {
                format!("SGTIN (one pack): GTIN {gtin}, serial {serial}")
            }
            Epc::Lgtin { gtin, lot } => format!("LGTIN (a lot): GTIN {gtin}, lot {lot}"),
            Epc::GtinClass { gtin } => {
                format!("GTIN class (every pack of a trade item): GTIN {gtin}")
            }
            Epc::Sscc { sscc } => format!("SSCC (a logistic unit): {sscc}"),
            Epc::Sgln {
                gln,
                extension: None,
            } => format!("SGLN (a location): GLN {gln}"),
            Epc::Sgln {
                gln,
                extension: Some(e),
            } => format!("SGLN (a location): GLN {gln}, extension {e}"),
        }
    }

    /// The length of the GS1 Company Prefix written in an EPC URN, if `urn`
    /// is one. Lets a caller convert back to the same URN.
    pub fn urn_gcp_length(urn: &str) -> Option<usize> {
        let body = urn.trim().splitn(5, ':').nth(4)?;
        let cp = body.split('.').next()?;
        (cp.bytes().all(|b| b.is_ascii_digit()) && (6..=12).contains(&cp.len())).then_some(cp.len())
    }
}

impl fmt::Display for Epc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_digital_link())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Examples from the GS1 EPC Tag Data Standard 2.1, section 6.3 and 7.
    #[test]
    fn tds_examples() {
        let e = Epc::from_urn("urn:epc:id:sgtin:0614141.812345.6789").unwrap();
        assert_eq!(
            e.to_digital_link(),
            "https://id.gs1.org/01/80614141123458/21/6789"
        );
        assert_eq!(e.to_urn(7).unwrap(), "urn:epc:id:sgtin:0614141.812345.6789");

        let e = Epc::from_urn("urn:epc:id:sscc:0614141.1234567890").unwrap();
        assert_eq!(
            e.to_digital_link(),
            "https://id.gs1.org/00/106141412345678908"
        );
        assert_eq!(e.to_urn(7).unwrap(), "urn:epc:id:sscc:0614141.1234567890");

        let e = Epc::from_urn("urn:epc:id:sgln:0614141.12345.400").unwrap();
        assert_eq!(
            e.to_digital_link(),
            "https://id.gs1.org/414/0614141123452/254/400"
        );
        let e = Epc::from_urn("urn:epc:id:sgln:0614141.12345.0").unwrap();
        assert_eq!(e.to_digital_link(), "https://id.gs1.org/414/0614141123452");

        let e = Epc::from_urn("urn:epc:class:lgtin:4012345.012345.998877").unwrap();
        assert_eq!(
            e.to_digital_link(),
            "https://id.gs1.org/01/04012345123456/10/998877"
        );
        let e = Epc::from_urn("urn:epc:idpat:sgtin:4012345.012345.*").unwrap();
        assert_eq!(e.to_digital_link(), "https://id.gs1.org/01/04012345123456");
    }

    #[test]
    fn escapes_roundtrip() {
        let e = Epc::from_urn("urn:epc:id:sgtin:0614141.812345.A%2FB%25C").unwrap();
        assert_eq!(
            e,
            Epc::Sgtin {
                gtin: Gtin::parse("80614141123458").unwrap(),
                serial: "A/B%C".into()
            }
        );
        let dl = e.to_digital_link();
        assert_eq!(dl, "https://id.gs1.org/01/80614141123458/21/A%2FB%25C");
        assert_eq!(Epc::from_digital_link(&dl).unwrap(), e);
    }

    #[test]
    fn digital_link_on_custom_host_and_short_gtin() {
        let e = Epc::from_digital_link("http://example.com/shop/01/036000291452/10/L1?17=251231")
            .unwrap();
        assert_eq!(
            e,
            Epc::Lgtin {
                gtin: Gtin::parse("00036000291452").unwrap(),
                lot: "L1".into()
            }
        );
    }

    #[test]
    fn errors_name_the_field() {
        let err = Epc::from_urn("urn:epc:id:sgtin:0614141.812345.").unwrap_err();
        assert_eq!(
            err,
            Gs1Error::Empty {
                field: "SGTIN serial"
            }
        );
        let err = Epc::from_urn("urn:epc:id:sgtin:0614141.81234.1").unwrap_err();
        assert!(err.to_string().starts_with("SGTIN: length 12"), "{err}");
        let err = Epc::from_digital_link("https://id.gs1.org/01/80614141123459/21/1").unwrap_err();
        assert!(matches!(err, Gs1Error::CheckDigit { field: "GTIN", .. }));
        assert!(Epc::parse("urn:epc:id:giai:0614141.1").is_err());
        assert!(Epc::parse("ftp://x/01/80614141123458").is_err());
    }

    use crate::strategies::cset82_serial as serial;

    proptest! {
        #[test]
        fn sgtin_urn_dl_roundtrip(data in "[0-9]{13}", gcp in 6usize..=12, s in serial()) {
            let epc = Epc::Sgtin { gtin: Gtin::from_data_digits(&data).unwrap(), serial: s };
            let urn = epc.to_urn(gcp).unwrap();
            prop_assert_eq!(Epc::urn_gcp_length(&urn), Some(gcp));
            prop_assert_eq!(&Epc::from_urn(&urn).unwrap(), &epc);
            prop_assert_eq!(&Epc::from_digital_link(&epc.to_digital_link()).unwrap(), &epc);
        }

        #[test]
        fn sscc_and_sgln_roundtrip(d17 in "[0-9]{17}", d12 in "[0-9]{12}", gcp in 6usize..=12, ext in proptest::option::of(serial())) {
            let cd = check_digit(&d17).unwrap();
            let sscc = Epc::Sscc { sscc: Sscc::parse(&format!("{d17}{cd}")).unwrap() };
            prop_assert_eq!(&Epc::from_urn(&sscc.to_urn(gcp).unwrap()).unwrap(), &sscc);
            prop_assert_eq!(&Epc::from_digital_link(&sscc.to_digital_link()).unwrap(), &sscc);
            let cd = check_digit(&d12).unwrap();
            let ext = ext.filter(|e| e != "0");
            let sgln = Epc::Sgln { gln: Gln::parse(&format!("{d12}{cd}")).unwrap(), extension: ext };
            prop_assert_eq!(&Epc::from_urn(&sgln.to_urn(gcp).unwrap()).unwrap(), &sgln);
            prop_assert_eq!(&Epc::from_digital_link(&sgln.to_digital_link()).unwrap(), &sgln);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,60}") {
            let _ = Epc::parse(&s);
            let _ = Epc::from_urn(&format!("urn:epc:id:sgtin:{s}"));
            let _ = Epc::from_digital_link(&format!("https://id.gs1.org/01/{s}"));
        }
    }
}
