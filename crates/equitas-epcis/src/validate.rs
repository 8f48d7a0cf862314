//! Validation of EPCIS 2.0 JSON documents against the GS1 EPCIS 2.0 JSON
//! Schema, with `format` checking on (without it, bare words such as
//! `"transforming"` where a URI is required, or ILMD keys without a
//! namespace, would pass).
//!
//! The schema is GS1's, distributed under GS1's terms; Equitas does not
//! embed it but loads it from a file the user names (see the CLI).

use crate::EpcisError;
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    /// 0-based index of the event the problem is in, if it is in one.
    pub event: Option<usize>,
    /// JSON pointer of the offending value (`/epcisBody/eventList/0/action`).
    pub path: String,
    pub message: String,
}

impl fmt::Display for SchemaProblem {
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
    /// The same schema rooted at the definition every entry of an event
    /// list must meet (`EPCIS-Document-Event`).
    event: jsonschema::Validator,
}

/// An event list of a document: the JSON pointer of the list, its entries.
type Lists<'a> = Vec<(String, Vec<&'a RawValue>)>;

impl Validator {
    /// Compiles the schema text (the GS1 `EPCIS-JSON-Schema.json`).
    pub fn new(schema_text: &str) -> Result<Self, EpcisError> {
        let schema: Value = serde_json::from_str(schema_text)
            .map_err(|e| EpcisError::Json(format!("the schema: {e}")))?;
        let compile = |s: &Value| {
            jsonschema::options()
                .should_validate_formats(true)
                .build(s)
                .map_err(|e| EpcisError::Structure {
                    path: "schema".into(),
                    reason: e.to_string(),
                })
        };
        // The event definition, with what it refers to and the same base.
        let mut event = serde_json::Map::new();
        for k in ["$id", "$schema", "definitions"] {
            if let Some(v) = schema.get(k) {
                event.insert(k.to_string(), v.clone());
            }
        }
        event.insert(
            "allOf".into(),
            serde_json::json!([{"$ref": "#/definitions/EPCIS-Document-Event"}]),
        );
        Ok(Validator {
            event: compile(&Value::Object(event))?,
            schema: compile(&schema)?,
        })
    }

    /// Every problem of a document given as text; empty if it is valid.
    ///
    /// The events of a document's event lists are checked one at a time
    /// against the event definition, and the document around them with its
    /// lists emptied: what the schema requires of a list entry does not
    /// depend on the rest, and a document of millions of events is never
    /// held as one JSON tree.
    pub fn validate_text(&self, text: &str) -> Vec<SchemaProblem> {
        self.validate_text_within(text, usize::MAX)
    }

    /// [`validate_text`](Self::validate_text), leaving out the events longer
    /// than `max_event` bytes as written (refused for their size, and
    /// not to be read into a tree of several times that size).
    pub fn validate_text_within(&self, text: &str, max_event: usize) -> Vec<SchemaProblem> {
        let mut lists = Lists::new();
        let envelope = match envelope(text, "", "", &mut lists) {
            Ok(v) => v,
            Err(e) => {
                return vec![SchemaProblem {
                    event: None,
                    path: String::new(),
                    message: format!("not JSON: {e}"),
                }];
            }
        };
        let mut out = self.problems(&self.schema, &envelope, "", None);
        for (at, events) in lists {
            for (i, raw) in events.into_iter().enumerate() {
                if raw.get().len() > max_event {
                    continue;
                }
                match serde_json::from_str::<Value>(raw.get()) {
                    Ok(v) => {
                        out.extend(self.problems(&self.event, &v, &format!("{at}/{i}"), Some(i)))
                    }
                    Err(e) => out.push(SchemaProblem {
                        event: Some(i),
                        path: format!("{at}/{i}"),
                        message: format!("not JSON: {e}"),
                    }),
                }
            }
        }
        out.sort_by(|a, b| (a.event, &a.path).cmp(&(b.event, &b.path)));
        out.dedup();
        out
    }

    /// Every problem of a parsed document; empty if it is valid.
    pub fn validate(&self, doc: &Value) -> Vec<SchemaProblem> {
        let mut out = self.problems(&self.schema, doc, "", None);
        out.sort_by(|a, b| (a.event, &a.path).cmp(&(b.event, &b.path)));
        out.dedup();
        out
    }

    /// The problems `schema` finds in `v`, found at pointer `at`, in event
    /// `event` (if known; otherwise told by the pointer).
    fn problems(
        &self,
        schema: &jsonschema::Validator,
        v: &Value,
        at: &str,
        event: Option<usize>,
    ) -> Vec<SchemaProblem> {
        schema
            .iter_errors(v)
            .map(|e| {
                let path = format!("{at}{}", e.instance_path());
                SchemaProblem {
                    event: event.or_else(|| event_index(&path)),
                    path,
                    message: shorten(&e.to_string()),
                }
            })
            .collect()
    }
}

/// The JSON text `raw` (found at pointer `at`, under `key`: `""` for the
/// document) as a value whose event lists (`eventList` in the document body,
/// or in the query results' body) are left empty; their entries are added
/// to `lists`, unparsed. The objects on the way to the lists are those the
/// JSON reader descends into ([`crate::json::below`]).
fn envelope<'a>(
    raw: &'a str,
    at: &str,
    key: &str,
    lists: &mut Lists<'a>,
) -> serde_json::Result<Value> {
    if !raw.trim_start().starts_with('{') {
        return serde_json::from_str(raw);
    }
    let holds_events = matches!(key, "epcisBody" | "resultsBody");
    let fields: std::collections::BTreeMap<String, &RawValue> = serde_json::from_str(raw)?;
    let mut out = serde_json::Map::new();
    for (k, v) in fields {
        let here = format!("{at}/{k}");
        let value = if holds_events && k == "eventList" && v.get().trim_start().starts_with('[') {
            lists.push((here, serde_json::from_str(v.get())?));
            Value::Array(Vec::new())
        } else if Some(k.as_str()) == crate::json::below(key) {
            envelope(v.get(), &here, &k, lists)?
        } else {
            serde_json::from_str(v.get())?
        };
        out.insert(k, value);
    }
    Ok(Value::Object(out))
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
    pub fn validate_text(&self, text: &str) -> Option<Vec<SchemaProblem>> {
        if crate::is_xml(text) {
            self.xsd.as_ref().map(|x| x.validate_text(text))
        } else {
            self.json.as_ref().map(|j| j.validate_text(text))
        }
    }

    /// [`validate_text`](Self::validate_text) for a document being read:
    /// an XML document is not parsed again.
    /// JSON events longer than `max_event` bytes are left out (libxml2
    /// streams through XML ones).
    pub fn validate_document(
        &self,
        doc: &crate::EventReader,
        max_event: usize,
    ) -> Option<Vec<SchemaProblem>> {
        match doc.xml_events() {
            Some(events) => self.xsd.as_ref().map(|x| x.validate_events(events)),
            None => self
                .json
                .as_ref()
                .map(|j| j.validate_text_within(doc.text(), max_event)),
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
