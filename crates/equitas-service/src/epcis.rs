//! The parameters of an EPCIS event query (EPCIS 2.0 SimpleEventQuery
//! names in the API, friendlier options on the command line), read once
//! into the store's `EventQuery`.

use crate::error::ServiceError;
use crate::param::{Args, Kind, Param};
use equitas_store::epcis::EventQuery;

pub use equitas_epcis::cbv::{BIZ_STEPS, DISPOSITIONS};

const EVENT_TYPES: &[&str] = &[
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
];

/// The EPCIS event query, as described parameters.
pub struct Query;

impl crate::op::Described for Query {
    fn params() -> Vec<Param> {
        query_params()
    }
}

/// The parameters of `GET /events` and `equitas epcis query`.
pub fn query_params() -> Vec<Param> {
    vec![
        Param::new("eventType", Kind::ListOf(EVENT_TYPES), "Event types.").cli("type"),
        Param::new(
            "EQ_eventID",
            Kind::List,
            "Events by their eventID, or by their Event Hash ID (ni:///sha-256;...), as answers show them.",
        )
        .cli("event-id"),
        Param::new("EQ_bizStep", Kind::Words(BIZ_STEPS), "Business steps: CBV word, URN or web URI.")
            .cli("biz-step"),
        Param::new("EQ_disposition", Kind::Words(DISPOSITIONS), "Dispositions: CBV word, URN or web URI.")
            .cli("disposition"),
        Param::new(
            "EQ_bizLocation",
            Kind::List,
            "Business locations: SGLN URN, GLN or Digital Link.",
        )
        .cli("biz-location"),
        Param::new(
            "WD_bizLocation",
            Kind::List,
            "A location or any below it in the hierarchy: its code, GLN, SGLN URN or Digital Link.",
        )
        .cli("within"),
        Param::new("MATCH_anyEPC", Kind::List, "EPCs in any list of the event.").cli("epc"),
        Param::new(
            "MATCH_anyEPCClass",
            Kind::List,
            "EPC classes in any quantity list.",
        )
        .cli("epc-class"),
        Param::new(
            "GE_eventTime",
            Kind::DateTime,
            "Events at or after this time (RFC 3339, or a date: its midnight UTC).",
        )
        .cli("from"),
        Param::new(
            "LT_eventTime",
            Kind::DateTime,
            "Events before this time (RFC 3339, or a date: its midnight UTC).",
        )
        .cli("to"),
        Param::new("perPage", Kind::Int { min: 1, max: 1000 }, "Events per page.")
            .default("100")
            .cli("limit"),
        Param::new(
            "nextPageToken",
            Kind::Int {
                min: 0,
                max: i64::MAX,
            },
            "Events after this one: the token of the previous page (its Link header), or the cursor the CLI printed.",
        )
        .cli("after"),
    ]
}

/// The store's query from the parameters.
pub fn query(a: &Args) -> Result<EventQuery, ServiceError> {
    let from = a.date_time("GE_eventTime")?;
    let to = a.date_time("LT_eventTime")?;
    Ok(EventQuery {
        event_types: a.list("eventType")?,
        event_ids: a.list("EQ_eventID")?,
        biz_steps: a.list("EQ_bizStep")?,
        dispositions: a.list("EQ_disposition")?,
        biz_locations: a.list("EQ_bizLocation")?,
        within_biz_locations: a.list("WD_bizLocation")?,
        epcs: a.list("MATCH_anyEPC")?,
        epc_classes: a.list("MATCH_anyEPCClass")?,
        from,
        to,
        after: a.get("nextPageToken")?,
        limit: a.value("perPage")?,
        ..Default::default()
    })
}
