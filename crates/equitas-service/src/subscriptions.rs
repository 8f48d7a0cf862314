//! EPCIS 2.0 named queries and query subscriptions (the REST binding's
//! `POST /queries` and `POST /queries/{name}/subscriptions`): their
//! requests checked, each bad field named (`query.EQ_bizStep`, `dest`,
//! `schedule.hour`), and the schedule of a scheduled subscription.
//!
//! A named query holds the parameters of the event query (`GET /events`)
//! but the paging ones, checked by the same descriptions
//! ([`crate::epcis::query_params`]).

use crate::epcis::query_params;
use crate::error::ServiceError;
use crate::param::{Args, Param, date_time};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use equitas_store::epcis::EventQuery;
use equitas_store::epcis::subscriptions::NewSubscription;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The paging parameters, given with a named query's events.
const PAGING: [&str; 2] = ["perPage", "nextPageToken"];

/// The parameters a named query holds: the event query's but paging.
pub fn stored_params() -> Vec<Param> {
    query_params()
        .into_iter()
        .filter(|p| !PAGING.contains(&p.name))
        .collect()
}

/// The parameters of `GET /queries/{name}/events`: paging only.
pub fn page_params() -> Vec<Param> {
    query_params()
        .into_iter()
        .filter(|p| PAGING.contains(&p.name))
        .collect()
}

fn bad(param: impl Into<String>, reason: impl Into<String>) -> ServiceError {
    ServiceError::BadParameter {
        param: param.into(),
        reason: reason.into(),
    }
}

/// A named query as asked for: `{"name": ..., "query": {...}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryDefinition {
    pub name: String,
    /// Each parameter with its values: a list for the list parameters, a
    /// string for the others.
    pub query: Value,
}

/// A query name: 1 to 100 letters, digits, `_`, `-` or `.` (it is a path
/// segment).
pub fn check_name(param: &str, name: &str) -> Result<(), ServiceError> {
    let ok = (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && name != "."
        && name != "..";
    if ok {
        Ok(())
    } else {
        Err(bad(
            param,
            format!("{name:?}: expected 1 to 100 letters, digits, _, - or ."),
        ))
    }
}

/// The fields of a JSON object, or an error naming `what`.
fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ServiceError> {
    v.as_object()
        .ok_or_else(|| bad(what, "expected a JSON object"))
}

/// Refuses fields not in `known`, naming the first.
fn only(m: &Map<String, Value>, prefix: &str, known: &[&str]) -> Result<(), ServiceError> {
    match m.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad(
            format!("{prefix}{k}"),
            format!("unknown field; expected {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

/// Reads and checks a named query (`POST /queries`).
pub fn query_definition(body: &Value) -> Result<QueryDefinition, ServiceError> {
    let m = object(body, "body")?;
    only(m, "", &["name", "query"])?;
    let name = match m.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(bad("name", "expected a string")),
        None => return Err(bad("name", "missing: the query's name")),
    };
    check_name("name", &name)?;
    let empty = Value::Object(Map::new());
    let q = object(m.get("query").unwrap_or(&empty), "query")?;
    let params = stored_params();
    let mut given = HashMap::new();
    for (k, v) in q {
        let param = format!("query.{k}");
        let Some(p) = params.iter().find(|p| p.name == k) else {
            let names: Vec<&str> = params.iter().map(|p| p.name).collect();
            return Err(bad(
                param,
                format!("unknown query parameter; expected {}", names.join(", ")),
            ));
        };
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Array(items) if p.kind.is_list() => {
                let mut parts = Vec::new();
                for i in items {
                    match i.as_str() {
                        Some(s) if s.trim().is_empty() => {
                            return Err(bad(param, "an empty value in the list"));
                        }
                        Some(s) if !s.contains(',') => parts.push(s.to_string()),
                        Some(_) => return Err(bad(param, "a value holds a comma")),
                        None => return Err(bad(param, "expected a list of strings")),
                    }
                }
                parts.join(",")
            }
            _ if p.kind.is_list() => return Err(bad(param, "expected a list of strings")),
            _ => return Err(bad(param, "expected a string")),
        };
        given.insert(k.clone(), text);
    }
    // The event query's own checks, errors named within `query`.
    Args::api(params.clone(), &given).map_err(|e| match e {
        ServiceError::BadParameter { param, reason } => ServiceError::BadParameter {
            param: format!("query.{param}"),
            reason,
        },
        other => other,
    })?;
    let mut out = Map::new();
    for (k, text) in given {
        let list = params.iter().any(|p| p.name == k && p.kind.is_list());
        let v = if list {
            Value::Array(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.into()))
                    .collect(),
            )
        } else {
            Value::String(text.trim().to_string())
        };
        out.insert(k, v);
    }
    Ok(QueryDefinition {
        name,
        query: Value::Object(out),
    })
}

/// The store's query for a named query's stored parameters and the
/// paging parameters given (`page`: only `perPage` and `nextPageToken`).
pub fn event_query(stored: &Value, page: &[(String, String)]) -> Result<EventQuery, ServiceError> {
    // Checked in order: an unknown or repeated parameter is refused, named.
    Args::api(page_params(), page.iter().map(|(k, v)| (k, v)))?;
    let mut given: HashMap<String, String> = page.iter().cloned().collect();
    if let Some(m) = stored.as_object() {
        for (k, v) in m {
            let text = match v {
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            given.insert(k.clone(), text);
        }
    }
    crate::epcis::query(&Args::api(query_params(), &given)?)
}

/// Reads and checks a subscription (`POST /queries/{name}/subscriptions`)
/// made at `now`.
pub fn subscription(
    query_name: &str,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<NewSubscription, ServiceError> {
    let m = object(body, "body")?;
    only(
        m,
        "",
        &[
            "dest",
            "signatureToken",
            "stream",
            "schedule",
            "reportIfEmpty",
            "initialRecordTime",
        ],
    )?;
    let text = |k: &str| match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(k, "expected a string")),
    };
    let flag = |k: &str| match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(bad(k, "expected true or false")),
    };
    let dest = text("dest")?.ok_or_else(|| {
        bad(
            "dest",
            "missing: the URL (http or https) deliveries are posted to",
        )
    })?;
    check_dest(&dest)?;
    let signature_token = text("signatureToken")?;
    if let Some(t) = &signature_token
        && !(1..=1024).contains(&t.len())
    {
        return Err(bad("signatureToken", "expected 1 to 1024 characters"));
    }
    let stream = flag("stream")?.unwrap_or(false);
    let report_if_empty = flag("reportIfEmpty")?.unwrap_or(false);
    let schedule = match m.get("schedule") {
        None | Some(Value::Null) => None,
        Some(v) => Some((v.clone(), Schedule::parse(v)?)),
    };
    let next_run = match (&schedule, stream) {
        (Some(_), true) => {
            return Err(bad(
                "stream",
                "a subscription takes stream: true or a schedule, not both",
            ));
        }
        (None, false) => {
            return Err(bad(
                "schedule",
                "missing: give a schedule, or stream: true to be sent each new matching event",
            ));
        }
        (None, true) if report_if_empty => {
            return Err(bad(
                "reportIfEmpty",
                "applies to a schedule: a stream reports only new matching events",
            ));
        }
        (None, true) => None,
        (Some((_, s)), false) => Some(s.next_after(now).ok_or_else(|| {
            bad(
                "schedule",
                "never matches a date (a day the months given do not have)",
            )
        })?),
    };
    let initial_record_time = match text("initialRecordTime")? {
        None => None,
        Some(t) => Some(date_time(&t).ok_or_else(|| {
            bad(
                "initialRecordTime",
                format!("{t:?}: expected an RFC 3339 date and time (2026-01-31T00:00:00Z) or a date YYYY-MM-DD"),
            )
        })?),
    };
    Ok(NewSubscription {
        query_name: query_name.to_string(),
        dest,
        signature_token,
        stream,
        schedule: schedule.map(|(v, _)| v),
        report_if_empty,
        initial_record_time,
        next_run: next_run.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        // Set by the caller that knows who asks (the server's route).
        subscriber: None,
    })
}

/// A webhook destination: an absolute http or https URL with a host, no
/// user name or password in it, at most 2,048 characters.
pub fn check_dest(dest: &str) -> Result<(), ServiceError> {
    if dest.len() > 2048 {
        return Err(bad("dest", "longer than 2,048 characters"));
    }
    let u = url::Url::parse(dest).map_err(|e| bad("dest", format!("{dest:?}: not a URL ({e})")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad(
            "dest",
            format!(
                "{dest:?}: scheme {:?}; deliveries are posted over http or https only",
                u.scheme()
            ),
        ));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("dest", format!("{dest:?}: no host")));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad(
            "dest",
            "a user name or password in the URL is not taken: use signatureToken",
        ));
    }
    Ok(())
}

/// The fields of a schedule: name, lowest and highest value, and rank
/// (more significant fields rank higher; the two day fields rank alike).
const FIELDS: [(&str, u32, u32, u8); 6] = [
    ("second", 0, 59, 0),
    ("minute", 0, 59, 1),
    ("hour", 0, 23, 2),
    ("dayOfMonth", 1, 31, 3),
    ("month", 1, 12, 4),
    ("dayOfWeek", 1, 7, 3),
];

/// A query schedule (EPCIS: `second`, `minute`, `hour`, `dayOfMonth`,
/// `month`, `dayOfWeek`, each a comma-separated list of values and ranges
/// `[low-high]`; Equitas also reads `low-high`, `start/step` and `*`), in
/// UTC, days of the week 1 (Monday) to 7 (Sunday). A field left out
/// matches any value if it is more significant than every field given, and
/// its lowest value otherwise: `{"hour": "1", "minute": "5"}` is 01:05:00
/// each day, `{"minute": "0/15"}` every quarter of an hour. Given both, a
/// day must match `dayOfMonth` and `dayOfWeek`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Allowed values of each field of [`FIELDS`], as bits.
    allowed: [u64; 6],
}

impl Schedule {
    /// Reads a schedule, naming a bad field (`schedule.hour`).
    pub fn parse(v: &Value) -> Result<Schedule, ServiceError> {
        let m = object(v, "schedule")?;
        let names: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
        only(m, "schedule.", &names)?;
        let top = FIELDS
            .iter()
            .filter(|f| m.get(f.0).is_some_and(|v| !v.is_null()))
            .map(|f| f.3)
            .max()
            .ok_or_else(|| {
                bad(
                    "schedule",
                    format!("names no field; give some of {}", names.join(", ")),
                )
            })?;
        let given = |k: &str| m.get(k).is_some_and(|v| !v.is_null());
        let mut allowed = [0u64; 6];
        for (i, &(name, lo, hi, rank)) in FIELDS.iter().enumerate() {
            let all = (lo..=hi).fold(0u64, |a, x| a | 1 << x);
            // Days are named by the day of the month when a month is
            // given alone; a day of the week left out matches any day.
            let any =
                rank >= top || name == "dayOfWeek" || (name == "dayOfMonth" && given("dayOfWeek"));
            allowed[i] = match m.get(name) {
                None | Some(Value::Null) if any => all,
                None | Some(Value::Null) => 1 << lo,
                Some(v) => {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        _ => return Err(bad(format!("schedule.{name}"), "expected a string")),
                    };
                    field(&text, lo, hi).map_err(|why| {
                        bad(format!("schedule.{name}"), format!("{text:?}: {why}"))
                    })?
                }
            };
        }
        Ok(Schedule { allowed })
    }

    fn has(&self, field: usize, v: u32) -> bool {
        self.allowed[field] >> v & 1 == 1
    }

    /// The first time after `t` (to the second) the schedule matches,
    /// within eight years (None: it never does).
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = t + Duration::seconds(1);
        let mut day = start.date_naive();
        for _ in 0..(366 * 8) {
            if self.has(4, day.month())
                && self.has(3, day.day())
                && self.has(5, day.weekday().number_from_monday())
            {
                for h in (0..24).filter(|&h| self.has(2, h)) {
                    for mi in (0..60).filter(|&x| self.has(1, x)) {
                        for s in (0..60).filter(|&x| self.has(0, x)) {
                            let at = Utc.from_utc_datetime(
                                &day.and_time(NaiveTime::from_hms_opt(h, mi, s)?),
                            );
                            if at >= start.with_nanosecond_zero() {
                                return Some(at);
                            }
                        }
                    }
                }
            }
            day = day.succ_opt()?;
        }
        None
    }
}

trait NoNanos {
    fn with_nanosecond_zero(self) -> Self;
}

impl NoNanos for DateTime<Utc> {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

/// The values one schedule field allows, as bits.
fn field(text: &str, lo: u32, hi: u32) -> Result<u64, String> {
    let num = |s: &str| -> Result<u32, String> {
        let n: u32 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a whole number"))?;
        if (lo..=hi).contains(&n) {
            Ok(n)
        } else {
            Err(format!("{n} is not from {lo} to {hi}"))
        }
    };
    let mut bits = 0u64;
    for el in text.split(',') {
        let el = el.trim();
        let (from, to, step) = if el == "*" {
            (lo, hi, 1)
        } else if let Some((a, b)) = el.split_once('/') {
            let step = b
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|&s| s >= 1)
                .ok_or_else(|| format!("step {b:?} is not a whole number above 0"))?;
            let from = if a.trim() == "*" { lo } else { num(a)? };
            (from, hi, step)
        } else {
            let r = el.strip_prefix('[').and_then(|x| x.strip_suffix(']'));
            match r.unwrap_or(el).split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (num(a)?, num(b)?);
                    if a > b {
                        return Err(format!("range {a}-{b} runs backwards"));
                    }
                    (a, b, 1)
                }
                None if r.is_some() => return Err("expected a range [low-high]".into()),
                None => {
                    let n = num(el)?;
                    (n, n, 1)
                }
            }
        };
        for v in (from..=to).step_by(step as usize) {
            bits |= 1 << v;
        }
    }
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn next(schedule: Value, after: &str) -> String {
        Schedule::parse(&schedule)
            .unwrap()
            .next_after(at(after))
            .unwrap()
            .to_rfc3339()
    }

    #[test]
    fn schedules_run_when_their_fields_say() {
        // The standard's example: 01:05 each morning (seconds 0).
        let daily = json!({"hour": "1", "minute": "5"});
        assert_eq!(
            next(daily.clone(), "2026-03-01T00:00:00Z"),
            "2026-03-01T01:05:00+00:00"
        );
        assert_eq!(
            next(daily.clone(), "2026-03-01T01:05:00Z"),
            "2026-03-02T01:05:00+00:00"
        );
        // Every 15 minutes; every 30 seconds; ranges and lists.
        assert_eq!(
            next(json!({"minute": "0/15"}), "2026-03-01T10:16:00Z"),
            "2026-03-01T10:30:00+00:00"
        );
        assert_eq!(
            next(json!({"second": "0/30"}), "2026-03-01T10:16:31Z"),
            "2026-03-01T10:17:00+00:00"
        );
        assert_eq!(
            next(
                json!({"hour": "[9-17]", "minute": "0,30"}),
                "2026-03-01T17:45:00Z"
            ),
            "2026-03-02T09:00:00+00:00"
        );
        // Mondays at midnight (2026-03-02 is a Monday); the 31st.
        assert_eq!(
            next(json!({"dayOfWeek": "1"}), "2026-03-02T00:00:00Z"),
            "2026-03-09T00:00:00+00:00"
        );
        assert_eq!(
            next(json!({"dayOfMonth": "31"}), "2026-04-01T00:00:00Z"),
            "2026-05-31T00:00:00+00:00"
        );
        // 29 February: the next leap year.
        assert_eq!(
            next(
                json!({"month": "2", "dayOfMonth": "29"}),
                "2026-03-01T00:00:00Z"
            ),
            "2028-02-29T00:00:00+00:00"
        );
        // A month alone: its first day; with a day of the week, those days.
        assert_eq!(
            next(json!({"month": "4"}), "2026-03-01T00:00:00Z"),
            "2026-04-01T00:00:00+00:00"
        );
        assert_eq!(
            next(
                json!({"month": "4", "dayOfWeek": "3"}),
                "2026-03-01T00:00:00Z"
            ),
            "2026-04-01T00:00:00+00:00"
        );
        assert_eq!(
            next(
                json!({"month": "4", "dayOfWeek": "4"}),
                "2026-03-01T00:00:00Z"
            ),
            "2026-04-02T00:00:00+00:00"
        );
    }

    #[test]
    fn bad_schedules_name_their_field() {
        for (s, field) in [
            (json!({"hour": "24"}), "schedule.hour"),
            (json!({"minute": "[5-1]"}), "schedule.minute"),
            (json!({"second": "0/0"}), "schedule.second"),
            (json!({"dayOfWeek": "monday"}), "schedule.dayOfWeek"),
            (json!({"hours": "1"}), "schedule.hours"),
            (json!({}), "schedule"),
            (json!("1 5 * * *"), "schedule"),
        ] {
            match Schedule::parse(&s) {
                Err(ServiceError::BadParameter { param, .. }) => assert_eq!(param, field, "{s}"),
                other => panic!("{s}: {other:?}"),
            }
        }
        // A date that never comes is refused when subscribing.
        let e = subscription(
            "q",
            &json!({"dest": "http://127.0.0.1:9/", "schedule": {"month": "2", "dayOfMonth": "30"}}),
            Utc::now(),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("schedule:"), "{e}");
    }

    #[test]
    fn subscriptions_are_checked_field_by_field() {
        let now = at("2026-03-01T00:00:00Z");
        let ok = subscription(
            "q",
            &json!({"dest": "https://client.example.com/cb", "signatureToken": "s3cret", "stream": true,
                    "initialRecordTime": "2026-01-01"}),
            now,
        )
        .unwrap();
        assert!(ok.stream && ok.schedule.is_none() && ok.next_run.is_none());
        assert_eq!(
            ok.initial_record_time.as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        let sched = subscription(
            "q",
            &json!({"dest": "http://127.0.0.1:8080/cb", "schedule": {"hour": "1", "minute": "5"}, "reportIfEmpty": true}),
            now,
        )
        .unwrap();
        assert_eq!(sched.next_run.as_deref(), Some("2026-03-01T01:05:00Z"));
        for (body, field) in [
            (json!({"stream": true}), "dest"),
            (json!({"dest": "ftp://x.example/", "stream": true}), "dest"),
            (
                json!({"dest": "file:///etc/passwd", "stream": true}),
                "dest",
            ),
            (json!({"dest": "not a url", "stream": true}), "dest"),
            (
                json!({"dest": "http://u:p@x.example/", "stream": true}),
                "dest",
            ),
            (json!({"dest": 5, "stream": true}), "dest"),
            (json!({"dest": "http://x.example/"}), "schedule"),
            (
                json!({"dest": "http://x.example/", "stream": true, "schedule": {"hour": "1"}}),
                "stream",
            ),
            (
                json!({"dest": "http://x.example/", "stream": "yes"}),
                "stream",
            ),
            (
                json!({"dest": "http://x.example/", "stream": true, "reportIfEmpty": true}),
                "reportIfEmpty",
            ),
            (
                json!({"dest": "http://x.example/", "stream": true, "initialRecordTime": "yesterday"}),
                "initialRecordTime",
            ),
            (
                json!({"dest": "http://x.example/", "stream": true, "signatureToken": ""}),
                "signatureToken",
            ),
            (
                json!({"dest": "http://x.example/", "stream": true, "destination": "x"}),
                "destination",
            ),
            (json!([1]), "body"),
        ] {
            match subscription("q", &body, now) {
                Err(ServiceError::BadParameter { param, .. }) => assert_eq!(param, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn named_queries_take_the_event_query_checks() {
        let d = query_definition(&json!({"name": "receipts", "query": {
            "eventType": ["ObjectEvent"], "EQ_bizStep": ["receiving", "shipping"], "GE_eventTime": "2026-01-01"
        }}))
        .unwrap();
        assert_eq!(d.name, "receipts");
        assert_eq!(d.query["EQ_bizStep"], json!(["receiving", "shipping"]));
        // A comma-separated string is the same list.
        let same = query_definition(&json!({"name": "receipts", "query": {
            "eventType": "ObjectEvent", "EQ_bizStep": "receiving,shipping", "GE_eventTime": "2026-01-01"
        }}))
        .unwrap();
        assert_eq!(d, same);
        let q = event_query(&d.query, &[("perPage".to_string(), "5".to_string())]).unwrap();
        assert_eq!(q.limit, 5);
        assert_eq!(q.biz_steps, vec!["receiving", "shipping"]);
        for (body, field) in [
            (
                json!({"name": "q", "query": {"EQ_bizStep": ["recieving"]}}),
                "query.EQ_bizStep",
            ),
            (
                json!({"name": "q", "query": {"GE_eventTime": "soon"}}),
                "query.GE_eventTime",
            ),
            (
                json!({"name": "q", "query": {"perPage": "5"}}),
                "query.perPage",
            ),
            (
                json!({"name": "q", "query": {"EQ_bizStep": [1]}}),
                "query.EQ_bizStep",
            ),
            (json!({"name": "q", "query": []}), "query"),
            (json!({"name": "a/b"}), "name"),
            (json!({"query": {}}), "name"),
            (json!({"name": "q", "filter": {}}), "filter"),
        ] {
            match query_definition(&body) {
                Err(ServiceError::BadParameter { param, .. }) => assert_eq!(param, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        // The events of a named query take only paging parameters.
        let e = event_query(&d.query, &[("EQ_bizStep".to_string(), "x".to_string())]).unwrap_err();
        assert!(e.to_string().contains("EQ_bizStep"), "{e}");
        // A paging parameter given twice is refused, not the last one taken.
        let e = event_query(
            &d.query,
            &[
                ("perPage".to_string(), "5".to_string()),
                ("perPage".to_string(), "7".to_string()),
            ],
        )
        .unwrap_err();
        assert!(
            matches!(&e, ServiceError::BadParameter { param, .. } if param == "perPage"),
            "{e}"
        );
    }
}
