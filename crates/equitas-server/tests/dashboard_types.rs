//! The dashboard's types of API rows (`web/src/api.ts`) are checked against
//! the API description (/openapi.json, made from the rows' Rust types): a
//! field the dashboard reads must exist, and one it takes as never null
//! must be required and never null (issue 26).

use serde_json::Value;
use std::collections::HashMap;

/// Each TypeScript interface and the schema of the rows it stands for.
const CHECKED: &[(&str, &str)] = &[
    ("Summary", "Summary"),
    ("Country", "CountryRow"),
    ("Item", "ItemRow"),
    ("Place", "LocationRow"),
    ("StockRow", "StockRow"),
    ("AvailabilityRow", "AvailabilityRow"),
    ("RiskRow", "RiskResult"),
    ("PlanRow", "PlanResult"),
    ("PlanOrder", "NamedOrder"),
    ("LeadTimeRow", "LeadTimeRow"),
    ("ProblemRow", "ProblemRow"),
    ("ConcentrationRow", "ConcentrationRow"),
    ("PriceRow", "PriceRow"),
    ("DeliveryRow", "DeliveryRow"),
    ("MprRow", "MprRow"),
    ("TiersRow", "TiersRow"),
    ("TierConcentration", "TierConcentration"),
    ("RegionRow", "RegionRow"),
    ("SingleSourceRow", "SingleSourceRow"),
    ("RegulatorRow", "Regulator"),
    ("MapRow", "MapRow"),
    ("MatchRow", "MatchRow"),
    ("ImpactRow", "ImpactRow"),
    ("CountryImpactRow", "CountryImpactRow"),
    ("Month", "Month"),
    ("NodeRow", "NodeRow"),
    ("MitigationRow", "MitigationRow"),
    ("AllocationRow", "AllocationRow"),
];

/// `interface Name { field?: type; ... }` of a TypeScript file: name to fields.
fn interfaces(ts: &str) -> HashMap<String, Vec<(String, bool, String)>> {
    let mut out = HashMap::new();
    let mut rest = ts;
    while let Some(i) = rest.find("export interface ") {
        rest = &rest[i + "export interface ".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let open = rest.find('{').unwrap();
        let close = rest.find("\n}").unwrap();
        let mut fields = Vec::new();
        for line in rest[open + 1..close].lines() {
            let line = line.trim();
            if line.starts_with("//") || line.starts_with("/*") || line.starts_with('*') {
                continue;
            }
            let Some((field, ty)) = line.trim_end_matches(';').split_once(':') else {
                continue;
            };
            let optional = field.ends_with('?');
            fields.push((
                field.trim_end_matches('?').trim().to_string(),
                optional,
                ty.trim().to_string(),
            ));
        }
        out.insert(name, fields);
        rest = &rest[close..];
    }
    out
}

/// The JSON types a property's schema allows (following one `$ref`).
fn types(doc: &Value, s: &Value) -> Vec<String> {
    if let Some(r) = s["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        let target = &doc["components"]["schemas"][name];
        return if target["enum"].is_array() || target["oneOf"].is_array() {
            vec!["string".into()]
        } else {
            types(doc, target)
        };
    }
    if let Some(any) = s["anyOf"].as_array().or(s["oneOf"].as_array()) {
        return any.iter().flat_map(|x| types(doc, x)).collect();
    }
    if s["enum"].is_array() && s["type"].is_null() {
        return vec!["string".into()];
    }
    match &s["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(v) => v
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        _ => vec!["object".into()],
    }
}

#[test]
fn the_dashboards_row_types_match_the_api_description() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/src/api.ts");
    let ts = std::fs::read_to_string(&path).unwrap();
    let found = interfaces(&ts);
    let doc = equitas_server::api_doc::openapi();
    let mut wrong = Vec::new();
    for (interface, schema) in CHECKED {
        let fields = found
            .get(*interface)
            .unwrap_or_else(|| panic!("web/src/api.ts has no interface {interface}"));
        let s = &doc["components"]["schemas"][*schema];
        assert!(s.is_object(), "no schema {schema} in /openapi.json");
        let required: Vec<&str> = s["required"]
            .as_array()
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (field, optional, ty) in fields {
            let Some(p) = s["properties"].get(field) else {
                wrong.push(format!("{interface}.{field}: not in {schema}"));
                continue;
            };
            let allowed = types(&doc, p);
            let nullable = allowed.iter().any(|t| t == "null");
            let ts_nullable = ty.contains("null") || *optional;
            if nullable && !ts_nullable {
                wrong.push(format!(
                    "{interface}.{field}: may be null in {schema}, not in the dashboard ({ty})"
                ));
            }
            // An `Option` is written as null when absent (serde), which
            // JSON Schema says as "not required, may be null".
            let present = *optional || required.contains(&field.as_str());
            let written_as_null = nullable && ts_nullable;
            if !(present || written_as_null) {
                wrong.push(format!(
                    "{interface}.{field}: not required in {schema}, required in the dashboard"
                ));
            }
            let base = ty
                .split('|')
                .map(str::trim)
                .find(|t| *t != "null")
                .unwrap_or("");
            let json = if base.ends_with("[]") {
                "array"
            } else {
                match base {
                    "number" => "number",
                    "string" => "string",
                    "boolean" => "boolean",
                    _ => continue, // named types: checked through their own interface
                }
            };
            let ok = allowed
                .iter()
                .any(|t| t == json || (json == "number" && t == "integer"));
            if !ok {
                wrong.push(format!(
                    "{interface}.{field}: {ty} in the dashboard, {allowed:?} in {schema}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
