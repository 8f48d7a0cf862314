//! Percent-encoding helpers shared by EPC URNs and GS1 Digital Link URIs.

use crate::error::Gs1Error;

/// The canonical resolver host of GS1 Digital Link URIs, used when Equitas
/// writes a Digital Link (GS1 Digital Link URI syntax 1.2, section 4.8).
pub const DIGITAL_LINK_DEFAULT_HOST: &str = "https://id.gs1.org";

/// Escapes a serial, lot or extension for an EPC pure-identity URN. EPC Tag
/// Data Standard 2.1, table A-1: `"`, `%`, `&`, `/`, `<`, `>` and `?` must be
/// written as `%HH`; the other GS1 CSet 82 characters stand as they are.
pub(crate) fn urn_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '%' | '&' | '/' | '<' | '>' | '?' => out.push_str(&format!("%{:02X}", c as u32)),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes a value for a Digital Link path segment: the characters an EPC
/// URN escapes (`"` `%` `&` `/` `<` `>` `?`, and `#` in CPI components) and
/// those GS1 Digital Link URI syntax 1.2, table 7-1, requires to be
/// percent-encoded (space, `!` `#` `(` `)` `*` `+` `,` `:`), with upper-case hex. This is the canonical form the CBV 2.0
/// Event Hash ID uses, so an identifier has one written form in Equitas.
pub fn dl_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if DL_ESCAPED.contains(&c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The characters [`dl_escape`] writes as `%HH`.
const DL_ESCAPED: [char; 16] = [
    '"', '%', '&', '/', '<', '>', '?', '#', ' ', '!', '(', ')', '*', '+', ',', ':',
];

/// Decodes `%HH` sequences. Fails on a truncated or non-hex escape, or on a
/// result that is not UTF-8.
pub(crate) fn percent_decode(field: &'static str, s: &str) -> Result<String, Gs1Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    Gs1Error::syntax(field, format!("bad percent-escape at position {}", i + 1))
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Gs1Error::syntax(field, "escapes do not decode to UTF-8"))
}

/// An EPC URN component (serial, lot, extension: URN-escaped) as a Digital
/// Link path segment. `None` if its escapes are malformed.
pub fn urn_component_to_dl(component: &str) -> Option<std::borrow::Cow<'_, str>> {
    // Nothing to decode and nothing to escape (the usual serial or lot):
    // the component as it is.
    if !component.contains(DL_ESCAPED) {
        return Some(component.into());
    }
    percent_decode("EPC URN component", component)
        .ok()
        .map(|v| dl_escape(&v).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn urn_components_as_digital_link_segments() {
        // Nothing to decode or escape: the component itself, not a copy.
        assert!(matches!(
            urn_component_to_dl("L123-a_b.c"),
            Some(Cow::Borrowed("L123-a_b.c"))
        ));
        // URN escapes decoded, then what a Digital Link path escapes.
        assert_eq!(urn_component_to_dl("A%2FB").as_deref(), Some("A%2FB"));
        assert_eq!(urn_component_to_dl("x%28y%29").as_deref(), Some("x%28y%29"));
        assert_eq!(urn_component_to_dl("%41!").as_deref(), Some("A%21"));
        assert_eq!(urn_component_to_dl("a(b)").as_deref(), Some("a%28b%29"));
        assert_eq!(urn_component_to_dl("%zz"), None);
        assert_eq!(dl_escape("a/b c"), "a%2Fb%20c");
    }
}
