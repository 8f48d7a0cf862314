//! The dashboard (`web/`, built by Vite into `web/dist` and embedded in the
//! binary) and the formulas doc as a page, so that every figure's
//! definition is one click away, offline.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use rust_embed::RustEmbed;
use std::sync::OnceLock;

#[derive(RustEmbed)]
#[folder = "../../web/dist"]
struct Assets;

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{*path}", get(asset))
        .route("/favicon.ico", get(favicon))
        .route("/docs/formulas", get(formulas))
}

fn file(path: &str, cache: &'static str) -> Response {
    match Assets::get(path) {
        Some(f) => {
            let mime = f.metadata.mimetype().to_string();
            let mut r = f.data.into_owned().into_response();
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&mime) {
                h.insert(header::CONTENT_TYPE, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            r
        }
        None => {
            crate::Problem::not_found(format!("no file {path} in the dashboard")).into_response()
        }
    }
}

async fn index() -> Response {
    // The page names its hashed assets: always ask for the newest.
    file("index.html", "no-cache")
}

/// The icon browsers ask every page of the server for (web/public/favicon.ico).
async fn favicon() -> Response {
    file("favicon.ico", "public, max-age=86400")
}

async fn asset(Path(path): Path<String>) -> Response {
    // Hashed names never change content.
    file(
        &format!("assets/{path}"),
        "public, max-age=31536000, immutable",
    )
}

const FORMULAS: &str = include_str!("../../../docs/formulas.md");

/// The anchor of a heading: `s3-9` for "3.9 Availability", `s2` for
/// "2. Supply and market", else a slug of the text.
pub fn anchor(heading: &str) -> String {
    let first = heading.split_whitespace().next().unwrap_or("");
    let number = first.trim_end_matches('.');
    if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return format!("s{}", number.replace('.', "-"));
    }
    let mut out = String::new();
    for c in heading.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// docs/formulas.md as HTML with an anchor on every heading.
pub fn formulas_html() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        let opts = Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES;
        let mut events: Vec<Event> = Parser::new_ext(FORMULAS, opts).collect();
        let mut i = 0;
        while i < events.len() {
            if let Event::Start(Tag::Heading { level, .. }) = &events[i] {
                let level: HeadingLevel = *level;
                let mut text = String::new();
                let mut j = i + 1;
                while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                    if let Event::Text(t) | Event::Code(t) = &events[j] {
                        text.push_str(t);
                    }
                    j += 1;
                }
                events[i] = Event::Start(Tag::Heading {
                    level,
                    id: Some(anchor(&text).into()),
                    classes: vec![],
                    attrs: vec![],
                });
                i = j;
            }
            i += 1;
        }
        let mut body = String::new();
        pulldown_cmark::html::push_html(&mut body, events.into_iter());
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Equitas formulas</title><style>\
             body{{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem 1.5rem;line-height:1.5;color:#1d2733}}\
             table{{border-collapse:collapse}}td,th{{border:1px solid #d9dee4;padding:.2rem .5rem}}\
             pre{{background:#f5f7f9;padding:.6rem;overflow-x:auto}}code{{font-size:.92em}}\
             :target{{background:#fff3c4}}</style></head><body>\
             <p><a href=\"/\">Equitas dashboard</a></p>{body}</body></html>"
        )
    })
}

async fn formulas() -> Response {
    (StatusCode::OK, Html(formulas_html())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_follow_section_numbers() {
        assert_eq!(anchor("3.9 Availability"), "s3-9");
        assert_eq!(anchor("2. Supply and market"), "s2");
        assert_eq!(anchor("3.10 Data problems"), "s3-10");
        assert_eq!(anchor("Formulas"), "formulas");
    }

    /// Quoted section numbers ("3.9") in the dashboard's sources.
    fn sections_in(dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir)
            .expect("web/src is readable")
            .flatten()
        {
            let p = e.path();
            if p.is_dir() {
                sections_in(&p, out);
            } else if p.extension().is_some_and(|x| x == "ts") {
                let text = std::fs::read_to_string(&p).expect("a source file");
                for quoted in text.split('"').skip(1).step_by(2) {
                    let mut parts = quoted.split('.');
                    let numeric = |x: Option<&str>| {
                        x.is_some_and(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()))
                    };
                    if numeric(parts.next()) && numeric(parts.next()) && parts.next().is_none() {
                        out.push(quoted.to_string());
                    }
                }
            }
        }
    }

    #[test]
    fn every_section_the_dashboard_links_to_has_its_anchor() {
        let page = formulas_html();
        let mut sections = Vec::new();
        sections_in(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/src"),
            &mut sections,
        );
        assert!(sections.len() >= 9, "found {sections:?}");
        for s in sections {
            let id = format!("id=\"s{}\"", s.replace('.', "-"));
            assert!(
                page.contains(&id),
                "the dashboard links to {s}, the formulas page has no {id}"
            );
        }
    }

    #[test]
    fn the_dashboard_is_embedded() {
        let index = Assets::get("index.html").expect("web/dist/index.html is embedded");
        let text = String::from_utf8_lossy(&index.data);
        assert!(text.contains("/assets/"), "index.html names its assets");
        assert!(
            Assets::get("favicon.ico").is_some(),
            "web/dist/favicon.ico is embedded"
        );
    }
}
