use std::fmt;

/// A value as a message quotes it: at most 60 characters of it, then
/// `...` (a huge or hostile value is not echoed whole).
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// A problem with one row of an input file. `line` is the 1-based line
/// number in the file (the header is line 1); `field` names the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub field: Option<String>,
    pub message: String,
}

impl RowError {
    pub fn new(line: u64, field: impl Into<String>, message: impl Into<String>) -> Self {
        RowError {
            line,
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// The error as imports print it: `FILE:LINE: field: reason`.
    pub fn located(&self, file: &str) -> String {
        match &self.field {
            Some(f) => format!("{file}:{}: {f}: {}", self.line, self.message),
            None => format!("{file}:{}: {}", self.line, self.message),
        }
    }

    pub fn row(line: u64, message: impl Into<String>) -> Self {
        RowError {
            line,
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}, field `{}`: {}", self.line, field, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for RowError {}

/// The field errors of one row. A parser checks every field of a row and
/// notes each bad one, so that a row with three bad fields is reported with
/// all three (one [`RowError`] per field), not only the first:
///
/// ```
/// use equitas_model::{RowError, RowErrors};
/// let mut errors = RowErrors::default();
/// let a = errors.field(Err::<u32, _>(RowError::new(2, "a", "empty")));
/// let b = errors.field(Ok::<u32, RowError>(1));
/// let c = errors.field(Err::<u32, _>(RowError::new(2, "c", "not a number")));
/// assert_eq!((a, b, c), (None, Some(1), None));
/// assert_eq!(errors.0.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowErrors(pub Vec<RowError>);

impl RowErrors {
    /// The value of one field's check, or `None` with its error noted.
    pub fn field<T>(&mut self, r: Result<T, RowError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    /// Notes an error found across fields.
    pub fn push(&mut self, e: RowError) {
        self.0.push(e);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<RowError> for RowErrors {
    fn from(e: RowError) -> Self {
        RowErrors(vec![e])
    }
}

/// The number of rows that `errors` (sorted by line) are about.
pub fn rows_with_errors(errors: &[RowError]) -> usize {
    errors.chunk_by(|a, b| a.line == b.line).count()
}

/// The line number of a CSV record (header = line 1), or 0 if unknown.
pub fn csv_line(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}
