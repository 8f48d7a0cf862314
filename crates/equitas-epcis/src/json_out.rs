//! An event of the neutral [`Node`] tree written in the EPCIS 2.0 JSON/JSON-LD
//! binding: how events captured as XML are answered to queries, which the
//! EPCIS 2.0 REST binding returns as JSON. The inverse of [`crate::json`]:
//!
//! - extension names `{namespace}local` become `prefix:local`, the prefixes
//!   declared in the event's `@context` (`cbvmda` and `gs1` for theirs,
//!   `ext1`, `ext2`... for the others);
//! - list elements become arrays: of identifiers (`epcList`, `childEPCs`,
//!   `correctiveEventIDs`...), of objects (`quantityList`,
//!   `sensorElementList`...), or of type-and-identifier objects
//!   (`bizTransactionList`, `sourceList`, `destinationList`);
//! - an element marked `xsi:nil="true"` is left out (JSON has no such mark);
//! - fields the JSON Schema types as numbers (`quantity`, the sensor values)
//!   or booleans (`booleanValue`) are written so; everything else is text,
//!   values in the canonical form the tree holds (CBV terms as web URIs).
//!
//! Reading the result with [`crate::json`] gives back the same tree, so the
//! event keeps its Event Hash ID (tested on every XML document of the
//! conformance suite).

use crate::node::Node;
use serde_json::{Map, Value, json};

/// The JSON-LD context every EPCIS 2.0 JSON document names.
pub const CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// List elements: written as an array of their entries.
const LISTS: &[&str] = &[
    "epcList",
    "childEPCs",
    "inputEPCList",
    "outputEPCList",
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputQuantityList",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "correctiveEventIDs",
];

/// Elements that repeat in XML and are one array in JSON, even alone.
const REPEATED: &[&str] = &["set", "unset", "sensorReport"];

/// Fields the JSON Schema types as numbers.
const NUMBERS: &[&str] = &[
    "quantity",
    "value",
    "minValue",
    "maxValue",
    "meanValue",
    "sDev",
    "percRank",
    "percValue",
];

/// The XML Schema instance attribute marking an element without value.
const XSI_NIL: &str = "{http://www.w3.org/2001/XMLSchema-instance}nil";

/// Well-known namespaces and the prefixes they are written with.
const KNOWN: &[(&str, &str)] = &[
    ("urn:epcglobal:cbv:mda:", "cbvmda"),
    ("urn:epcglobal:cbv:mda", "cbvmda"),
    ("https://gs1.org/voc/", "gs1"),
];

/// Prefixes given to the namespaces of one event.
struct Prefixes(Vec<(String, String)>);

impl Prefixes {
    /// `{namespace}local` as `prefix:local`; other names unchanged.
    fn key(&mut self, name: &str) -> String {
        let Some((ns, local)) = name.strip_prefix('{').and_then(|rest| rest.split_once('}')) else {
            return name.to_string();
        };
        let prefix = match self.0.iter().find(|(n, _)| n == ns) {
            Some((_, p)) => p.clone(),
            None => {
                let taken = |p: &str| self.0.iter().any(|(_, q)| q == p);
                let known = KNOWN
                    .iter()
                    .find(|(n, p)| *n == ns && !taken(p))
                    .map(|(_, p)| p.to_string());
                let p = known.unwrap_or_else(|| {
                    (1..)
                        .map(|i| format!("ext{i}"))
                        .find(|p| !taken(p))
                        .unwrap_or_default()
                });
                self.0.push((ns.to_string(), p.clone()));
                p
            }
        };
        format!("{prefix}:{local}")
    }
}

/// Standard vocabulary as the JSON binding writes it: CBV terms of the
/// fields that take them as bare words (`receiving`, `po`), GS1 web
/// vocabulary of sensor reports as `gs1:` terms.
fn vocabulary(p: &mut Prefixes, name: &str, v: &str) -> Option<String> {
    const CBV: &[(&str, &str)] = &[
        ("bizStep", "BizStep-"),
        ("disposition", "Disp-"),
        ("set", "Disp-"),
        ("unset", "Disp-"),
        ("type", "BTT-"),
        ("type", "SDT-"),
        ("reason", "ER-"),
        ("component", "Comp-"),
    ];
    let web = crate::canon::cbv_web_uri(v);
    if let Some(term) = web.strip_prefix("https://ref.gs1.org/cbv/") {
        return CBV
            .iter()
            .filter(|(field, _)| *field == name)
            .find_map(|(_, vocab)| term.strip_prefix(vocab))
            .map(str::to_string);
    }
    match web.strip_prefix("https://gs1.org/voc/") {
        Some(term) if matches!(name, "type" | "exception") => {
            Some(p.key(&format!("{{https://gs1.org/voc/}}{term}")))
        }
        _ => None,
    }
}

/// A leaf's value typed as the JSON Schema wants it.
fn scalar(name: &str, v: &str) -> Value {
    if NUMBERS.contains(&name) {
        if let Ok(i) = v.parse::<i64>() {
            return json!(i);
        }
        if let Some(n) = v.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            return Value::Number(n);
        }
    }
    if name == "booleanValue" {
        match v {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            _ => {}
        }
    }
    Value::String(v.to_string())
}

/// A node as a JSON value: a typed scalar, or an object of its fields
/// (its text, if it has both, as `#text`).
fn value(p: &mut Prefixes, n: &Node) -> Value {
    // An element the XML marks as having no value (`xsi:nil="true"`).
    if n.value.is_none()
        && n.children.len() == 1
        && n.children[0].name == XSI_NIL
        && n.children[0].value.as_deref() == Some("true")
    {
        return Value::Null;
    }
    if n.children.is_empty() {
        let v = n.value.as_deref().unwrap_or("");
        if let Some(term) = vocabulary(p, &n.name, v) {
            return Value::String(term);
        }
        return scalar(&n.name, v);
    }
    let mut o = object(p, n);
    if let Some(t) = &n.value {
        o.insert("#text".into(), Value::String(t.clone()));
    }
    Value::Object(o)
}

/// The fields of a node as a JSON object.
fn object(p: &mut Prefixes, n: &Node) -> Map<String, Value> {
    let mut out = Map::new();
    for c in &n.children {
        let key = p.key(&c.name);
        if LISTS.contains(&c.name.as_str()) {
            let entries = c
                .children
                .iter()
                .map(|e| {
                    if e.name.is_empty() {
                        // A (type, identifier) pair: an object of both.
                        Value::Object(object(p, e))
                    } else {
                        value(p, e)
                    }
                })
                .filter(|v| !v.is_null())
                .collect();
            out.insert(key, Value::Array(entries));
            continue;
        }
        let v = value(p, c);
        if v.is_null() {
            continue;
        }
        match out.get_mut(&key) {
            Some(Value::Array(a)) if REPEATED.contains(&c.name.as_str()) => a.push(v),
            Some(prev) => {
                // Any other field that repeats becomes an array.
                let mut items = match prev.take() {
                    Value::Array(a) => a,
                    first => vec![first],
                };
                items.push(v);
                *prev = Value::Array(items);
            }
            None if REPEATED.contains(&c.name.as_str()) => {
                out.insert(key, Value::Array(vec![v]));
            }
            None => {
                out.insert(key, v);
            }
        }
    }
    out
}

/// The event as a JSON-LD object of the EPCIS 2.0 JSON binding, with its own
/// `@context` (the standard context, then the prefixes its extensions use).
pub fn event_json(event: &Node) -> Value {
    let mut p = Prefixes(Vec::new());
    let fields = object(&mut p, event);
    let mut out = Map::new();
    let mut context = vec![Value::String(CONTEXT.into())];
    if !p.0.is_empty() {
        let prefixes: Map<String, Value> =
            p.0.into_iter()
                .map(|(ns, prefix)| (prefix, Value::String(ns)))
                .collect();
        context.push(Value::Object(prefixes));
    }
    out.insert("@context".into(), Value::Array(context));
    out.insert("type".into(), Value::String(event.name.clone()));
    out.extend(fields);
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_xml_event_in_the_json_binding() {
        let xml = r#"<ObjectEvent xmlns:ex="https://ex.org/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
                 <eventTime>2020-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                 <epcList><epc>urn:epc:id:sgtin:4012345.012345.1</epc></epcList><action>OBSERVE</action>
                 <bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>
                 <sourceList><source type="urn:epcglobal:cbv:sdt:owning_party">urn:epc:id:pgln:4012345.00000</source></sourceList>
                 <quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.L1</epcClass>
                   <quantity>2.5</quantity></quantityElement>
                   <quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.L2</epcClass><quantity xsi:nil="true"/></quantityElement></quantityList>
                 <sensorElementList><sensorElement><sensorMetadata time="2020-01-01T00:00:00Z"/>
                   <sensorReport type="gs1:Temperature" value="26" uom="CEL"/></sensorElement></sensorElementList>
                 <ex:note>one</ex:note><ex:note>two</ex:note>
               </ObjectEvent>"#;
        let d = crate::parse_document(xml).unwrap();
        let j = event_json(&d.events[0]);
        assert_eq!(j["type"], "ObjectEvent");
        assert_eq!(j["bizStep"], "shipping");
        assert_eq!(j["epcList"], json!(["urn:epc:id:sgtin:4012345.012345.1"]));
        assert_eq!(
            j["sourceList"],
            json!([{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}])
        );
        assert_eq!(j["quantityList"][0]["quantity"], json!(2.5));
        assert!(
            j["quantityList"][1].get("quantity").is_none(),
            "nil is left out"
        );
        let report = &j["sensorElementList"][0]["sensorReport"];
        assert_eq!(
            report,
            &json!([{"type": "gs1:Temperature", "value": 26, "uom": "CEL"}])
        );
        assert_eq!(j["ext1:note"], json!(["one", "two"]));
        assert_eq!(
            j["@context"],
            json!([CONTEXT, {"gs1": "https://gs1.org/voc/", "ext1": "https://ex.org/"}])
        );
        // Read back, the same event (but for the nil mark, which JSON cannot carry).
        let plain = xml.replace(
            r#"<quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.L2</epcClass><quantity xsi:nil="true"/></quantityElement>"#,
            "",
        );
        let d = crate::parse_document(&plain).unwrap();
        let j = event_json(&d.events[0]);
        let text = json!({"@context": j["@context"], "epcisBody": {"eventList": [j]}}).to_string();
        let back = crate::parse_document(&text).unwrap();
        assert_eq!(
            crate::event_hash(&back.events[0]),
            crate::event_hash(&d.events[0])
        );
    }
}
