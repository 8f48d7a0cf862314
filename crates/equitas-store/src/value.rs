use crate::StoreError;
use chrono::NaiveDate;

/// A SQL value, the common currency of both backends. Booleans are stored
/// as integers 0/1 and dates as ISO 8601 text on both, so the two backends
/// hold byte-identical data.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Self {
        Value::Text(v.format("%Y-%m-%d").to_string())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Conversion from a [`Value`] read back from the database.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Result<Self, StoreError>;
}

fn type_err(expected: &'static str, v: &Value) -> StoreError {
    StoreError::Type {
        column: String::new(),
        expected,
        found: format!("{v:?}"),
    }
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Result<Self, StoreError> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::Real(f) if f.fract() == 0.0 => Ok(*f as i64),
            _ => Err(type_err("integer", v)),
        }
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> Result<Self, StoreError> {
        match v {
            Value::Int(i) => Ok(*i as f64),
            Value::Real(f) => Ok(*f),
            _ => Err(type_err("number", v)),
        }
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self, StoreError> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            Value::Int(i) => Ok(i.to_string()),
            _ => Err(type_err("text", v)),
        }
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self, StoreError> {
        Ok(i64::from_value(v)? != 0)
    }
}
impl FromValue for NaiveDate {
    fn from_value(v: &Value) -> Result<Self, StoreError> {
        match v {
            Value::Text(s) => parse_iso_date(s).ok_or_else(|| type_err("date YYYY-MM-DD", v)),
            _ => Err(type_err("date YYYY-MM-DD", v)),
        }
    }
}

/// Parses `YYYY-MM-DD`, the only form dates are stored in (fast path:
/// reading a million procurement lines parses three million dates).
fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Self, StoreError> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

impl Value {
    pub fn get<T: FromValue>(&self) -> Result<T, StoreError> {
        T::from_value(self)
    }

    /// Moves text out of the value (leaving `Null`) instead of copying
    /// it: for reading large results. Integers are given as text.
    pub fn take_text(&mut self) -> Result<String, StoreError> {
        match std::mem::replace(self, Value::Null) {
            Value::Text(s) => Ok(s),
            other => String::from_value(&other),
        }
    }

    /// [`Value::take_text`] for a column that may be `NULL`.
    pub fn take_opt_text(&mut self) -> Result<Option<String>, StoreError> {
        match self {
            Value::Null => Ok(None),
            _ => self.take_text().map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_roundtrip() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(Value::from(d).get::<NaiveDate>().unwrap(), d);
        for bad in [
            "2023-02-29",
            "2024-2-29",
            "2024/02/29",
            "20240229",
            "2024-02-2x",
        ] {
            assert!(Value::from(bad).get::<NaiveDate>().is_err(), "{bad}");
        }
    }
}
