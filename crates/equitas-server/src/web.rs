//! The dashboard (`web/`, built by Vite into `web/dist` and embedded in the
//! binary) and the formulas doc as a page, in English (the reference) and
//! French, so that every figure's definition is one click away, offline.

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
        .route(DocLang::En.path(), get(|| formulas(DocLang::En)))
        .route(DocLang::Fr.path(), get(|| formulas(DocLang::Fr)))
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

/// The languages the formulas doc is written in: docs/formulas.md is the
/// reference, docs/formulas.fr.md its French translation, kept in step by the
/// test `the_french_formulas_keep_step_with_the_english` (same numbered
/// sections, so the same anchors; the same vectors blocks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocLang {
    En,
    Fr,
}

impl DocLang {
    pub const ALL: [DocLang; 2] = [DocLang::En, DocLang::Fr];

    fn markdown(self) -> &'static str {
        match self {
            DocLang::En => include_str!("../../../docs/formulas.md"),
            DocLang::Fr => include_str!("../../../docs/formulas.fr.md"),
        }
    }

    /// Where the server serves the page.
    pub fn path(self) -> &'static str {
        match self {
            DocLang::En => "/docs/formulas",
            DocLang::Fr => "/docs/formulas/fr",
        }
    }

    /// A link in the doc to a doc file (`formulas.fr.md#s3-9`) as a link
    /// to its page on this server (`/docs/formulas/fr#s3-9`).
    fn served_link(self, dest: &str) -> Option<String> {
        let file = match self {
            DocLang::En => "formulas.md",
            DocLang::Fr => "formulas.fr.md",
        };
        let rest = dest.strip_prefix(file)?;
        (rest.is_empty() || rest.starts_with('#')).then(|| format!("{}{rest}", self.path()))
    }

    fn code(self) -> &'static str {
        match self {
            DocLang::En => "en",
            DocLang::Fr => "fr",
        }
    }

    fn other(self) -> DocLang {
        match self {
            DocLang::En => DocLang::Fr,
            DocLang::Fr => DocLang::En,
        }
    }

    /// The page's title, its link to the dashboard, and the link to the
    /// other language (named in that language).
    fn words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            DocLang::En => (
                "Equitas formulas",
                "Equitas dashboard",
                "English version (the reference)",
            ),
            DocLang::Fr => (
                "Formules d’Equitas",
                "Tableau de bord Equitas",
                "Version française",
            ),
        }
    }
}

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

/// The formulas doc as HTML in `lang`, with an anchor on every heading
/// (`sN-M` on numbered ones, the same in both languages) and a link to the
/// other language at the top.
pub fn formulas_html(lang: DocLang) -> &'static str {
    static EN: OnceLock<String> = OnceLock::new();
    static FR: OnceLock<String> = OnceLock::new();
    let cell = match lang {
        DocLang::En => &EN,
        DocLang::Fr => &FR,
    };
    cell.get_or_init(|| render_formulas(lang))
}

fn render_formulas(lang: DocLang) -> String {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES;
    let mut events: Vec<Event> = Parser::new_ext(lang.markdown(), opts).collect();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) = &events[i]
            && let Some(to) = DocLang::ALL.iter().find_map(|l| l.served_link(dest_url))
        {
            events[i] = Event::Start(Tag::Link {
                link_type: *link_type,
                dest_url: to.into(),
                title: title.clone(),
                id: id.clone(),
            });
        }
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
    let (title, dashboard, _) = lang.words();
    let other = lang.other();
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\
         <link rel=\"alternate\" hreflang=\"{other_code}\" href=\"{other_path}\"><style>\
         body{{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem 1.5rem;line-height:1.5;color:#1d2733}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #d9dee4;padding:.2rem .5rem}}\
         pre{{background:#f5f7f9;padding:.6rem;overflow-x:auto}}code{{font-size:.92em}}\
         :target{{background:#fff3c4}}</style></head><body>\
         <p><a href=\"/\">{dashboard}</a> · <a class=\"lang\" href=\"{other_path}\" hreflang=\"{other_code}\" lang=\"{other_code}\">{other_name}</a></p>{body}</body></html>",
        code = lang.code(),
        other_code = other.code(),
        other_path = other.path(),
        other_name = other.words().2,
    )
}

async fn formulas(lang: DocLang) -> Response {
    (StatusCode::OK, Html(formulas_html(lang))).into_response()
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
        let mut sections = Vec::new();
        sections_in(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/src"),
            &mut sections,
        );
        assert!(sections.len() >= 9, "found {sections:?}");
        for lang in DocLang::ALL {
            let page = formulas_html(lang);
            for s in &sections {
                let id = format!("id=\"s{}\"", s.replace('.', "-"));
                assert!(
                    page.contains(&id),
                    "the dashboard links to {s}, the {lang:?} formulas page has no {id}"
                );
            }
        }
    }

    /// What must be the same in both languages: the numbers of the `##` and
    /// `###` headings, in order (one entry per heading, numbered or not), and
    /// the ```vectors blocks (info string and content).
    #[derive(Debug, PartialEq)]
    struct Outline {
        sections: Vec<String>,
        vectors: Vec<(String, String)>,
    }

    fn outline(markdown: &str) -> Outline {
        use pulldown_cmark::CodeBlockKind;
        let mut out = Outline {
            sections: Vec::new(),
            vectors: Vec::new(),
        };
        let mut heading: Option<String> = None;
        let mut block: Option<(String, String)> = None;
        for e in Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES) {
            match e {
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H2 | HeadingLevel::H3,
                    ..
                }) => heading = Some(String::new()),
                Event::End(TagEnd::Heading(_)) => {
                    if let Some(text) = heading.take() {
                        // The number ("3.9", "2"), or the whole heading when
                        // it has none (so an unnumbered one still counts).
                        let first = text.split_whitespace().next().unwrap_or("");
                        let number = first.trim_end_matches('.');
                        let numbered = !number.is_empty()
                            && number.chars().all(|c| c.is_ascii_digit() || c == '.');
                        out.sections.push(if numbered {
                            number.to_string()
                        } else {
                            format!("(unnumbered) {text}")
                        });
                    }
                }
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                    if info.starts_with("vectors") =>
                {
                    block = Some((info.to_string(), String::new()))
                }
                Event::Text(t) | Event::Code(t) => {
                    if let Some(h) = heading.as_mut() {
                        h.push_str(&t);
                    } else if let Some((_, body)) = block.as_mut() {
                        body.push_str(&t);
                    }
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some(b) = block.take() {
                        out.vectors.push(b);
                    }
                }
                _ => {}
            }
        }
        out
    }

    #[test]
    fn the_french_formulas_keep_step_with_the_english() {
        let en = outline(DocLang::En.markdown());
        let fr = outline(DocLang::Fr.markdown());
        assert!(
            en.sections.len() >= 30 && en.vectors.len() >= 16,
            "docs/formulas.md read as {} sections and {} vectors blocks",
            en.sections.len(),
            en.vectors.len()
        );
        assert_eq!(
            en.sections, fr.sections,
            "docs/formulas.fr.md must have the sections of docs/formulas.md, same numbers, same order"
        );
        for (i, (e, f)) in en.vectors.iter().zip(&fr.vectors).enumerate() {
            assert_eq!(
                e, f,
                "vectors block {i} ({}) differs in docs/formulas.fr.md: copy it byte for byte",
                e.0
            );
        }
        assert_eq!(
            en.vectors.len(),
            fr.vectors.len(),
            "docs/formulas.fr.md must have every vectors block of docs/formulas.md"
        );
        // A section added to the English only is caught.
        let mut longer = DocLang::En.markdown().to_string();
        longer.push_str("\n### 5.3 A new figure\n\nText.\n");
        assert_ne!(outline(&longer).sections, fr.sections);
        // So is a vectors block changed in one language only.
        let changed = DocLang::En
            .markdown()
            .replacen("\"check\": 3}", "\"check\": 4}", 1);
        assert_ne!(outline(&changed).vectors, fr.vectors);
    }

    #[test]
    fn both_pages_have_the_same_anchors_and_link_to_each_other() {
        let ids = |page: &str| -> Vec<String> {
            page.split("id=\"s")
                .skip(1)
                .map(|rest| rest.split('"').next().unwrap_or("").to_string())
                .collect()
        };
        let en = formulas_html(DocLang::En);
        let fr = formulas_html(DocLang::Fr);
        assert!(ids(en).len() >= 30, "{:?}", ids(en));
        assert_eq!(ids(en), ids(fr));
        assert!(en.starts_with("<!doctype html><html lang=\"en\">"));
        assert!(fr.starts_with("<!doctype html><html lang=\"fr\">"));
        assert!(en.contains("<a class=\"lang\" href=\"/docs/formulas/fr\""));
        assert!(fr.contains("<a class=\"lang\" href=\"/docs/formulas\""));
        assert!(fr.contains("<h3 id=\"s3-5\">3.5 Consommation moyenne mensuelle (CMM)</h3>"));
        // The docs' links to each other lead to the served pages.
        assert!(en.contains("<a href=\"/docs/formulas/fr\">formulas.fr.md</a>"));
        assert!(fr.contains("<a href=\"/docs/formulas\"><code>docs/formulas.md</code></a>"));
    }

    #[tokio::test]
    async fn each_language_is_served_at_its_path() {
        use axum::body::{Body, to_bytes};
        use axum::http::Request;
        use tower::ServiceExt;
        for (path, lang) in [("/docs/formulas", "en"), ("/docs/formulas/fr", "fr")] {
            let res = router::<()>()
                .oneshot(Request::get(path).body(Body::empty()).expect("a request"))
                .await
                .expect("an answer");
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let body = to_bytes(res.into_body(), usize::MAX).await.expect("a body");
            let text = String::from_utf8_lossy(&body);
            assert!(
                text.starts_with(&format!("<!doctype html><html lang=\"{lang}\">")),
                "{path}"
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
