//! The API's description: one table of endpoints and their parameters,
//! from which the handlers check the parameters they accept and the server
//! builds the OpenAPI 3.1 document (`/openapi.json`) and a browsable page
//! (`/api/docs`, plain HTML: no scripts, nothing fetched from elsewhere).

use serde_json::{Map, Value, json};

/// How a parameter's value is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ty {
    Text,
    /// Comma-separated values.
    List,
    /// Comma-separated values from a fixed set.
    ListOf(&'static [&'static str]),
    /// Comma-separated numbers from 0 to 9999.
    Numbers,
    Int {
        min: i64,
        max: i64,
    },
    /// A number above `min` (or at least `min` if not `exclusive`).
    Number {
        min: f64,
        exclusive: bool,
    },
    Bool,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339.
    DateTime,
    /// One of a fixed set.
    OneOf(&'static [&'static str]),
}

const COUNT: Ty = Ty::Int {
    min: 0,
    max: i32::MAX as i64,
};
const AMOUNT: Ty = Ty::Number {
    min: 0.0,
    exclusive: false,
};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub ty: Ty,
    pub doc: &'static str,
}

const fn p(name: &'static str, ty: Ty, doc: &'static str) -> Param {
    Param { name, ty, doc }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Endpoint {
    pub method: &'static str,
    /// OpenAPI path (`{name}` for path parameters).
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    /// docs/formulas.md sections or other references.
    pub doc: &'static str,
    pub params: &'static [Param],
    /// The success status and what it returns.
    pub ok: (u16, &'static str),
    /// Takes an EPCIS document or event as body.
    pub body: bool,
}

impl Endpoint {
    pub fn names(&self) -> Vec<&'static str> {
        self.params.iter().map(|p| p.name).collect()
    }
}

const LEVELS: &[&str] = &["country", "region", "district", "facility", "warehouse"];
const METHODS: &[&str] = &[
    "auto",
    "naive",
    "seasonal_naive",
    "moving_average",
    "ses",
    "holt",
    "damped_holt",
    "holt_winters",
    "theta",
    "croston",
    "croston_sba",
    "croston_optimized",
    "tsb",
    "adida",
    "imapa",
];

const DIMS: &[&str] = &[
    "product",
    "supplier",
    "country",
    "site",
    "site-country",
    "mode",
    "year",
];
const STATUSES: &[&str] = &[
    "stocked_out",
    "below_min",
    "adequate",
    "above_max",
    "no_consumption",
];
const OFFSET: Param = p("offset", COUNT, "Rows to skip (default 0).");
const LIMIT: Param = p(
    "limit",
    Ty::Int { min: 1, max: 1000 },
    "Rows to return, 1 to 1000 (default 100).",
);
const PRODUCT: Param = p(
    "product",
    Ty::List,
    "Product codes (`GET /api/v1/market/products` lists them).",
);
const PROGRAMME: Param = p(
    "programme",
    Ty::Text,
    "Health programme: hiv, malaria, tb, immunisation...",
);
const COUNTRY: Param = p("country", Ty::List, "Buyer countries, ISO 3166 alpha-3.");
const FROM: Param = p("from", Ty::Date, "Delivered on or after this date.");
const TO: Param = p("to", Ty::Date, "Delivered on or before this date.");
const ITEM: Param = p("item", Ty::List, "Items: GTIN-14 or product code.");
const WITHIN: Param = p(
    "within",
    Ty::Text,
    "Only this location (code) and those below it.",
);
const AS_OF: Param = p(
    "as_of",
    Ty::Date,
    "Stock at the end of this day (default: the last day with data).",
);
const LEVEL: Param = p(
    "level",
    Ty::OneOf(LEVELS),
    "Places of this level; areas add up the locations in them.",
);
const HISTORY: Param = p(
    "history",
    Ty::Int { min: 1, max: 240 },
    "Months of history used, 1 to 240 (default 36).",
);
const HORIZON: Param = p(
    "horizon",
    Ty::Int { min: 1, max: 60 },
    "Months ahead, 1 to 60.",
);
const METHOD: Param = p(
    "method",
    Ty::OneOf(METHODS),
    "Forecasting method, or auto (rolling-origin choice).",
);
const LEAD: Param = p(
    "lead_time",
    Ty::Int { min: 0, max: 60 },
    "Months from order to receipt (default 4).",
);
const MIN: Param = p(
    "min",
    AMOUNT,
    "Minimum months of stock (default: the tier's band).",
);
const MAX: Param = p(
    "max",
    AMOUNT,
    "Maximum months of stock (default: the tier's band).",
);
const PRICE: Param = p(
    "unit_price",
    AMOUNT,
    "Price per unit, for the cost of orders.",
);

const MARKET: [Param; 7] = [PRODUCT, PROGRAMME, COUNTRY, FROM, TO, OFFSET, LIMIT];
const QUANTIFY: [Param; 11] = [
    LEVEL, ITEM, HISTORY, HORIZON, METHOD, LEAD, MIN, MAX, PRICE, OFFSET, LIMIT,
];

const LIST: (u16, &str) = (
    200,
    "A page of rows with the method behind them, the total and the paging.",
);

pub const STATUS: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/status",
    tag: "status",
    summary: "The database, its schema version and what it holds",
    doc: "",
    params: &[],
    ok: (200, "The overview."),
    body: false,
};
pub const PRODUCTS: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/market/products",
    tag: "market",
    summary: "Products with procurement lines",
    doc: "docs/formulas.md 2",
    params: &MARKET,
    ok: LIST,
    body: false,
};
pub const PRICES: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/market/prices",
    tag: "market",
    summary: "Unit prices per comparison unit: quartiles, range, volume-weighted price",
    doc: "docs/formulas.md 2.4-2.5",
    params: &[
        p(
            "by",
            Ty::ListOf(DIMS),
            "Dimensions: product, supplier, country, site, site-country, mode, year.",
        ),
        PRODUCT,
        PROGRAMME,
        COUNTRY,
        FROM,
        TO,
        OFFSET,
        LIMIT,
    ],
    ok: LIST,
    body: false,
};
pub const MPR: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/market/mpr",
    tag: "market",
    summary: "WHO/HAI median price ratios",
    doc: "docs/formulas.md 2.6",
    params: &[
        p(
            "by_country",
            Ty::Bool,
            "One ratio per product and buyer country.",
        ),
        p(
            "min_observations",
            COUNT,
            "Fewest prices for a median (default 4).",
        ),
        p(
            "exchange_rate",
            Ty::Number {
                min: 0.0,
                exclusive: true,
            },
            "Local currency units per US$ (default 1).",
        ),
        p(
            "reference_source",
            Ty::Text,
            "Reference prices of this source only.",
        ),
        PRODUCT,
        PROGRAMME,
        COUNTRY,
        FROM,
        TO,
        OFFSET,
        LIMIT,
    ],
    ok: LIST,
    body: false,
};
pub const AFFORDABILITY: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/market/affordability",
    tag: "market",
    summary: "Affordability in days' wages of a standard treatment course",
    doc: "docs/formulas.md 2.7",
    params: &MARKET,
    ok: LIST,
    body: false,
};
pub const CONCENTRATION: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/market/concentration",
    tag: "market",
    summary: "Supplier concentration: HHI, effective number, single-source flags",
    doc: "docs/formulas.md 2.2, 2.8",
    params: &[
        p(
            "per",
            Ty::ListOf(DIMS),
            "Groups: any dimension of prices (default product).",
        ),
        p(
            "by",
            Ty::OneOf(&["supplier", "site", "site-country"]),
            "Shares by supplier, site or site-country.",
        ),
        p(
            "weight",
            Ty::OneOf(&["value", "quantity"]),
            "Shares of value or of quantity.",
        ),
        p(
            "bands",
            Ty::Numbers,
            "HHI thresholds between bands (default 1000,1800).",
        ),
        PRODUCT,
        PROGRAMME,
        COUNTRY,
        FROM,
        TO,
        OFFSET,
        LIMIT,
    ],
    ok: LIST,
    body: false,
};
pub const DELIVERY: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/market/delivery",
    tag: "market",
    summary: "Lead times, delays and on-time delivery",
    doc: "docs/formulas.md 2.9",
    params: &[
        p("by", Ty::ListOf(DIMS), "Dimensions, as for prices."),
        p("tolerance", COUNT, "Days late still on time (default 0)."),
        PRODUCT,
        PROGRAMME,
        COUNTRY,
        FROM,
        TO,
        OFFSET,
        LIMIT,
    ],
    ok: LIST,
    body: false,
};
pub const SOURCES: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/market/sources",
    tag: "market",
    summary: "Legal sources: marketing authorisations and WHO prequalification",
    doc: "",
    params: &[
        p("country", Ty::Text, "ISO 3166 alpha-3."),
        p("on", Ty::Date, "Valid on this date."),
        OFFSET,
        LIMIT,
    ],
    ok: LIST,
    body: false,
};
pub const STOCK: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/stock",
    tag: "stock",
    summary: "Stock on hand, AMC, months of stock, status, stockout days and expiry risk",
    doc: "docs/formulas.md 3.2-3.8",
    params: &[
        AS_OF,
        LEVEL,
        WITHIN,
        ITEM,
        p(
            "status",
            Ty::ListOf(STATUSES),
            "Statuses: stocked_out, below_min, adequate, above_max, no_consumption.",
        ),
        p(
            "window",
            Ty::Int { min: 1, max: 24 },
            "Complete months averaged for the AMC, 1 to 24 (default 3).",
        ),
        p(
            "horizon",
            Ty::Int { min: 0, max: 60 },
            "Expiry horizon in months, 0 to 60 (default 3).",
        ),
        OFFSET,
        LIMIT,
    ],
    ok: LIST,
    body: false,
};
pub const STOCK_LOTS: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/stock/lots",
    tag: "stock",
    summary: "Lots on hand with their expiry, first expiry first",
    doc: "docs/formulas.md 3.2, 3.8",
    params: &[
        WITHIN,
        ITEM,
        AS_OF,
        p(
            "expiring",
            Ty::Int { min: 0, max: 600 },
            "Only lots expiring within this many months.",
        ),
        OFFSET,
        LIMIT,
    ],
    ok: LIST,
    body: false,
};
pub const STOCK_PROBLEMS: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/stock/problems",
    tag: "stock",
    summary: "Data problems in the ledger, with the events involved",
    doc: "docs/formulas.md 3.10",
    params: &[WITHIN, OFFSET, LIMIT],
    ok: LIST,
    body: false,
};
pub const COUNTRIES: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/countries",
    tag: "status",
    summary: "Countries: ISO 3166 codes, names in English and French, WHO region, income group",
    doc: "",
    params: &[OFFSET, LIMIT],
    ok: LIST,
    body: false,
};
pub const ITEMS: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/items",
    tag: "stock",
    summary: "Items of the stock ledger with their product, name and programme",
    doc: "",
    params: &[
        p(
            "programme",
            Ty::Text,
            "Only items of this programme (hiv, tb, malaria...).",
        ),
        OFFSET,
        LIMIT,
    ],
    ok: LIST,
    body: false,
};
pub const LOCATIONS: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/locations",
    tag: "stock",
    summary: "Locations of the hierarchy and of the ledger, with their parents",
    doc: "",
    params: &[WITHIN, LEVEL, OFFSET, LIMIT],
    ok: LIST,
    body: false,
};
pub const AVAILABILITY: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/availability",
    tag: "stock",
    summary: "Share of facilities with each item (or a basket) in stock, by area",
    doc: "docs/formulas.md 3.9",
    params: &[
        p(
            "by",
            Ty::OneOf(LEVELS),
            "Group facilities by this level (default country).",
        ),
        ITEM,
        p(
            "basket",
            Ty::Bool,
            "One availability for the items together (WHO SARA mean).",
        ),
        p(
            "date",
            Ty::Date,
            "The date (default: the last day with data).",
        ),
        p(
            "months",
            Ty::Int { min: 0, max: 120 },
            "A trend of N months: N dates ending at the date, the last day of each of the N-1 months before it then the date (default 1).",
        ),
        OFFSET,
        LIMIT,
    ],
    ok: LIST,
    body: false,
};
pub const FORECAST: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/forecast",
    tag: "planning",
    summary: "Demand forecasts with intervals and the reason for the method",
    doc: "docs/formulas.md 4.1-4.5",
    params: &QUANTIFY,
    ok: LIST,
    body: false,
};
pub const PLAN: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/plan",
    tag: "planning",
    summary: "Supply plans: projected stock and suggested orders",
    doc: "docs/formulas.md 4.7",
    params: &QUANTIFY,
    ok: LIST,
    body: false,
};
pub const RISK: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/risk",
    tag: "planning",
    summary: "Probability of a stockout in each month, highest risk first",
    doc: "docs/formulas.md 4.8",
    params: &[
        p(
            "paths",
            Ty::Int {
                min: 1,
                max: 10_000,
            },
            "Monte Carlo paths, 1 to 10000 (default 1000); more from the CLI.",
        ),
        p("seed", COUNT, "Random seed (default 1)."),
        p(
            "without_orders",
            Ty::Bool,
            "Leave out the suggested orders.",
        ),
        LEVEL,
        ITEM,
        HISTORY,
        HORIZON,
        METHOD,
        LEAD,
        MIN,
        MAX,
        PRICE,
        OFFSET,
        LIMIT,
    ],
    ok: LIST,
    body: false,
};
pub const CAPTURE: Endpoint = Endpoint {
    method: "post",
    path: "/capture",
    tag: "epcis",
    summary: "Capture an EPCIS 2.0 document (JSON/JSON-LD or XML); header GS1-Capture-Error-Behaviour: rollback (default) or proceed",
    doc: "docs/epcis.md",
    params: &[],
    ok: (202, "Accepted; Location: /capture/{id}."),
    body: true,
};
pub const CAPTURE_JOB: Endpoint = Endpoint {
    method: "get",
    path: "/capture/{id}",
    tag: "epcis",
    summary: "A capture job: events, captured, duplicates, rejected",
    doc: "docs/epcis.md",
    params: &[],
    ok: (200, "The capture job."),
    body: false,
};
pub const EVENT_CAPTURE: Endpoint = Endpoint {
    method: "post",
    path: "/events",
    tag: "epcis",
    summary: "Capture one EPCIS event",
    doc: "docs/epcis.md",
    params: &[],
    ok: (201, "Captured; Location: /events/{eventID}."),
    body: true,
};
pub const EVENTS: Endpoint = Endpoint {
    method: "get",
    path: "/events",
    tag: "epcis",
    summary: "Query captured events (EPCIS SimpleEventQuery parameters), a page at a time",
    doc: "docs/epcis.md",
    params: &[
        p(
            "eventType",
            Ty::ListOf(&[
                "ObjectEvent",
                "AggregationEvent",
                "TransactionEvent",
                "TransformationEvent",
                "AssociationEvent",
            ]),
            "ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent.",
        ),
        p(
            "EQ_bizStep",
            Ty::List,
            "Business steps: bare word, URN or web URI.",
        ),
        p("EQ_disposition", Ty::List, "Dispositions."),
        p(
            "EQ_bizLocation",
            Ty::List,
            "Business locations: SGLN URN, GLN or Digital Link.",
        ),
        p(
            "WD_bizLocation",
            Ty::List,
            "A location or any below it in the hierarchy.",
        ),
        p("MATCH_anyEPC", Ty::List, "EPCs in any list of the event."),
        p(
            "MATCH_anyEPCClass",
            Ty::List,
            "EPC classes in any quantity list.",
        ),
        p(
            "GE_eventTime",
            Ty::DateTime,
            "Events at or after this time (RFC 3339).",
        ),
        p(
            "LT_eventTime",
            Ty::DateTime,
            "Events before this time (RFC 3339).",
        ),
        p(
            "perPage",
            Ty::Int { min: 1, max: 1000 },
            "Events per page, 1 to 1000 (default 100).",
        ),
        p(
            "nextPageToken",
            Ty::Int {
                min: 0,
                max: i64::MAX,
            },
            "The token of the previous page's Link header.",
        ),
    ],
    ok: (200, "The events (EPCIS query document body)."),
    body: false,
};
pub const EPCIS_SUMMARY: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/epcis/summary",
    tag: "epcis",
    summary: "Captured events by type and business step, and their time span",
    doc: "docs/epcis.md",
    params: &[],
    ok: (200, "The summary."),
    body: false,
};
pub const CAPTURE_JOBS: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/epcis/captures",
    tag: "epcis",
    summary: "Capture jobs, newest first",
    doc: "docs/epcis.md",
    params: &[OFFSET, LIMIT],
    ok: LIST,
    body: false,
};
pub const EVENT: Endpoint = Endpoint {
    method: "get",
    path: "/events/{eventID}",
    tag: "epcis",
    summary: "One captured event by eventID",
    doc: "docs/epcis.md",
    params: &[],
    ok: (
        200,
        "The event with its canonical fields, the event in the JSON binding under `event` and, if it was captured as XML, its XML text under `capturedXml`.",
    ),
    body: false,
};

/// Every endpoint, in the order of the documentation.
pub const ENDPOINTS: &[Endpoint] = &[
    STATUS,
    COUNTRIES,
    PRODUCTS,
    PRICES,
    MPR,
    AFFORDABILITY,
    CONCENTRATION,
    DELIVERY,
    SOURCES,
    STOCK,
    STOCK_LOTS,
    STOCK_PROBLEMS,
    ITEMS,
    LOCATIONS,
    AVAILABILITY,
    FORECAST,
    PLAN,
    RISK,
    CAPTURE,
    CAPTURE_JOB,
    EVENT_CAPTURE,
    EVENTS,
    EVENT,
    EPCIS_SUMMARY,
    CAPTURE_JOBS,
];

/// Checks the query of a request against the endpoint's description:
/// no parameter it does not document, and each value of its documented
/// type and range. The error names the parameter.
pub fn check(p: &crate::params::Params, e: &Endpoint) -> Result<(), crate::Problem> {
    p.only(&e.names())?;
    for param in e.params {
        let Some(v) = p.0.get(param.name).map(String::as_str) else {
            continue;
        };
        let bad = |why: String| {
            Err(crate::Problem::bad_parameter(
                param.name,
                format!("{}={v:?}: {why}", param.name),
            ))
        };
        match param.ty {
            Ty::Text | Ty::List => {}
            Ty::Int { min, max } => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => {}
                _ => return bad(format!("expected an integer from {min} to {max}")),
            },
            Ty::Number { min, exclusive } => match v.parse::<f64>() {
                Ok(x)
                    if x.is_finite()
                        && x <= 1e12
                        && (if exclusive { x > min } else { x >= min }) => {}
                _ => {
                    return bad(format!(
                        "expected a number {} {min}",
                        if exclusive { "above" } else { "of at least" }
                    ));
                }
            },
            Ty::Bool => {
                if !matches!(v, "true" | "false") {
                    return bad("expected true or false".into());
                }
            }
            Ty::Date => {
                if chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
                    return bad("expected a date YYYY-MM-DD".into());
                }
            }
            Ty::DateTime => {
                if chrono::DateTime::parse_from_rfc3339(v).is_err() {
                    return bad("expected an RFC 3339 date and time".into());
                }
            }
            Ty::OneOf(set) => {
                if !set.contains(&v) {
                    return bad(format!("expected one of {}", set.join(", ")));
                }
            }
            Ty::ListOf(set) => {
                if let Some(x) = v.split(',').find(|x| !set.contains(x)) {
                    if v.is_empty() {
                        continue;
                    }
                    return bad(format!("{x:?} is not one of {}", set.join(", ")));
                }
            }
            Ty::Numbers => {
                let number = |x: &str| {
                    let (int, frac) = x.split_once('.').unwrap_or((x, "0"));
                    (1..=4).contains(&int.len())
                        && (1..=3).contains(&frac.len())
                        && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
                };
                let ok = v.is_empty() || v.split(',').all(number);
                if !ok {
                    return bad("expected comma-separated numbers from 0 to 9999".into());
                }
            }
        }
    }
    Ok(())
}

fn schema(ty: Ty) -> Value {
    match ty {
        Ty::Text | Ty::List => json!({"type": "string"}),
        Ty::ListOf(v) => {
            let one = format!(
                "({})",
                v.iter()
                    .map(|x| regex_escape(x))
                    .collect::<Vec<_>>()
                    .join("|")
            );
            json!({"type": "string", "pattern": format!("^({one}(,{one})*)?$")})
        }
        Ty::Numbers => {
            json!({"type": "string", "pattern": "^([0-9]{1,4}(\\.[0-9]{1,3})?(,[0-9]{1,4}(\\.[0-9]{1,3})?)*)?$"})
        }
        Ty::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Ty::Number {
            min,
            exclusive: true,
        } => json!({"type": "number", "exclusiveMinimum": min, "maximum": 1e12}),
        Ty::Number {
            min,
            exclusive: false,
        } => json!({"type": "number", "minimum": min, "maximum": 1e12}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Date => json!({"type": "string", "format": "date"}),
        Ty::DateTime => json!({"type": "string", "format": "date-time"}),
        Ty::OneOf(v) => json!({"type": "string", "enum": v}),
    }
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
    for e in ENDPOINTS {
        let mut params: Vec<Value> = e
            .params
            .iter()
            .map(|p| {
                let mut d = p.doc.to_string();
                if p.ty == Ty::List {
                    d.push_str(" Comma-separated.");
                }
                json!({"name": p.name, "in": "query", "required": false, "description": d, "schema": schema(p.ty)})
            })
            .collect();
        for seg in e.path.split('/').filter(|s| s.starts_with('{')) {
            let name = seg.trim_matches(|c| c == '{' || c == '}');
            params.push(
                json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}),
            );
        }
        let ok_schema = if e.ok == LIST {
            json!({"$ref": "#/components/schemas/Page"})
        } else {
            json!({"type": "object"})
        };
        let ok_content = json!({"application/json": {"schema": ok_schema}});
        let mut responses = json!({
            e.ok.0.to_string(): {"description": e.ok.1, "content": ok_content},
            "400": problem_response("A parameter or the body is not valid; `parameter` names it."),
            "404": problem_response("Not found."),
            "409": problem_response("The data this needs is not loaded."),
            "500": problem_response("Internal error."),
        });
        // Refused before any handler (guard): a host not served, a write from another site.
        responses["403"] = problem_response(
            "Refused: a Host this server does not serve, or a write from another site (Origin).",
        );
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
            responses["415"] = problem_response(
                "The body is not declared JSON (application/json, application/ld+json) or XML.",
            );
            responses["503"] = problem_response(
                "Other writes held the database longer than a write waits; Retry-After says when to try again.",
            );
        }
        if e.tag == "epcis" && e.method == "get" && e.path == "/events" {
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
        if e.body {
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
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Equitas API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Availability, affordability and security of supply of essential health products. Every figure is defined in docs/formulas.md. Errors are RFC 9457 problem details naming the parameter at fault; lists are paginated with offset and limit.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "paths": paths,
        "components": {"schemas": {"Page": {
            "type": "object",
            "description": "A page of a list: `rows` from `offset`, at most `limit` of them, of `total` in all.",
            "required": ["total", "offset", "limit", "rows"],
            "properties": {
                "total": {"type": "integer", "minimum": 0},
                "offset": {"type": "integer", "minimum": 0},
                "limit": {"type": "integer", "minimum": 1},
                "rows": {"type": "array", "items": {"type": "object"}},
                "method": {"type": "string"},
                "notes": {"type": "array", "items": {"type": "string"}}
            }
        }, "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "parameter": {"type": "string"}
            }
        }}}
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
         <h1>Equitas API</h1><p>JSON over HTTP. Errors are RFC 9457 problem details naming the parameter at fault; \
         lists are paginated with <code>offset</code> and <code>limit</code>. The machine-readable description is \
         <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1). Every figure is defined in docs/formulas.md.</p>",
    );
    let mut tag = "";
    for e in ENDPOINTS {
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
        if !e.params.is_empty() {
            s.push_str("<table><tr><th>parameter</th><th>values</th><th>meaning</th></tr>");
            for p in e.params {
                let ty = match p.ty {
                    Ty::Text => "text".to_string(),
                    Ty::List => "list (comma-separated)".to_string(),
                    Ty::ListOf(v) => format!("list of: {}", v.join(", ")),
                    Ty::Numbers => "numbers (comma-separated)".to_string(),
                    Ty::Int { min, max } => format!("integer, {min} to {max}"),
                    Ty::Number {
                        min,
                        exclusive: true,
                    } => format!("number above {min}"),
                    Ty::Number { min, .. } => format!("number, at least {min}"),
                    Ty::Bool => "true or false".to_string(),
                    Ty::Date => "YYYY-MM-DD".to_string(),
                    Ty::DateTime => "date and time (RFC 3339)".to_string(),
                    Ty::OneOf(v) => v.join(", "),
                };
                s.push_str(&format!(
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                    esc(p.name),
                    esc(&ty),
                    esc(p.doc)
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
        for e in ENDPOINTS {
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
}
