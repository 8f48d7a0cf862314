//! EPCIS 2.0 named queries and their subscriptions (the REST binding's
//! `/queries` and `/queries/{name}/subscriptions`), and each
//! subscription's outbox.
//!
//! The outbox is not a copy of the events: it is a mark in the commit
//! order of captures (`epcis_captures.commit_seq`, then the event id
//! within a capture). Captures become visible in the order of their
//! commit numbers (see [`super::commit`]), so "the events after the mark
//! that match the query" is exactly what a subscription has still to
//! receive, whatever crashed or restarted meanwhile. The mark moves only
//! after a delivery was acknowledged, in the transaction that records it:
//! an event is delivered at least once, in commit order, and never lost.

use super::summary::newest_capture;
use crate::{Conn, Store, StoreError, Value};
use serde::Serialize;

/// Named queries and subscriptions held at most (each subscription is
/// looked at by the delivery worker).
pub const MAX_QUERIES: i64 = 1000;
pub const MAX_SUBSCRIPTIONS: i64 = 1000;

/// A mark event meaning "every event of the mark's capture".
pub const WHOLE_CAPTURE: i64 = i64::MAX;

/// A named query: its name and its EPCIS query parameters (a JSON object,
/// checked when it was saved).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NamedQuery {
    pub name: String,
    /// The query's parameters, each with its values (a list) or its value.
    pub query: serde_json::Value,
    #[serde(rename = "createdAt")]
    pub created_at: String,
}

/// Saves a named query; false if the name is taken (nothing changed).
pub fn save_query(
    st: &mut dyn Store,
    name: &str,
    query: &serde_json::Value,
    now: &str,
) -> Result<bool, StoreError> {
    let mut tx = st.begin()?;
    let held: i64 = tx
        .query_scalar(
            "SELECT COUNT(*) FROM epcis_queries WHERE name = $1",
            &[name.into()],
        )?
        .get()?;
    if held > 0 {
        return Ok(false);
    }
    let n: i64 = tx
        .query_scalar("SELECT COUNT(*) FROM epcis_queries", &[])?
        .get()?;
    if n >= MAX_QUERIES {
        return Err(StoreError::Invalid(format!(
            "this repository holds {MAX_QUERIES} named queries, as many as it keeps; delete one first"
        )));
    }
    tx.execute(
        "INSERT INTO epcis_queries (name, query, created_at) VALUES ($1, $2, $3)",
        &[name.into(), query.to_string().into(), now.into()],
    )?;
    tx.commit()?;
    Ok(true)
}

fn named_query(r: &mut [Value]) -> Result<NamedQuery, StoreError> {
    let text = r[1].take_text()?;
    Ok(NamedQuery {
        name: r[0].take_text()?,
        query: serde_json::from_str(&text)
            .map_err(|e| StoreError::Invalid(format!("a stored query is not JSON: {e}")))?,
        created_at: r[2].take_text()?,
    })
}

/// Every named query, by name.
pub fn queries(c: &mut dyn Conn) -> Result<Vec<NamedQuery>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        "SELECT name, query, created_at FROM epcis_queries ORDER BY name",
        &[],
        &mut |r| {
            out.push(named_query(r)?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// One named query.
pub fn query(c: &mut dyn Conn, name: &str) -> Result<Option<NamedQuery>, StoreError> {
    let mut rows = c.query(
        "SELECT name, query, created_at FROM epcis_queries WHERE name = $1",
        &[name.into()],
    )?;
    rows.first_mut().map(|r| named_query(r)).transpose()
}

/// Deletes a named query and its subscriptions; false if there was none.
pub fn delete_query(st: &mut dyn Store, name: &str) -> Result<bool, StoreError> {
    let mut tx = st.begin()?;
    tx.execute(
        "DELETE FROM epcis_subscriptions WHERE query_name = $1",
        &[name.into()],
    )?;
    let n = tx.execute("DELETE FROM epcis_queries WHERE name = $1", &[name.into()])?;
    tx.commit()?;
    Ok(n > 0)
}

/// A subscription as asked for (checked by `equitas_service`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewSubscription {
    pub query_name: String,
    pub dest: String,
    pub signature_token: Option<String>,
    /// `stream: true`, or else a `schedule`.
    pub stream: bool,
    pub schedule: Option<serde_json::Value>,
    pub report_if_empty: bool,
    /// RFC 3339: events recorded since then are delivered, those held
    /// already included; without it, only events captured from now on.
    pub initial_record_time: Option<String>,
    /// For a schedule: when it is first due (RFC 3339, UTC).
    pub next_run: Option<String>,
    /// Who subscribed (`None`: a caller without accounts, every event).
    pub subscriber: Option<Subscriber>,
}

/// The caller a subscription delivers for: each delivery carries only the
/// events within this caller's read scope as it stands then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub user: String,
    /// The API token it subscribed with (its scope narrows the user's).
    pub token: Option<i64>,
}

/// A subscription, with where its deliveries stand. The signature token
/// is never answered.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Subscription {
    #[serde(rename = "subscriptionID")]
    pub id: String,
    #[serde(rename = "queryName")]
    pub query_name: String,
    pub dest: String,
    /// Deliveries carry a `GS1-Signature` header (HMAC-SHA256 of the body
    /// with the signature token).
    pub signed: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<serde_json::Value>,
    #[serde(rename = "reportIfEmpty")]
    pub report_if_empty: bool,
    #[serde(rename = "initialRecordTime", skip_serializing_if = "Option::is_none")]
    pub initial_record_time: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    /// The last delivery the destination acknowledged (2xx).
    #[serde(rename = "lastNotifiedAt", skip_serializing_if = "Option::is_none")]
    pub last_notified_at: Option<String>,
    /// Deliveries acknowledged, and the events they carried.
    pub deliveries: i64,
    #[serde(rename = "eventsDelivered")]
    pub events_delivered: i64,
    /// Failed attempts of the delivery now due, when it is tried again, and
    /// why the last one failed.
    #[serde(rename = "failedAttempts")]
    pub attempts: i64,
    #[serde(rename = "retryAt", skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<String>,
    #[serde(rename = "lastError", skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// For a schedule: when it is next due.
    #[serde(rename = "nextRun", skip_serializing_if = "Option::is_none")]
    pub next_run: Option<String>,
    #[serde(skip)]
    #[schemars(skip)]
    pub signature_token: Option<String>,
    #[serde(skip)]
    #[schemars(skip)]
    pub outbox: Outbox,
    /// The user who subscribed (deliveries carry only the events within
    /// their read scope); absent for a server without accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriber: Option<String>,
    #[serde(skip)]
    #[schemars(skip)]
    pub subscriber_token: Option<i64>,
}

impl Subscription {
    /// Who the deliveries are for.
    pub fn subscriber(&self) -> Option<Subscriber> {
        self.subscriber.clone().map(|user| Subscriber {
            user,
            token: self.subscriber_token,
        })
    }
}

/// Where a subscription's deliveries stand: what the delivery worker reads
/// and moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outbox {
    /// Delivered: every matching event up to this point of the commit
    /// order, (capture commit number, event id).
    pub mark: (i64, i64),
    /// A scheduled run in progress: it delivers up to this capture number.
    pub run_until: Option<i64>,
}

const COLUMNS: &str = "id, query_name, dest, signature_token, stream, schedule, report_if_empty,
    initial_record_time, created_at, last_notified_at, deliveries, events_delivered, attempts,
    retry_at, last_error, next_run, mark_seq, mark_event, run_until, subscriber, subscriber_token";

fn subscription(r: &mut [Value]) -> Result<Subscription, StoreError> {
    let schedule = r[5]
        .take_opt_text()?
        .map(|s| serde_json::from_str(&s))
        .transpose()
        .map_err(|e| StoreError::Invalid(format!("a stored schedule is not JSON: {e}")))?;
    let token = r[3].take_opt_text()?;
    Ok(Subscription {
        id: r[0].take_text()?,
        query_name: r[1].take_text()?,
        dest: r[2].take_text()?,
        signed: token.is_some(),
        signature_token: token,
        stream: r[4].get()?,
        schedule,
        report_if_empty: r[6].get()?,
        initial_record_time: r[7].take_opt_text()?,
        created_at: r[8].take_text()?,
        last_notified_at: r[9].take_opt_text()?,
        deliveries: r[10].get()?,
        events_delivered: r[11].get()?,
        attempts: r[12].get()?,
        retry_at: r[13].take_opt_text()?,
        last_error: r[14].take_opt_text()?,
        next_run: r[15].take_opt_text()?,
        outbox: Outbox {
            mark: (r[16].get()?, r[17].get()?),
            run_until: r[18].get()?,
        },
        subscriber: r[19].take_opt_text()?,
        subscriber_token: r[20].get()?,
    })
}

fn read(c: &mut dyn Conn, filter: &str, p: &[Value]) -> Result<Vec<Subscription>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        &format!("SELECT {COLUMNS} FROM epcis_subscriptions {filter}"),
        p,
        &mut |r| {
            out.push(subscription(r)?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// A new subscription id: 128 bits from the clock, the process and a
/// counter through SHA-256, written as a UUID.
fn new_id(now: &str) -> String {
    use sha2::Digest;
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let h = sha2::Sha256::digest(format!(
        "{now}/{nanos}/{}/{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let x = hex::encode(&h[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// Subscribes to a named query; `None` if there is no such query. Without
/// an initial record time, the mark is the newest capture committed: only
/// what is captured from now on is delivered; with one, every event held
/// is considered (those recorded since then match).
pub fn subscribe(
    st: &mut dyn Store,
    s: &NewSubscription,
    now: &str,
) -> Result<Option<Subscription>, StoreError> {
    let mut tx = st.begin()?;
    let held: i64 = tx
        .query_scalar(
            "SELECT COUNT(*) FROM epcis_queries WHERE name = $1",
            &[s.query_name.as_str().into()],
        )?
        .get()?;
    if held == 0 {
        return Ok(None);
    }
    let n: i64 = tx
        .query_scalar("SELECT COUNT(*) FROM epcis_subscriptions", &[])?
        .get()?;
    if n >= MAX_SUBSCRIPTIONS {
        return Err(StoreError::Invalid(format!(
            "this repository holds {MAX_SUBSCRIPTIONS} subscriptions, as many as it keeps; delete one first"
        )));
    }
    let mark = match s.initial_record_time {
        Some(_) => (0, 0),
        None => (newest_capture(&mut *tx)?, WHOLE_CAPTURE),
    };
    let id = new_id(now);
    let opt = |v: &Option<String>| v.clone().map(Value::from).unwrap_or(Value::Null);
    tx.execute(
        "INSERT INTO epcis_subscriptions (id, query_name, dest, signature_token, stream, schedule,
             report_if_empty, initial_record_time, created_at, mark_seq, mark_event, next_run,
             subscriber, subscriber_token)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            id.as_str().into(),
            s.query_name.as_str().into(),
            s.dest.as_str().into(),
            opt(&s.signature_token),
            s.stream.into(),
            opt(&s.schedule.as_ref().map(|v| v.to_string())),
            s.report_if_empty.into(),
            opt(&s.initial_record_time),
            now.into(),
            Value::Int(mark.0),
            Value::Int(mark.1),
            opt(&s.next_run),
            opt(&s.subscriber.as_ref().map(|x| x.user.clone())),
            s.subscriber
                .as_ref()
                .and_then(|x| x.token)
                .map(Value::Int)
                .unwrap_or(Value::Null),
        ],
    )?;
    let out = read(&mut *tx, "WHERE id = $1", &[id.as_str().into()])?.pop();
    tx.commit()?;
    Ok(out)
}

/// The subscriptions of a named query, oldest first.
pub fn subscriptions(c: &mut dyn Conn, query_name: &str) -> Result<Vec<Subscription>, StoreError> {
    read(
        c,
        "WHERE query_name = $1 ORDER BY created_at, id",
        &[query_name.into()],
    )
}

/// One subscription of a named query.
pub fn subscription_of(
    c: &mut dyn Conn,
    query_name: &str,
    id: &str,
) -> Result<Option<Subscription>, StoreError> {
    Ok(read(
        c,
        "WHERE query_name = $1 AND id = $2",
        &[query_name.into(), id.into()],
    )?
    .pop())
}

/// Every subscription (for the delivery worker), at most
/// [`MAX_SUBSCRIPTIONS`].
pub fn all_subscriptions(c: &mut dyn Conn) -> Result<Vec<Subscription>, StoreError> {
    read(
        c,
        &format!("ORDER BY created_at, id LIMIT {MAX_SUBSCRIPTIONS}"),
        &[],
    )
}

/// Deletes a subscription; false if there was none.
pub fn unsubscribe(st: &mut dyn Store, query_name: &str, id: &str) -> Result<bool, StoreError> {
    let mut tx = st.begin()?;
    let n = tx.execute(
        "DELETE FROM epcis_subscriptions WHERE query_name = $1 AND id = $2",
        &[query_name.into(), id.into()],
    )?;
    tx.commit()?;
    Ok(n > 0)
}

/// What a delivery attempt changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// Acknowledged: `events` delivered (0 for an empty report); the outbox
    /// moves to `outbox`.
    Delivered {
        events: usize,
        outbox: Outbox,
        next_run: Option<String>,
    },
    /// Nothing to deliver: the outbox moves on (past captures with no
    /// matching event, or a scheduled run with nothing to report).
    Skipped {
        outbox: Outbox,
        next_run: Option<String>,
    },
    /// Failed (`attempts` in a row); tried again at `retry_at`.
    Failed {
        attempts: i64,
        retry_at: String,
        error: String,
    },
}

/// Records a delivery attempt of subscription `id`, in one transaction
/// (nothing if the subscription was deleted meanwhile).
pub fn record(st: &mut dyn Store, id: &str, a: &Attempt, now: &str) -> Result<(), StoreError> {
    let mut tx = st.begin()?;
    let opt = |v: &Option<String>| v.clone().map(Value::from).unwrap_or(Value::Null);
    let run = |o: &Outbox| o.run_until.map(Value::Int).unwrap_or(Value::Null);
    match a {
        Attempt::Delivered {
            events,
            outbox,
            next_run,
        } => tx.execute(
            "UPDATE epcis_subscriptions SET mark_seq = $1, mark_event = $2, run_until = $3,
                 next_run = COALESCE($4, next_run), attempts = 0, retry_at = NULL,
                 last_error = NULL, last_notified_at = $5, deliveries = deliveries + 1,
                 events_delivered = events_delivered + $6
             WHERE id = $7",
            &[
                Value::Int(outbox.mark.0),
                Value::Int(outbox.mark.1),
                run(outbox),
                opt(next_run),
                now.into(),
                (*events as u64).into(),
                id.into(),
            ],
        )?,
        Attempt::Skipped { outbox, next_run } => tx.execute(
            "UPDATE epcis_subscriptions SET mark_seq = $1, mark_event = $2, run_until = $3,
                 next_run = COALESCE($4, next_run)
             WHERE id = $5",
            &[
                Value::Int(outbox.mark.0),
                Value::Int(outbox.mark.1),
                run(outbox),
                opt(next_run),
                id.into(),
            ],
        )?,
        Attempt::Failed {
            attempts,
            retry_at,
            error,
        } => tx.execute(
            "UPDATE epcis_subscriptions SET attempts = $1, retry_at = $2, last_error = $3
             WHERE id = $4",
            &[
                Value::Int(*attempts),
                retry_at.as_str().into(),
                error.as_str().into(),
                id.into(),
            ],
        )?,
    };
    tx.commit()
}
