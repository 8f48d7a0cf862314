//! The fields of an event that Equitas stores and queries, in canonical
//! form, with the checks every event must pass before it is captured.

use crate::canon;
use crate::hash::event_hash_ignoring;
use crate::node::Node;

pub const EVENT_TYPES: &[&str] = &[
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
];

/// Where an identifier stands in an event.
pub const EPC_ROLES: &[(&str, &str)] = &[
    ("epcList", "epc"),
    ("childEPCs", "child"),
    ("inputEPCList", "input"),
    ("outputEPCList", "output"),
];

const QUANTITY_ROLES: &[(&str, &str)] = &[
    ("quantityList", "quantity"),
    ("childQuantityList", "child"),
    ("inputQuantityList", "input"),
    ("outputQuantityList", "output"),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub role: &'static str,
    pub epc_class: String,
    pub quantity: Option<f64>,
    pub uom: Option<String>,
}

/// A business transaction, source or destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// `bizTransaction`, `source` or `destination`.
    pub kind: &'static str,
    pub kind_type: Option<String>,
    pub id: String,
}

/// An event ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub hash: String,
    pub event_id: Option<String>,
    pub event_type: String,
    /// UTC, millisecond precision.
    pub event_time: String,
    pub time_zone_offset: String,
    pub action: Option<String>,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub read_point: Option<String>,
    pub biz_location: Option<String>,
    pub parent: Option<String>,
    pub epcs: Vec<(&'static str, String)>,
    pub quantities: Vec<Quantity>,
    pub parties: Vec<Party>,
    /// ILMD `cbvmda:lotNumber` and `cbvmda:itemExpirationDate`.
    pub lot: Option<String>,
    pub expiry: Option<String>,
}

fn canonical(n: Option<&Node>) -> Option<String> {
    n.and_then(|n| n.value.as_deref())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(canon::value)
}

fn id_of(n: Option<&Node>) -> Option<String> {
    canonical(n.and_then(|n| n.child("id")))
}

/// True for ILMD master data keys (`cbvmda:` in either binding's spelling).
fn is_cbvmda(name: &str, local: &str) -> bool {
    name.strip_prefix("{urn:epcglobal:cbv:mda")
        .and_then(|r| r.split_once('}'))
        .is_some_and(|(_, l)| l == local)
}

/// The largest quantity one event may move (docs/formulas.md 3.10: the
/// stock ledger's implausible quantity); above it capture refuses the
/// event, naming its quantity, rather than capture what no figure counts.
pub const MAX_QUANTITY: f64 = 1e9;

/// Checks an event and extracts what is stored. The error names the field.
pub fn record(event: &Node, hash_ignore: &[String]) -> Result<EventRecord, (String, String)> {
    let err = |field: &str, reason: &str| Err((field.to_string(), reason.to_string()));
    if !EVENT_TYPES.contains(&event.name.as_str()) {
        return err(
            "type",
            &format!("{:?} is not an EPCIS event type", event.name),
        );
    }
    let Some(time) = event
        .text("eventTime")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return err("eventTime", "missing");
    };
    if canon::lacks_time_zone(time) {
        // An instant: the offset in eventTimeZoneOffset is the local one
        // where the event happened (context), not necessarily the one
        // eventTime is written in, and is not applied to it (docs/epcis.md).
        let local = event
            .text("eventTimeZoneOffset")
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| format!(" (for a local time at {o}: {time}{o})"))
            .unwrap_or_default();
        return err(
            "eventTime",
            &format!(
                "{time:?} has no time zone: EPCIS event times are instants, written with Z \
                 (UTC) or an offset{local}; eventTimeZoneOffset is not applied to them"
            ),
        );
    }
    let event_time = canon::timestamp(time);
    if event_time == time && !time.ends_with('Z') {
        return err(
            "eventTime",
            &format!("{time:?} is not an ISO 8601 date-time"),
        );
    }
    let Some(offset) = event.text("eventTimeZoneOffset").map(str::trim) else {
        return err("eventTimeZoneOffset", "missing");
    };
    let valid_offset = offset.len() == 6
        && matches!(&offset[..1], "+" | "-")
        && offset[1..3].bytes().all(|b| b.is_ascii_digit())
        && &offset[3..4] == ":"
        && offset[4..6].bytes().all(|b| b.is_ascii_digit());
    if !valid_offset {
        return err(
            "eventTimeZoneOffset",
            &format!("{offset:?} is not +hh:mm or -hh:mm"),
        );
    }
    let action = event.text("action").map(str::trim).map(str::to_string);
    match (&action, event.name.as_str()) {
        (None, "TransformationEvent") => {}
        (None, _) => return err("action", "missing"),
        (Some(a), _) if !matches!(a.as_str(), "OBSERVE" | "ADD" | "DELETE") => {
            return err("action", &format!("{a:?} is not OBSERVE, ADD or DELETE"));
        }
        _ => {}
    }
    let mut epcs = Vec::new();
    for (list, role) in EPC_ROLES {
        if let Some(l) = event.child(list) {
            for e in &l.children {
                if let Some(v) = canonical(Some(e)) {
                    epcs.push((*role, v));
                }
            }
        }
    }
    let mut quantities = Vec::new();
    for (list, role) in QUANTITY_ROLES {
        for q in event
            .child(list)
            .map(|l| l.children.as_slice())
            .unwrap_or(&[])
        {
            let Some(class) = canonical(q.child("epcClass")) else {
                return err(list, "a quantity element without epcClass");
            };
            let quantity = match q.text("quantity").map(str::trim) {
                None => None,
                Some(s) => match s.parse::<f64>() {
                    Ok(v) if v.is_finite() && (0.0..=MAX_QUANTITY).contains(&v) => Some(v),
                    Ok(v) if v.is_finite() && v > MAX_QUANTITY => {
                        return err(
                            list,
                            &format!(
                                "quantity {s:?} is above 1e9, more than any one movement of a health product (the stock ledger would leave it out: docs/formulas.md 3.10)"
                            ),
                        );
                    }
                    _ => {
                        return err(
                            list,
                            &format!("quantity {s:?} is not a non-negative number"),
                        );
                    }
                },
            };
            quantities.push(Quantity {
                role,
                epc_class: class,
                quantity,
                uom: q.text("uom").map(|u| u.trim().to_string()),
            });
        }
    }
    let mut parties = Vec::new();
    for (list, kind) in [
        ("bizTransactionList", "bizTransaction"),
        ("sourceList", "source"),
        ("destinationList", "destination"),
    ] {
        for p in event
            .child(list)
            .map(|l| l.children.as_slice())
            .unwrap_or(&[])
        {
            let Some(id) = canonical(p.child(kind)) else {
                return err(list, &format!("an entry without {kind}"));
            };
            parties.push(Party {
                kind,
                kind_type: canonical(p.child("type")),
                id,
            });
        }
    }
    // A step or disposition in CBV's namespace must be one CBV names: a
    // misspelt one would be captured and move no stock without a word
    // (a user pass, 2026-12-07: `"bizStep": "dispensin"`).
    for field in ["bizStep", "disposition"] {
        if let Some(why) =
            canonical(event.child(field)).and_then(|v| crate::cbv::not_in_cbv(field, &v))
        {
            return err(field, &why);
        }
    }
    let ilmd = event.child("ilmd");
    let ilmd_value = |local: &str| {
        ilmd.and_then(|i| i.children.iter().find(|c| is_cbvmda(&c.name, local)))
            .and_then(|c| c.value.clone())
            .map(|v| v.trim().to_string())
    };
    Ok(EventRecord {
        hash: event_hash_ignoring(event, hash_ignore),
        event_id: event.text("eventID").map(|s| s.trim().to_string()),
        event_type: event.name.clone(),
        event_time,
        time_zone_offset: offset.to_string(),
        action,
        biz_step: canonical(event.child("bizStep")),
        disposition: canonical(event.child("disposition")),
        read_point: id_of(event.child("readPoint")),
        biz_location: id_of(event.child("bizLocation")),
        parent: canonical(event.child("parentID")),
        epcs,
        quantities,
        parties,
        lot: ilmd_value("lotNumber"),
        expiry: ilmd_value("itemExpirationDate"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_events;

    const DOC: &str = r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        {"cbvmda": "urn:epcglobal:cbv:mda:"}],
      "epcisBody": {"eventList": [
        {"type": "ObjectEvent", "eventTime": "2026-01-05T10:00:00+01:00", "eventTimeZoneOffset": "+01:00",
         "action": "ADD", "bizStep": "commissioning", "disposition": "active",
         "readPoint": {"id": "urn:epc:id:sgln:0614141.12345.0"},
         "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.LOT1", "quantity": 100, "uom": "EA"}],
         "ilmd": {"cbvmda:lotNumber": "LOT1", "cbvmda:itemExpirationDate": "2028-02-29"}},
        {"type": "ObjectEvent", "eventTime": "yesterday", "eventTimeZoneOffset": "+01:00", "action": "ADD"},
        {"type": "ObjectEvent", "eventTime": "2026-01-05T10:00:00Z", "eventTimeZoneOffset": "+01:00", "action": "CREATE"},
        {"type": "TransformationEvent", "eventTime": "2026-01-05T10:00:00Z", "eventTimeZoneOffset": "+0100"},
        {"type": "ObjectEvent", "eventTime": "2026-03-01T10:00:00", "eventTimeZoneOffset": "+03:00", "action": "ADD"},
        {"type": "ObjectEvent", "eventTime": "2026-03-01T10:00:00.250", "eventTimeZoneOffset": "+03:00", "action": "ADD"},
        {"type": "ObjectEvent", "eventTime": "2026-03-01T10:00:00+03:00", "eventTimeZoneOffset": "+03:00", "action": "ADD"}
      ]}}"#;

    #[test]
    fn extracts_and_checks() {
        let ev = parse_events(DOC).unwrap();
        let r = record(&ev[0], &[]).unwrap();
        assert_eq!(r.event_time, "2026-01-05T09:00:00.000Z");
        assert_eq!(
            r.biz_step.as_deref(),
            Some("https://ref.gs1.org/cbv/BizStep-commissioning")
        );
        assert_eq!(
            r.read_point.as_deref(),
            Some("https://id.gs1.org/414/0614141123452")
        );
        assert_eq!(
            r.quantities[0].epc_class,
            "https://id.gs1.org/01/04012345123456/10/LOT1"
        );
        assert_eq!(r.quantities[0].quantity, Some(100.0));
        assert_eq!(r.lot.as_deref(), Some("LOT1"));
        assert_eq!(r.expiry.as_deref(), Some("2028-02-29"));
        assert!(r.hash.starts_with("ni:///sha-256;"));
        assert_eq!(record(&ev[1], &[]).unwrap_err().0, "eventTime");
        assert_eq!(
            record(&ev[2], &[]).unwrap_err(),
            (
                "action".to_string(),
                "\"CREATE\" is not OBSERVE, ADD or DELETE".to_string()
            )
        );
        assert_eq!(record(&ev[3], &[]).unwrap_err().0, "eventTimeZoneOffset");
    }

    /// An eventTime without a time zone is refused, naming eventTime: it is
    /// no instant, and eventTimeZoneOffset is the local offset (context),
    /// not the zone eventTime is written in (EPCIS Time type; JSON Schema
    /// `date-time`). Until 2026-12-07 it was read as UTC: a device at
    /// +03:00 sending its local 10:00 had the event dated 10:00 UTC, three
    /// hours late, and refused as in the future when captured at once.
    #[test]
    fn an_event_time_without_time_zone_is_refused() {
        let ev = parse_events(DOC).unwrap();
        for i in [4, 5] {
            let (field, reason) = record(&ev[i], &[]).unwrap_err();
            assert_eq!(field, "eventTime", "{reason}");
            assert!(reason.contains("has no time zone"), "{reason}");
            assert!(reason.contains("T10:00:00"), "{reason}");
            assert!(reason.contains("+03:00"), "{reason}");
        }
        // Written with its offset, the same local time is 07:00 UTC.
        let r = record(&ev[6], &[]).unwrap();
        assert_eq!(r.event_time, "2026-03-01T07:00:00.000Z");
        assert_eq!(r.time_zone_offset, "+03:00");
        assert!(canon::lacks_time_zone("2026-03-01T10:00:00"));
        assert!(!canon::lacks_time_zone("2026-03-01T10:00:00Z"));
        assert!(!canon::lacks_time_zone("2026-03-01T10:00:00-05:00"));
        assert!(!canon::lacks_time_zone("yesterday"));
    }
}
