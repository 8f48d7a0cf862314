//! Tabular output as an aligned table, CSV or JSON. Every output states the
//! method, the period and the number of observations behind it.

use crate::market::DataFormat as Format;
use anyhow::Result;
use serde::Serialize;
use serde_json::json;

/// A result ready to print.
pub struct Report<'a, T: Serialize> {
    pub title: &'a str,
    /// How the figures were computed, with the docs/formulas.md section.
    pub method: String,
    pub period: String,
    /// Observations (procurement lines...) behind the whole report.
    pub observations: usize,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// Extra lines after the table (basket summaries, notes).
    pub footer: Vec<String>,
    /// The same rows as data, for JSON.
    pub data: T,
}

impl<T: Serialize> Report<'_, T> {
    pub fn print(&self, format: Format, limit: Option<usize>) -> Result<()> {
        match format {
            Format::Json => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "title": self.title,
                        "method": self.method,
                        "period": self.period,
                        "observations": self.observations,
                        "rows": self.data,
                        "notes": self.footer,
                    }))?
                );
            }
            Format::Csv => {
                let mut w = csv::Writer::from_writer(std::io::stdout());
                w.write_record(&self.columns)?;
                for r in &self.rows {
                    w.write_record(r)?;
                }
                w.flush()?;
            }
            Format::Table => {
                println!("{}", self.title);
                println!("Method: {}", self.method);
                println!(
                    "Period: {}; observations: {}",
                    self.period,
                    crate::format::int(self.observations as i64)
                );
                println!();
                let shown = limit.unwrap_or(usize::MAX).min(self.rows.len());
                let mut width: Vec<usize> =
                    self.columns.iter().map(|c| c.chars().count()).collect();
                for r in &self.rows[..shown] {
                    for (i, c) in r.iter().enumerate() {
                        width[i] = width[i].max(c.chars().count());
                    }
                }
                let line = |cells: Vec<&str>| {
                    let parts: Vec<String> = cells
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            let pad = width[i].saturating_sub(c.chars().count());
                            // Numbers right-aligned, text left-aligned.
                            if looks_numeric(c) {
                                format!("{}{c}", " ".repeat(pad))
                            } else {
                                format!("{c}{}", " ".repeat(pad))
                            }
                        })
                        .collect();
                    println!("{}", parts.join("  ").trim_end());
                };
                line(self.columns.clone());
                for r in &self.rows[..shown] {
                    line(r.iter().map(String::as_str).collect());
                }
                if shown < self.rows.len() {
                    println!(
                        "... {} more rows (--limit 0 shows all; --format csv or json for data)",
                        self.rows.len() - shown
                    );
                }
                for f in &self.footer {
                    println!("{f}");
                }
            }
        }
        Ok(())
    }
}

fn looks_numeric(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '%' | '+'))
}

/// A price with four decimals, or "-" when absent.
pub fn price(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.4}"))
}

/// A number with `d` decimals, or "-".
pub fn num(v: Option<f64>, d: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.d$}"))
}
