use std::fmt;

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

/// The line number of a CSV record (header = line 1), or 0 if unknown.
pub fn csv_line(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}
