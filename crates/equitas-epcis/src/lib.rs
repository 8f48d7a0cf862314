//! GS1 EPCIS 2.0 events: a syntax-neutral tree of each event, the
//! canonical forms of identifiers and vocabulary, and the Event Hash ID of
//! the GS1 Core Business Vocabulary (CBV) 2.0, section 8.9.
//!
//! Pure computation. [`EventReader`] finds the events of a document in
//! either binding (the JSON/JSON-LD binding by [`json`], the XML binding by
//! [`xml`]) and reads each, when asked, into the same [`Node`] tree, which
//! [`hash`] turns into the pre-hash string and its
//! `ni:///sha-256;...?ver=CBV2.0` identifier.

pub mod canon;
pub mod cbv;
pub mod event;
pub mod hash;
pub mod json;
pub mod json_out;
mod node;
pub mod validate;
pub mod xml;
pub mod xsd;

pub use hash::{event_hash, event_hash_ignoring, prehash, prehash_ignoring};
pub use node::Node;

use thiserror::Error;

/// Why a document could not be read. `event` is the 0-based index of the
/// event in the document, where the problem is inside one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EpcisError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("not XML: {0}")]
    Xml(String),
    /// Elements or values nested deeper than [`MAX_DEPTH`] levels: no EPCIS
    /// document needs that many, and reading them could exhaust the stack.
    #[error("nested more than {limit} levels deep ({place})")]
    TooDeep { limit: usize, place: String },
    #[error("{path}: {reason}")]
    Structure { path: String, reason: String },
    /// One event of the document cannot be read (`field` names what).
    #[error("event {index}: {reason}")]
    Event {
        index: usize,
        field: String,
        reason: String,
    },
}

/// How deep elements (XML) or objects and arrays (JSON) may nest in a
/// document, counting its root as 1. An EPCIS 2.0 query document's events
/// sit at depth 6 and their deepest standard fields (sensor reports) at 10;
/// the rest leaves room for extensions. Deeper input is refused before it
/// is read into a tree, so that no recursion over it can exhaust a stack.
/// It is serde_json's own limit (127 levels), so both bindings share it.
pub const MAX_DEPTH: usize = 127;

/// True if `text` is in the XML binding (told apart by its first character).
pub fn is_xml(text: &str) -> bool {
    text.trim_start().starts_with('<')
}

/// An EPCIS document in either binding whose events are found at once but
/// read one at a time, when asked for: capture stores each event as it is
/// read, so that a document of millions of events is never held as a tree.
pub struct EventReader<'a> {
    text: &'a str,
    events: Events<'a>,
    hash_ignore: Vec<String>,
}

enum Events<'a> {
    Json(json::JsonEvents<'a>),
    Xml(xml::XmlEvents<'a>),
}

impl<'a> EventReader<'a> {
    /// Finds the events of a document (or query document, or single event).
    /// An error here concerns the whole document; one in an event waits
    /// until that event is read.
    pub fn new(text: &'a str) -> Result<Self, EpcisError> {
        let (events, hash_ignore) = if is_xml(text) {
            let (e, h) = xml::open(text)?;
            (Events::Xml(e), h)
        } else {
            let (e, h) = json::open(text)?;
            (Events::Json(e), h)
        };
        Ok(EventReader {
            text,
            events,
            hash_ignore,
        })
    }

    /// The number of events.
    pub fn len(&self) -> usize {
        match &self.events {
            Events::Json(e) => e.len(),
            Events::Xml(e) => e.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The document's text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The events of an XML document (`None` for JSON).
    pub(crate) fn xml_events(&self) -> Option<&xml::XmlEvents<'a>> {
        match &self.events {
            Events::Xml(e) => Some(e),
            Events::Json(_) => None,
        }
    }

    /// True if the document is in the XML binding.
    pub fn is_xml(&self) -> bool {
        matches!(self.events, Events::Xml(_))
    }

    /// Fields (as `{namespace}local`) the document asks to leave out of
    /// event hashes.
    pub fn hash_ignore(&self) -> &[String] {
        &self.hash_ignore
    }

    /// Event `i` (0-based, below [`len`](Self::len)) as written in the
    /// document: its JSON object or XML element.
    pub fn raw(&self, i: usize) -> &'a str {
        match &self.events {
            Events::Json(e) => e.raw(i),
            Events::Xml(e) => e.raw(i),
        }
    }

    /// Event `i` (0-based, below [`len`](Self::len)) read into a node named
    /// by its event type.
    pub fn event(&self, i: usize) -> Result<Node, EpcisError> {
        match &self.events {
            Events::Json(e) => e.event(i),
            Events::Xml(e) => e.event(i),
        }
    }

    /// Every event read at once.
    pub fn document(&self) -> Result<Document, EpcisError> {
        Ok(Document {
            events: (0..self.len())
                .map(|i| self.event(i))
                .collect::<Result<_, _>>()?,
            hash_ignore: self.hash_ignore.clone(),
            raw: (0..self.len()).map(|i| self.raw(i).to_string()).collect(),
        })
    }
}

/// An EPCIS document's events, each a node named by its event type.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub events: Vec<Node>,
    /// Fields (as `{namespace}local`) the document asks to leave out of
    /// event hashes: a document-level `ignoreFields` list, as repositories
    /// use for the fields they add themselves.
    pub hash_ignore: Vec<String>,
    /// Each event as written in the document (JSON object or XML element).
    pub raw: Vec<String>,
}

/// Reads an EPCIS document in either binding, every event at once.
pub fn parse_document(text: &str) -> Result<Document, EpcisError> {
    EventReader::new(text)?.document()
}

/// The events of an EPCIS document (or query document, or a single event).
pub fn parse_events(text: &str) -> Result<Vec<Node>, EpcisError> {
    parse_document(text).map(|d| d.events)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An XML document with `depth` elements nested inside one event
    /// (the event itself at depth 4), and one nesting the document's own
    /// elements that deep before its event list.
    fn xml(inner: usize, outer: usize) -> String {
        let open = |n: usize, tag: &str| format!("<{tag}>").repeat(n);
        let close = |n: usize, tag: &str| format!("</{tag}>").repeat(n);
        format!(
            "<EPCISDocument>{}<EPCISBody><EventList><ObjectEvent><eventTime>2026-01-01T00:00:00Z</eventTime>\
             {}{}</ObjectEvent></EventList></EPCISBody>{}</EPCISDocument>",
            open(outer, "w"),
            open(inner, "x"),
            close(inner, "x"),
            close(outer, "w"),
        )
    }

    fn json(inner: usize) -> String {
        format!(
            r#"{{"epcisBody": {{"eventList": [{{"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "x": {}1{}}}]}}}}"#,
            "[".repeat(inner),
            "]".repeat(inner)
        )
    }

    /// Each read on a thread with a quarter of the stack of a Tokio worker or
    /// spawned thread (512 KiB of 2 MiB): past the limit, a
    /// document is refused with an error naming the limit and the place,
    /// however deep it goes, and never read into a tree.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn deep_xml_is_refused_with_the_limit_and_place() {
        // The event is at depth 4; its children at 5.
        let ok = xml(MAX_DEPTH - 4, 0);
        let r = EventReader::new(&ok).unwrap();
        assert!(r.event(0).is_ok());
        for text in [xml(MAX_DEPTH - 3, 0), xml(100_000, 0), xml(0, 100_000)] {
            let e = on_small_stack(move || EventReader::new(&text).err());
            match e {
                Some(EpcisError::TooDeep { limit, place }) => {
                    assert_eq!(limit, MAX_DEPTH);
                    assert!(place.starts_with("line 1, column "), "{place}");
                }
                other => panic!("{other:?}"),
            }
        }
        let e = EventReader::new(&xml(MAX_DEPTH, 0))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.starts_with(&format!(
                "nested more than {MAX_DEPTH} levels deep (line 1, column "
            )),
            "{e}"
        );
    }

    #[test]
    fn deep_json_is_refused_with_the_limit_and_place() {
        // An event is read on its own: its object is depth 1, the arrays
        // of its value from 2 on.
        let text = json(MAX_DEPTH - 1);
        let ok = EventReader::new(&text).unwrap();
        assert!(ok.event(0).is_ok());
        for inner in [MAX_DEPTH, 100_000] {
            let text = json(inner);
            let e = on_small_stack(move || {
                // The document's scan skips an event's text without recursing.
                let r = EventReader::new(&text).unwrap();
                r.event(0).err()
            });
            match e {
                Some(EpcisError::Event {
                    index: 0,
                    field,
                    reason,
                }) => {
                    assert_eq!(field, "event");
                    assert!(
                        reason.starts_with(&format!(
                            "nested more than {MAX_DEPTH} levels deep (line 1, column "
                        )),
                        "{reason}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
        // Deep outside the events: the document is refused whole.
        for n in [MAX_DEPTH, 100_000] {
            let text = format!(
                r#"{{"epcisBody": {{"eventList": []}}, "x": {{"epcisBody": {}1{}}}}}"#,
                "{\"a\": ".repeat(n),
                "}".repeat(n)
            );
            let e = on_small_stack(move || EventReader::new(&text).err());
            assert!(
                matches!(
                    &e,
                    None | Some(EpcisError::TooDeep {
                        limit: MAX_DEPTH,
                        ..
                    })
                ),
                "{e:?}"
            );
        }
    }
}
