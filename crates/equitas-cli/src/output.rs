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
    /// Every row as CSV for a spreadsheet set to French (or any language
    /// whose decimal mark is a comma): semicolons between columns, decimal
    /// commas, UTF-8 with a byte order mark, so that Excel opens it in
    /// columns with its accents.
    CsvFr,
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

impl Format {
    /// CSV of either kind.
    pub fn is_csv(self) -> bool {
        matches!(self, Format::Csv | Format::CsvFr)
    }
}

/// A CSV writer on the standard output for `format`: commas, or for
/// [`Format::CsvFr`] a byte order mark and semicolons.
pub fn csv_writer(format: Format) -> Result<csv::Writer<std::io::Stdout>> {
    let mut b = csv::WriterBuilder::new();
    if format == Format::CsvFr {
        use std::io::Write;
        std::io::stdout().write_all("\u{feff}".as_bytes())?;
        b.delimiter(b';');
    }
    Ok(b.from_writer(std::io::stdout()))
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
    /// A code shown by its name in a table; in CSV the code, and the name
    /// in a column of its own after it (`country`, `country_name`), so that
    /// a spreadsheet can join on the code and a reader still sees the name.
    Named {
        code: String,
        name: String,
    },
    /// Text written one way in a table (names, rounded) and another in CSV
    /// (codes, exact), for a cell listing several codes and figures.
    Shown {
        table: String,
        csv: String,
    },
}

/// The cell of a code an answer names in its `labels` (`field`: the
/// label's dimension, `product`, `country`...).
pub fn named(h: &equitas_service::Head, field: &str, code: &str) -> Cell {
    Cell::Named {
        code: code.to_string(),
        name: h.label(field, code).to_string(),
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl Cell {
    fn table(&self) -> String {
        match self {
            Cell::Text(s)
            | Cell::Maybe(Some(s))
            | Cell::Named { name: s, .. }
            | Cell::Shown { table: s, .. } => s.clone(),
            Cell::Maybe(None) => "-".into(),
            Cell::Int(n) => crate::format::int(*n),
            Cell::Num(None, _) | Cell::Pct(None) => "-".into(),
            Cell::Num(Some(v), 0) => crate::format::int(v.round() as i64),
            Cell::Num(Some(v), d) => crate::format::decimal(*v, *d),
            Cell::Pct(Some(f)) => crate::format::pct(*f),
        }
    }

    /// The cell in CSV; with `decimal_comma`, a number's decimal point is
    /// a comma.
    fn csv_in(&self, decimal_comma: bool) -> String {
        let v = self.csv();
        match self {
            Cell::Num(Some(_), _) | Cell::Pct(Some(_)) if decimal_comma => v.replace('.', ","),
            _ => v,
        }
    }

    fn csv(&self) -> String {
        match self {
            Cell::Text(s)
            | Cell::Maybe(Some(s))
            | Cell::Named { code: s, .. }
            | Cell::Shown { csv: s, .. } => s.clone(),
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
    /// Observations behind the whole report, and what they are, in the
    /// plural ("procurement lines", "movements").
    pub observations: usize,
    pub observed: &'static str,
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
        (observations, observed): (usize, &'static str),
        columns: Vec<&'static str>,
        rows: Vec<Vec<Cell>>,
    ) -> Self {
        Report {
            title,
            method: a.head.method_text(),
            period,
            observations,
            observed,
            columns,
            rows,
            footer: a.notes.clone(),
            data: &a.rows,
        }
    }
}

/// The report of a market, supply or scenario answer: its method, the
/// delivery dates of the lines it rests on (or none, for registers), its
/// observations, its notes and, where it names them, its sources.
pub fn head_report<'a, T: Serialize>(
    title: &'a str,
    h: &equitas_service::Head,
    columns: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
    mut footer: Vec<String>,
    data: T,
) -> Report<'a, T> {
    if let Some(s) = h.extra.get("sources").and_then(serde_json::Value::as_array) {
        let s: Vec<&str> = s.iter().filter_map(serde_json::Value::as_str).collect();
        footer.push(format!("Sources: {}", s.join("; ")));
    }
    let period = match &h.period {
        Some(equitas_market::analysis::Period {
            from: Some(a),
            to: Some(b),
        }) => format!("deliveries {a} to {b}"),
        Some(_) => "no dated deliveries".into(),
        None => "registers as imported (no period)".into(),
    };
    Report {
        title,
        method: h.method_text(),
        period,
        observations: h.observations.unwrap_or(0) as usize,
        observed: h.observed.unwrap_or("observations"),
        columns,
        rows,
        footer,
        data,
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
                        "observed": self.observed,
                        "rows": self.data,
                        "notes": self.footer,
                    }))?
                );
            }
            Format::Csv | Format::CsvFr => {
                let fr = out.format == Format::CsvFr;
                let mut w = csv_writer(out.format)?;
                // A column of codes gets its names in the next column.
                let named: Vec<bool> = (0..self.columns.len())
                    .map(|i| {
                        self.rows
                            .iter()
                            .any(|r| matches!(r.get(i), Some(Cell::Named { .. })))
                    })
                    .collect();
                let mut header: Vec<String> = Vec::new();
                for (c, n) in self.columns.iter().zip(&named) {
                    header.push(c.to_string());
                    if *n {
                        header.push(format!("{c}_name"));
                    }
                }
                w.write_record(&header)?;
                for r in &self.rows {
                    let mut record: Vec<String> = Vec::with_capacity(header.len());
                    for (i, c) in r.iter().enumerate() {
                        record.push(c.csv_in(fr));
                        if named.get(i) == Some(&true) {
                            record.push(match c {
                                Cell::Named { name, .. } => name.clone(),
                                other => other.csv(),
                            });
                        }
                    }
                    w.write_record(&record)?;
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
                    "Period: {}; {}: {}",
                    self.period,
                    self.observed,
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
