//! What the server refuses before any handler runs, so that a web page the
//! operator happens to visit cannot use the server through the browser:
//!
//! - a `Host` the server does not serve (DNS rebinding: a hostile name that
//!   resolves to this machine): on a loopback address, any but localhost
//!   and the names given; elsewhere, any name but those given (IP
//!   addresses are served);
//! - a write (POST, PUT, PATCH, DELETE) from another origin: an
//!   `Origin` other than the server's own, or `Sec-Fetch-Site` other than
//!   `same-origin` or `none`;
//! - (in the handlers that take a body, [`body_type`]) a body not declared
//!   JSON or XML (`text/plain` and form types are what a page can send
//!   cross-site without asking first).

use crate::Problem;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::Arc;

/// The host names a server answers to.
#[derive(Debug, Clone, Default)]
pub enum Hosts {
    /// Any, or none (a router not behind `serve`, as in tests).
    #[default]
    Unchecked,
    /// Any IP address, and `localhost`, but no other name: a server on
    /// another address than loopback with no names given.
    Addresses,
    /// These lower-case names, without port.
    Names(Arc<Vec<String>>),
}

impl Hosts {
    /// The names to serve when listening on `addr`, plus `extra` (a port
    /// given with a name is ignored): on a loopback address, `localhost`
    /// and the loopback addresses; elsewhere, the names in `extra` or, if
    /// none, any IP address but no other name: a page can point a name of
    /// its own at this server (DNS rebinding), not an address.
    pub fn for_addr(addr: &SocketAddr, extra: &[String]) -> Self {
        let mut names: Vec<String> = extra
            .iter()
            .map(|h| strip_port(h).to_ascii_lowercase())
            .collect();
        if addr.ip().is_loopback() {
            names.extend(["localhost", "127.0.0.1", "[::1]"].map(String::from));
        } else if names.is_empty() {
            return Hosts::Addresses;
        }
        if !addr.ip().is_unspecified() {
            names.push(match addr {
                SocketAddr::V4(a) => a.ip().to_string(),
                SocketAddr::V6(a) => format!("[{}]", a.ip()),
            });
        }
        names.sort();
        names.dedup();
        Hosts::Names(Arc::new(names))
    }

    fn serves(&self, host: &str) -> bool {
        match self {
            Hosts::Unchecked => true,
            Hosts::Addresses => {
                let name = strip_port(host);
                let ip = name.trim_start_matches('[').trim_end_matches(']');
                ip.parse::<std::net::IpAddr>().is_ok() || name.eq_ignore_ascii_case("localhost")
            }
            Hosts::Names(names) => {
                let name = strip_port(host).to_ascii_lowercase();
                names.contains(&name)
            }
        }
    }
}

/// `host` without its `:port`, keeping the brackets of an IPv6 address.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// Content types a write may declare: the JSON and XML bindings of EPCIS
/// (and any `+json` or `+xml` type).
fn accepted_type(h: &HeaderMap) -> bool {
    let Some(v) = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = v
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/json" | "application/ld+json" | "application/xml" | "text/xml"
    ) || essence.ends_with("+json")
        || essence.ends_with("+xml")
}

/// Why a write comes from another site, if it does.
fn cross_site(h: &HeaderMap) -> Option<String> {
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Some(format!("the browser says it is sent from a {site} page"));
    }
    let origin = h.get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("?");
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    // "scheme://host[:port]" must name this server's host and port.
    let authority = origin.split_once("://").map(|(_, a)| a);
    if authority.is_some_and(|a| Some(a) == host) {
        return None;
    }
    Some(format!("its Origin {origin} is not this server"))
}

/// The middleware: refuses what the module describes, as problem details.
pub async fn check(State(hosts): State<Hosts>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !hosts.serves(host) {
        return Problem::forbidden(
            "/problems/host-not-served",
            format!(
                "this server does not serve the host {host:?} (a page of another site may be trying to reach it); \
                 start it with --allow-host NAME to serve that name"
            ),
        )
        .into_response();
    }
    // Writes; other methods (TRACE...) go on to be answered 405.
    let write = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if write && let Some(why) = cross_site(h) {
        return Problem::forbidden(
            "/problems/cross-site-write",
            format!("a write from another site is refused: {why}"),
        )
        .into_response();
    }
    next.run(req).await
}

/// Refuses a file to import not declared CSV (415): `text/csv` is not a
/// type a page of another site can send without the browser asking first.
pub fn csv_type(h: &HeaderMap) -> Result<(), Problem> {
    let v = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    let essence = v
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "text/csv" {
        return Ok(());
    }
    Err(Problem::new(
        415,
        "/problems/unsupported-media-type",
        "The body's content type is not accepted",
        format!("Content-Type {v}: a file to import must be text/csv"),
    )
    .at("Content-Type"))
}

/// Refuses a body not declared JSON or XML (415), for the handlers that
/// take one (a route that takes none answers other methods 405 instead).
pub fn body_type(h: &HeaderMap) -> Result<(), Problem> {
    if accepted_type(h) {
        return Ok(());
    }
    let found = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    Err(Problem::new(
        415,
        "/problems/unsupported-media-type",
        "The body's content type is not accepted",
        format!(
            "Content-Type {found}: a body must be application/json, application/ld+json, \
             application/xml or text/xml"
        ),
    )
    .at("Content-Type"))
}

/// Refuses a FHIR body not declared JSON (415): `application/fhir+json`,
/// as FHIR names it, or `application/json` (any `+json` type).
pub fn fhir_type(h: &HeaderMap) -> Result<(), Problem> {
    let found = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    let essence = found
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        return Ok(());
    }
    Err(Problem::new(
        415,
        "/problems/unsupported-media-type",
        "The body's content type is not accepted",
        format!(
            "Content-Type {found}: a FHIR resource is sent as application/fhir+json \
             (or application/json); FHIR's XML is not read"
        ),
    )
    .at("Content-Type"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_served() {
        let lo: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let h = Hosts::for_addr(&lo, &[]);
        for ok in [
            "localhost:8080",
            "127.0.0.1:8080",
            "LOCALHOST",
            "[::1]:8080",
        ] {
            assert!(h.serves(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "",
            "127.0.0.2:8080",
            "localhost.evil.example",
        ] {
            assert!(!h.serves(bad), "{bad}");
        }
        let h = Hosts::for_addr(&lo, &["equitas.lan".into()]);
        assert!(h.serves("equitas.lan:8080"));
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let h = Hosts::for_addr(&any, &[]);
        for ok in [
            "192.168.1.10:8080",
            "127.0.0.1:8080",
            "[fe80::1]:8080",
            "localhost",
        ] {
            assert!(h.serves(ok), "{ok}");
        }
        // A name a hostile page controls (rebound to this machine) is not served.
        assert!(!h.serves("evil.example:8080") && !h.serves(""));
        let h = Hosts::for_addr(&lo, &["equitas.lan:8080".into()]);
        assert!(h.serves("equitas.lan:9999"));
        let named = Hosts::for_addr(&any, &["moh.example".into()]);
        assert!(named.serves("moh.example") && !named.serves("evil.example"));
        let v6: SocketAddr = "[::1]:9000".parse().unwrap();
        assert!(Hosts::for_addr(&v6, &[]).serves("[::1]:9000"));
    }

    #[test]
    fn content_types_and_origins() {
        let mut h = HeaderMap::new();
        assert!(!accepted_type(&h));
        for (t, ok) in [
            ("application/json", true),
            ("application/ld+json; charset=utf-8", true),
            ("Application/XML", true),
            ("text/xml", true),
            ("application/epcis+json", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
            ("multipart/form-data; boundary=x", false),
        ] {
            h.insert(header::CONTENT_TYPE, t.parse().unwrap());
            assert_eq!(accepted_type(&h), ok, "{t}");
        }
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(cross_site(&h), None);
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert_eq!(cross_site(&h), None);
        for o in ["http://evil.example", "null", "http://127.0.0.1:9999"] {
            h.insert(header::ORIGIN, o.parse().unwrap());
            assert!(cross_site(&h).is_some(), "{o}");
        }
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(cross_site(&h).is_some());
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert_eq!(cross_site(&h), None);
    }
}
