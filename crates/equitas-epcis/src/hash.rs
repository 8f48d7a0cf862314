//! The EPCIS Event Hash ID of CBV 2.0 (section 8.9): a canonical pre-hash
//! string of the event, hashed with SHA-256 into
//! `ni:///sha-256;<hex>?ver=CBV2.0` (RFC 6920).
//!
//! The pre-hash string is `eventType=<type>`, then the standard fields in
//! the canonical property order below, then every remaining field
//! (business transactions, sources, destinations, ILMD, user extensions)
//! in lexical order of their own pre-hash strings. Within a field, each
//! child is `name=value` (values canonical, see [`crate::canon`]) followed
//! by its own children; repeated children are sorted; nothing separates
//! the parts. `recordTime`, `eventID` and `errorDeclaration` do not count.
//!
//! The lexical placement of business transactions, sources and destinations
//! (each written type first, then identifier) is how the reference
//! generator whose test vectors the standard's users check against
//! behaves, and so is the test suite here (`tests/event_hash.rs`).

use crate::canon;
use crate::node::Node;
use sha2::{Digest, Sha256};

/// How to order a field's children: the child names in order, each with
/// the order of its own children (`None` for a plain value).
#[derive(Clone, Copy)]
struct Order(&'static [(&'static str, Option<Order>)]);

const QUANTITY: Order = Order(&[(
    "quantityElement",
    Some(Order(&[
        ("epcClass", None),
        ("quantity", None),
        ("uom", None),
    ])),
)]);
const EPCS: Order = Order(&[("epc", None)]);
const ID: Order = Order(&[("id", None)]);

const SENSOR_METADATA: Order = Order(&[
    ("time", None),
    ("startTime", None),
    ("endTime", None),
    ("deviceID", None),
    ("deviceMetadata", None),
    ("rawData", None),
    ("dataProcessingMethod", None),
    ("bizRules", None),
]);

const SENSOR_REPORT: Order = Order(&[
    ("type", None),
    ("exception", None),
    ("deviceID", None),
    ("deviceMetadata", None),
    ("rawData", None),
    ("dataProcessingMethod", None),
    ("time", None),
    ("microorganism", None),
    ("chemicalSubstance", None),
    ("value", None),
    ("component", None),
    ("stringValue", None),
    ("booleanValue", None),
    ("hexBinaryValue", None),
    ("uriValue", None),
    ("minValue", None),
    ("maxValue", None),
    ("meanValue", None),
    ("sDev", None),
    ("percRank", None),
    ("percValue", None),
    ("uom", None),
    ("coordinateReferenceSystem", None),
]);

/// The canonical property order (CBV 2.0, table 8-7).
const EVENT: Order = Order(&[
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("parentID", None),
    ("epcList", Some(EPCS)),
    ("inputEPCList", Some(EPCS)),
    ("childEPCs", Some(EPCS)),
    ("quantityList", Some(QUANTITY)),
    ("childQuantityList", Some(QUANTITY)),
    ("inputQuantityList", Some(QUANTITY)),
    ("outputEPCList", Some(EPCS)),
    ("outputQuantityList", Some(QUANTITY)),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    (
        "persistentDisposition",
        Some(Order(&[("set", None), ("unset", None)])),
    ),
    ("readPoint", Some(ID)),
    ("bizLocation", Some(ID)),
    (
        "sensorElementList",
        Some(Order(&[(
            "sensorElement",
            Some(Order(&[
                ("sensorMetadata", Some(SENSOR_METADATA)),
                ("sensorReport", Some(SENSOR_REPORT)),
            ])),
        )])),
    ),
]);

/// Fields left out of the hash.
const IGNORED: &[&str] = &["recordTime", "eventID", "type", "errorDeclaration"];

fn is_extension(name: &str) -> bool {
    name.starts_with('{') && name.contains("/}")
}

fn is_time(name: &str) -> bool {
    // `word` is lower case; compared without copying the name.
    let has = |word: &str| {
        name.as_bytes()
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
    };
    has("time") && !has("offset")
}

/// A borrowed view of a [`Node`] whose children can be used up as the
/// pre-hash string is written, without copying the event's text.
struct View<'a> {
    name: &'a str,
    value: Option<&'a str>,
    ordered: bool,
    children: Vec<View<'a>>,
}

impl<'a> View<'a> {
    fn of(n: &'a Node) -> View<'a> {
        View {
            name: &n.name,
            value: n.value.as_deref(),
            ordered: n.ordered,
            children: n.children.iter().map(View::of).collect(),
        }
    }
}

/// Appends `name=value` of an ordered field to `out`, its value canonical
/// (timestamps by their own rule), then its children in order; appends
/// nothing, and says so, if there is nothing to say.
fn field(out: &mut String, node: &mut View, order: Option<Order>) -> bool {
    let start = out.len();
    out.push_str(node.name);
    let value = node
        .value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            if is_time(node.name) {
                canon::timestamp(v)
            } else {
                canon::value(v)
            }
        })
        .filter(|v| !v.is_empty());
    if let Some(v) = &value {
        out.push('=');
        out.push_str(v);
    }
    let named = out.len();
    if let Some(o) = order {
        ordered(out, &mut node.children, o, false);
    }
    if value.is_none() && out.len() == named {
        out.truncate(start);
        return false;
    }
    true
}

/// Sorts the parts of `out` that start at `start` and end at each of
/// `ends` (in increasing order).
fn sort_parts(out: &mut String, start: usize, ends: &[usize]) {
    if ends.len() < 2 {
        return;
    }
    let text = out.split_off(start);
    let mut parts: Vec<&str> = Vec::with_capacity(ends.len());
    let mut from = 0;
    for &end in ends {
        parts.push(&text[from..end - start]);
        from = end - start;
    }
    parts.sort_unstable();
    out.extend(parts);
}

/// Appends the fields named in `order`, in that order, each group sorted;
/// the fields used up are removed from `children`. Extension elements
/// inside a standard field (readPoint, sensorReport...) follow its regular
/// fields.
fn ordered(out: &mut String, children: &mut Vec<View>, order: Order, top: bool) {
    let mut extensions = Vec::new();
    if !top && children.len() > 1 {
        let (ext, rest): (Vec<View>, Vec<View>) =
            children.drain(..).partition(|c| is_extension(c.name));
        extensions = ext;
        *children = rest;
    }
    let mut ends = Vec::new();
    for (name, sub) in order.0 {
        let start = out.len();
        ends.clear();
        let mut i = 0;
        while i < children.len() {
            if children[i].name == *name {
                if field(out, &mut children[i], *sub) {
                    ends.push(out.len());
                }
                if children[i].children.is_empty() {
                    children.remove(i);
                    continue;
                }
            }
            i += 1;
        }
        sort_parts(out, start, &ends);
    }
    generic(out, &extensions);
}

/// Appends any field: `name=value` (value canonical) then its children,
/// sorted unless the node keeps its order.
fn generic_node(out: &mut String, n: &View) {
    out.push_str(n.name);
    if let Some(v) = n.value.map(str::trim).filter(|v| !v.is_empty()) {
        out.push('=');
        out.push_str(&canon::value(v));
    }
    if n.ordered {
        for c in &n.children {
            generic_node(out, c);
        }
    } else {
        generic(out, &n.children);
    }
}

/// Appends `nodes`, each as [`generic_node`], in lexical order.
fn generic(out: &mut String, nodes: &[View]) {
    let start = out.len();
    let mut ends = Vec::with_capacity(nodes.len());
    for n in nodes {
        generic_node(out, n);
        ends.push(out.len());
    }
    sort_parts(out, start, &ends);
}

/// The pre-hash string of an event (its root node is named by the event type).
pub fn prehash(event: &Node) -> String {
    prehash_ignoring(event, &[])
}

/// [`prehash`], leaving out the top-level fields named in `ignore`.
pub fn prehash_ignoring(event: &Node, ignore: &[String]) -> String {
    let mut children: Vec<View> = event
        .children
        .iter()
        .filter(|c| !ignore.contains(&c.name))
        .map(View::of)
        .collect();
    let mut out = String::with_capacity(1024);
    out.push_str("eventType=");
    out.push_str(&event.name);
    ordered(&mut out, &mut children, EVENT, true);
    children.retain(|c| !IGNORED.contains(&c.name));
    generic(&mut out, &children);
    out
}

/// The Event Hash ID: `ni:///sha-256;<hex>?ver=CBV2.0`.
pub fn event_hash(event: &Node) -> String {
    hash_of(&prehash(event))
}

/// [`event_hash`], leaving out the top-level fields named in `ignore`.
pub fn event_hash_ignoring(event: &Node, ignore: &[String]) -> String {
    hash_of(&prehash_ignoring(event, ignore))
}

fn hash_of(prehash: &str) -> String {
    const HEAD: &str = "ni:///sha-256;";
    const TAIL: &str = "?ver=CBV2.0";
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(prehash.as_bytes());
    // Written into one buffer (`hex::encode` collects its digits one `char`
    // at a time into a string of their own: 1% of a capture).
    let mut out = String::with_capacity(HEAD.len() + 2 * digest.len() + TAIL.len());
    out.push_str(HEAD);
    for b in digest {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out.push_str(TAIL);
    out
}
