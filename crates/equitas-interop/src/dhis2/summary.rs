//! DHIS2's answer to `POST /api/dataValueSets`: an import summary
//! (`responseType: ImportSummary`, a `status`, an `importCount` of
//! imported, updated, ignored and deleted values, and `conflicts`, each
//! naming the object and why), bare as older versions answer or inside
//! the web message (`httpStatus`, `response`) of later ones.

use super::Dhis2Error;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportCount {
    #[serde(default)]
    pub imported: u64,
    #[serde(default)]
    pub updated: u64,
    #[serde(default)]
    pub ignored: u64,
    #[serde(default)]
    pub deleted: u64,
}

/// One conflict: the object refused (an identifier, a value) and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    #[serde(default)]
    pub object: String,
    #[serde(default)]
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// `SUCCESS`, `WARNING`, `ERROR` (or `OK` in a web message).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub import_count: ImportCount,
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
}

#[derive(Deserialize)]
struct WebMessage {
    response: Option<ImportSummary>,
    message: Option<String>,
    status: Option<String>,
}

impl ImportSummary {
    /// Reads DHIS2's answer, bare or in a web message.
    pub fn parse(body: &[u8]) -> Result<ImportSummary, Dhis2Error> {
        let v: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| Dhis2Error::Summary(format!("not JSON: {e}")))?;
        if v.get("response").is_some() {
            let w: WebMessage =
                serde_json::from_value(v).map_err(|e| Dhis2Error::Summary(e.to_string()))?;
            let Some(mut s) = w.response else {
                return Err(Dhis2Error::Summary(
                    "a web message without a response".into(),
                ));
            };
            if s.description.is_none() {
                s.description = w.message;
            }
            if s.status.is_empty() {
                s.status = w.status.unwrap_or_default();
            }
            return Ok(s);
        }
        if v.get("importCount").is_none() {
            let msg = v
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or("no importCount");
            return Err(Dhis2Error::Summary(format!("not an import summary: {msg}")));
        }
        serde_json::from_value(v).map_err(|e| Dhis2Error::Summary(e.to_string()))
    }

    /// True if DHIS2 refused the whole set.
    pub fn failed(&self) -> bool {
        self.status.eq_ignore_ascii_case("ERROR")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_wrapped_summaries_are_read() {
        let bare = br#"{"responseType":"ImportSummary","status":"WARNING","description":"done",
            "importCount":{"imported":2,"updated":1,"ignored":1,"deleted":0},
            "conflicts":[{"object":"XyZ12345678","value":"Org unit not found or not accessible"}]}"#;
        let s = ImportSummary::parse(bare).unwrap();
        assert_eq!(
            (
                s.import_count.imported,
                s.import_count.updated,
                s.import_count.ignored
            ),
            (2, 1, 1)
        );
        assert_eq!(s.conflicts[0].object, "XyZ12345678");
        let wrapped = br#"{"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING",
            "message":"One more conflicts encountered","response":{"responseType":"ImportSummary",
            "status":"WARNING","importCount":{"imported":0,"updated":0,"ignored":3,"deleted":0},
            "conflicts":[{"object":"abc","objects":{"dataElement":"abc"},"value":"Data element not found","errorCode":"E7610","property":"dataElement","indexes":[0,1,2]}]}}"#;
        let s = ImportSummary::parse(wrapped).unwrap();
        assert_eq!(s.import_count.ignored, 3);
        assert_eq!(s.conflicts[0].error_code.as_deref(), Some("E7610"));
        assert_eq!(
            s.description.as_deref(),
            Some("One more conflicts encountered")
        );
        assert!(ImportSummary::parse(br#"{"message":"Unauthorized"}"#).is_err());
        assert!(ImportSummary::parse(b"<html>").is_err());
    }
}
