//! The API's description, from the operations' endpoints (`equitas_service`)
//! and the few routes that are not operations (status, EPCIS capture and
//! query): the OpenAPI 3.1 document (`/openapi.json`) and a browsable page
//! (`/api/docs`, plain HTML: no scripts, nothing fetched from elsewhere).

use equitas_service::{Endpoint, Kind, Param, Surface};
use serde_json::{Map, Value, json};

pub const STATUS_PATH: &str = "/api/v1/status";
pub const EPCIS_SUMMARY_PATH: &str = "/api/v1/epcis/summary";
pub const CAPTURE_JOBS_PATH: &str = "/api/v1/epcis/captures";
/// The EPCIS 2.0 REST paths (the server routes them by these names too).
pub const CAPTURE_PATH: &str = "/capture";
pub const CAPTURE_JOB_PATH: &str = "/capture/{id}";
pub const EVENTS_PATH: &str = "/events";
pub const EVENT_PATH: &str = "/events/{eventID}";
/// EPCIS 2.0 named queries and their subscriptions.
pub const QUERIES_PATH: &str = "/queries";
pub const QUERY_PATH: &str = "/queries/{queryName}";
pub const QUERY_EVENTS_PATH: &str = "/queries/{queryName}/events";
pub const SUBSCRIPTIONS_PATH: &str = "/queries/{queryName}/subscriptions";
pub const SUBSCRIPTION_PATH: &str = "/queries/{queryName}/subscriptions/{subscriptionID}";
/// HL7 FHIR R5 (docs/interop.md): a Bundle, one resource, the stock
/// snapshot search.
pub const FHIR_PATH: &str = "/fhir";
pub const FHIR_RESOURCE_PATH: &str = "/fhir/{resource}";
pub const FHIR_INVENTORY_PATH: &str = "/fhir/InventoryReport";
/// The resource types `POST /fhir/{resource}` reads (and
/// `POST /fhir/InventoryReport`, a route of its own beside the search).
pub const FHIR_RESOURCES: [&str; 5] = [
    "MedicationDispense",
    "SupplyDelivery",
    "Location",
    "Organization",
    "ConceptMap",
];
/// A file imported over HTTP (docs/accounts.md).
pub const IMPORT_PATH: &str = "/api/v1/imports/{kind}";

/// An EPCIS route (a `post` takes a document as body).
fn plain(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    ok: (u16, &'static str),
) -> Endpoint {
    Endpoint {
        method,
        path,
        tag: "epcis",
        summary,
        doc: "docs/epcis.md",
        params: vec![],
        ok,
        body: method == "post",
        list: false,
    }
}

fn status() -> Endpoint {
    Endpoint {
        tag: "status",
        doc: "",
        ..plain(
            "get",
            STATUS_PATH,
            "The database, its schema version and what it holds",
            (200, "The overview."),
        )
    }
}

fn epcis() -> Vec<Endpoint> {
    vec![
        plain(
            "post",
            CAPTURE_PATH,
            "Capture an EPCIS 2.0 document (JSON/JSON-LD or XML); header GS1-Capture-Error-Behaviour: rollback (default) or proceed",
            (202, "Accepted; Location: /capture/{id}."),
        ),
        plain(
            "get",
            CAPTURE_JOB_PATH,
            "A capture job: events, captured, duplicates, rejected",
            (200, "The capture job."),
        ),
        plain(
            "post",
            EVENTS_PATH,
            "Capture one EPCIS event",
            (201, "Captured; Location: /events/{eventID}."),
        ),
        Endpoint {
            params: equitas_service::epcis::query_params(),
            ..plain(
                "get",
                EVENTS_PATH,
                "Query captured events (EPCIS SimpleEventQuery parameters), a page at a time",
                (200, "The events (EPCIS query document body)."),
            )
        },
        plain(
            "get",
            EVENT_PATH,
            "One captured event by eventID",
            (
                200,
                "The event with its canonical fields, the event in the JSON binding under `event` and, if it was captured as XML, its XML text under `capturedXml`.",
            ),
        ),
        plain(
            "get",
            EPCIS_SUMMARY_PATH,
            "Captured events by type and business step, and their time span",
            (200, "The summary."),
        ),
        Endpoint::list(
            CAPTURE_JOBS_PATH,
            "epcis",
            "Capture jobs, newest first",
            "docs/epcis.md",
            vec![],
        ),
        plain(
            "post",
            QUERIES_PATH,
            "Create a named query: its name and its EPCIS query parameters (those of GET /events but paging)",
            (201, "Created; Location: /queries/{queryName}."),
        ),
        plain(
            "get",
            QUERIES_PATH,
            "The named queries",
            (200, "The named queries, by name."),
        ),
        plain(
            "get",
            QUERY_PATH,
            "A named query",
            (200, "The named query."),
        ),
        plain(
            "delete",
            QUERY_PATH,
            "Delete a named query and its subscriptions",
            (204, "Deleted."),
        ),
        Endpoint {
            params: equitas_service::subscriptions::page_params(),
            ..plain(
                "get",
                QUERY_EVENTS_PATH,
                "The events a named query finds, a page at a time",
                (200, "The events, as GET /events answers them."),
            )
        },
        plain(
            "post",
            SUBSCRIPTIONS_PATH,
            "Subscribe to a named query: its events posted to a webhook (dest), signed with signatureToken (GS1-Signature: sha256=HMAC), as they are captured (stream: true) or on a schedule",
            (
                201,
                "Subscribed; Location: /queries/{queryName}/subscriptions/{subscriptionID}.",
            ),
        ),
        plain(
            "get",
            SUBSCRIPTIONS_PATH,
            "The subscriptions of a named query, with where their deliveries stand",
            (200, "The subscriptions."),
        ),
        plain(
            "get",
            SUBSCRIPTION_PATH,
            "A subscription, with where its deliveries stand",
            (200, "The subscription."),
        ),
        plain(
            "delete",
            SUBSCRIPTION_PATH,
            "Unsubscribe",
            (204, "Unsubscribed."),
        ),
    ]
}

/// The request and answer schemas of the named queries and subscriptions
/// (JSON bodies of their own, not EPCIS documents).
fn describe_queries(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    use equitas_store::epcis::subscriptions::{NamedQuery, Subscription};
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas/".into();
    let mut generator = settings.into_generator();
    let query = generator.subschema_for::<NamedQuery>().to_value();
    let sub = generator.subschema_for::<Subscription>().to_value();
    schemas.extend(generator.take_definitions(true));
    let field = |name: &str, min: u32, max: u32| {
        json!({"type": "string", "description": format!(
            "{name}: values from {min} to {max}: a number, a range [low-high], start/step, or *; comma-separated"
        )})
    };
    let schedule = json!({
        "type": "object",
        "additionalProperties": false,
        "minProperties": 1,
        "properties": {
            "second": field("second", 0, 59), "minute": field("minute", 0, 59),
            "hour": field("hour", 0, 23), "dayOfMonth": field("dayOfMonth", 1, 31),
            "month": field("month", 1, 12), "dayOfWeek": field("dayOfWeek", 1, 7)
        }
    });
    // Each parameter as the event query describes it; a list may also be
    // a JSON list of single values.
    let one = |p: &Param| match p.kind {
        Kind::ListOf(v) => json!({"type": "string", "enum": v}),
        Kind::Words(v) => json!({"type": "string", "pattern": format!(
            "^({}|[^,]*:[^,]*)$",
            v.iter().map(|x| regex_escape(x)).collect::<Vec<_>>().join("|")
        )}),
        _ => json!({"type": "string", "pattern": "^[^,]*[^,\\s][^,]*$"}),
    };
    let query_params: Map<String, Value> = equitas_service::subscriptions::stored_params()
        .iter()
        .map(|p| {
            let s = if p.kind.is_list() {
                json!({"oneOf": [schema(p), {"type": "array", "items": one(p)}]})
            } else {
                schema(p)
            };
            (p.name.to_string(), s)
        })
        .collect();
    let bodies = [
        (
            QUERIES_PATH,
            json!({
                "type": "object", "required": ["name"], "additionalProperties": false,
                "properties": {
                    "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,100}$"},
                    "query": {"type": "object", "additionalProperties": false, "properties": query_params}
                }
            }),
        ),
        (
            SUBSCRIPTIONS_PATH,
            json!({
                "type": "object", "required": ["dest"], "additionalProperties": false,
                "properties": {
                    "dest": {"type": "string", "format": "uri", "description": "An http or https URL deliveries are posted to."},
                    "signatureToken": {"type": "string", "minLength": 1, "maxLength": 1024},
                    "stream": {"type": "boolean"},
                    "schedule": schedule,
                    "reportIfEmpty": {"type": "boolean"},
                    "initialRecordTime": {"type": "string", "format": "date-time"}
                }
            }),
        ),
    ];
    for (path, body) in bodies {
        if let Some(op) = paths.get_mut(path).and_then(|p| p.get_mut("post")) {
            op["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": body}}});
        }
    }
    let answers = [
        (QUERIES_PATH, "post", "201", query.clone()),
        (
            QUERIES_PATH,
            "get",
            "200",
            json!({"type": "array", "items": query}),
        ),
        (QUERY_PATH, "get", "200", query),
        (SUBSCRIPTIONS_PATH, "post", "201", sub.clone()),
        (
            SUBSCRIPTIONS_PATH,
            "get",
            "200",
            json!({"type": "array", "items": sub}),
        ),
        (SUBSCRIPTION_PATH, "get", "200", sub),
    ];
    for (path, method, status, schema) in answers {
        if let Some(op) = paths.get_mut(path).and_then(|p| p.get_mut(method)) {
            op["responses"][status]["content"] = json!({"application/json": {"schema": schema}});
        }
    }
    for path in [QUERY_PATH, SUBSCRIPTION_PATH] {
        if let Some(r) = paths
            .get_mut(path)
            .and_then(|p| p.get_mut("delete"))
            .and_then(|op| op["responses"]["204"].as_object_mut())
        {
            r.remove("content");
        }
    }
}

/// Accounts: login, logout, the session, the audit log (docs/accounts.md).
fn accounts() -> Vec<Endpoint> {
    use crate::auth::{AUDIT_PATH, LOGIN_PATH, LOGOUT_PATH, SESSION_PATH};
    let plain = |method, path, summary, ok| Endpoint {
        tag: "accounts",
        doc: "docs/accounts.md",
        ..plain(method, path, summary, ok)
    };
    vec![
        plain(
            "post",
            LOGIN_PATH,
            "Log in with {\"user\", \"password\"}: a new session in an HttpOnly, SameSite=Strict cookie, and its CSRF token (send it as X-CSRF-Token with every write)",
            (200, "The user, its grants and the session's CSRF token."),
        ),
        plain(
            "post",
            LOGOUT_PATH,
            "End the session and clear its cookie",
            (204, "Logged out."),
        ),
        plain(
            "get",
            SESSION_PATH,
            "Who is logged in, with their grants and the session's CSRF token; mode `open` on a server without accounts",
            (200, "The session."),
        ),
        Endpoint {
            params: crate::imports::params(),
            ..plain(
                "post",
                IMPORT_PATH,
                "Import a CSV file (text/csv) of a kind `equitas import` takes (countries, locations, products, stock-reports...), in one transaction; callers with an unscoped import permission",
                (
                    200,
                    "What was read, written and rejected (line, field, reason).",
                ),
            )
        },
        plain(
            "get",
            crate::sso::SSO_PATH,
            "Whether this server offers single sign-on with an OpenID Connect provider, and the provider's name",
            (
                200,
                "{\"enabled\": true, \"label\", \"login\"} or {\"enabled\": false}.",
            ),
        ),
        plain(
            "get",
            crate::sso::SSO_LOGIN_PATH,
            "Single sign-on, for a browser: to the identity provider (authorisation code with PKCE), with a short-lived flow cookie; 404 without single sign-on",
            (303, "To the identity provider's authorisation endpoint."),
        ),
        plain(
            "get",
            crate::sso::SSO_CALLBACK_PATH,
            "Single sign-on, for a browser: the identity provider's answer (code, state); a session for the local user the provider's subject is linked to, else back to the login page with sso_error; 404 without single sign-on",
            (
                303,
                "To the dashboard with a session, or to its login page naming why the sign-in was refused.",
            ),
        ),
        Endpoint::list(
            AUDIT_PATH,
            "accounts",
            "The audit log, newest first (administrators): logins, failed logins, captures, role and token changes",
            "docs/accounts.md",
            vec![],
        ),
    ]
}

/// HL7 FHIR R5 (docs/interop.md): bodies and answers
/// `application/fhir+json`, errors OperationOutcomes ([`describe_fhir`]).
fn fhir() -> Vec<Endpoint> {
    let plain = |method, path, summary, ok| Endpoint {
        tag: "fhir",
        doc: "docs/interop.md",
        ..plain(method, path, summary, ok)
    };
    vec![
        plain(
            "post",
            FHIR_PATH,
            "Read a FHIR R5 Bundle: completed MedicationDispenses as dispensing, completed SupplyDeliveries as receipts, InventoryReports as counts or differences, Locations and Organizations into the facility registry, ConceptMaps of codes to GTINs into the stored product code mapping; products by GTIN or that mapping; one transaction per kind, a bad resource refuses the whole Bundle",
            (
                200,
                "An informational OperationOutcome: resources read, movement events captured, those already held, registry entries written.",
            ),
        ),
        plain(
            "post",
            FHIR_RESOURCE_PATH,
            "Read one FHIR R5 resource of the type the path names (as one entry of a Bundle)",
            (
                200,
                "An informational OperationOutcome: what was read and captured.",
            ),
        ),
        plain(
            "post",
            FHIR_INVENTORY_PATH,
            "Read one FHIR R5 InventoryReport: a snapshot as counts, a difference as consumption and receipts",
            (
                200,
                "An informational OperationOutcome: what was read and captured.",
            ),
        ),
        Endpoint {
            params: crate::fhir::inventory_params(),
            ..plain(
                "get",
                FHIR_INVENTORY_PATH,
                "Stock snapshots as FHIR R5 InventoryReports: one per place at or below a location holding stock at the end of a day (the stock on hand of GET /api/v1/stock)",
                (
                    200,
                    "A searchset Bundle of InventoryReports; none (a day before the first movement, a place without stock) is an empty searchset, total 0, with an OperationOutcome entry saying why.",
                ),
            )
        },
    ]
}

/// The FHIR routes' media type (`application/fhir+json`), their bodies and
/// answers, and their errors as OperationOutcomes (those refused before
/// the handler, 401, 403, 408, 413, 415 and 503, stay problem details).
fn describe_fhir(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    schemas.insert(
        "OperationOutcome".into(),
        json!({
            "type": "object",
            "description": "HL7 FHIR R5 OperationOutcome: each issue with its severity, code, diagnostics and the element at fault (a FHIRPath expression, or the query parameter).",
            "required": ["resourceType", "issue"],
            "properties": {
                "resourceType": {"const": "OperationOutcome"},
                "issue": {"type": "array", "minItems": 1, "items": {
                    "type": "object",
                    "required": ["severity", "code"],
                    "properties": {
                        "severity": {"enum": ["fatal", "error", "warning", "information"]},
                        "code": {"type": "string"},
                        "diagnostics": {"type": "string"},
                        "expression": {"type": "array", "items": {"type": "string"}}
                    }
                }}
            }
        }),
    );
    schemas.insert(
        "FhirBundle".into(),
        json!({
            "type": "object",
            "description": "HL7 FHIR R5 Bundle of InventoryReports (searchset); when none matches, an OperationOutcome entry (search mode `outcome`) says why.",
            "required": ["resourceType", "type", "entry"],
            "properties": {
                "resourceType": {"const": "Bundle"},
                "type": {"const": "searchset"},
                "total": {"type": "integer", "minimum": 0},
                "entry": {"type": "array", "items": {
                    "type": "object",
                    "required": ["resource"],
                    "properties": {
                        "resource": {
                            "type": "object",
                            "required": ["resourceType"],
                            "properties": {"resourceType": {"enum": ["InventoryReport", "OperationOutcome"]}}
                        },
                        "search": {
                            "type": "object",
                            "properties": {"mode": {"enum": ["match", "outcome"]}}
                        }
                    }
                }}
            }
        }),
    );
    let fhir = |schema: &str| json!({"application/fhir+json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}});
    let outcome = |what: &str| json!({"description": what, "content": fhir("OperationOutcome")});
    let resource = |kinds: Value| {
        json!({"required": true, "content": {"application/fhir+json": {"schema": {
            "type": "object",
            "required": ["resourceType"],
            "properties": {"resourceType": kinds}
        }}}})
    };
    for (path, method) in [
        (FHIR_PATH, "post"),
        (FHIR_RESOURCE_PATH, "post"),
        (FHIR_INVENTORY_PATH, "post"),
        (FHIR_INVENTORY_PATH, "get"),
    ] {
        let Some(op) = paths.get_mut(path).and_then(|p| p.get_mut(method)) else {
            continue;
        };
        let ok = if method == "get" {
            "FhirBundle"
        } else {
            "OperationOutcome"
        };
        op["responses"]["200"]["content"] = fhir(ok);
        // Outside the caller's scope (crate::fhir): an OperationOutcome
        // naming the element or parameter, beside the guard's problems.
        if let Some(c) = op["responses"]["403"]["content"].as_object_mut() {
            c.insert(
                "application/fhir+json".into(),
                json!({"schema": {"$ref": "#/components/schemas/OperationOutcome"}}),
            );
        }
        if method == "get" {
            op["responses"]["400"] = outcome(
                "A parameter is not valid (location missing, as_of not a date, a parameter this search does not take); `expression` names it.",
            );
            op["responses"]["404"] = outcome("No such location (code or GLN).");
            op["responses"]["409"] = outcome("No stock is loaded.");
            if let Some(ps) = op["parameters"].as_array_mut() {
                for p in ps.iter_mut().filter(|p| p["name"] == "location") {
                    p["required"] = json!(true);
                    // A blank value is no location (values are trimmed).
                    p["schema"]["minLength"] = json!(1);
                    p["schema"]["pattern"] = json!("\\S");
                }
            }
        } else {
            op["responses"]["400"] = outcome(
                "A resource is not read: one issue per bad element, `expression` its path (Bundle.entry[2].resource.quantity.value); nothing was written.",
            );
            if let Some(r) = op["responses"].as_object_mut() {
                // No other route's data is needed, and no resource is looked up.
                r.remove("404");
                r.remove("409");
            }
            op["requestBody"] = match path {
                FHIR_PATH => resource(json!({"const": "Bundle"})),
                FHIR_INVENTORY_PATH => resource(json!({"const": "InventoryReport"})),
                _ => resource(json!({"enum": FHIR_RESOURCES})),
            };
            if let Some(ps) = op["parameters"].as_array_mut() {
                for p in ps.iter_mut().filter(|p| p["name"] == "resource") {
                    p["schema"] = json!({"enum": FHIR_RESOURCES});
                }
            }
        }
    }
}

/// Every endpoint, in the order of the documentation.
pub fn endpoints() -> Vec<Endpoint> {
    let mut v = vec![status()];
    v.extend(equitas_service::operation_endpoints());
    v.extend(epcis());
    v.extend(fhir());
    v.extend(accounts());
    v
}

/// The parameters a client of the API may give (not the CLI's own).
fn api_params(e: &Endpoint) -> impl Iterator<Item = &Param> {
    e.params.iter().filter(|p| p.surface != Surface::Cli)
}

fn schema(p: &Param) -> Value {
    let mut s = match p.kind {
        // A blank text with a default is refused (it is not the default).
        Kind::Text if p.default.is_some() => json!({"type": "string", "pattern": "\\S"}),
        Kind::Text | Kind::List => json!({"type": "string"}),
        Kind::Range { min, max } => {
            // Checked with the same bounds (min,max as numbers): the pattern
            // says the form, minimum 1 and at most four digits.
            let one = if (min, max) == (1, 1000) {
                "([1-9][0-9]{0,2}|1000)".to_string()
            } else {
                "[0-9]{1,4}".to_string()
            };
            json!({"type": "string", "pattern": format!("^ *{one} *, *{one} *$")})
        }
        Kind::Words(v) => {
            // A word of the vocabulary, or a URI (anything with a colon).
            let one = format!(
                "({}|[^,]*:[^,]*)",
                v.iter()
                    .map(|x| regex_escape(x))
                    .collect::<Vec<_>>()
                    .join("|")
            );
            json!({"type": "string", "pattern": format!("^({one}(,{one})*)?$")})
        }
        Kind::ListOf(v) => {
            let one = format!(
                "({})",
                v.iter()
                    .map(|x| regex_escape(x))
                    .collect::<Vec<_>>()
                    .join("|")
            );
            json!({"type": "string", "pattern": format!("^({one}(,{one})*)?$")})
        }
        Kind::Numbers => {
            json!({"type": "string", "pattern": "^([0-9]{1,4}(\\.[0-9]{1,3})?(,[0-9]{1,4}(\\.[0-9]{1,3})?)*)?$"})
        }
        Kind::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Kind::Number {
            min,
            max,
            exclusive: true,
        } => json!({"type": "number", "exclusiveMinimum": min, "maximum": max}),
        Kind::Number {
            min,
            max,
            exclusive: false,
        } => json!({"type": "number", "minimum": min, "maximum": max}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Date => json!({"type": "string", "format": "date"}),
        // A month, or a date (a day of the month it does not have is
        // refused by the check, which a pattern cannot say).
        Kind::Month | Kind::Day => json!({
            "type": "string",
            "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$"
        }),
        Kind::DateTime => json!({"type": "string", "format": "date-time"}),
        Kind::OneOf(v) => json!({"type": "string", "enum": v}),
    };
    if let (Some(d), Some(m)) = (p.default, s.as_object_mut()) {
        let v = match p.kind {
            Kind::Int { .. } => d.parse::<i64>().map(Value::from).unwrap_or(json!(d)),
            Kind::Number { .. } => d.parse::<f64>().map(Value::from).unwrap_or(json!(d)),
            Kind::Bool => json!(d == "true"),
            _ => json!(d),
        };
        m.insert("default".into(), v);
    }
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ',' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

fn problem_response(what: &str) -> Value {
    json!({"description": what, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

/// The OpenAPI 3.1 document.
pub fn openapi() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    // The rows of each operation, described by their types (JSON Schema
    // 2020-12, OpenAPI 3.1's dialect), under components/schemas.
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas/".into();
    let mut generator = settings.into_generator();
    let rows: std::collections::HashMap<&str, Value> = equitas_service::described()
        .into_iter()
        .map(|(e, row)| (e.path, row(&mut generator).to_value()))
        .collect();
    let mut schemas: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    for e in &endpoints() {
        let mut params: Vec<Value> = api_params(e)
            .map(|p| {
                let mut d = p.help();
                if p.kind.is_list() {
                    d.push_str(" Comma-separated.");
                }
                json!({"name": p.name, "in": "query", "required": false, "description": d, "schema": schema(p)})
            })
            .collect();
        for seg in e.path.split('/').filter(|s| s.starts_with('{')) {
            let name = seg.trim_matches(|c| c == '{' || c == '}');
            let mut param =
                json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}});
            if e.path == IMPORT_PATH {
                param["description"] = json!(format!(
                    "The kind of file, as `equitas import --help` lists them with their columns: {}.",
                    equitas_store::import::ImportKind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            params.push(param);
        }
        let ok_schema = if let Some(row) = rows.get(e.path) {
            json!({"allOf": [
                {"$ref": "#/components/schemas/Page"},
                {"type": "object", "properties": {"rows": {"type": "array", "items": row}}}
            ]})
        } else if e.list {
            json!({"$ref": "#/components/schemas/Page"})
        } else {
            json!({"type": "object"})
        };
        let ok_content = json!({"application/json": {"schema": ok_schema}});
        let ok = if matches!(e.ok.0, 204 | 303) {
            json!({"description": e.ok.1})
        } else {
            json!({"description": e.ok.1, "content": ok_content})
        };
        let mut responses = json!({
            e.ok.0.to_string(): ok,
            "400": problem_response("A parameter or the body is not valid; `parameter` names it."),
            "404": problem_response("Not found."),
            "409": problem_response("The data this needs is not loaded (`/problems/missing-data`), or do not cover a value asked for, such as an as-of month after the last complete one (`/problems/outside-data`, naming the `parameter`)."),
            "500": problem_response("Internal error."),
        });
        // Refused before any handler (guard, auth): a host not served, a
        // write from another site or without its CSRF token, a permission
        // the caller's roles do not give, an answer outside its scope.
        responses["403"] = problem_response(
            "Refused: a Host this server does not serve, a write from another site (Origin) or with a session cookie but without X-CSRF-Token, a permission the caller's roles do not give, or what lies outside the caller's scope.",
        );
        let public = crate::auth::need(
            &e.method
                .to_uppercase()
                .parse()
                .unwrap_or(axum::http::Method::GET),
            e.path,
        ) == crate::auth::Need::Public;
        if !public {
            responses["401"] = problem_response(
                "Authentication required (a server with accounts): no, an unknown, a revoked or an expired token or session.",
            );
        }
        if e.path == crate::auth::LOGIN_PATH {
            responses["401"] = problem_response("Wrong user name or password.");
            responses["409"] = problem_response("This server has no accounts: no login is needed.");
            responses["429"] = problem_response(
                "Too many failed logins for the account or from the address; Retry-After says when to try again.",
            );
        }
        if e.method == "get" {
            responses["503"] = problem_response(
                "The answer took longer than the server's request timeout; Retry-After says when to try again.",
            );
        }
        if e.body {
            responses["408"] = problem_response("A part of the body did not arrive in time.");
            responses["413"] = problem_response(
                "The body, or the number of events in it, is larger than the server takes.",
            );
            if e.path == IMPORT_PATH {
                responses["422"] = problem_response(
                    "Rows of the file were rejected and nothing was imported: every row, any row of a strict import, or any row of a list replaced whole (pipeline, lead-times) (`/problems/rejected-rows`; `rejected` lists each row's line, field and reason).",
                );
            }
            responses["415"] = problem_response(if e.path == IMPORT_PATH {
                "The body is not declared text/csv."
            } else if e.tag == "fhir" {
                "The body is not declared JSON (application/fhir+json, or application/json)."
            } else {
                "The body is not declared JSON (application/json, application/ld+json) or XML."
            });
            responses["503"] = problem_response(
                "Other writes held the database longer than a write waits; Retry-After says when to try again.",
            );
        }
        if e.tag == "epcis" && e.method == "get" && e.path == EVENTS_PATH {
            responses["200"]["content"] = json!({"application/json": {"schema": {"type": "object"}}, "application/ld+json": {"schema": {"type": "object"}}});
        }
        let mut op = json!({
            "tags": [e.tag],
            "summary": e.summary,
            "operationId": format!("{}{}", e.method, e.path.replace(['/', '{', '}'], "_")),
            "parameters": params,
            "responses": responses,
        });
        if !e.doc.is_empty() {
            op["description"] = json!(format!("Definitions: {}.", e.doc));
        }
        if public {
            op["security"] = json!([]);
        }
        if e.path == IMPORT_PATH {
            op["requestBody"] =
                json!({"required": true, "content": {"text/csv": {"schema": {"type": "string"}}}});
        } else if e.body {
            op["requestBody"] = json!({"required": true, "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/ld+json": {"schema": {"type": "object"}},
                "application/xml": {"schema": {"type": "string"}}
            }});
        }
        paths
            .entry(e.path.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|m| m.insert(e.method.to_string(), op));
    }
    describe_queries(&mut paths, &mut schemas);
    describe_fhir(&mut paths, &mut schemas);
    schemas.insert(
        "Page".into(),
        json!({
            "type": "object",
            "description": "A page of a list: `rows` from `offset`, at most `limit` of them, of `total` in all, with what is behind them (`method`, and the period, day or observations the operation states).",
            "required": ["total", "offset", "limit", "rows"],
            "properties": {
                "total": {"type": "integer", "minimum": 0},
                "offset": {"type": "integer", "minimum": 0},
                "limit": {"type": "integer", "minimum": 1},
                "rows": {"type": "array"},
                "method": {"type": "string"},
                "notes": {"type": "array", "items": {"type": "string"}},
                "period": {
                    "type": ["object", "string"],
                    "description": "The delivery dates spanned, {from, to} (market, supply and scenario answers), or the months forecast, \"2026-11 to 2027-04\" (forecasts and plans).",
                    "properties": {
                        "from": {"type": ["string", "null"]},
                        "to": {"type": ["string", "null"]}
                    }
                },
                "observations": {"type": "integer", "minimum": 0, "description": "How many observations are behind the answer."},
                "observed": {"type": "string", "description": "What the observations are, in the plural: procurement lines, authorisations, prequalified products, regulatory pathways, licences."},
                "as_of": {"type": "string", "description": "The day the stock figures are for."},
                "movements": {"type": "integer", "minimum": 0, "description": "The movements behind the stock ledger."},
                "on": {"type": "string", "description": "The day registers are read on."}
            }
        }),
    );
    schemas.insert(
        "Problem".into(),
        json!({
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "parameter": {"type": "string"},
                "rejected": {
                    "type": "array",
                    "description": "The rows of an imported file refused (an import answered 422).",
                    "items": {
                        "type": "object",
                        "required": ["line", "reason"],
                        "properties": {
                            "line": {"type": "integer"},
                            "field": {"type": ["string", "null"]},
                            "reason": {"type": "string"}
                        }
                    }
                }
            }
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Equitas API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Availability, affordability and security of supply of essential health products. Every figure is defined in docs/formulas.md. Errors are RFC 9457 problem details naming the parameter at fault; lists are paginated with offset and limit.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "paths": paths,
        // Either scheme on a server with accounts; none on one without
        // (`equitas serve` on loopback with no user): hence the empty one.
        "security": [{"bearerToken": []}, {"sessionCookie": []}, {}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (`equitas tokens create --user NAME`), as `Authorization: Bearer eqt_...`."
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": crate::auth::COOKIE,
                    "description": "The session cookie set by POST /api/v1/login (HttpOnly, SameSite=Strict; Secure behind TLS). Writes with it also send the session's CSRF token as X-CSRF-Token."
                }
            }
        }
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A browsable page: every endpoint with its parameters.
pub fn html() -> String {
    let mut s = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Equitas API</title>\
         <style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
         code{background:#f3f3f3;padding:0 .2rem}h2{margin-top:2rem;border-bottom:1px solid #ccc}\
         table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.25rem;text-align:left;vertical-align:top}\
         .m{font-weight:bold;text-transform:uppercase}</style></head><body>\
         <p><a href=\"/\">Equitas dashboard</a></p><h1>Equitas API</h1><p>JSON over HTTP. Errors are RFC 9457 problem details naming the parameter at fault; \
         lists are paginated with <code>offset</code> and <code>limit</code>. The machine-readable description is \
         <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1). Every figure is defined in docs/formulas.md.</p>",
    );
    let mut tag = "";
    for e in &endpoints() {
        if e.tag != tag {
            tag = e.tag;
            s.push_str(&format!("<h2>{}</h2>", esc(tag)));
        }
        let example = if e.method == "get" && !e.path.contains('{') {
            format!(" <a href=\"{0}\">try</a>", e.path)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "<h3><span class=\"m\">{}</span> <code>{}</code>{example}</h3><p>{}{}</p>",
            e.method,
            esc(e.path),
            esc(e.summary),
            if e.doc.is_empty() {
                String::new()
            } else {
                format!(" ({})", esc(e.doc))
            }
        ));
        if api_params(e).next().is_some() {
            s.push_str("<table><tr><th>parameter</th><th>values</th><th>meaning</th></tr>");
            for p in api_params(e) {
                let ty = if p.kind.is_list() {
                    format!("{} (comma-separated)", p.kind.describe())
                } else {
                    p.kind.describe()
                };
                s.push_str(&format!(
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                    esc(p.name),
                    esc(&ty),
                    esc(&p.help())
                ));
            }
            s.push_str("</table>");
        }
    }
    s.push_str("</body></html>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_documented_once_with_distinct_parameters() {
        let mut seen = std::collections::HashSet::new();
        for e in &endpoints() {
            assert!(
                seen.insert((e.method, e.path)),
                "{} {} twice",
                e.method,
                e.path
            );
            let mut names = e.names();
            names.sort_unstable();
            let n = names.len();
            names.dedup();
            assert_eq!(n, names.len(), "{} has a parameter twice", e.path);
            assert!(
                e.params
                    .iter()
                    .all(|p| !p.name.is_empty() && !p.doc.is_empty()),
                "{}",
                e.path
            );
        }
        let doc = openapi();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["paths"]["/api/v1/market/prices"]["get"]["parameters"]
                .as_array()
                .unwrap()
                .len(),
            8
        );
        assert!(html().contains("/api/v1/risk"));
    }

    #[test]
    fn a_month_is_described_as_it_is_checked() {
        let p = Param::new("as_of", Kind::Month, "Month.");
        let v = jsonschema::validator_for(&schema(&p)).unwrap();
        // The pattern describes the shape; the check also refuses a day the
        // month does not have (2026-02-30), which a pattern cannot say.
        for s in [
            "2026-01",
            "2026-12",
            "2026-03-31",
            "2026-13",
            "2026-00",
            "2026-1",
            "26-01",
            "2026-01-32",
            "2026-01-1",
            "March",
            "",
        ] {
            assert_eq!(v.is_valid(&json!(s)), Kind::Month.check(s).is_ok(), "{s:?}");
            assert_eq!(v.is_valid(&json!(s)), Kind::Day.check(s).is_ok(), "{s:?}");
        }
    }
}
