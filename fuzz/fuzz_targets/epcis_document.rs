//! Any bytes as an EPCIS document (JSON or XML): finding its events, reading
//! each (whether or not others fail), hashing, extracting the stored fields
//! and writing the JSON binding must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(doc) = equitas_epcis::EventReader::new(text)
    {
        for i in 0..doc.len() {
            let _ = doc.raw(i);
            if let Ok(e) = doc.event(i) {
                let _ = equitas_epcis::event_hash_ignoring(&e, doc.hash_ignore());
                let _ = equitas_epcis::event::record(&e, doc.hash_ignore());
                let _ = equitas_epcis::json_out::event_json(&e);
            }
        }
    }
});
