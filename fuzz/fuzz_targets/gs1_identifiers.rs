//! Any text as a GS1 key, EPC URN, Digital Link or element string: never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        let _ = equitas_gs1::Gtin::parse(s);
        let _ = equitas_gs1::Gln::parse(s);
        let _ = equitas_gs1::Sscc::parse(s);
        if let Ok(epc) = equitas_gs1::Epc::parse(s) {
            let _ = epc.to_urn(7);
            let _ = equitas_epcis::canon::value(&epc.to_digital_link());
        }
        let _ = equitas_gs1::parse_element_string(s, today);
        let _ = equitas_epcis::canon::value(s);
        let _ = equitas_epcis::canon::timestamp(s);
    }
});
