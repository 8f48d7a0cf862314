//! DHIS2 data value sets, as DHIS2's Web API documents them
//! (docs.dhis2.org, developer manual, "Data values": "Sending data
//! values"): a JSON object whose `dataValues` each name a data element,
//! a period, an org unit, optionally a category option combo and an
//! attribute option combo, and a value (the set's `period`, `orgUnit` and
//! `attributeOptionCombo` apply to values that leave them out); or CSV
//! with the columns `dataelement, period, orgunit, catoptcombo,
//! attroptcombo, value, storedby, lastupd, comment` (the header row may be
//! left out; the longer names `categoryoptioncombo`,
//! `attributeoptioncombo` and `lastupdated` of later versions are read
//! too).

use super::Dhis2Error;
use equitas_model::RowError;
use equitas_model::reference::Parsed;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One data value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValue {
    pub data_element: String,
    pub period: String,
    pub org_unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_option_combo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_option_combo: Option<String>,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Marked deleted in DHIS2 (an export with `includeDeleted`, the CSV's
    /// `deleted` column): no figure, and never imported as one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// A data value set as written: the data set, if any, and the values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValueSet {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_set: Option<String>,
    pub data_values: Vec<DataValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSet<'a> {
    period: Option<String>,
    org_unit: Option<String>,
    attribute_option_combo: Option<String>,
    #[serde(borrow, default)]
    data_values: Option<Vec<&'a RawValue>>,
}

/// A value as sent: DHIS2 writes text, but numbers and booleans are
/// accepted.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDataValue {
    data_element: Option<String>,
    period: Option<String>,
    org_unit: Option<String>,
    category_option_combo: Option<String>,
    attribute_option_combo: Option<String>,
    value: Option<Scalar>,
    comment: Option<String>,
    deleted: Option<Scalar>,
}

/// DHIS2's `deleted` flag as sent: `true` (JSON) or `true` in the CSV.
fn is_true(s: Option<&str>) -> bool {
    s.is_some_and(|s| s.trim().eq_ignore_ascii_case("true"))
}

fn line_at(text: &str, offset: usize) -> u64 {
    1 + text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
}

fn present(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Reads a JSON data value set. Each data value is kept with the line it
/// starts on; a bad one is an error naming its line and field
/// (`dataValues[2].dataElement`), the others are kept.
pub fn read_json(bytes: &[u8]) -> Result<Parsed<DataValue>, Dhis2Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| Dhis2Error::Document {
        line: line_at(
            &String::from_utf8_lossy(&bytes[..e.valid_up_to()]),
            e.valid_up_to(),
        ),
        column: 0,
        reason: "not UTF-8".into(),
    })?;
    let set: RawSet = serde_json::from_str(text).map_err(|e| Dhis2Error::Document {
        line: e.line() as u64,
        column: e.column() as u64,
        reason: e.to_string(),
    })?;
    let Some(values) = set.data_values else {
        return Err(Dhis2Error::Document {
            line: 1,
            column: 1,
            reason: "no `dataValues` array: not a DHIS2 data value set".into(),
        });
    };
    let mut out = Parsed::default();
    for (i, raw) in values.iter().enumerate() {
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let line = line_at(text, offset);
        let path = |f: &str| format!("dataValues[{i}].{f}");
        let dv: RawDataValue = match serde_json::from_str(raw.get()) {
            Ok(v) => v,
            Err(e) => {
                out.errors.push(RowError::new(
                    line,
                    format!("dataValues[{i}]"),
                    format!("not a data value: {e}"),
                ));
                continue;
            }
        };
        let mut errs = Vec::new();
        let mut need = |v: Option<String>, f: &str| {
            let v = present(v);
            if v.is_none() {
                errs.push(RowError::new(line, path(f), "required value is missing"));
            }
            v
        };
        let deleted = is_true(dv.deleted.map(Scalar::text).as_deref());
        let de = need(dv.data_element, "dataElement");
        let period = need(dv.period.or_else(|| set.period.clone()), "period");
        let ou = need(dv.org_unit.or_else(|| set.org_unit.clone()), "orgUnit");
        // A deleted value may have none: it is counted as deleted.
        let value = match dv.value.map(Scalar::text) {
            None if deleted => Some(String::new()),
            v => need(v, "value"),
        };
        match (de, period, ou, value) {
            (Some(data_element), Some(period), Some(org_unit), Some(value)) => {
                out.records.push((
                    line,
                    DataValue {
                        data_element,
                        period,
                        org_unit,
                        category_option_combo: present(dv.category_option_combo),
                        attribute_option_combo: present(
                            dv.attribute_option_combo
                                .or_else(|| set.attribute_option_combo.clone()),
                        ),
                        value,
                        comment: present(dv.comment),
                        deleted,
                    },
                ));
            }
            _ => out.errors.extend(errs),
        }
    }
    Ok(out)
}

/// The columns of DHIS2's CSV data value format, in their documented order
/// (`followup` and `deleted` of later versions after them).
const CSV_COLUMNS: [&str; 11] = [
    "dataelement",
    "period",
    "orgunit",
    "catoptcombo",
    "attroptcombo",
    "value",
    "storedby",
    "lastupd",
    "comment",
    "followup",
    "deleted",
];

fn csv_column(name: &str) -> Option<usize> {
    let n = name.trim().to_ascii_lowercase();
    let n = match n.as_str() {
        "categoryoptioncombo" => "catoptcombo",
        "attributeoptioncombo" => "attroptcombo",
        "lastupdated" => "lastupd",
        other => other,
    };
    CSV_COLUMNS.iter().position(|c| *c == n)
}

/// Reads DHIS2's CSV data values; a bad row is an error naming its line
/// and column.
pub fn read_csv(bytes: &[u8]) -> Result<Parsed<DataValue>, Dhis2Error> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        // Lines counted whatever their endings (errors name the line).
        .from_reader(equitas_model::reference::Newlines::new(bytes));
    // Which column of the file holds each documented column.
    let mut at: [Option<usize>; 11] = std::array::from_fn(Some);
    let mut out = Parsed::default();
    let mut first = true;
    for rec in r.records() {
        let rec = rec.map_err(|e| Dhis2Error::Csv {
            line: e.position().map_or(0, |p| p.line()),
            reason: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        if std::mem::take(&mut first)
            && rec
                .get(0)
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("dataelement"))
        {
            at = [None; 11];
            for (i, name) in rec.iter().enumerate() {
                if let Some(c) = csv_column(name) {
                    at[c] = Some(i);
                }
            }
            for (c, name) in at.iter().zip(CSV_COLUMNS).take(6) {
                if c.is_none() && name != "catoptcombo" && name != "attroptcombo" {
                    return Err(Dhis2Error::Csv {
                        line,
                        reason: format!("the header has no `{name}` column"),
                    });
                }
            }
            continue;
        }
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: usize| {
            at[c]
                .and_then(|i| rec.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let mut errs = Vec::new();
        let mut need = |c: usize| {
            let v = cell(c);
            if v.is_none() {
                errs.push(RowError::new(
                    line,
                    CSV_COLUMNS[c],
                    "required value is empty",
                ));
            }
            v
        };
        let deleted = is_true(cell(10).as_deref());
        let (de, period, ou) = (need(0), need(1), need(2));
        // A deleted value may have none: it is counted as deleted.
        let value = match cell(5) {
            None if deleted => Some(String::new()),
            _ => need(5),
        };
        match (de, period, ou, value) {
            (Some(data_element), Some(period), Some(org_unit), Some(value)) => out.records.push((
                line,
                DataValue {
                    data_element,
                    period,
                    org_unit,
                    category_option_combo: cell(3),
                    attribute_option_combo: cell(4),
                    value,
                    comment: cell(8),
                    deleted,
                },
            )),
            _ => out.errors.extend(errs),
        }
    }
    Ok(out)
}

/// Reads JSON or CSV, telling them apart by the first character that is
/// not a space (`{`: JSON).
pub fn read(bytes: &[u8]) -> Result<Parsed<DataValue>, Dhis2Error> {
    let first = bytes
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    if first == Some(b'{') {
        read_json(bytes)
    } else {
        read_csv(bytes)
    }
}

/// The set as JSON, as `POST /api/dataValueSets` takes it.
pub fn write_json(set: &DataValueSet) -> String {
    let mut s = serde_json::to_string_pretty(set).unwrap_or_default();
    s.push('\n');
    s
}

/// The values as DHIS2's CSV, with its header row.
pub fn write_csv(values: &[DataValue]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(&CSV_COLUMNS[..9]);
    for v in values {
        let _ = w.write_record([
            v.data_element.as_str(),
            &v.period,
            &v.org_unit,
            v.category_option_combo.as_deref().unwrap_or(""),
            v.attribute_option_combo.as_deref().unwrap_or(""),
            &v.value,
            "",
            "",
            v.comment.as_deref().unwrap_or(""),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The shape of DHIS2's documented example: one data set, period and
    /// org unit for the set, three values of one data element with
    /// comments (our own identifiers and values).
    const DOC_JSON: &str = r#"{
  "dataSet": "pBOMPrpg1QX",
  "completeDate": "2014-02-03",
  "period": "201401",
  "orgUnit": "DiszpKrYNg8",
  "attributeOptionCombo": "bRowv6yZOF2",
  "dataValues": [
    { "dataElement": "f7n9E0hX8qk", "categoryOptionCombo": "Prlt0C1RF0s", "value": "12", "comment": "first" },
    { "dataElement": "f7n9E0hX8qk", "categoryOptionCombo": "psbwp3CQEhs", "value": "14", "comment": "second" },
    { "dataElement": "f7n9E0hX8qk", "categoryOptionCombo": "V6L425pT3A0", "value": 16 }
  ]
}"#;

    /// The documented CSV layout, with its header row.
    const DOC_CSV: &str = "\"dataelement\",\"period\",\"orgunit\",\"catoptcombo\",\"attroptcombo\",\"value\",\"storedby\",\"lastupd\",\"comment\"\n\
\"f7n9E0hX8qk\",\"201401\",\"DiszpKrYNg8\",\"Prlt0C1RF0s\",\"bRowv6yZOF2\",\"12\",\"someone\",\"2014-02-01\",\"first\"\n\
\"f7n9E0hX8qk\",\"201401\",\"DiszpKrYNg8\",\"psbwp3CQEhs\",\"bRowv6yZOF2\",\"14\",\"someone\",\"2014-02-01\",\"second\"\n\
\"f7n9E0hX8qk\",\"201401\",\"DiszpKrYNg8\",\"V6L425pT3A0\",\"bRowv6yZOF2\",\"16\",\"someone\",\"2014-02-01\",\"\"\n";

    #[test]
    fn the_documented_examples_parse_alike_and_round_trip() {
        let j = read(DOC_JSON.as_bytes()).unwrap();
        let c = read(DOC_CSV.as_bytes()).unwrap();
        assert!(j.errors.is_empty() && c.errors.is_empty());
        let jv: Vec<DataValue> = j.records.iter().map(|(_, v)| v.clone()).collect();
        let cv: Vec<DataValue> = c.records.iter().map(|(_, v)| v.clone()).collect();
        assert_eq!(jv, cv);
        assert_eq!(jv.len(), 3);
        assert_eq!(jv[0].period, "201401");
        assert_eq!(jv[0].org_unit, "DiszpKrYNg8");
        assert_eq!(jv[2].value, "16");
        assert_eq!(jv[0].attribute_option_combo.as_deref(), Some("bRowv6yZOF2"));
        assert_eq!(
            j.records.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            [8, 9, 10]
        );
        assert_eq!(c.records[0].0, 2);
        // Written and read again, in both formats.
        let set = DataValueSet {
            data_set: Some("pBOMPrpg1QX".into()),
            data_values: jv.clone(),
        };
        let again = read(write_json(&set).as_bytes()).unwrap();
        assert_eq!(
            again
                .records
                .into_iter()
                .map(|(_, v)| v)
                .collect::<Vec<_>>(),
            jv
        );
        let again = read(write_csv(&jv).as_bytes()).unwrap();
        assert_eq!(
            again
                .records
                .into_iter()
                .map(|(_, v)| v)
                .collect::<Vec<_>>(),
            jv
        );
    }

    #[test]
    fn a_value_marked_deleted_is_read_as_deleted() {
        let json = r#"{"dataValues": [
            {"dataElement": "a", "period": "202611", "orgUnit": "o", "value": "999", "deleted": true},
            {"dataElement": "a", "period": "202611", "orgUnit": "o", "value": "5", "deleted": false},
            {"dataElement": "a", "period": "202611", "orgUnit": "o", "value": "6"}
        ]}"#;
        let got: Vec<bool> = read(json.as_bytes())
            .unwrap()
            .records
            .iter()
            .map(|(_, v)| v.deleted)
            .collect();
        assert_eq!(got, [true, false, false]);
        let csv = "dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment,followup,deleted\n\
                   a,202611,o,,,999,,,,false,true\n\
                   a,202611,o,,,5,,,,false,false\n\
                   a,202611,o,,,,,,,false,true\n";
        let got: Vec<bool> = read(csv.as_bytes())
            .unwrap()
            .records
            .iter()
            .map(|(_, v)| v.deleted)
            .collect();
        // A deleted value without a value is counted as deleted, no error.
        assert_eq!(got, [true, false, true]);
    }

    #[test]
    fn headerless_csv_and_longer_column_names_are_read() {
        let body: String = DOC_CSV.lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert_eq!(read_csv(body.as_bytes()).unwrap().records.len(), 3);
        let long = "dataElement,period,orgUnit,categoryOptionCombo,attributeOptionCombo,value,storedBy,lastUpdated,comment,followup\n\
                    f7n9E0hX8qk,201401,DiszpKrYNg8,Prlt0C1RF0s,,12,,,,false\n";
        let p = read_csv(long.as_bytes()).unwrap();
        assert_eq!(
            p.records[0].1.category_option_combo.as_deref(),
            Some("Prlt0C1RF0s")
        );
        assert_eq!(p.records[0].1.attribute_option_combo, None);
    }

    #[test]
    fn bad_values_name_line_and_field() {
        let doc = "{\"dataValues\": [\n {\"dataElement\": \"a\", \"period\": \"202601\", \"orgUnit\": \"o\", \"value\": \"1\"},\n {\"period\": \"202601\", \"orgUnit\": \"o\"},\n 7\n]}";
        let p = read_json(doc.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        let e: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            e[..2],
            [
                "line 3, field `dataValues[1].dataElement`: required value is missing",
                "line 3, field `dataValues[1].value`: required value is missing",
            ]
        );
        assert!(e[2].starts_with("line 4, field `dataValues[2]`"), "{e:?}");
        let bad = read_json(b"{\"dataValues\": [}").unwrap_err();
        assert!(bad.to_string().starts_with("line 1, column"), "{bad}");
        assert!(
            read_json(b"{}")
                .unwrap_err()
                .to_string()
                .contains("dataValues")
        );
        let c = read_csv(b"dataelement,period,orgunit,value\na,202601,,3\n").unwrap();
        assert_eq!(
            c.errors[0].to_string(),
            "line 2, field `orgunit`: required value is empty"
        );
        assert!(read_csv(b"dataelement,period,value\n").is_err());
    }

    fn id() -> impl Strategy<Value = String> {
        "[A-Za-z][A-Za-z0-9]{10}"
    }

    fn data_value() -> impl Strategy<Value = DataValue> {
        (
            id(),
            "20[0-9]{2}(0[1-9]|1[0-2])",
            id(),
            proptest::option::of(id()),
            proptest::option::of(id()),
            // Values and comments with quotes, commas, line breaks and non-ASCII.
            "[^\\s]([ -~éü,\"\n]{0,12}[^\\s])?",
            proptest::option::of("[^\\s]([ -~é,\"\n]{0,12}[^\\s])?"),
        )
            .prop_map(|(de, pe, ou, coc, aoc, value, comment)| DataValue {
                data_element: de,
                period: pe,
                org_unit: ou,
                category_option_combo: coc,
                attribute_option_combo: aoc,
                value,
                comment,
                deleted: false,
            })
    }

    proptest! {
        /// Whatever the values, writing then reading gives them back, in
        /// both formats.
        #[test]
        fn written_sets_read_back(values in proptest::collection::vec(data_value(), 0..8)) {
            let set = DataValueSet { data_set: None, data_values: values.clone() };
            let j = read(write_json(&set).as_bytes()).unwrap();
            prop_assert!(j.errors.is_empty());
            prop_assert_eq!(j.records.into_iter().map(|(_, v)| v).collect::<Vec<_>>(), values.clone());
            let c = read(write_csv(&values).as_bytes()).unwrap();
            prop_assert!(c.errors.is_empty());
            prop_assert_eq!(c.records.into_iter().map(|(_, v)| v).collect::<Vec<_>>(), values);
        }

        /// Any bytes: an answer or an error, never a panic.
        #[test]
        fn any_input_is_answered(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = read(&bytes);
            let mut j = b"{\"dataValues\":[".to_vec();
            j.extend_from_slice(&bytes);
            let _ = read_json(&j);
        }
    }
}
