//! Tabular output as an aligned table, CSV or JSON. Every output states the
//! method, the period and the number of observations behind it.

use anyhow::Result;
use clap::ValueEnum;
use serde::Serialize;
use serde_json::json;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned table for people, with the method and period above it.
    Table,
    /// Every row as CSV, for spreadsheets.
    Csv,
    /// Everything as JSON, for programs.
    Json,
}

/// The output options of every command that prints rows.
#[derive(clap::Args, Debug, Clone)]
pub struct Output {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Rows shown in a table (0: all). CSV and JSON always hold every row.
    #[arg(long, default_value_t = 40)]
    pub limit: usize,
}

/// One value of a table: shown formatted for people in a table, raw in CSV.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// Text that may be absent: "-" in a table, an empty cell in CSV.
    Maybe(Option<String>),
    Int(i64),
    /// A number shown with this many decimals (0: with thousands separators).
    Num(Option<f64>, usize),
    /// A fraction shown as a percentage with one decimal.
    Pct(Option<f64>),
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl Cell {
    fn table(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Maybe(Some(s)) => s.clone(),
            Cell::Maybe(None) => "-".into(),
            Cell::Int(n) => crate::format::int(*n),
            Cell::Num(None, _) | Cell::Pct(None) => "-".into(),
            Cell::Num(Some(v), 0) => crate::format::int(v.round() as i64),
            Cell::Num(Some(v), d) => crate::format::decimal(*v, *d),
            Cell::Pct(Some(f)) => crate::format::pct(*f),
        }
    }

    fn csv(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Maybe(Some(s)) => s.clone(),
            Cell::Maybe(None) => String::new(),
            Cell::Int(n) => n.to_string(),
            Cell::Num(None, _) | Cell::Pct(None) => String::new(),
            // A sum of nothing is -0 in floating point: written 0.
            Cell::Num(Some(v), _) | Cell::Pct(Some(v)) => (v + 0.0).to_string(),
        }
    }
}

/// A result ready to print.
pub struct Report<'a, T: Serialize> {
    pub title: &'a str,
    /// How the figures were computed, with the docs/formulas.md section.
    pub method: String,
    pub period: String,
    /// Observations (procurement lines...) behind the whole report.
    pub observations: usize,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// Extra lines after the table (basket summaries, notes).
    pub footer: Vec<String>,
    /// The same rows as data, for JSON.
    pub data: T,
}

impl<'a, R: Serialize> Report<'a, &'a Vec<R>> {
    /// The report of an operation's answer: its method and notes, and its
    /// rows as data for JSON.
    pub fn answer(
        a: &'a equitas_service::Answer<R>,
        title: &'a str,
        period: String,
        observations: usize,
        columns: Vec<&'static str>,
        rows: Vec<Vec<Cell>>,
    ) -> Self {
        Report {
            title,
            method: a.head.method_text(),
            period,
            observations,
            columns,
            rows,
            footer: a.notes.clone(),
            data: &a.rows,
        }
    }
}

impl<T: Serialize> Report<'_, T> {
    /// Prints the report; a table shows `limit` rows (0: all), CSV and JSON
    /// every row. The notes follow a table, are in JSON, and go to the
    /// standard error with CSV.
    pub fn print(&self, out: &Output) -> Result<()> {
        let limit = out.limit;
        match out.format {
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
                    w.write_record(r.iter().map(Cell::csv))?;
                }
                w.flush()?;
                // The notes (imputed months, what was left out) are not
                // data rows: on the standard error, where a user sees them
                // and a script reading the CSV does not trip on them.
                for f in &self.footer {
                    eprintln!("note: {f}");
                }
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
                let shown = if limit == 0 {
                    self.rows.len()
                } else {
                    limit.min(self.rows.len())
                };
                let rows: Vec<Vec<String>> = self.rows[..shown]
                    .iter()
                    .map(|r| r.iter().map(Cell::table).collect())
                    .collect();
                let mut width: Vec<usize> =
                    self.columns.iter().map(|c| c.chars().count()).collect();
                for r in &rows {
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
                for r in &rows {
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
