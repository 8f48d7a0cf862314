//! `equitas gs1 ID...`: GS1 identifiers checked and converted.

use equitas_gs1::{Epc, Gln, Gtin, Sscc, parse_element_string};
use std::process::ExitCode;

/// `equitas gs1`: checks each identifier and prints what it is.
pub fn run(ids: &[String], gcp_length: Option<usize>) -> ExitCode {
    let today = chrono::Local::now().date_naive();
    let mut ok = true;
    for id in ids {
        match describe_gs1(id, gcp_length, today) {
            Ok(lines) => {
                println!("{id}");
                for l in lines {
                    println!("  {l}");
                }
            }
            Err(e) => {
                ok = false;
                eprintln!("{id}\n  invalid: {e}");
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn describe_epc(epc: &Epc, gcp_length: Option<usize>) -> Vec<String> {
    let mut v = vec![format!("GS1 Digital Link: {}", epc.to_digital_link())];
    if let Some(n) = gcp_length {
        match epc.to_urn(n) {
            Ok(u) => v.push(format!("EPC URN: {u}")),
            Err(e) => v.push(format!("EPC URN: {e}")),
        }
    }
    v
}

fn describe_gs1(
    id: &str,
    gcp_length: Option<usize>,
    today: chrono::NaiveDate,
) -> Result<Vec<String>, equitas_gs1::Gs1Error> {
    let s = id.trim();
    if s.starts_with("urn:") {
        let epc = Epc::from_urn(s)?;
        let mut v = vec![format!("valid EPC URN: {}", epc.describe())];
        v.extend(describe_epc(&epc, gcp_length.or(Epc::urn_gcp_length(s))));
        return Ok(v);
    }
    if s.starts_with("http://") || s.starts_with("https://") {
        let epc = Epc::from_digital_link(s)?;
        let mut v = vec![format!("valid GS1 Digital Link: {}", epc.describe())];
        v.extend(describe_epc(&epc, gcp_length));
        return Ok(v);
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && s.len() <= 18 {
        return match s.len() {
            13 => {
                let g = Gtin::parse(s)?;
                Gln::parse(s)?;
                Ok(vec![format!(
                    "valid check digit: as a GTIN-13, GTIN-14 form {g}; as a GLN, {s}"
                )])
            }
            18 => Ok(vec![format!("valid SSCC {}", Sscc::parse(s)?)]),
            _ => {
                let g = Gtin::parse(s)?;
                Ok(vec![format!("valid GTIN-{}, GTIN-14 form {g}", s.len())])
            }
        };
    }
    let es = parse_element_string(s, today)?;
    let mut v = vec![format!("valid element string: {}", es.to_hri())];
    if let Some(d) = es.expiry {
        v.push(format!("expiry date: {d}"));
    }
    if let Some(epc) = es.to_epc() {
        v.extend(describe_epc(&epc, gcp_length));
    }
    Ok(v)
}
