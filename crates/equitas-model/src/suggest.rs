//! "Did you mean …?": the one rule by which every part of Equitas guesses
//! what a mistyped code, name or parameter value meant.
//!
//! A guess is offered only when it is unambiguous:
//! 1. a candidate written the same but for case, spaces and punctuation
//!    (`ind` for `IND`, "Aurobindo Pharma" for `aurobindo-pharma`), else
//! 2. the candidate most similar by Jaro-Winkler similarity (Winkler,
//!    "String comparator metrics and enhanced decision rules in the
//!    Fellegi-Sunter model of record linkage", 1990; `strsim`) of those
//!    spellings, if at least [`SIMILAR`] (`efavirenz-600-tablet` for
//!    `efavirenz-600mg-tablet`; never `nope` for anything).
//!
//! If two different candidates tie at the best, nothing is guessed: a
//! guess that may be wrong is worse than none.

/// The least Jaro-Winkler similarity at which a spelling is guessed.
pub const SIMILAR: f64 = 0.9;

/// The key two spellings of one name share: its letters and digits in
/// lower case, Latin accents folded as in [`crate::slug`] (`Côte d'Ivoire`
/// and `cote divoire` share `cotedivoire`); letters of other scripts are
/// kept (`Страна` is `страна`), symbols and punctuation dropped.
pub fn name_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            // A Latin letter with an accent folds to its letter; a letter
            // of another script is kept.
            let folded = crate::slug(c.encode_utf8(&mut buf));
            if folded.is_empty() || folded == "-" {
                out.extend(c.to_lowercase());
            } else {
                out.push_str(&folded);
            }
        }
    }
    out
}

/// What `asked` most likely meant among `candidates`: pairs of a value
/// and one spelling that names it (a value may come with several, e.g.
/// its code and its name). `None` if nothing is close enough, or if two
/// different values are equally close.
pub fn did_you_mean<'a, V: PartialEq>(
    asked: &str,
    candidates: impl IntoIterator<Item = (V, &'a str)>,
) -> Option<V> {
    best_of(
        &name_key(asked),
        candidates.into_iter().map(|(v, sp)| (v, name_key(sp))),
    )
}

/// Candidates with their keys worked out once, for guessing many times
/// ([`did_you_mean`] over the same candidates).
pub struct Suggester<V> {
    keyed: Vec<(V, String)>,
}

impl<V: PartialEq> Suggester<V> {
    pub fn new<'a>(candidates: impl IntoIterator<Item = (V, &'a str)>) -> Self {
        Suggester {
            keyed: candidates
                .into_iter()
                .map(|(v, sp)| (v, name_key(sp)))
                .collect(),
        }
    }

    /// What `asked` most likely meant, as [`did_you_mean`] says.
    pub fn guess(&self, asked: &str) -> Option<&V> {
        best_of(
            &name_key(asked),
            self.keyed.iter().map(|(v, k)| (v, k.as_str())),
        )
    }
}

fn best_of<V: PartialEq, K: AsRef<str>>(
    key: &str,
    candidates: impl IntoIterator<Item = (V, K)>,
) -> Option<V> {
    if key.is_empty() {
        return None;
    }
    // (similarity, value, tied with another value)
    let mut best: Option<(f64, V, bool)> = None;
    for (value, k) in candidates {
        let k = k.as_ref();
        let s = if k == key {
            // Above any similarity: the same key always wins.
            2.0
        } else {
            strsim::jaro_winkler(key, k)
        };
        if s < SIMILAR {
            continue;
        }
        match &mut best {
            Some((b, v, tied)) if s == *b => {
                if *v != value {
                    *tied = true;
                }
            }
            Some((b, _, _)) if s < *b => {}
            _ => best = Some((s, value, false)),
        }
    }
    best.filter(|(_, _, tied)| !tied).map(|(_, v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn guess<'a>(asked: &str, known: &[&'a str]) -> Option<&'a str> {
        did_you_mean(asked, known.iter().map(|k| (*k, *k)))
    }

    #[test]
    fn the_same_name_written_otherwise_is_guessed() {
        assert_eq!(guess("ind", &["IND", "CHN"]), Some("IND"));
        assert_eq!(
            guess("cote divoire", &["Côte d'Ivoire", "Congo"]),
            Some("Côte d'Ivoire")
        );
        assert_eq!(
            guess("Aurobindo Pharma", &["aurobindo-pharma", "cipla"]),
            Some("aurobindo-pharma")
        );
    }

    #[test]
    fn a_close_spelling_is_guessed_a_far_one_is_not() {
        let known = ["efavirenz-600mg-tablet", "lamivudine-150mg-tablet"];
        assert_eq!(
            guess("efavirenz-600-tablet", &known),
            Some("efavirenz-600mg-tablet")
        );
        assert_eq!(
            guess("recieving", &["receiving", "shipping"]),
            Some("receiving")
        );
        assert_eq!(guess("nope", &known), None);
        assert_eq!(guess("", &known), None);
        assert_eq!(guess("---", &known), None);
    }

    #[test]
    fn a_value_is_guessed_by_any_of_its_spellings() {
        let known = [
            ("NGA", "NGA"),
            ("NGA", "Nigeria"),
            ("NER", "NER"),
            ("NER", "Niger"),
        ];
        assert_eq!(did_you_mean("nigeria", known), Some("NGA"));
        assert_eq!(did_you_mean("Nigera", known), Some("NGA"));
        // The same value by two spellings is no tie.
        assert_eq!(
            did_you_mean("nga", [("NGA", "NGA"), ("NGA", "nga")]),
            Some("NGA")
        );
    }

    #[test]
    fn a_suggester_guesses_as_did_you_mean() {
        let known = [
            ("NGA", "NGA"),
            ("NGA", "Nigeria"),
            ("NER", "NER"),
            ("NER", "Niger"),
        ];
        let s = Suggester::new(known);
        for asked in ["nigeria", "Nigera", "ner", "niger", "nope", ""] {
            assert_eq!(
                s.guess(asked).copied(),
                did_you_mean(asked, known),
                "{asked}"
            );
        }
    }

    #[test]
    fn two_values_equally_close_are_not_guessed() {
        assert_eq!(guess("ab-1", &["AB1", "ab 1x", "a-b-1"]), None);
        assert_eq!(guess("abcdefx", &["abcdefy", "abcdefz"]), None);
        assert_eq!(guess("abcdefx", &["abcdefy"]), Some("abcdefy"));
    }

    proptest! {
        /// A known value written in another case or with other separators
        /// is always guessed, whatever else is known.
        #[test]
        fn a_known_value_respelt_is_guessed(
            known in proptest::collection::btree_set("[a-z]{3,8}(-[0-9]{1,3})?", 1..20),
            pick in any::<proptest::sample::Index>(),
        ) {
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            let want = known[pick.index(known.len())];
            let asked = want.to_uppercase().replace('-', " ");
            // Keys may collide (`ab-1` and `ab1` are not both generated:
            // the pattern puts a dash before every digit run).
            prop_assert_eq!(guess(&asked, &known), Some(want));
        }

        /// Whatever is asked, a guess is one of the candidates and at
        /// least [`SIMILAR`] to what was asked.
        #[test]
        fn a_guess_is_a_similar_candidate(
            asked in "[a-zA-Z0-9 -]{0,12}",
            known in proptest::collection::vec("[a-z0-9-]{1,10}", 0..20),
        ) {
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            if let Some(g) = guess(&asked, &known) {
                prop_assert!(known.contains(&g));
                let (a, k) = (name_key(&asked), name_key(g));
                prop_assert!(a == k || strsim::jaro_winkler(&a, &k) >= SIMILAR);
            }
        }
    }
}
