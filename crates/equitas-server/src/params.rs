//! Query parameters, parsed by hand so that every error names the parameter.

use crate::Problem;
use chrono::NaiveDate;
use equitas_store::market::Filter;
use std::collections::HashMap;
use std::str::FromStr;

pub struct Params(pub HashMap<String, String>);

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;

impl Params {
    /// Names one answer of `path`: the path and the parameters, sorted.
    pub fn key(&self, path: &str) -> String {
        let mut kv: Vec<(&String, &String)> = self.0.iter().collect();
        kv.sort();
        let mut k = path.to_string();
        for (name, value) in kv {
            k.push('\n');
            k.push_str(name);
            k.push('=');
            k.push_str(value);
        }
        k
    }

    /// Rejects parameters the endpoint does not know, so typos do not pass silently.
    pub fn only(&self, known: &[&str]) -> Result<(), Problem> {
        for k in self.0.keys() {
            if !known.contains(&k.as_str()) {
                return Err(Problem::bad_parameter(
                    k,
                    format!(
                        "unknown parameter {k:?}; this endpoint takes: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    pub fn get<T: FromStr>(&self, name: &str) -> Result<Option<T>, Problem>
    where
        T::Err: std::fmt::Display,
    {
        match self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<T>()
                .map(Some)
                .map_err(|e| Problem::bad_parameter(name, format!("{name}={v:?}: {e}"))),
        }
    }

    pub fn or<T: FromStr>(&self, name: &str, default: T) -> Result<T, Problem>
    where
        T::Err: std::fmt::Display,
    {
        Ok(self.get(name)?.unwrap_or(default))
    }

    /// A comma-separated list.
    pub fn list<T: FromStr>(&self, name: &str) -> Result<Vec<T>, Problem>
    where
        T::Err: std::fmt::Display,
    {
        match self.0.get(name) {
            None => Ok(Vec::new()),
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<T>()
                        .map_err(|e| Problem::bad_parameter(name, format!("{name}: {s:?}: {e}")))
                })
                .collect(),
        }
    }

    /// `product`, `programme`, `country`, `from`, `to`.
    pub fn filter(&self) -> Result<Filter, Problem> {
        Ok(Filter {
            products: self.list("product")?,
            programme: self.get("programme")?,
            countries: self.list("country")?,
            from: self.get::<NaiveDate>("from")?,
            to: self.get::<NaiveDate>("to")?,
        })
    }

    /// `offset` and `limit`.
    pub fn page(&self) -> Result<(usize, usize), Problem> {
        let offset = self.or("offset", 0usize)?;
        let limit = self.or("limit", DEFAULT_LIMIT)?;
        if limit == 0 || limit > MAX_LIMIT {
            return Err(Problem::bad_parameter(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        Ok((offset, limit))
    }
}
