//! The EPCIS XML binding (2.0, and 1.2 read the same way), into the
//! syntax-neutral [`Node`] tree:
//!
//! - standard elements keep their local name; elements and attributes in
//!   other namespaces are named `{namespace}local`;
//! - attributes become children (`<sensorReport type="..." value="26"/>`);
//! - EPCIS 1.2 `extension` and `baseExtension` wrappers are see-through;
//! - a business transaction, source or destination is a pair of its type
//!   attribute and its identifier, in that order;
//! - values written with the `gs1:` or `cbv:` prefix are expanded.
//!
//! The events are those of the first `EventList` of the document, at any
//! depth (EPCIS documents, query documents).

use crate::EpcisError;
use crate::node::Node;
use roxmltree::{Document as XmlDoc, Node as XmlNode, NodeId};

const PREFIXES: &[(&str, &str)] = &[
    ("gs1:", "https://gs1.org/voc/"),
    ("cbv:", "https://ref.gs1.org/cbv/"),
];

fn expand(v: &str) -> String {
    for (p, iri) in PREFIXES {
        if let Some(rest) = v.strip_prefix(p) {
            return format!("{iri}{rest}");
        }
    }
    v.to_string()
}

fn name_of(n: &XmlNode) -> String {
    match n.tag_name().namespace() {
        Some(ns) if !ns.is_empty() => format!("{{{ns}}}{}", n.tag_name().name()),
        _ => n.tag_name().name().to_string(),
    }
}

const PAIRED: &[&str] = &["bizTransaction", "source", "destination"];

/// Attributes of a document that a lone event may carry.
pub(crate) const DOCUMENT_FIELDS: &[&str] = &["creationDate", "schemaVersion"];

/// An element as a node; its `extension` children are flattened into it.
fn element(e: &XmlNode) -> Node {
    let mut children = Vec::new();
    for a in e.attributes() {
        let name = match a.namespace() {
            Some(ns) => format!("{{{ns}}}{}", a.name()),
            None => a.name().to_string(),
        };
        children.push(Node::leaf(name, expand(a.value().trim())));
    }
    collect(e, &mut children);
    let text: String = e
        .children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect::<String>()
        .trim()
        .to_string();
    let name = name_of(e);
    if PAIRED.contains(&name.as_str()) {
        let mut parts: Vec<Node> = children.into_iter().filter(|c| c.name == "type").collect();
        parts.push(Node::leaf(name, expand(&text)));
        return Node {
            name: String::new(),
            value: None,
            children: parts,
            ordered: true,
        };
    }
    Node {
        name,
        value: (!text.is_empty()).then(|| expand(&text)),
        children,
        ordered: false,
    }
}

fn collect(e: &XmlNode, out: &mut Vec<Node>) {
    for c in e.children().filter(XmlNode::is_element) {
        if matches!(c.tag_name().name(), "extension" | "baseExtension")
            && c.tag_name().namespace().is_none_or(str::is_empty)
        {
            collect(&c, out);
        } else {
            out.push(element(&c));
        }
    }
}

/// The events of an XML document, found but not yet read: each element is
/// turned into a [`Node`] only when asked for.
pub(crate) struct XmlEvents<'a> {
    xml: XmlDoc<'a>,
    events: Vec<NodeId>,
    /// The document is a single event (its attributes are the document's).
    lone: bool,
}

impl<'a> XmlEvents<'a> {
    /// The parsed document.
    pub(crate) fn tree(&self) -> &XmlDoc<'a> {
        &self.xml
    }

    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    fn node(&self, i: usize) -> Option<XmlNode<'_, 'a>> {
        self.xml.get_node(self.events[i])
    }

    /// Event `i` as written in the document.
    pub(crate) fn raw(&self, i: usize) -> &'a str {
        let text = self.xml.input_text();
        self.node(i).map_or("", |n| &text[n.range()])
    }

    /// Event `i` read into a node named by its type.
    pub(crate) fn event(&self, i: usize) -> Node {
        let Some(x) = self.node(i) else {
            return Node::default();
        };
        let mut e = element(&x);
        if self.lone {
            // A lone event carries the document's attributes: they are not event fields.
            e.children
                .retain(|c| !DOCUMENT_FIELDS.contains(&c.name.as_str()));
        }
        e
    }
}

/// Finds the events of an EPCIS XML document and the fields it asks to
/// leave out of hashes.
pub(crate) fn open(text: &str) -> Result<(XmlEvents<'_>, Vec<String>), EpcisError> {
    let xml = XmlDoc::parse(text).map_err(|e| EpcisError::Xml(e.to_string()))?;
    let root = xml.root_element();
    let list = xml
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "EventList");
    let mut events = Vec::new();
    let mut lone = false;
    match list {
        Some(list) => {
            for e in list.children().filter(XmlNode::is_element) {
                // EPCIS 1.2 wraps newer event types in <extension>.
                if e.tag_name().name() == "extension" {
                    events.extend(e.children().filter(XmlNode::is_element).map(|x| x.id()));
                } else {
                    events.push(e.id());
                }
            }
        }
        // A single event, as the capture interface accepts.
        None if root.tag_name().name().ends_with("Event") => {
            events.push(root.id());
            lone = true;
        }
        None => {
            return Err(EpcisError::Structure {
                path: root.tag_name().name().to_string(),
                reason: "no EventList and not an event".into(),
            });
        }
    }
    // Fields a repository asks to leave out of hashes (`ignoreFields`).
    let hash_ignore = xml
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "ignoreFields")
        .flat_map(|n| {
            n.children()
                .filter(XmlNode::is_element)
                .map(|c| name_of(&c))
                .collect::<Vec<_>>()
        })
        .collect();
    Ok((XmlEvents { xml, events, lone }, hash_ignore))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_document;
    use proptest::prelude::*;

    #[test]
    fn lone_event_and_errors() {
        let d = parse_document(
            r#"<ObjectEvent schemaVersion="2.0"><eventTime>2020-01-01T00:00:00Z</eventTime>
               <bizTransactionList><bizTransaction type="urn:epcglobal:cbv:btt:po">urn:x</bizTransaction></bizTransactionList>
               <extension><quantityList/></extension></ObjectEvent>"#,
        )
        .unwrap();
        let e = &d.events[0];
        assert!(e.child("schemaVersion").is_none());
        assert!(
            e.child("quantityList").is_some(),
            "extension wrappers are see-through"
        );
        let bt = &e.child("bizTransactionList").unwrap().children[0];
        assert_eq!(bt.children[0].name, "type");
        assert!(matches!(parse_document("<a>"), Err(EpcisError::Xml(_))));
        assert_eq!(
            parse_document("<EPCISDocument/>").unwrap_err().to_string(),
            "EPCISDocument: no EventList and not an event"
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = parse_document(&s);
            if let Ok(d) = parse_document(&format!("<EPCISDocument><EPCISBody><EventList><ObjectEvent>{s}</ObjectEvent></EventList></EPCISBody></EPCISDocument>")) {
                for e in &d.events {
                    let _ = crate::json_out::event_json(e);
                }
            }
        }
    }
}
