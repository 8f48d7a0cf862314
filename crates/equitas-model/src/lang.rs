//! The languages Equitas names things in: English and French.

/// A language of the names an answer gives (country names: English or
/// French, from the country codes' `official_name_fr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    /// The code of the language (`en`, `fr`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The language an HTTP `Accept-Language` header prefers (RFC 9110,
    /// 12.5.4): of English and French, the one with the highest weight
    /// (`q`), the first listed on a tie; English where it names neither,
    /// or names them with weight 0, or cannot be read. `fr-SN`, `fr-FR` and
    /// `fr` are French; `*` is any language, so English.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f64, Lang)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "fr" => Lang::Fr,
                "en" | "*" => Lang::En,
                _ => continue,
            };
            let mut q = 1.0;
            for p in parts {
                if let Some(v) = p.trim().strip_prefix("q=") {
                    q = v.trim().parse::<f64>().unwrap_or(0.0);
                }
            }
            if !(q > 0.0 && q <= 1.0) {
                continue;
            }
            if best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_preferred_of_english_and_french_is_taken() {
        let l = Lang::from_accept_language;
        assert_eq!(l("fr"), Lang::Fr);
        assert_eq!(l("fr-SN,fr;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::Fr);
        assert_eq!(l("en-GB,en;q=0.9,fr;q=0.8"), Lang::En);
        assert_eq!(l("de-DE,de;q=0.9,fr;q=0.5,en;q=0.4"), Lang::Fr);
        assert_eq!(l("en;q=0.5, FR;q=0.6"), Lang::Fr);
        assert_eq!(l("fr;q=0, en"), Lang::En);
        assert_eq!(l("de"), Lang::En);
        assert_eq!(l("*"), Lang::En);
        assert_eq!(l(""), Lang::En);
        assert_eq!(l("fr;q=abc"), Lang::En);
        // A tie goes to the first listed.
        assert_eq!(l("fr;q=0.8,en;q=0.8"), Lang::Fr);
    }

    proptest! {
        /// Whatever a client sends, a language comes back and nothing panics.
        #[test]
        fn any_header_gives_a_language(h in "\\PC{0,80}") {
            let _ = Lang::from_accept_language(&h);
        }
    }
}
