use thiserror::Error;

/// Why a GS1 identifier was rejected. Every variant names the field
/// (for example `GTIN`, `AI (17) expiry date`, `SGTIN serial`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Gs1Error {
    #[error("{field}: empty")]
    Empty { field: &'static str },
    #[error("{field}: must contain only digits, found {character:?} at position {position}")]
    NotDigits {
        field: &'static str,
        character: char,
        position: usize,
    },
    #[error("{field}: length {found} is not allowed (expected {expected})")]
    Length {
        field: &'static str,
        found: usize,
        expected: &'static str,
    },
    #[error("{field}: at most {max} characters allowed, found {found}")]
    TooLong {
        field: &'static str,
        max: usize,
        found: usize,
    },
    #[error(
        "{field}: character {character:?} at position {position} is not in the GS1 character set 82"
    )]
    InvalidCharacter {
        field: &'static str,
        character: char,
        position: usize,
    },
    #[error("{field}: check digit is {found}, expected {expected} for {value}")]
    CheckDigit {
        field: &'static str,
        value: String,
        expected: u8,
        found: u8,
    },
    #[error("{field}: {value:?} is not a valid date: {reason}")]
    Date {
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("{field}: {reason}")]
    Syntax { field: &'static str, reason: String },
    #[error(
        "element string: unknown or unsupported application identifier at position {position}: {rest:?}"
    )]
    UnknownAi { position: usize, rest: String },
    #[error("element string: application identifier ({ai}) appears twice")]
    DuplicateAi { ai: String },
}

impl Gs1Error {
    pub(crate) fn syntax(field: &'static str, reason: impl Into<String>) -> Self {
        Gs1Error::Syntax {
            field,
            reason: reason.into(),
        }
    }
}
