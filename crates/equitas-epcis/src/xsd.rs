//! Validation of EPCIS 2.0 XML documents against the GS1 EPCIS 2.0 XSDs,
//! by libxml2's XML Schema validator (the system library: Debian's
//! `libxml2`, with `libxml2-dev` to build).
//!
//! The XSDs are GS1's, distributed under GS1's terms; Equitas does not embed
//! them but loads `EPCglobal-epcis-2_0.xsd` from a directory the user names
//! (its imports, `EPCglobal.xsd` and the Standard Business Document Header,
//! are read from the same directory).
//!
//! No pure-Rust XSD validator handles these schemas (`xmlschema` 0.0.14 does
//! not model the repeated choice of `EventList`), and the `libxml` crate
//! needs libclang to build, so the few libxml2 functions used are declared
//! here. Documents are read with network access off and no entity
//! expansion.

use crate::validate::SchemaProblem;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::path::Path;
use std::sync::{Mutex, Once};

/// libxml2 is initialised once, before any thread uses it.
static INIT: Once = Once::new();

#[repr(C)]
struct XmlError {
    domain: c_int,
    code: c_int,
    message: *const c_char,
    level: c_int,
    file: *const c_char,
    line: c_int,
    str1: *const c_char,
    str2: *const c_char,
    str3: *const c_char,
    int1: c_int,
    int2: c_int,
    ctxt: *mut c_void,
    node: *mut c_void,
}

type StructuredErrorFunc = extern "C" fn(user: *mut c_void, error: *const XmlError);

#[link(name = "xml2")]
unsafe extern "C" {
    fn xmlInitParser();
    fn xmlSchemaNewParserCtxt(url: *const c_char) -> *mut c_void;
    fn xmlSchemaSetParserStructuredErrors(
        ctxt: *mut c_void,
        handler: StructuredErrorFunc,
        user: *mut c_void,
    );
    fn xmlSchemaParse(ctxt: *mut c_void) -> *mut c_void;
    fn xmlSchemaFreeParserCtxt(ctxt: *mut c_void);
    fn xmlSchemaFree(schema: *mut c_void);
    fn xmlSchemaNewValidCtxt(schema: *mut c_void) -> *mut c_void;
    fn xmlSchemaSetValidStructuredErrors(
        ctxt: *mut c_void,
        handler: StructuredErrorFunc,
        user: *mut c_void,
    );
    fn xmlSchemaFreeValidCtxt(ctxt: *mut c_void);
    fn xmlReaderForMemory(
        buffer: *const c_char,
        size: c_int,
        url: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> *mut c_void;
    fn xmlTextReaderSchemaValidateCtxt(
        reader: *mut c_void,
        ctxt: *mut c_void,
        options: c_int,
    ) -> c_int;
    fn xmlTextReaderRead(reader: *mut c_void) -> c_int;
    fn xmlTextReaderIsValid(reader: *mut c_void) -> c_int;
    fn xmlFreeTextReader(reader: *mut c_void);
    fn xmlSetStructuredErrorFunc(user: *mut c_void, handler: Option<StructuredErrorFunc>);
}

/// XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_BIG_LINES: no network, no
/// size limits on text, and line numbers above 65,535 kept. Without the
/// last, every element past that line is reported at line 65535 (so with
/// the wrong event), and libxml2 looks for the true line of each problem
/// by walking back through the document: 30 s for 4,000 problems in a
/// 30,000-event document.
const PARSE_OPTIONS: c_int = (1 << 11) | (1 << 19) | (1 << 22);

/// One message of libxml2: its line and text.
type Collected = Vec<(usize, String)>;

extern "C" fn collect(user: *mut c_void, error: *const XmlError) {
    if user.is_null() || error.is_null() {
        return;
    }
    // SAFETY: `user` is the `Collected` passed by the caller below, alive for
    // the whole call that reports into it; `error` is libxml2's, valid here.
    let (out, e) = unsafe { (&mut *(user as *mut Collected), &*error) };
    let message = if e.message.is_null() {
        String::from("invalid")
    } else {
        // SAFETY: libxml2 gives a NUL-terminated message.
        unsafe { CStr::from_ptr(e.message) }
            .to_string_lossy()
            .trim()
            .to_string()
    };
    out.push((usize::try_from(e.line).unwrap_or(0), message));
}

/// Why the XSDs could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct XsdError {
    pub path: String,
    pub reason: String,
}

/// The compiled EPCIS 2.0 XSD.
pub struct XsdValidator {
    /// libxml2's schema; validations take the lock (a schema may be used
    /// by one validation context at a time).
    schema: Mutex<SchemaPtr>,
}

struct SchemaPtr(*mut c_void);

// SAFETY: the pointer is only used under the Mutex, and freed once on drop.
unsafe impl Send for SchemaPtr {}

impl Drop for XsdValidator {
    fn drop(&mut self) {
        let p = self
            .schema
            .get_mut()
            .map(|s| s.0)
            .unwrap_or_else(|e| e.into_inner().0);
        if !p.is_null() {
            // SAFETY: created by xmlSchemaParse, freed only here.
            unsafe { xmlSchemaFree(p) }
        }
    }
}

/// The file in an XSD directory that the others are imported from.
pub const MAIN_XSD: &str = "EPCglobal-epcis-2_0.xsd";

impl XsdValidator {
    /// Loads the XSDs from `dir` (the GS1 `XSD` folder).
    pub fn from_dir(dir: &Path) -> Result<Self, XsdError> {
        let main = dir.join(MAIN_XSD);
        let err = |reason: String| XsdError {
            path: main.display().to_string(),
            reason,
        };
        if !main.is_file() {
            return Err(err("no such file".into()));
        }
        let url = CString::new(main.to_string_lossy().as_bytes())
            .map_err(|_| err("the path holds a NUL byte".into()))?;
        let mut messages: Collected = Vec::new();
        // SAFETY: plain libxml2 calls on pointers it returned, checked for
        // null; `messages` outlives the parser context that reports into it.
        // SAFETY: xmlInitParser takes no arguments; Once runs it one time.
        INIT.call_once(|| unsafe { xmlInitParser() });
        let schema = unsafe {
            let ctxt = xmlSchemaNewParserCtxt(url.as_ptr());
            if ctxt.is_null() {
                return Err(err("libxml2 could not start reading it".into()));
            }
            xmlSchemaSetParserStructuredErrors(
                ctxt,
                collect,
                &mut messages as *mut Collected as *mut c_void,
            );
            xmlSetStructuredErrorFunc(
                &mut messages as *mut Collected as *mut c_void,
                Some(collect),
            );
            let s = xmlSchemaParse(ctxt);
            xmlSetStructuredErrorFunc(std::ptr::null_mut(), None);
            xmlSchemaFreeParserCtxt(ctxt);
            s
        };
        if schema.is_null() {
            let why: Vec<String> = messages.into_iter().map(|(_, m)| m).collect();
            return Err(err(format!("not a usable XSD: {}", why.join("; "))));
        }
        Ok(XsdValidator {
            schema: Mutex::new(SchemaPtr(schema)),
        })
    }

    /// Every problem of an XML document; empty if it is valid. `event`
    /// is set for problems inside an event (found by line). A lone event,
    /// which the XSD declares no element for, is checked inside a document.
    pub fn validate_text(&self, text: &str) -> Vec<SchemaProblem> {
        match crate::xml::open(text) {
            Ok((events, _)) => self.validate_events(&events),
            // Well-formed but without events: libxml2 says what is wrong.
            Err(crate::EpcisError::Structure { .. }) => self.problems(text, &[]),
            Err(e) => vec![SchemaProblem {
                event: None,
                path: String::new(),
                message: e.to_string(),
            }],
        }
    }

    /// [`validate_text`](Self::validate_text) for a document whose events
    /// are found already.
    pub(crate) fn validate_events(&self, events: &crate::xml::XmlEvents) -> Vec<SchemaProblem> {
        let text = events.text();
        // The events' first and last lines, to say which event a problem is in.
        let line = |at: usize| events.place(at).line as usize;
        let lines: Vec<(usize, usize)> = events
            .ranges()
            .map(|r| (line(r.start), line(r.end)))
            .collect();
        match events.ranges().next() {
            Some(r) if events.is_lone() => {
                // On the event's own first line, so that lines stay the same.
                let Ok(parsed) = roxmltree::Document::parse(text) else {
                    return self.problems(text, &lines);
                };
                let wrapped = format!(
                    "{}<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\" schemaVersion=\"2.0\" creationDate=\"2000-01-01T00:00:00Z\"><EPCISBody><EventList>{}</EventList></EPCISBody></epcis:EPCISDocument>",
                    "\n".repeat(lines[0].0.saturating_sub(1)),
                    lone_event(&text[r], parsed.root_element())
                );
                self.problems(&wrapped, &lines)
            }
            _ => self.problems(text, &lines),
        }
    }

    /// libxml2's problems with `text`, each given the index of the event
    /// (by its first and last lines) it is in.
    fn problems(&self, text: &str, events: &[(usize, usize)]) -> Vec<SchemaProblem> {
        let messages = match self.check(text) {
            Ok(m) => m,
            Err(m) => {
                return vec![SchemaProblem {
                    event: None,
                    path: String::new(),
                    message: m,
                }];
            }
        };
        let mut out: Vec<SchemaProblem> = messages
            .into_iter()
            .map(|(line, message)| SchemaProblem {
                event: events.iter().position(|&(a, b)| (a..=b).contains(&line)),
                path: format!("line {line}"),
                message,
            })
            .collect();
        out.dedup();
        out
    }

    /// libxml2's messages for a document text (`Err` if it cannot run).
    fn check(&self, text: &str) -> Result<Collected, String> {
        let size = c_int::try_from(text.len()).map_err(|_| "larger than 2 GB".to_string())?;
        let schema = self
            .schema
            .lock()
            .map_err(|_| "the XSD validator failed before".to_string())?;
        let mut messages: Collected = Vec::new();
        let user = &mut messages as *mut Collected as *mut c_void;
        // The document is validated as libxml2's reader streams through it
        // (SAX), so that it is never held as a tree and each problem comes
        // with the line the parser is at.
        // SAFETY: libxml2 calls on pointers it returned, each checked for
        // null and freed once (the reader before the validation context it
        // was given, which it does not own); the text outlives the reader,
        // `messages` the contexts that report into it; the schema is used
        // under the lock.
        let status = unsafe {
            xmlSetStructuredErrorFunc(user, Some(collect));
            let reader = xmlReaderForMemory(
                text.as_ptr() as *const c_char,
                size,
                c"document.xml".as_ptr(),
                // The text is a Rust string: UTF-8 whatever its declaration says.
                c"UTF-8".as_ptr(),
                PARSE_OPTIONS,
            );
            let ctxt = xmlSchemaNewValidCtxt(schema.0);
            let status = if reader.is_null() || ctxt.is_null() {
                -1
            } else {
                xmlSchemaSetValidStructuredErrors(ctxt, collect, user);
                if xmlTextReaderSchemaValidateCtxt(reader, ctxt, 0) != 0 {
                    -1
                } else {
                    let mut read = xmlTextReaderRead(reader);
                    while read == 1 {
                        read = xmlTextReaderRead(reader);
                    }
                    match (read, xmlTextReaderIsValid(reader)) {
                        (0, 1) => 0,
                        (0, _) => 1,
                        // Not well-formed: the parser's messages say why.
                        _ => -2,
                    }
                }
            };
            if !reader.is_null() {
                xmlFreeTextReader(reader);
            }
            if !ctxt.is_null() {
                xmlSchemaFreeValidCtxt(ctxt);
            }
            xmlSetStructuredErrorFunc(std::ptr::null_mut(), None);
            status
        };
        match status {
            0 => Ok(Vec::new()),
            -1 => Err("libxml2 could not validate (internal error)".into()),
            -2 if messages.is_empty() => Err("libxml2 could not read the document".into()),
            _ if messages.is_empty() => Ok(vec![(0, format!("invalid (libxml2 code {status})"))]),
            _ => Ok(messages),
        }
    }
}

/// A lone event's text without the document attributes it may carry
/// (`schemaVersion`, `creationDate`: not event fields) and with the
/// namespaces in scope declared on it.
fn lone_event(text: &str, root: roxmltree::Node) -> String {
    let Some(end) = text.find('>') else {
        return text.to_string();
    };
    let (start_tag, rest) = text.split_at(end);
    let mut tag = start_tag.to_string();
    for a in root.attributes() {
        if a.namespace().is_none() && crate::xml::DOCUMENT_FIELDS.contains(&a.name()) {
            for quote in ['"', '\''] {
                let written = format!("{}={quote}{}{quote}", a.name(), a.value());
                tag = tag.replacen(&written, "", 1);
            }
        }
    }
    format!("{tag}{rest}")
}
