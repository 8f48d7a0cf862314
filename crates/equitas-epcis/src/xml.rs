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
use roxmltree::{Document as XmlDoc, Node as XmlNode};

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
/// parsed (by roxmltree, with the namespaces declared around it) and
/// turned into a [`Node`] only when asked for, so that a document of a
/// million events is never held as one tree.
pub(crate) struct XmlEvents<'a> {
    text: &'a str,
    /// Each event's element (byte range in `text`) and the start tag of
    /// the wrapper that declares the namespaces in scope there (index in
    /// `scopes`).
    events: Vec<(std::ops::Range<usize>, usize)>,
    scopes: Vec<String>,
    /// The document is a single event (its attributes are the document's).
    lone: bool,
    /// The last place asked for (see [`XmlEvents::place`]); behind a
    /// mutex, so that events may be read on another thread than the one
    /// that found them (capture reads ahead).
    seen: std::sync::Mutex<Place>,
}

/// A place in a text: a byte offset, and its line and column (in
/// characters), both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Place {
    at: usize,
    pub(crate) line: u32,
    pub(crate) col: u32,
}

impl Place {
    const START: Place = Place {
        at: 0,
        line: 1,
        col: 1,
    };

    /// The place of byte `to` of `text` (its end, if past it), counted on
    /// from this place when `to` is not before it, so that places asked for
    /// in order count each byte once.
    pub(crate) fn advance(self, text: &str, to: usize) -> Place {
        let to = to.min(text.len());
        let from = if to >= self.at { self } else { Place::START };
        let bytes = &text.as_bytes()[from.at..to];
        // Characters are counted by their first bytes.
        let chars = |b: &[u8]| b.iter().filter(|&&c| c & 0xC0 != 0x80).count() as u32;
        let (line, col) = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(last) => (
                from.line + bytes.iter().filter(|&&b| b == b'\n').count() as u32,
                1 + chars(&bytes[last + 1..]),
            ),
            None => (from.line, from.col + chars(bytes)),
        };
        Place { at: to, line, col }
    }
}

/// The name of the element that wraps an event to parse it on its own.
const WRAPPER: &str = "equitas-event";

impl<'a> XmlEvents<'a> {
    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    /// The place of byte `at` in the document, counted on from the last
    /// place asked for (see [`Place::advance`]).
    pub(crate) fn place(&self, at: usize) -> Place {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *seen = seen.advance(self.text, at);
        *seen
    }

    /// The document.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// The byte range of each event's element in the document.
    pub(crate) fn ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.events.iter().map(|(r, _)| r.clone())
    }

    /// True if the document is a single event.
    pub(crate) fn is_lone(&self) -> bool {
        self.lone
    }

    /// Event `i` as written in the document.
    pub(crate) fn raw(&self, i: usize) -> &'a str {
        &self.text[self.events[i].0.clone()]
    }

    /// Event `i` read into a node named by its type.
    pub(crate) fn event(&self, i: usize) -> Result<Node, EpcisError> {
        let (range, scope) = &self.events[i];
        let wrapped = format!(
            "{}{}</{WRAPPER}>",
            self.scopes[*scope],
            &self.text[range.clone()]
        );
        let xml = XmlDoc::parse(&wrapped).map_err(|e| {
            // Said at its line and column in the document, not in the wrapper.
            let p = e.pos();
            let Place { line, col, .. } = self.place(range.start);
            let wrapper = self.scopes[*scope].chars().count() as u32;
            let at = if p.row == 1 {
                format!("{line}:{}", col + p.col.saturating_sub(wrapper + 1))
            } else {
                format!("{}:{}", line + p.row - 1, p.col)
            };
            EpcisError::Event {
                index: i,
                field: "event".into(),
                reason: format!(
                    "not well-formed XML: {}",
                    e.to_string().replacen(&p.to_string(), &at, 1)
                ),
            }
        })?;
        let Some(x) = xml.root_element().first_element_child() else {
            return Ok(Node::default());
        };
        let mut e = element(&x);
        if self.lone {
            // A lone event carries the document's attributes: they are not event fields.
            e.children
                .retain(|c| !DOCUMENT_FIELDS.contains(&c.name.as_str()));
        }
        Ok(e)
    }
}

/// Namespace declarations in scope, innermost last: (prefix, or "" for the
/// default namespace; URI as written, escaped).
type Scope = Vec<(String, String)>;

/// The start tag of a wrapper element declaring `scope`.
fn wrapper(scope: &[(String, String)]) -> String {
    let mut tag = format!("<{WRAPPER}");
    for (i, (prefix, uri)) in scope.iter().enumerate() {
        // Only the innermost declaration of a prefix counts.
        if scope[i + 1..].iter().any(|(p, _)| p == prefix) {
            continue;
        }
        let uri = uri.replace('"', "&quot;");
        if prefix.is_empty() {
            tag.push_str(&format!(" xmlns=\"{uri}\""));
        } else {
            tag.push_str(&format!(" xmlns:{prefix}=\"{uri}\""));
        }
    }
    tag.push('>');
    tag
}

/// The namespace of `name`'s prefix in `scope` (`None`: no prefix and no
/// default namespace, or an undeclared prefix).
fn namespace_of(name: &str, scope: &Scope) -> Option<String> {
    let prefix = name.split_once(':').map_or("", |(p, _)| p);
    scope
        .iter()
        .rev()
        .find(|(p, _)| *p == prefix)
        .map(|(_, uri)| uri.to_string())
        .filter(|u| !u.is_empty())
}

/// The error of an element nested deeper than [`crate::MAX_DEPTH`].
fn too_deep(place: &str) -> EpcisError {
    EpcisError::TooDeep {
        limit: crate::MAX_DEPTH,
        place: place.to_string(),
    }
}

/// Finds the events of an EPCIS XML document and the fields it asks to
/// leave out of hashes, in one pass over the text that checks that tags
/// nest and match (quick-xml); each event is parsed in full when read.
pub(crate) fn open(text: &str) -> Result<(XmlEvents<'_>, Vec<String>), EpcisError> {
    use quick_xml::events::Event;
    // Where byte `at` is, for a message about the whole document.
    let place = |at: usize| {
        let p = Place::START.advance(text, at);
        format!("line {}, column {}", p.line, p.col)
    };
    let err = |r: &quick_xml::Reader<&[u8]>, e: quick_xml::Error| {
        EpcisError::Xml(format!("{e} ({})", place(r.error_position() as usize)))
    };
    let mut r = quick_xml::Reader::from_str(text);
    let mut scope: Scope = Vec::new();
    // Per open element: how many declarations it added to `scope`.
    let mut open: Vec<usize> = Vec::new();
    // The depth of the first EventList's children, once inside it; and of
    // an EPCIS 1.2 `extension` wrapper among them.
    let mut list: Option<usize> = None;
    let mut list_done = false;
    let mut extension: Option<usize> = None;
    let mut ignore: Option<usize> = None;
    let mut hash_ignore = Vec::new();
    let mut events = Vec::new();
    // The index in `scopes` of the wrapper declaring what the open
    // elements declare; `None` once that changed.
    let mut wrapped: Option<usize> = None;
    let mut scopes: Vec<String> = Vec::new();
    let mut root: Option<(String, bool)> = None;
    loop {
        let at = r.buffer_position() as usize;
        let ev = r.read_event().map_err(|e| err(&r, e))?;
        let (e, empty) = match ev {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                // The depth of the children of the element that ends.
                let inside = Some(open.len() + 1);
                if let Some(n) = open.pop()
                    && n > 0
                {
                    scope.truncate(scope.len() - n);
                    wrapped = None;
                }
                if list == inside {
                    list = None;
                    list_done = true;
                }
                if extension == inside {
                    extension = None;
                }
                if ignore == inside {
                    ignore = None;
                }
                continue;
            }
            Event::Eof => break,
            Event::Text(t) if open.is_empty() && !t.trim().is_empty() => {
                return Err(EpcisError::Xml(format!(
                    "text outside the root element ({})",
                    place(at)
                )));
            }
            _ => continue,
        };
        let name = e.name().0;
        let local = e.local_name().into_inner();
        if open.is_empty() {
            if root.is_some() {
                return Err(EpcisError::Xml(format!(
                    "a second root element, {name} ({})",
                    place(at)
                )));
            }
            root = Some((local.to_string(), local.ends_with("Event")));
        }
        let mut added = 0;
        for a in e.attributes() {
            let a = a.map_err(|x| err(&r, x.into()))?;
            if let Some(binding) = a.key.as_namespace_binding() {
                let prefix = match binding {
                    quick_xml::name::PrefixDeclaration::Default => "",
                    quick_xml::name::PrefixDeclaration::Named(p) => p,
                };
                scope.push((prefix.to_string(), a.value.into_owned()));
                added += 1;
            }
        }
        let depth = open.len() + 1;
        if depth > crate::MAX_DEPTH {
            return Err(too_deep(&place(at)));
        }
        let is_event = (list.is_some_and(|l| depth == l) && local != "extension")
            || extension.is_some_and(|x| depth == x);
        if is_event || (open.is_empty() && root.as_ref().is_some_and(|r| r.1)) {
            if !empty {
                // To the event's end, counting how deep its elements nest.
                let mut inside = depth;
                loop {
                    let at = r.buffer_position() as usize;
                    match r.read_event().map_err(|x| err(&r, x))? {
                        Event::Start(_) => {
                            inside += 1;
                            if inside > crate::MAX_DEPTH {
                                return Err(too_deep(&place(at)));
                            }
                        }
                        Event::End(_) if inside == depth => break,
                        Event::End(_) => inside -= 1,
                        Event::Eof => {
                            return Err(EpcisError::Xml(
                                "the document ends inside an element".into(),
                            ));
                        }
                        _ => {}
                    }
                }
            }
            let end = r.buffer_position() as usize;
            // What the event declares itself is in its own text.
            let s = *wrapped.get_or_insert_with(|| {
                let tag = wrapper(&scope[..scope.len() - added]);
                if scopes.last() != Some(&tag) {
                    scopes.push(tag);
                }
                scopes.len() - 1
            });
            events.push((at..end, s));
            scope.truncate(scope.len() - added);
            continue;
        }
        if let Some(i) = ignore
            && depth == i
        {
            hash_ignore.push(match namespace_of(name, &scope) {
                Some(ns) => format!("{{{ns}}}{local}"),
                None => local.to_string(),
            });
        }
        if empty {
            scope.truncate(scope.len() - added);
            continue;
        }
        open.push(added);
        if added > 0 {
            wrapped = None;
        }
        if list.is_some_and(|l| depth == l) && local == "extension" {
            extension = Some(depth + 1);
        } else if local == "EventList" && list.is_none() && !list_done {
            list = Some(depth + 1);
        } else if local == "ignoreFields" {
            ignore = Some(depth + 1);
        }
    }
    if !open.is_empty() {
        return Err(EpcisError::Xml(
            "the document ends inside an element".into(),
        ));
    }
    let Some((root, lone)) = root else {
        return Err(EpcisError::Xml("no root element".into()));
    };
    if !lone && !list_done {
        return Err(EpcisError::Structure {
            path: root,
            reason: "no EventList and not an event".into(),
        });
    }
    Ok((
        XmlEvents {
            text,
            events,
            scopes,
            lone,
            seen: std::sync::Mutex::new(Place::START),
        },
        hash_ignore,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventReader, parse_document};
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

    /// Namespaces declared on any ancestor of the events (the root, the
    /// body, the list, an EPCIS 1.2 `extension` wrapper) are in scope when
    /// each event is read on its own; `ignoreFields` names are resolved the
    /// same way; whatever follows the first EventList is not an event.
    #[test]
    fn events_read_on_their_own_keep_their_namespaces() {
        let text = r#"<?xml version="1.0"?>
<!-- a comment -->
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2020-01-01T00:00:00Z">
  <EPCISHeader><ignoreFields xmlns:ex="https://example.org/ns"><ex:added/><recordTime/></ignoreFields></EPCISHeader>
  <EPCISBody xmlns:cbvmda="urn:epcglobal:cbv:mda">
    <EventList xmlns:ex="https://example.org/other">
      <ObjectEvent><eventTime>2020-01-01T00:00:00Z</eventTime>
        <ilmd><cbvmda:lotNumber>L1</cbvmda:lotNumber></ilmd><ex:note>n</ex:note></ObjectEvent>
      <extension xmlns:cbvmda="urn:example:shadowed">
        <TransformationEvent><eventTime>2020-01-02T00:00:00Z</eventTime>
          <ilmd><cbvmda:lotNumber>L2</cbvmda:lotNumber></ilmd></TransformationEvent>
      </extension>
      <AggregationEvent/>
    </EventList>
    <EventList><ObjectEvent/></EventList>
  </EPCISBody>
</epcis:EPCISDocument>"#;
        let d = parse_document(text).unwrap();
        let names: Vec<&str> = d.events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["ObjectEvent", "TransformationEvent", "AggregationEvent"]
        );
        let ilmd = |i: usize| &d.events[i].child("ilmd").unwrap().children[0].name;
        assert_eq!(ilmd(0), "{urn:epcglobal:cbv:mda}lotNumber");
        assert_eq!(ilmd(1), "{urn:example:shadowed}lotNumber");
        assert!(
            d.events[0]
                .child("{https://example.org/other}note")
                .is_some()
        );
        assert_eq!(
            d.hash_ignore,
            ["{https://example.org/ns}added", "recordTime"]
        );
        assert!(d.raw[2] == "<AggregationEvent/>", "{}", d.raw[2]);
        assert!(d.raw[0].starts_with("<ObjectEvent>") && d.raw[0].ends_with("</ObjectEvent>"));
    }

    /// A document whose tags do not nest, or with more than its root, is
    /// refused whole; an event that is not well-formed inside is refused
    /// when it is read, named by its index, and the others are read.
    #[test]
    fn malformed_documents_and_events() {
        let doc = |events: &str| {
            format!(
                "<EPCISDocument><EPCISBody><EventList>{events}</EventList></EPCISBody></EPCISDocument>"
            )
        };
        for bad in [
            doc("<ObjectEvent></AggregationEvent>"),
            doc("<ObjectEvent>").replace("</EPCISBody>", ""),
            format!("{}<EPCISDocument/>", doc("")),
            format!("{} trailing text", doc("")),
            doc("<ObjectEvent><action>ADD</action>"),
        ] {
            assert!(
                matches!(EventReader::new(&bad), Err(EpcisError::Xml(_))),
                "{bad}"
            );
        }
        let e = EventReader::new("<EPCISDocument>\n  <EPCISBody></EPCISBdy>\n</EPCISDocument>")
            .err()
            .unwrap()
            .to_string();
        assert!(e.ends_with("(line 2, column 14)"), "{e}");
        let e = EventReader::new(&format!("{}\n <x/>", doc("")))
            .err()
            .unwrap()
            .to_string();
        assert_eq!(e, "not XML: a second root element, x (line 2, column 2)");
        let text = doc(r#"<ObjectEvent/>
<ObjectEvent/><ObjectEvent><action a="1" a="2">ADD</action></ObjectEvent><ObjectEvent><p:x/></ObjectEvent><ObjectEvent/>"#);
        let r = EventReader::new(&text).unwrap();
        assert_eq!(r.len(), 5);
        assert!(r.event(0).is_ok() && r.event(1).is_ok() && r.event(4).is_ok());
        for i in [2, 3] {
            match r.event(i) {
                Err(EpcisError::Event {
                    index,
                    field,
                    reason,
                }) => {
                    assert_eq!((index, field.as_str()), (i, "event"));
                    assert!(reason.starts_with("not well-formed XML"), "{reason}");
                    // Where it is in the document: line 2, at the repeated attribute.
                    if i == 2 {
                        let col = text.lines().nth(1).unwrap().find(r#"a="2""#).unwrap() + 1;
                        assert!(reason.contains(&format!(" at 2:{col} ")), "{reason}");
                    }
                }
                other => panic!("event {i}: {other:?}"),
            }
        }
    }

    proptest! {
        /// A place counted on from an earlier one (or a later one) is the
        /// place counted from the start, which is the line and column of the
        /// text before it.
        #[test]
        fn places_counted_on_are_places_counted_from_the_start(
            s in "(\\PC|\n){0,60}", a in 0usize..80, b in 0usize..80
        ) {
            let at = |i: usize| (0..=i.min(s.len())).rev().find(|&j| s.is_char_boundary(j)).unwrap_or(0);
            let (a, b) = (at(a), at(b));
            let direct = Place::START.advance(&s, b);
            prop_assert_eq!(Place::START.advance(&s, a).advance(&s, b), direct);
            let before = &s[..b];
            let line = before.matches('\n').count() as u32 + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            prop_assert_eq!((direct.line, direct.col), (line, col));
        }

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
