//! Validation of EPCIS 2.0 JSON documents against the GS1 EPCIS 2.0 JSON
//! Schema, with `format` checking on (without it, bare words such as
//! `"transforming"` where a URI is required, or ILMD keys without a
//! namespace, would pass).
//!
//! The schema is GS1's, distributed under GS1's terms; Equitas does not
//! embed it but loads it from a file the user names (see the CLI).

use crate::EpcisError;
use serde_json::Value;
use std::fmt;

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 0-based index of the event the problem is in, if it is in one.
    pub event: Option<usize>,
    /// JSON pointer of the offending value (`/epcisBody/eventList/0/action`).
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.event {
            Some(i) => write!(f, "event {i}: {}: {}", self.path, self.message),
            None => write!(
                f,
                "{}: {}",
                if self.path.is_empty() {
                    "/"
                } else {
                    &self.path
                },
                self.message
            ),
        }
    }
}

/// A compiled EPCIS JSON Schema.
pub struct Validator {
    schema: jsonschema::Validator,
}

impl Validator {
    /// Compiles the schema text (the GS1 `EPCIS-JSON-Schema.json`).
    pub fn new(schema_text: &str) -> Result<Self, EpcisError> {
        let schema: Value = serde_json::from_str(schema_text)
            .map_err(|e| EpcisError::Json(format!("the schema: {e}")))?;
        let schema = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| EpcisError::Structure {
                path: "schema".into(),
                reason: e.to_string(),
            })?;
        Ok(Validator { schema })
    }

    /// Every problem of a document given as text; empty if it is valid.
    pub fn validate_text(&self, text: &str) -> Vec<Problem> {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => self.validate(&v),
            Err(e) => vec![Problem {
                event: None,
                path: String::new(),
                message: format!("not JSON: {e}"),
            }],
        }
    }

    /// Every problem of a parsed document; empty if it is valid.
    pub fn validate(&self, doc: &Value) -> Vec<Problem> {
        let mut out: Vec<Problem> = self
            .schema
            .iter_errors(doc)
            .map(|e| {
                let path = e.instance_path().to_string();
                Problem {
                    event: event_index(&path),
                    path,
                    message: shorten(&e.to_string()),
                }
            })
            .collect();
        out.sort_by(|a, b| (a.event, &a.path).cmp(&(b.event, &b.path)));
        out.dedup();
        out
    }
}

/// The GS1 schemas of both bindings: the JSON Schema for JSON documents,
/// the XSDs for XML ones; either may be absent.
#[derive(Default)]
pub struct Schemas {
    pub json: Option<Validator>,
    pub xsd: Option<crate::xsd::XsdValidator>,
}

impl Schemas {
    /// Every problem of a document in either binding; `None` if the schema
    /// of its binding is not loaded.
    pub fn validate_text(&self, text: &str) -> Option<Vec<Problem>> {
        if crate::is_xml(text) {
            self.xsd.as_ref().map(|x| x.validate_text(text))
        } else {
            self.json.as_ref().map(|j| j.validate_text(text))
        }
    }
}

/// Messages that begin by quoting a whole object or array (`{...} is not
/// valid under any of...`) name it "the value" instead: the path says which.
fn shorten(msg: &str) -> String {
    if msg.len() > 160
        && (msg.starts_with('{') || msg.starts_with('['))
        && let Some(i) = msg.rfind(" is ")
    {
        return format!("the value{}", &msg[i..]);
    }
    msg.to_string()
}

/// The event index in a pointer such as `/epcisBody/eventList/3/action`.
fn event_index(path: &str) -> Option<usize> {
    let mut parts = path.split('/');
    while let Some(p) = parts.next() {
        if p == "eventList" {
            return parts.next().and_then(|i| i.parse().ok());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::event_index;

    #[test]
    fn pointers_name_events() {
        assert_eq!(event_index("/epcisBody/eventList/3/action"), Some(3));
        assert_eq!(
            event_index("/epcisBody/queryResults/resultsBody/eventList/0"),
            Some(0)
        );
        assert_eq!(event_index("/creationDate"), None);
    }
}
