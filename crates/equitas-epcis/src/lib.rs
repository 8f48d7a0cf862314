//! GS1 EPCIS 2.0 events: a syntax-neutral tree of each event, the
//! canonical forms of identifiers and vocabulary, and the Event Hash ID of
//! the GS1 Core Business Vocabulary (CBV) 2.0, section 8.9.
//!
//! Pure computation. The JSON/JSON-LD binding is read by [`json`]; every
//! binding produces the same [`Node`] tree, which [`hash`] turns into the
//! pre-hash string and its `ni:///sha-256;...?ver=CBV2.0` identifier.

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
}

/// True if `text` is in the XML binding (told apart by its first character).
pub fn is_xml(text: &str) -> bool {
    text.trim_start().starts_with('<')
}

/// Reads an EPCIS document in either binding.
pub fn parse_document(text: &str) -> Result<json::Document, EpcisError> {
    if is_xml(text) {
        xml::parse_document(text)
    } else {
        json::parse_document(text)
    }
}
