//! The stock movements an EPCIS event means (docs/formulas.md 3.1).
//!
//! | event | movement |
//! |---|---|
//! | bizStep `receiving`, or `commissioning` with action ADD | receipt at the bizLocation (else the destination location, else the readPoint) |
//! | bizStep `shipping` | issue at the source location (else the bizLocation, else the readPoint) |
//! | bizStep `dispensing` or `retail_selling` | dispensing at the bizLocation |
//! | bizStep `stock_taking` or `cycle_counting` | count: the balance becomes the quantity observed |
//! | bizStep `destroying`, `decommissioning`, or action DELETE | negative adjustment, the reason being the disposition (`expired`, `damaged`, `stolen`...) or the bizStep |
//! | bizStep `void_shipping` | positive adjustment (the shipment did not leave) |
//! | TransformationEvent | inputs: negative adjustments, outputs: positive, reason `transformed` |
//! | anything else (aggregation, association, inspecting, storing...) | none |
//!
//! Quantities come from the quantity lists (class-level: GTIN, with the lot
//! when the class is an LGTIN) and from the EPC lists (one unit per SGTIN
//! instance). The ILMD lot number and expiry date name the lot of class
//! quantities and instances that do not carry one.

use crate::calendar::local_ms;
use crate::movement::{Kind, Movement, Names, Source};
use equitas_epcis::event::EventRecord;

const BIZ_STEP: &str = "https://ref.gs1.org/cbv/BizStep-";
const DISPOSITION: &str = "https://ref.gs1.org/cbv/Disp-";
const LOCATION_TYPE: &str = "https://ref.gs1.org/cbv/SDT-location";

/// A movement with its names spelled out, before interning.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMovement {
    pub at: i64,
    /// A location code, or the canonical GLN Digital Link of an EPCIS location.
    pub location: String,
    /// GTIN-14 or product code.
    pub item: String,
    pub lot: String,
    pub kind: Kind,
    pub quantity: f64,
    pub reason: String,
    /// The other location of an issue or receipt, where known.
    pub counterpart: Option<String>,
    /// Expiry date of the lot (`YYYY-MM-DD`), where the source states it.
    pub expiry: Option<String>,
}

impl RawMovement {
    /// The movement with its names interned, its item being the product
    /// the recorded item counts toward and its quantity in that product's
    /// unit ([`crate::catalogue`]).
    pub fn intern(&self, names: &mut Names, source: Source) -> Movement {
        let (item, recorded, factor) = names.item(&self.item);
        Movement {
            at: self.at,
            location: names.location(&self.location),
            item,
            lot: names.lots.id(&self.lot),
            kind: self.kind,
            quantity: self.quantity * factor,
            reason: names.reasons.id(&self.reason),
            source: source.pack(),
            recorded,
        }
    }
}

/// The movements of an event, and why parts of it gave none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    pub movements: Vec<RawMovement>,
    pub skipped: Vec<String>,
}

fn tail<'a>(v: Option<&'a str>, prefix: &str) -> Option<&'a str> {
    v.map(|v| v.strip_prefix(prefix).unwrap_or(v))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// (GTIN-14, lot, serial) of a canonical Digital Link with AI 01.
fn gtin_parts(dl: &str) -> Option<(String, Option<String>, Option<String>)> {
    let rest = dl.strip_prefix("https://id.gs1.org/01/")?;
    let mut parts = rest.split('/');
    let gtin = parts.next()?.to_string();
    let (mut lot, mut serial) = (None, None);
    while let (Some(ai), Some(v)) = (parts.next(), parts.next()) {
        match ai {
            "10" => lot = Some(percent_decode(v)),
            "21" => serial = Some(percent_decode(v)),
            _ => {}
        }
    }
    Some((gtin, lot, serial))
}

fn party_location<'a>(r: &'a EventRecord, kind: &str) -> Option<&'a str> {
    r.parties
        .iter()
        .find(|p| p.kind == kind && p.kind_type.as_deref() == Some(LOCATION_TYPE))
        .map(|p| p.id.as_str())
}

/// The movements of `r`.
pub fn movements(r: &EventRecord) -> Extracted {
    let mut out = Extracted::default();
    let Some(at) = local_ms(&r.event_time, &r.time_zone_offset) else {
        out.skipped
            .push(format!("eventTime {:?} unreadable", r.event_time));
        return out;
    };
    let step = tail(r.biz_step.as_deref(), BIZ_STEP).unwrap_or("");
    let disposition = tail(r.disposition.as_deref(), DISPOSITION);
    let action = r.action.as_deref().unwrap_or("");
    let removal_reason = disposition.unwrap_or(if step.is_empty() { "removed" } else { step });
    // (role of quantities/EPCs, kind, sign for adjustments, reason)
    let mut plan: Vec<(&str, Kind, f64, &str)> = Vec::new();
    match r.event_type.as_str() {
        "TransformationEvent" => {
            plan.push(("input", Kind::Adjust, -1.0, "transformed"));
            plan.push(("output", Kind::Adjust, 1.0, "transformed"));
        }
        "ObjectEvent" | "TransactionEvent" => {
            let p = match step {
                "receiving" => Some((Kind::Receipt, 1.0, "")),
                "commissioning" if action == "ADD" => Some((Kind::Receipt, 1.0, "")),
                "shipping" => Some((Kind::Issue, 1.0, "")),
                "dispensing" | "retail_selling" => Some((Kind::Dispense, 1.0, "")),
                "stock_taking" | "cycle_counting" => Some((Kind::Count, 1.0, "")),
                "void_shipping" => Some((Kind::Adjust, 1.0, "void_shipping")),
                "destroying" | "decommissioning" => Some((Kind::Adjust, -1.0, removal_reason)),
                _ if action == "DELETE" => Some((Kind::Adjust, -1.0, removal_reason)),
                _ => None,
            };
            if let Some((k, sign, reason)) = p {
                plan.push(("epc", k, sign, reason));
            }
        }
        _ => {}
    }
    if plan.is_empty() {
        return out;
    }
    let biz = r.biz_location.as_deref();
    let read = r.read_point.as_deref();
    for (role, kind, sign, reason) in plan {
        let (location, counterpart) = match kind {
            Kind::Issue => (
                party_location(r, "source").or(biz).or(read),
                party_location(r, "destination"),
            ),
            Kind::Receipt => (
                biz.or(party_location(r, "destination")).or(read),
                party_location(r, "source"),
            ),
            _ => (biz.or(read), None),
        };
        let Some(location) = location else {
            out.skipped.push(format!(
                "{step}: no bizLocation, readPoint or location to put it at"
            ));
            continue;
        };
        let qty_role = if role == "epc" { "quantity" } else { role };
        let mut lines: Vec<(String, String, f64)> = Vec::new();
        for q in r.quantities.iter().filter(|q| q.role == qty_role) {
            let Some((gtin, lot, _)) = gtin_parts(&q.epc_class) else {
                out.skipped
                    .push(format!("class {} is not a GTIN class", q.epc_class));
                continue;
            };
            let Some(v) = q.quantity else {
                out.skipped
                    .push(format!("class {}: no quantity", q.epc_class));
                continue;
            };
            let lot = lot.or_else(|| r.lot.clone()).unwrap_or_default();
            lines.push((gtin, lot, v));
        }
        for (_, epc) in r.epcs.iter().filter(|(rl, _)| *rl == role) {
            match gtin_parts(epc) {
                Some((gtin, lot, Some(_))) => {
                    let lot = lot.or_else(|| r.lot.clone()).unwrap_or_default();
                    match lines.iter_mut().find(|l| l.0 == gtin && l.1 == lot) {
                        Some(l) => l.2 += 1.0,
                        None => lines.push((gtin, lot, 1.0)),
                    }
                }
                _ => out.skipped.push(format!(
                    "{epc}: not a trade item instance (contents not stated)"
                )),
            }
        }
        for (item, lot, q) in lines {
            let expiry = (r.expiry.is_some() && r.lot.as_deref() == Some(lot.as_str()))
                .then(|| r.expiry.clone())
                .flatten();
            out.movements.push(RawMovement {
                at,
                location: location.to_string(),
                item,
                lot,
                kind,
                quantity: if kind == Kind::Adjust { sign * q } else { q },
                reason: reason.to_string(),
                counterpart: counterpart.map(str::to_string),
                expiry,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use equitas_epcis::event::record;
    use equitas_epcis::parse_events;

    fn extract(event: &str) -> Extracted {
        let doc = format!(
            r#"{{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                {{"cbvmda": "urn:epcglobal:cbv:mda:"}}],
              "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
              "epcisBody": {{"eventList": [{event}]}}}}"#
        );
        let ev = parse_events(&doc).unwrap();
        movements(&record(&ev[0], &[]).unwrap())
    }

    #[test]
    fn receipt_with_lot_and_expiry() {
        let x = extract(
            r#"{"type": "ObjectEvent", "eventTime": "2026-01-31T22:30:00Z", "eventTimeZoneOffset": "+03:00",
               "action": "ADD", "bizStep": "receiving", "bizLocation": {"id": "urn:epc:id:sgln:9520000.00001.0"},
               "sourceList": [{"type": "location", "source": "urn:epc:id:sgln:9520000.00002.0"}],
               "quantityList": [{"epcClass": "urn:epc:class:lgtin:9520000.000011.L%2F1", "quantity": 40}],
               "ilmd": {"cbvmda:lotNumber": "L/1", "cbvmda:itemExpirationDate": "2027-06-30"}}"#,
        );
        assert!(x.skipped.is_empty(), "{x:?}");
        let m = &x.movements[0];
        assert_eq!(m.kind, Kind::Receipt);
        assert_eq!(m.location, "https://id.gs1.org/414/9520000000011");
        assert_eq!(
            m.counterpart.as_deref(),
            Some("https://id.gs1.org/414/9520000000028")
        );
        assert_eq!(m.item, "09520000000110");
        assert_eq!(m.lot, "L/1");
        assert_eq!(m.quantity, 40.0);
        assert_eq!(m.expiry.as_deref(), Some("2027-06-30"));
        assert_eq!(
            crate::calendar::format_day(crate::calendar::day_of_ms(m.at)),
            "2026-02-01"
        );
    }

    #[test]
    fn shipping_dispensing_counting_destroying() {
        let x = extract(
            r#"{"type": "ObjectEvent", "eventTime": "2026-02-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
               "action": "OBSERVE", "bizStep": "urn:epcglobal:cbv:bizstep:shipping",
               "bizLocation": {"id": "urn:epc:id:sgln:9520000.00002.0"},
               "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:9520000.00001.0"}],
               "quantityList": [{"epcClass": "urn:epc:idpat:sgtin:9520000.000011.*", "quantity": 5}],
               "epcList": ["urn:epc:id:sgtin:9520000.000011.1", "urn:epc:id:sgtin:9520000.000011.2", "urn:epc:id:sscc:9520000.0000000001"]}"#,
        );
        assert_eq!(x.movements.len(), 1, "{x:?}");
        assert_eq!(x.movements[0].kind, Kind::Issue);
        assert_eq!(x.movements[0].quantity, 7.0);
        assert_eq!(x.movements[0].lot, "");
        assert_eq!(x.skipped.len(), 1);
        let x = extract(
            r#"{"type": "ObjectEvent", "eventTime": "2026-02-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
               "action": "OBSERVE", "bizStep": "https://ref.gs1.org/cbv/BizStep-cycle_counting",
               "bizLocation": {"id": "urn:epc:id:sgln:9520000.00002.0"},
               "quantityList": [{"epcClass": "urn:epc:class:lgtin:9520000.000011.A", "quantity": 12}]}"#,
        );
        assert_eq!(
            (x.movements[0].kind, x.movements[0].quantity),
            (Kind::Count, 12.0)
        );
        let x = extract(
            r#"{"type": "ObjectEvent", "eventTime": "2026-02-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
               "action": "DELETE", "bizStep": "destroying", "disposition": "expired",
               "readPoint": {"id": "urn:epc:id:sgln:9520000.00002.0"},
               "quantityList": [{"epcClass": "urn:epc:class:lgtin:9520000.000011.A", "quantity": 3}]}"#,
        );
        let m = &x.movements[0];
        assert_eq!(
            (m.kind, m.quantity, m.reason.as_str()),
            (Kind::Adjust, -3.0, "expired")
        );
        let x = extract(
            r#"{"type": "ObjectEvent", "eventTime": "2026-02-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
               "action": "OBSERVE", "bizStep": "inspecting",
               "bizLocation": {"id": "urn:epc:id:sgln:9520000.00002.0"},
               "quantityList": [{"epcClass": "urn:epc:class:lgtin:9520000.000011.A", "quantity": 3}]}"#,
        );
        assert_eq!(x, Extracted::default());
    }
}
