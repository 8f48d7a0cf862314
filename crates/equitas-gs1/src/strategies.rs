//! Property-test strategies for GS1 data (feature `strategies`).

use proptest::prelude::*;

/// Serial numbers, lots and extensions: 1 to 20 characters of the GS1 AI
/// encodable character set 82 ([`crate::is_cset82`]).
pub fn cset82_serial() -> impl Strategy<Value = String> {
    let chars: Vec<char> = ('!'..='z').filter(|c| crate::is_cset82(*c)).collect();
    proptest::collection::vec(proptest::sample::select(chars), 1..=20)
        .prop_map(|v| v.into_iter().collect())
}
