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
