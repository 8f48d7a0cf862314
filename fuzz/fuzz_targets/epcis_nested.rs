//! Deep nesting: the first two bytes give a depth (up to 65,535), the third
//! where the nesting goes (inside an event or around the event list, in
//! the XML or the JSON binding), the rest is text put at the bottom. Reading
//! the document and each of its events must never panic or overflow the
//! stack, however deep: past `MAX_DEPTH` it is refused with an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [a, b, c, rest @ ..] = data else { return };
    let depth = usize::from(u16::from_le_bytes([*a, *b]));
    let Ok(leaf) = std::str::from_utf8(rest) else { return };
    let event = |inner: &str| {
        format!("<ObjectEvent><eventTime>2026-01-01T00:00:00Z</eventTime>{inner}</ObjectEvent>")
    };
    let text = match c % 4 {
        0 => format!(
            "<EPCISDocument><EPCISBody><EventList>{}</EventList></EPCISBody></EPCISDocument>",
            event(&format!("{}{leaf}{}", "<x>".repeat(depth), "</x>".repeat(depth)))
        ),
        1 => format!(
            "<EPCISDocument>{}<EPCISBody><EventList>{}</EventList></EPCISBody>{}</EPCISDocument>",
            "<w>".repeat(depth),
            event(leaf),
            "</w>".repeat(depth)
        ),
        2 => format!(
            r#"{{"epcisBody": {{"eventList": [{{"type": "ObjectEvent", "x": {}{leaf}{}}}]}}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        ),
        _ => format!(
            r#"{{"epcisBody": {}{{"eventList": [{{"type": "ObjectEvent", "y": "{leaf}"}}]}}{}}}"#,
            r#"{"a": "#.repeat(depth),
            "}".repeat(depth)
        ),
    };
    if let Ok(doc) = equitas_epcis::EventReader::new(&text) {
        for i in 0..doc.len() {
            if let Ok(e) = doc.event(i) {
                let _ = equitas_epcis::event_hash_ignoring(&e, doc.hash_ignore());
                let _ = equitas_epcis::event::record(&e, doc.hash_ignore());
                let _ = equitas_epcis::json_out::event_json(&e);
            }
        }
    }
});
