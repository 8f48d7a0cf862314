//! The EPCIS 2.0 JSON/JSON-LD binding, read into the syntax-neutral
//! [`Node`] tree that the XML binding has:
//!
//! - prefixed keys and values (`example:myField`, `gs1:MT-Temperature`) are
//!   expanded with the document's `@context` prefixes, keys as
//!   `{namespace}local`;
//! - CBV values in bare-word form (`"bizStep": "shipping"`) become web URIs;
//! - lists become a parent holding one element per entry (`epcList` holds
//!   `epc`, `quantityList` holds `quantityElement`, `childEPCs` holds `epc`);
//!   a business transaction, source or destination is a pair of its type and
//!   its identifier, in that order.

use crate::EpcisError;
use crate::node::Node;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Prefix to namespace IRI, from the document's `@context` (a prefix given
/// twice means what it was given last). A context has a handful of
/// prefixes: they are looked up in order, which is faster than hashing.
#[derive(Debug, Clone, Default)]
pub struct Namespaces(Vec<(String, String)>);

impl Namespaces {
    pub fn from_context(ctx: Option<&Value>) -> Self {
        let mut m: Vec<(String, String)> = Vec::new();
        let mut add = |o: &Map<String, Value>| {
            for (k, v) in o {
                if let Some(iri) = v.as_str() {
                    match m.iter_mut().find(|(p, _)| p == k) {
                        Some(slot) => slot.1 = iri.to_string(),
                        None => m.push((k.clone(), iri.to_string())),
                    }
                }
            }
        };
        match ctx {
            Some(Value::Array(items)) => {
                for i in items {
                    if let Value::Object(o) = i {
                        add(o);
                    }
                }
            }
            Some(Value::Object(o)) => add(o),
            _ => {}
        }
        Namespaces(m)
    }

    fn split<'a>(&self, s: &'a str) -> Option<(&str, &'a str)> {
        // By byte: this runs for every key and value of every event, and
        // `split_once(':')` sets up a search that costs more than the word.
        let i = s.bytes().position(|b| b == b':')?;
        let (prefix, local) = (&s[..i], &s[i + 1..]);
        self.0
            .iter()
            .find(|(p, _)| p == prefix)
            .map(|(_, ns)| (ns.as_str(), local))
    }

    /// `prefix:local` as `{namespace}local`.
    pub fn key(&self, k: &str) -> String {
        match self.split(k) {
            Some((ns, local)) => {
                let mut out = String::with_capacity(ns.len() + local.len() + 2);
                out.push('{');
                out.push_str(ns);
                out.push('}');
                out.push_str(local);
                out
            }
            None => k.to_string(),
        }
    }

    /// `prefix:local` as the full IRI.
    pub fn value(&self, v: &str) -> String {
        match self.split(v) {
            Some((ns, local)) => [ns, local].concat(),
            None => v.to_string(),
        }
    }
}

/// The web URI of a CBV term written as a bare word, by the field it is in.
fn bare_vocabulary(parent: &str, field: &str, v: &str) -> Option<String> {
    if v.contains(':') || v.is_empty() {
        return None;
    }
    let prefix = match (parent, field) {
        (_, "bizStep") => "https://ref.gs1.org/cbv/BizStep-",
        (_, "disposition") | ("persistentDisposition", "set" | "unset") => {
            "https://ref.gs1.org/cbv/Disp-"
        }
        ("bizTransaction", "type") => "https://ref.gs1.org/cbv/BTT-",
        ("source" | "destination", "type") => "https://ref.gs1.org/cbv/SDT-",
        ("errorDeclaration", "reason") => "https://ref.gs1.org/cbv/ER-",
        ("sensorReport", "type" | "exception") => "https://gs1.org/voc/",
        ("sensorReport", "component") => "https://ref.gs1.org/cbv/Comp-",
        _ => return None,
    };
    Some(format!("{prefix}{v}"))
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

const LIST_PAIRS: &[(&str, &str)] = &[
    ("bizTransactionList", "bizTransaction"),
    ("sourceList", "source"),
    ("destinationList", "destination"),
];

/// One JSON value found under `key` (inside `parent`) read straight from
/// the text into nodes, without building a JSON tree first: a scalar is a
/// leaf (prefixes expanded, bare CBV words as web URIs), an object a node
/// (see [`read_object`]), an array one node per entry under the same key,
/// `null` nothing.
struct Field<'a> {
    ns: &'a Namespaces,
    parent: &'a str,
    key: &'a str,
    out: &'a mut Vec<Node>,
}

impl Field<'_> {
    fn leaf(self, s: &str) {
        let name = self.ns.key(self.key);
        let value = bare_vocabulary(self.parent, &name, s).unwrap_or_else(|| self.ns.value(s));
        self.out.push(Node::leaf(name, value));
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Field<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Field<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.leaf(v);
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.leaf(if v { "true" } else { "false" });
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.leaf(&v.to_string());
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.leaf(&v.to_string());
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // Written as serde_json writes a parsed number.
        match serde_json::Number::from_f64(v) {
            Some(n) => self.leaf(&n.to_string()),
            None => self.leaf(&v.to_string()),
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Field {
                ns: self.ns,
                parent: self.parent,
                key: self.key,
                out: &mut *self.out,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let name = self.ns.key(self.key);
        let node = read_object(self.ns, &name, map, None)?;
        self.out.push(node);
        Ok(())
    }
}

/// A JSON object read straight into a node named `name`: its entries as
/// children (the entries of a list take its singular name, as XML elements
/// do) with the list corrections of [`correct`] applied, `#text` as its
/// value, `@` keys and comments left out.
fn read_object<'de, A: serde::de::MapAccess<'de>>(
    ns: &Namespaces,
    name: &str,
    mut map: A,
    mut kind: Option<&mut Option<String>>,
) -> Result<Node, A::Error> {
    let singular = name.strip_suffix("List").unwrap_or(name);
    let mut children = Vec::new();
    let mut text = None;
    while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
        let field = |out| Field {
            ns,
            parent: singular,
            key: &k,
            out,
        };
        if k == "#text" {
            text = scalar(&map.next_value::<Value>()?);
        } else if k.starts_with('@') || matches!(k.as_ref(), "rdfs:comment" | "comment") {
            map.next_value::<serde::de::IgnoredAny>()?;
        } else if let (Some(kind), "type") = (kind.as_deref_mut(), k.as_ref()) {
            // An event's type, kept as written when it is a string.
            let v: Value = map.next_value()?;
            *kind = v.as_str().map(str::to_string);
            use serde::de::{DeserializeSeed, Error};
            field(&mut children)
                .deserialize(&v)
                .map_err(A::Error::custom)?;
        } else {
            map.next_value_seed(field(&mut children))?;
        }
    }
    let mut node = Node::parent(name, correct(children));
    node.value = text;
    Ok(node)
}

/// One event object of a document read straight from its text, with its
/// `type` if that is a string.
struct EventSeed<'a> {
    ns: &'a Namespaces,
}

impl<'de> serde::de::DeserializeSeed<'de> for EventSeed<'_> {
    type Value = (Node, Option<String>);
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EventSeed<'_> {
    type Value = (Node, Option<String>);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an event object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut kind = None;
        let node = read_object(self.ns, "", map, Some(&mut kind))?;
        Ok((node, kind))
    }
}

/// Groups `xxxList` entries under one `xxxList` node (entries named `xxx`),
/// turns business transactions, sources and destinations into ordered
/// (type, identifier) pairs, gathers `childEPCs`, and renames the JSON
/// names that differ from XML.
fn correct(children: Vec<Node>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::with_capacity(children.len());
    let mut lists: Vec<(String, Vec<Node>)> = Vec::new();
    let mut child_epcs: Vec<Node> = Vec::new();
    for mut c in children {
        if c.name == "childEPCs" {
            c.name = "epc".into();
            child_epcs.push(c);
        } else if c.name.ends_with("List") {
            let k = match lists.iter().position(|(n, _)| *n == c.name) {
                Some(k) => k,
                None => {
                    lists.push((c.name.clone(), Vec::new()));
                    lists.len() - 1
                }
            };
            let entry = match LIST_PAIRS.iter().find(|(l, _)| *l == c.name) {
                Some((_, id)) => pair(c, id),
                None => {
                    // The entry takes the list's singular name.
                    c.name.truncate(c.name.len() - "List".len());
                    if let Some(n) = rename(&c.name, &c) {
                        c.name = n.into();
                    }
                    c
                }
            };
            lists[k].1.push(entry);
        } else {
            if let Some(n) = rename(&c.name, &c) {
                c.name = n.into();
            }
            out.push(c);
        }
    }
    for (name, entries) in lists {
        out.push(Node::parent(name, entries));
    }
    if !child_epcs.is_empty() {
        out.push(Node::parent("childEPCs", child_epcs));
    }
    out
}

/// A (type, identifier) pair; the identifier is the entry's `id` field.
fn pair(entry: Node, id: &str) -> Node {
    let mut kind = None;
    let mut ident = None;
    let mut rest = Vec::new();
    for c in entry.children {
        if c.name == "type" && kind.is_none() {
            kind = Some(c);
        } else if c.name == id && ident.is_none() {
            ident = Some(c);
        } else if c.name != "type" && c.name != id {
            // Anything else the entry holds (extensions) follows.
            rest.push(c);
        }
    }
    let mut parts: Vec<Node> = kind.into_iter().chain(ident).collect();
    parts.extend(rest);
    Node {
        name: String::new(),
        value: None,
        children: parts,
        ordered: true,
    }
}

/// The XML element name of a JSON name that differs from it.
fn rename(name: &str, n: &Node) -> Option<&'static str> {
    match name {
        "inputEPC" | "outputEPC" => Some("epc"),
        "inputQuantity" | "outputQuantity" | "childQuantity" => Some("quantityElement"),
        "quantity" if !n.children.is_empty() => Some("quantityElement"),
        _ => None,
    }
}

/// The events of a JSON document, found but not yet read: each is turned
/// into a [`Node`] only when asked for, so that a large document is never
/// held as a tree at once.
pub(crate) struct JsonEvents<'a> {
    ns: Namespaces,
    events: Vec<&'a RawValue>,
}

impl<'a> JsonEvents<'a> {
    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    /// Event `i` as written in the document.
    pub(crate) fn raw(&self, i: usize) -> &'a str {
        self.events[i].get()
    }

    /// Event `i` read into a node named by its type.
    pub(crate) fn event(&self, i: usize) -> Result<Node, EpcisError> {
        let raw = self.events[i].get();
        let bad = |field: &str, reason: &str| EpcisError::Event {
            index: i,
            field: field.into(),
            reason: reason.into(),
        };
        if !raw.trim_start().starts_with('{') {
            return Err(bad("event", "is not a JSON object"));
        }
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_str(raw);
        let (mut n, kind) = EventSeed { ns: &self.ns }
            .deserialize(&mut de)
            .map_err(|e| match too_deep(&e) {
                Some(place) => bad(
                    "event",
                    &format!(
                        "nested more than {} levels deep ({place})",
                        crate::MAX_DEPTH
                    ),
                ),
                None => bad("event", &e.to_string()),
            })?;
        n.name = kind.ok_or_else(|| bad("type", "has no type"))?;
        n.children
            .retain(|c| !crate::xml::DOCUMENT_FIELDS.contains(&c.name.as_str()));
        Ok(n)
    }
}

/// Where serde_json stopped (`line L, column C`) if `e` is its refusal of
/// values nested deeper than its limit, which is [`crate::MAX_DEPTH`]
/// (serde_json has no error category of its own for it).
fn too_deep(e: &serde_json::Error) -> Option<String> {
    e.to_string()
        .starts_with("recursion limit exceeded")
        .then(|| format!("line {}, column {}", e.line(), e.column()))
}

/// What an object on the way to the events holds (a document, its body,
/// query results or their body), read in one pass over the text: the
/// objects on the way are descended into, an event list is kept as the raw
/// text of each entry, everything else is skipped.
#[derive(Default)]
struct Level<'a> {
    context: Option<Value>,
    /// `ignoreFields` lists (under any prefix).
    ignore: Vec<Value>,
    /// The event list, if it is an array.
    list: Option<Vec<&'a RawValue>>,
    /// A single `event`.
    event: Option<&'a RawValue>,
    /// The object has an `eventTime`: it is an event itself.
    event_time: bool,
    /// Its `type`, if given.
    kind: Option<Value>,
    /// `epcisBody`, `queryResults` or `resultsBody`, if an object.
    inner: Option<Box<Level<'a>>>,
}

/// Reads a value into a [`Level`] if it is an object, else skips it. The
/// string is the key of the object to descend into at this level, if any.
struct LevelSeed(Option<&'static str>);

/// The key of the object below the one found under `key` (`""`: the
/// document) on the way to the events: the body, its query results, their
/// body.
pub(crate) fn below(key: &str) -> Option<&'static str> {
    match key {
        "" => Some("epcisBody"),
        "epcisBody" => Some("queryResults"),
        "queryResults" => Some("resultsBody"),
        _ => None,
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for LevelSeed {
    type Value = Option<Level<'de>>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Reads an array as the raw text of its entries, else skips the value.
struct ListSeed;

impl<'de> serde::de::DeserializeSeed<'de> for ListSeed {
    type Value = Option<Vec<&'de RawValue>>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// The visitor methods of a seed that wants one kind of JSON value and
/// skips any other.
macro_rules! skip_others {
    () => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    };
}

impl<'de> serde::de::Visitor<'de> for ListSeed {
    type Value = Option<Vec<&'de RawValue>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an event list")
    }
    skip_others!();
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(e) = seq.next_element::<&RawValue>()? {
            out.push(e);
        }
        Ok(Some(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(None)
    }
}

impl<'de> serde::de::Visitor<'de> for LevelSeed {
    type Value = Option<Level<'de>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an EPCIS document")
    }
    skip_others!();
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut l = Level::default();
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            // A key given twice counts as given last, as in a JSON object read whole.
            match k.as_ref() {
                "@context" => l.context = Some(map.next_value()?),
                "eventList" => l.list = map.next_value_seed(ListSeed)?,
                "event" => l.event = Some(map.next_value()?),
                "type" => l.kind = Some(map.next_value()?),
                "eventTime" => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    l.event_time = true;
                }
                k if Some(k) == self.0 => {
                    l.inner = map.next_value_seed(LevelSeed(below(k)))?.map(Box::new);
                }
                k if k.rsplit(':').next() == Some("ignoreFields") => {
                    l.ignore.push(map.next_value()?);
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(Some(l))
    }
}

/// The `type` of an EPCIS 2.0 JSON document: a document, or a query's answer.
const DOCUMENT_TYPES: &[&str] = &["EPCISDocument", "EPCISQueryDocument"];

/// Finds the events of an EPCIS 2.0 JSON document (or query document, or
/// single event) and the fields it asks to leave out of hashes, in one pass
/// over the text; each event is parsed when it is asked for.
pub(crate) fn open(text: &str) -> Result<(JsonEvents<'_>, Vec<String>), EpcisError> {
    use serde::de::DeserializeSeed;
    let json_err = |e: serde_json::Error| match too_deep(&e) {
        Some(place) => EpcisError::TooDeep {
            limit: crate::MAX_DEPTH,
            place,
        },
        None => EpcisError::Json(e.to_string()),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let Some(mut doc) = LevelSeed(below(""))
        .deserialize(&mut de)
        .map_err(json_err)?
    else {
        return Err(EpcisError::Structure {
            path: "document".into(),
            reason: "is not a JSON object".into(),
        });
    };
    de.end().map_err(json_err)?;
    // A document says what it is; a single event's type is checked as the event's.
    match doc.kind.as_ref() {
        Some(Value::String(k)) if DOCUMENT_TYPES.contains(&k.as_str()) => {}
        Some(_) if doc.event_time => {}
        Some(k) => {
            return Err(EpcisError::Structure {
                path: "type".into(),
                reason: format!(
                    "{} is not a document type ({})",
                    equitas_model::clip(&k.to_string()),
                    DOCUMENT_TYPES.join(" or ")
                ),
            });
        }
        None => {}
    }
    let ns = Namespaces::from_context(doc.context.as_ref());
    let mut body = doc.inner.take();
    // Query documents hold their events in queryResults.resultsBody.
    let mut results = body.as_mut().and_then(|b| b.inner.take());
    let results_list = results
        .as_mut()
        .and_then(|r| r.inner.as_mut())
        .and_then(|r| r.list.take());
    // `ignoreFields` may sit on the document, its body or its query results.
    let hash_ignore = [Some(&doc), body.as_deref(), results.as_deref()]
        .into_iter()
        .flatten()
        .flat_map(|l| &l.ignore)
        .flat_map(|v| v.as_array().into_iter().flatten())
        .filter_map(|x| x.as_str().map(|s| ns.key(s)))
        .collect();
    let list = body.as_mut().and_then(|b| b.list.take()).or(results_list);
    let events: Vec<&RawValue> = match (list, body.and_then(|b| b.event)) {
        (Some(l), _) => l,
        (_, Some(e)) => vec![e],
        _ if doc.event_time => vec![serde_json::from_str(text).map_err(json_err)?],
        _ => {
            return Err(EpcisError::Structure {
                path: "epcisBody".into(),
                reason: "no eventList, event or queryResults.resultsBody.eventList".into(),
            });
        }
    };
    Ok((JsonEvents { ns, events }, hash_ignore))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_events;
    use proptest::prelude::*;

    #[test]
    fn errors_say_where() {
        assert!(matches!(parse_events("{"), Err(EpcisError::Json(_))));
        let e = parse_events(r#"{"epcisBody": {"eventList": [{"eventTime": "x"}]}}"#).unwrap_err();
        assert_eq!(e.to_string(), "event 0: has no type");
        let e = parse_events(r#"{"epcisBody": {"eventList": [{"type": 5}]}}"#).unwrap_err();
        assert_eq!(e.to_string(), "event 0: has no type");
        let e = parse_events(r#"{"epcisBody": {"eventList": [[1]]}}"#).unwrap_err();
        assert_eq!(e.to_string(), "event 0: is not a JSON object");
        let e = parse_events(r#"{"type": "Banana", "epcisBody": {"eventList": []}}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"type: "Banana" is not a document type (EPCISDocument or EPCISQueryDocument)"#
        );
        let long = format!(
            r#"{{"type": "{}", "epcisBody": {{"eventList": []}}}}"#,
            "x".repeat(500)
        );
        assert!(parse_events(&long).unwrap_err().to_string().len() < 140);
        let query = r#"{"type": "EPCISQueryDocument", "epcisBody": {"queryResults": {"resultsBody": {"eventList": []}}}}"#;
        assert!(parse_events(query).is_ok());
        let e = parse_events(r#"{"epcisBody": {}}"#).unwrap_err();
        assert!(e.to_string().starts_with("epcisBody: no eventList"));
        let e = parse_events("[1]").unwrap_err();
        assert_eq!(e.to_string(), "document: is not a JSON object");
        let e = parse_events(r#"{"epcisBody": {"eventList": []}} x"#).unwrap_err();
        assert!(matches!(e, EpcisError::Json(_)), "{e}");
    }

    /// Events found in a query document, in a body's single event, in a
    /// lone event; `ignoreFields` found on the document, body and results;
    /// keys given twice count as given last.
    #[test]
    fn where_events_are_found() {
        let ev = r#"{"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "action": "ADD"}"#;
        let query = format!(
            r#"{{"@context": [{{"ex": "https://ex.org/"}}], "ex:ignoreFields": ["ex:a"],
                "epcisBody": {{"ignoreFields": ["ex:b"], "queryResults": {{"ignoreFields": ["c"],
                  "resultsBody": {{"eventList": [{ev}, {ev}]}}}}}}}}"#
        );
        let d = crate::parse_document(&query).unwrap();
        assert_eq!(d.events.len(), 2);
        let mut ignore = d.hash_ignore.clone();
        ignore.sort();
        assert_eq!(ignore, ["c", "{https://ex.org/}a", "{https://ex.org/}b"]);
        let single = format!(r#"{{"epcisBody": {{"event": {ev}}}}}"#);
        assert_eq!(parse_events(&single).unwrap().len(), 1);
        assert_eq!(parse_events(ev).unwrap().len(), 1);
        let twice = format!(
            r#"{{"epcisBody": {{"eventList": [{ev}]}}, "epcisBody": {{"eventList": [{ev}, {ev}, {ev}]}}}}"#
        );
        assert_eq!(parse_events(&twice).unwrap().len(), 3);
    }

    #[test]
    fn bare_vocabulary_and_lists() {
        let d = parse_events(
            r#"{"@context": [{"ex": "https://ex.org/"}], "epcisBody": {"eventList": [{
              "type": "ObjectEvent", "bizStep": "shipping", "ex:note": "ex:thing",
              "bizTransactionList": [{"bizTransaction": "urn:x", "type": "po"}],
              "childEPCs": ["a", "b"]}]}}"#,
        )
        .unwrap();
        let e = &d[0];
        assert_eq!(
            e.text("bizStep"),
            Some("https://ref.gs1.org/cbv/BizStep-shipping")
        );
        assert_eq!(
            e.text("{https://ex.org/}note"),
            Some("https://ex.org/thing")
        );
        let bt = &e.child("bizTransactionList").unwrap().children[0];
        assert!(bt.ordered);
        assert_eq!(
            bt.children[0].value.as_deref(),
            Some("https://ref.gs1.org/cbv/BTT-po")
        );
        assert_eq!(e.child("childEPCs").unwrap().children.len(), 2);
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,200}") {
            let _ = parse_events(&s);
        }

        #[test]
        fn never_panics_on_odd_json(key in "[a-zA-Z:{}/]{0,12}", v in "\\PC{0,30}") {
            let doc = format!(
                r#"{{"epcisBody": {{"eventList": [{{"type": "ObjectEvent", "{k}": "{v}", "epcList": ["{v}"], "{k}List": [{{"{k}": "{v}"}}]}}]}}}}"#,
                k = key.replace('"', ""),
                v = v.replace(['"', '\\'], ""),
            );
            if let Ok(events) = parse_events(&doc) {
                for e in &events {
                    let _ = crate::event_hash(e);
                }
            }
        }
    }
}
