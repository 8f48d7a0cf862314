//! Parsers for reference files: country codes, WHO regions and World Bank
//! income groups, a location hierarchy, and the reviewed mapping of
//! manufacturing sites to countries.
//!
//! Each parser reads every row, returns the good ones with their line
//! numbers and one [`RowError`] per bad row; a missing column is an error
//! for the whole file.

use crate::catalogue::slug;
use crate::location::{Country, Location, LocationLevel};
use crate::row_error::{RowError, RowErrors, csv_line};
use equitas_gs1::Gln;
use std::collections::HashMap;
use std::io::Read;

/// The outcome of parsing a file: good records (with their line) and bad rows.
#[derive(Debug)]
pub struct Parsed<T> {
    pub records: Vec<(u64, T)>,
    pub errors: Vec<RowError>,
    /// What the reader says of the whole file (columns it did not read).
    pub notes: Vec<String>,
}

impl<T> Parsed<T> {
    /// The rows read: those kept and those rejected (a row may have
    /// several errors, one per bad field).
    pub fn rows(&self) -> u64 {
        (self.records.len() + crate::row_error::rows_with_errors(&self.errors)) as u64
    }
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Parsed {
            records: Vec::new(),
            errors: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// A reader with every line ending made `\n`: the CSV reader counts lines
/// by `\n` only, and numbered a file's lines one short with Windows line
/// endings (`\r\n`) and all as line 1 with old Mac ones (`\r`), so that
/// errors named the wrong line. A line break inside a quoted field becomes
/// `\n` too (no value Equitas reads holds one).
pub struct Newlines<R: Read> {
    inner: R,
    /// The last byte read was a `\r` (made `\n`): a `\n` next is dropped.
    after_cr: bool,
}

impl<R: Read> Newlines<R> {
    pub fn new(inner: R) -> Self {
        Newlines {
            inner,
            after_cr: false,
        }
    }
}

impl<R: Read> Read for Newlines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let mut w = 0;
            for r in 0..n {
                let b = buf[r];
                match b {
                    b'\n' if self.after_cr => {}
                    b'\r' => {
                        buf[w] = b'\n';
                        w += 1;
                    }
                    _ => {
                        buf[w] = b;
                        w += 1;
                    }
                }
                self.after_cr = b == b'\r';
            }
            // A chunk that was only the `\n` of a `\r\n`: read on.
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

/// A CSV file read with named columns.
pub struct Table<R: Read> {
    reader: csv::Reader<std::io::BufReader<Newlines<R>>>,
    columns: HashMap<String, usize>,
    /// Cells in the header row: a row with a value past them is misaligned.
    width: usize,
    /// The header row's names, as written (trimmed).
    names: Vec<String>,
    /// The columns by [`column_key`].
    by_key: HashMap<String, Vec<usize>>,
    /// The columns a reader asked for ([`Table::column`]), present or not.
    asked: std::cell::RefCell<Vec<String>>,
    /// The header row read as one column holding tabs (a file separated
    /// otherwise than by commas or semicolons), for the error.
    one_column: Option<String>,
    /// The columns are separated by semicolons, as a spreadsheet set to
    /// French (or another language whose decimal mark is a comma) saves
    /// CSV: its numbers are written with a decimal comma, read as such.
    decimal_comma: bool,
}

/// `header` misspells `name`: the same words (split at anything but a
/// letter or digit, case aside) but one, and that one a letter away
/// (added, dropped, changed, or two swapped: `adjustment`, `recieved`,
/// `stockout_day`), in a word of 4 letters or more. Another word
/// (`adjustment_reason`, `subcategory`, `official_name_es` for
/// `official_name_fr`) is another column.
fn misspelt(header: &str, name: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (h, n) = (words(header), words(name));
    if h.len() != n.len() {
        return false;
    }
    let differ: Vec<(&String, &String)> = h.iter().zip(&n).filter(|(a, b)| a != b).collect();
    matches!(differ.as_slice(), [(a, b)]
        if a.chars().count().max(b.chars().count()) >= 4 && strsim::osa_distance(a, b) == 1)
}

/// The key a column name is matched by: its letters and digits, lower
/// case, accents folded.
fn column_key(name: &str) -> String {
    crate::suggest::name_key(name)
}

/// The separator of a CSV file's columns, told from its header row (the
/// first line): a semicolon when the header row holds semicolons and no
/// comma (a spreadsheet set to French saves CSV so: column names never
/// hold either), else a comma.
fn separator(header: &[u8]) -> u8 {
    let line = header.split(|b| *b == b'\n').next().unwrap_or_default();
    if line.contains(&b';') && !line.contains(&b',') {
        b';'
    } else {
        b','
    }
}

/// A number as a file separated by semicolons writes it (a spreadsheet set
/// to French: `12,5`, `1 200`, `1 200,75`, `-0,5`; the thousands grouped by
/// a space, a no-break space or a narrow no-break space, in threes) in the
/// form every reader takes (`12.5`, `1200`, `1200.75`, `-0.5`). `None` for
/// any other text, a number without a comma or a space (`12`, `0.5`) and
/// text that only looks like one (`1,2,3`, `12 34`, `Amoxicilline 1,5 g`),
/// which is read as it is.
pub fn decimal_comma_number(s: &str) -> Option<String> {
    let t = s.trim();
    let (sign, body) = match t.strip_prefix(['-', '+']) {
        Some(rest) => (&t[..1], rest),
        None => ("", t),
    };
    let (int, frac) = match body.split_once(',') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let mut groups = int.split([' ', '\u{a0}', '\u{202f}']);
    let first = groups.next()?;
    let rest: Vec<&str> = groups.collect();
    let grouped = !rest.is_empty();
    if !digits(first)
        || (grouped && (first.len() > 3 || !rest.iter().all(|g| g.len() == 3 && digits(g))))
        || frac.is_some_and(|f| !digits(f))
        || (!grouped && frac.is_none())
    {
        return None;
    }
    let mut out = String::from(if sign == "-" { "-" } else { "" });
    out.push_str(first);
    rest.iter().for_each(|g| out.push_str(g));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    Some(out)
}

/// What the CSV reader could not read, with what to do about a file that
/// is not UTF-8 (a spreadsheet's CSV in Latin-1 or Windows-1252: accented
/// names, as French ones are, are not UTF-8).
fn unreadable(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => format!(
            "{e}: the file is not UTF-8; save it as \"CSV UTF-8\" (a spreadsheet's plain CSV is often Latin-1 or Windows-1252)"
        ),
        _ => e.to_string(),
    }
}

impl<R: Read> Table<R> {
    /// Opens a CSV with a header row. Column names are matched trimmed and
    /// case-insensitively. A UTF-8 byte order mark is ignored.
    ///
    /// The columns are separated by commas, or by semicolons when the
    /// header row holds semicolons and no comma (a spreadsheet set to
    /// French saves CSV so); in a file separated by semicolons, a number
    /// is written with a decimal comma and its thousands, if grouped, with
    /// spaces ([`decimal_comma_number`]), and is read as such.
    pub fn new(r: R) -> Result<Self, RowError> {
        use std::io::BufRead;
        // The header row, looked at before it is read: 64 KiB is longer
        // than any header row; a longer one is read as comma-separated.
        let mut buffered = std::io::BufReader::with_capacity(1 << 16, Newlines::new(r));
        let delimiter = match buffered.fill_buf() {
            Ok(head) => separator(head),
            Err(e) => {
                return Err(RowError::row(1, format!("cannot read the header row: {e}")));
            }
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(buffered);
        let headers = reader
            .headers()
            .map_err(|e| {
                RowError::row(1, format!("cannot read the header row: {}", unreadable(&e)))
            })?
            .clone();
        // An empty file (or one of a byte-order mark, or of blank lines)
        // has no header row: said so, rather than "a column is missing".
        if headers
            .iter()
            .all(|h| h.trim().trim_start_matches('\u{feff}').trim().is_empty())
        {
            return Err(RowError::row(
                1,
                "the file is empty: its first line should name the columns",
            ));
        }
        let one_column = match headers.iter().collect::<Vec<_>>().as_slice() {
            [h] if h.contains('\t') => Some(h.to_string()),
            _ => None,
        };
        let names: Vec<String> = headers
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        // By name as written (case aside), the first of two counting; and
        // by key, for a name written otherwise (`Stockout days`).
        let mut columns: HashMap<String, usize> = HashMap::new();
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, h) in names.iter().enumerate() {
            columns.entry(h.to_lowercase()).or_insert(i);
            by_key.entry(column_key(h)).or_default().push(i);
        }
        Ok(Table {
            reader,
            width: headers.len(),
            columns,
            by_key,
            names,
            asked: Default::default(),
            one_column,
            decimal_comma: delimiter == b';',
        })
    }

    /// The file's columns are separated by semicolons, its numbers written
    /// with a decimal comma.
    pub fn decimal_comma(&self) -> bool {
        self.decimal_comma
    }

    /// Index of a column that must be present.
    pub fn require(&self, name: &str) -> Result<usize, RowError> {
        self.column(name).ok_or_else(|| match &self.one_column {
            Some(h) => RowError::new(
                1,
                name,
                format!(
                    "required column is missing: the header row is one column, {h:?}; separate the columns with commas or semicolons, not tabs"
                ),
            ),
            None => {
                // A header naming part of it (`closing` for
                // `closing_balance`) or misspelling it, not read otherwise.
                let key = column_key(name);
                let near = self.unasked().into_iter().find(|h| {
                    let k = column_key(h);
                    k.len() >= 4 && (key.starts_with(&k) || key.ends_with(&k) || misspelt(h, name))
                });
                // The header row as it is, at most 30 names of at most 60
                // characters each (a header of 20,000 columns is not quoted whole).
                const SHOWN: usize = 30;
                let named: Vec<&String> = self.names.iter().filter(|h| !h.is_empty()).collect();
                let mut has: Vec<String> = named
                    .iter()
                    .take(SHOWN)
                    .map(|h| crate::clip(h))
                    .collect();
                if named.len() > SHOWN {
                    has.push(format!("and {} more", named.len() - SHOWN));
                }
                RowError::new(
                    1,
                    name,
                    format!(
                        "required column is missing from the header row{} (it has: {})",
                        near.map_or(String::new(), |h| format!("; rename column {h:?} to {name}?")),
                        has.join(", ")
                    ),
                )
            }
        })
    }

    /// Index of a column, if the header row has it: its name as written,
    /// case aside; else the one header whose letters and digits are the
    /// name's (`Stockout days`, `stockout-days` for `stockout_days`). Two
    /// headers of that key (`Value (€)`, `Value ($)`) match neither: which
    /// was meant cannot be told.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.asked.borrow_mut().push(name.to_string());
        self.column_quiet(name)
    }

    /// [`Table::column`] without noting the name as asked.
    fn column_quiet(&self, name: &str) -> Option<usize> {
        let key = column_key(name);
        self.columns
            .get(&name.trim().to_lowercase())
            .copied()
            .or_else(|| match self.by_key.get(&key).map(Vec::as_slice) {
                Some([i]) if !key.is_empty() => Some(*i),
                _ => None,
            })
    }

    /// A header that is a misspelling of a column asked for and absent
    /// (`adjustment` for `adjustments`, `recieved` for `received`: see
    /// [`misspelt`]): its values would be lost from every row without a
    /// word, so the file is refused, naming both. Any other header is not
    /// read.
    fn misspelt_column(&self) -> Option<RowError> {
        let unknown = self.unasked();
        let asked = self.asked.borrow();
        asked
            .iter()
            .filter(|a| self.column_quiet(a).is_none())
            .find_map(|a| unknown.iter().find(|h| misspelt(h, a)).map(|h| (a, *h)))
            .map(|(a, h)| {
                RowError::new(
                    1,
                    h,
                    format!(
                        "unknown column {h:?}: did you mean {a:?}? Its values would not be read; rename the column (nothing in this file is imported until then)"
                    ),
                )
            })
    }

    /// A note naming the header row's columns no reader asked for, if any:
    /// for files a user writes (stock reports), whose extra column
    /// (`losses`) would otherwise be lost without a word. Call it after the
    /// columns are asked for.
    pub fn unread_columns_note(&self) -> Option<String> {
        let unread: Vec<String> = self.unasked().iter().map(|h| format!("{h:?}")).collect();
        (!unread.is_empty()).then(|| {
            format!(
                "column(s) {} not read: only {} are (a figure there is not imported)",
                unread.join(", "),
                self.asked.borrow().join(", ")
            )
        })
    }

    /// The header row's names (not blank) that no column asked for reads.
    fn unasked(&self) -> Vec<&str> {
        let keys: std::collections::HashSet<String> =
            self.asked.borrow().iter().map(|a| column_key(a)).collect();
        self.names
            .iter()
            .filter(|h| !h.is_empty() && !keys.contains(&column_key(h)))
            .map(String::as_str)
            .collect()
    }

    /// Reads every record with `f` (given the record and its line number):
    /// the records `f` accepts, and the errors of those it rejects (one per
    /// bad field, [`RowErrors`]) or the CSV reader cannot read.
    pub fn parse<T, E: Into<RowErrors>>(
        &mut self,
        mut f: impl FnMut(&csv::StringRecord, u64) -> Result<T, E>,
    ) -> Parsed<T> {
        let mut out = Parsed::default();
        if let Some(e) = self.misspelt_column() {
            out.errors.push(e);
            return out;
        }
        let width = self.width;
        let semicolons = self.decimal_comma;
        for rec in self.records() {
            let rec = match rec {
                Ok(rec) => rec,
                Err(e) => {
                    out.errors.push(e);
                    continue;
                }
            };
            let line = csv_line(&rec);
            // A row of separators alone (`;;;;`, cells a spreadsheet
            // cleared) is a blank row.
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            // A row longer than the header row: a separator within a value
            // left unquoted (a decimal comma) has shifted it, and what it
            // says cannot be told; it would otherwise be read shifted, or
            // its last cells lost without a word. In a file separated by
            // semicolons no decimal comma shifts a row, and empty cells
            // past the header row (a spreadsheet's cleared cells) are
            // nothing.
            let past = rec.iter().skip(width).find(|c| !c.trim().is_empty());
            if rec.len() > width && (past.is_some() || !semicolons) {
                let advice = if semicolons {
                    "a semicolon within a value must be within quotes"
                } else {
                    "a comma within a value must be within quotes (a number is written with a decimal point: 0.5, not 0,5)"
                };
                out.errors.push(RowError::row(
                    line,
                    format!(
                        "{} cells where the header row has {width}{}; {advice}",
                        rec.len(),
                        past.map_or(String::new(), |c| format!(
                            ": {c:?} lies past the last column"
                        )),
                    ),
                ));
                continue;
            }
            match f(&rec, line) {
                Ok(v) => out.records.push((line, v)),
                Err(e) => {
                    let RowErrors(errors) = e.into();
                    if errors.is_empty() {
                        // A rejection that named nothing: still a bad row.
                        out.errors.push(RowError::row(line, "rejected"));
                    }
                    out.errors.extend(errors);
                }
            }
        }
        out
    }

    /// Iterates over records; a record the CSV reader cannot read becomes an error.
    /// In a file separated by semicolons, a number written with a decimal
    /// comma or spaces between its thousands is given in the form every
    /// reader takes (`1 200,5` as `1200.5`), on the line it was read from.
    ///
    /// There, a number whose point is followed by groups of exactly three
    /// digits (`1.200`) is refused, naming its column: it is 1,200 with a
    /// point between thousands (as some spreadsheets write) or 1.2 written
    /// the English way, and until 2026-12-07 it was read as 1.2 without a
    /// word.
    pub fn records(&mut self) -> impl Iterator<Item = Result<csv::StringRecord, RowError>> + '_ {
        let decimal_comma = self.decimal_comma;
        let names: Vec<String> = self
            .reader
            .headers()
            .map(|h| h.iter().map(|c| c.trim().to_string()).collect())
            .unwrap_or_default();
        self.reader.records().map(move |r| {
            let rec = r.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                RowError::row(line, format!("unreadable CSV record: {}", unreadable(&e)))
            })?;
            if !decimal_comma {
                return Ok(rec);
            }
            if let Some((i, c)) = rec.iter().enumerate().find(|(_, c)| point_thousands(c)) {
                let line = rec.position().map_or(0, |p| p.line());
                let t = c.trim();
                let whole = t.replace('.', "");
                let decimal = t.trim_end_matches('0').trim_end_matches('.');
                return Err(RowError::new(
                    line,
                    names.get(i).cloned().unwrap_or_else(|| format!("column {}", i + 1)),
                    format!(
                        "{t:?} is {whole} with a point between thousands, or {decimal} with a decimal point: \
                         in a file separated by semicolons, write {whole} or {}",
                        decimal.replace('.', ","),
                    ),
                ));
            }
            // Each cell read once: a number written the French way, or none.
            let french: Vec<Option<String>> = rec.iter().map(decimal_comma_number).collect();
            if french.iter().all(Option::is_none) {
                return Ok(rec);
            }
            let mut out: csv::StringRecord = french
                .into_iter()
                .zip(rec.iter())
                .map(|(n, c)| n.unwrap_or_else(|| c.to_string()))
                .collect();
            out.set_position(rec.position().cloned());
            Ok(out)
        })
    }
}

/// A number of 1 to 3 digits not starting with 0, a point and exactly
/// three digits (`1.200`, `-12.500`): a thousand grouped with a point, or a
/// decimal point, one cannot tell (`0.099` can only be a decimal).
fn point_thousands(s: &str) -> bool {
    let t = s.trim();
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    // A leading 0 (`0.099`) is no group of thousands.
    t.split_once('.').is_some_and(|(a, b)| {
        digits(a) && a.len() <= 3 && !a.starts_with('0') && b.len() == 3 && digits(b)
    })
}

/// A hint for a number written with a decimal comma ("0,5": a spreadsheet
/// set to French writes it so), to follow the error that names it; empty
/// for any other text.
pub fn decimal_comma_hint(s: &str) -> &'static str {
    let mut parts = s.trim().trim_start_matches('-').splitn(2, ',');
    let digits =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if digits(parts.next()) && digits(parts.next()) {
        " (a decimal comma: write the number with a point, as 0.5, or separate the columns with semicolons, as a spreadsheet set to French saves CSV: such a file is read with decimal commas)"
    } else {
        ""
    }
}

/// Reads a number cell as the procurement and market readers take it:
/// digits with an optional `.` decimal part, and a comma only as a
/// thousands separator ("1,234", "12,345.67": a first group of 1 to 3
/// digits not starting with 0, then groups of exactly 3 digits before any
/// decimal point). `Ok(None)`: text that is no number at all (a reason
/// written in place of a value, a word), left to the caller to keep as a
/// gap or reject; `Err`: the reason a number-like cell whose comma is not a
/// thousands separator ("0,10", "1000,5", "6200,50", "0,050") is refused,
/// never read as a number a thousand times larger (formulas 2, "number
/// cells").
pub fn number_cell(s: &str) -> Result<Option<f64>, String> {
    let t = s.trim();
    let finite = |v: f64| Some(v).filter(|v| v.is_finite());
    if !t.contains(',') {
        return Ok(t.parse::<f64>().ok().and_then(finite));
    }
    let plain: String = t.chars().filter(|c| *c != ',').collect();
    let Ok(v) = plain.parse::<f64>() else {
        // Text with a comma that is no number even without it: not a number.
        return Ok(None);
    };
    if thousands_grouped(t) {
        Ok(finite(v))
    } else {
        Err(format!(
            "{t:?} is not a number: a comma is read only as a thousands separator, as in 1,234 or 12,345.67{}",
            decimal_comma_hint(t)
        ))
    }
}

/// `[+-]` digits grouped by commas in threes, the first group of 1 to 3
/// digits without a leading 0, then an optional `.` and digits.
fn thousands_grouped(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
    let mut groups = int.split(',');
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && digits(g) && !g.starts_with('0'));
    first_ok
        && groups.all(|g| g.len() == 3 && digits(g))
        && frac.is_none_or(|f| !f.is_empty() && digits(f))
}

/// The trimmed value of a column, `None` if absent or empty.
pub fn cell(rec: &csv::StringRecord, idx: Option<usize>) -> Option<&str> {
    idx.and_then(|i| rec.get(i))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn flag(rec: &csv::StringRecord, idx: Option<usize>) -> bool {
    matches!(
        cell(rec, idx).map(|s| s.to_ascii_lowercase()).as_deref(),
        Some("x" | "yes" | "true" | "1")
    )
}

/// Parses `country-codes.csv` (datasets/country-codes layout).
pub fn parse_country_codes<R: Read>(r: R) -> Result<Parsed<Country>, RowError> {
    let mut t = Table::new(r)?;
    let iso3 = t.require("ISO3166-1-Alpha-3")?;
    let iso2 = t.require("ISO3166-1-Alpha-2")?;
    let name_en = t.require("official_name_en")?;
    let numeric = t.column("ISO3166-1-numeric");
    let cldr = t.column("CLDR display name");
    let unterm = t.column("UNTERM English Short");
    let name_fr = t.column("official_name_fr");
    let region = t.column("Region Name");
    let subregion = t.column("Sub-region Name");
    let currency = t.column("ISO4217-currency_alphabetic_code");
    let ldc = t.column("Least Developed Countries (LDC)");
    let lldc = t.column("Land Locked Developing Countries (LLDC)");
    let sids = t.column("Small Island Developing States (SIDS)");
    Ok(t.parse(|rec, line| {
        let mut errors = RowErrors::default();
        let code3 = errors.field(match cell(rec, Some(iso3)) {
            None => Err(RowError::new(
                line,
                "ISO3166-1-Alpha-3",
                "empty: the row is not a country with an ISO code",
            )),
            Some(c) if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) => {
                Err(RowError::new(
                    line,
                    "ISO3166-1-Alpha-3",
                    format!("{c:?} is not three upper-case letters"),
                ))
            }
            Some(c) => Ok(c),
        });
        let name = errors.field(
            cell(rec, Some(name_en))
                .or_else(|| cell(rec, cldr))
                .ok_or_else(|| RowError::new(line, "official_name_en", "empty")),
        );
        let numeric = errors.field(
            cell(rec, numeric)
                .map(str::parse::<u16>)
                .transpose()
                .map_err(|_| {
                    RowError::new(line, "ISO3166-1-numeric", "not a number from 0 to 999")
                }),
        );
        let (Some(code3), Some(name), Some(numeric)) = (code3, name, numeric) else {
            return Err(errors);
        };
        Ok(Country {
            iso3: code3.to_string(),
            iso2: cell(rec, Some(iso2)).unwrap_or_default().to_string(),
            numeric,
            name_en: name.to_string(),
            name_fr: cell(rec, name_fr).map(str::to_string),
            name_short: cell(rec, cldr).map(str::to_string),
            name_un: cell(rec, unterm).and_then(un_short_name),
            m49_region: cell(rec, region).map(str::to_string),
            m49_subregion: cell(rec, subregion).map(str::to_string),
            currency: cell(rec, currency).map(str::to_string),
            least_developed: flag(rec, ldc),
            landlocked_developing: flag(rec, lldc),
            small_island_developing: flag(rec, sids),
            who_region: None,
            wb_region: None,
            income_group: None,
        })
    }))
}

/// A UNTERM short name as shown: its article and footnote mark dropped
/// ("Congo (the)" is "Congo", "State of Palestine (the) *" is "State of
/// Palestine").
fn un_short_name(s: &str) -> Option<String> {
    let mut n = s.trim().trim_end_matches('*').trim();
    for article in ["(the)", "(l')", "(le)", "(la)", "(les)"] {
        n = n.strip_suffix(article).unwrap_or(n).trim();
    }
    (!n.is_empty()).then(|| n.to_string())
}

/// Finds a country's ISO3 code from a name as sources write it: official
/// English or French name, short (CLDR) name, ISO2 or ISO3 code, or a
/// reviewed alias. Matching ignores case, accents and punctuation.
#[derive(Debug, Default, Clone)]
pub struct CountryNames {
    by_key: HashMap<String, String>,
}

impl CountryNames {
    pub fn new(countries: &[Country], aliases: &[CountryAlias]) -> Self {
        let mut by_key = HashMap::new();
        for c in countries {
            let names = [
                Some(&c.iso3),
                Some(&c.iso2),
                Some(&c.name_en),
                c.name_fr.as_ref(),
                c.name_short.as_ref(),
            ];
            for n in names.into_iter().flatten() {
                let k = slug(n);
                if !k.is_empty() {
                    by_key.entry(k).or_insert_with(|| c.iso3.clone());
                }
            }
        }
        // Reviewed aliases win over derived names.
        for a in aliases {
            by_key.insert(slug(&a.name), a.iso3.clone());
        }
        CountryNames { by_key }
    }

    pub fn lookup(&self, name: &str) -> Option<String> {
        self.by_key.get(&slug(name)).cloned()
    }
}

/// A reviewed alternative spelling of a country name used by a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryAlias {
    pub name: String,
    pub iso3: String,
    pub note: Option<String>,
}

/// Parses the alias table (columns `name`, `iso3`, `note`).
pub fn parse_country_aliases<R: Read>(r: R) -> Result<Parsed<CountryAlias>, RowError> {
    let mut t = Table::new(r)?;
    let name = t.require("name")?;
    let iso3 = t.require("iso3")?;
    let note = t.column("note");
    Ok(t.parse(
        |rec, line| match (cell(rec, Some(name)), cell(rec, Some(iso3))) {
            (None, _) => Err(RowError::new(line, "name", "empty")),
            (_, None) => Err(RowError::new(line, "iso3", "empty")),
            (Some(_), Some(c)) if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) => {
                Err(RowError::new(
                    line,
                    "iso3",
                    format!("{c:?} is not an ISO 3166-1 alpha-3 code"),
                ))
            }
            (Some(n), Some(c)) => Ok(CountryAlias {
                name: n.to_string(),
                iso3: c.to_string(),
                note: cell(rec, note).map(str::to_string),
            }),
        },
    ))
}

/// One row of `who_regions_wb_income.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomeGroup {
    pub iso3: String,
    pub who_region: Option<String>,
    pub wb_region: Option<String>,
    pub income_group: Option<String>,
}

/// Parses the WHO region / World Bank income group file (columns `iso3c`,
/// `who.region`, `wb.region`, `Income.group`).
pub fn parse_income_groups<R: Read>(r: R) -> Result<Parsed<IncomeGroup>, RowError> {
    let mut t = Table::new(r)?;
    let iso3 = t.require("iso3c")?;
    let who = t.require("who.region")?;
    let wb = t.column("wb.region");
    let inc = t.require("Income.group")?;
    Ok(t.parse(|rec, line| match cell(rec, Some(iso3)) {
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => Ok(IncomeGroup {
            iso3: c.to_string(),
            who_region: cell(rec, Some(who)).map(str::to_string),
            wb_region: cell(rec, wb).map(str::to_string),
            income_group: cell(rec, Some(inc)).map(str::to_string),
        }),
        other => Err(RowError::new(
            line,
            "iso3c",
            format!(
                "{:?} is not an ISO 3166-1 alpha-3 code",
                other.unwrap_or("")
            ),
        )),
    }))
}

/// Parses a location hierarchy CSV with columns `code`, `name`, `level`,
/// `parent`, `country` and optional `gln` (see [`location_gln`]),
/// `latitude`, `longitude`.
/// Parents must appear before their children or already exist; that is
/// checked by the store, which knows the existing locations.
pub fn parse_locations<R: Read>(r: R) -> Result<Parsed<Location>, RowError> {
    let mut t = Table::new(r)?;
    let code = t.require("code")?;
    let name = t.require("name")?;
    let level = t.require("level")?;
    let parent = t.require("parent")?;
    let country = t.require("country")?;
    let gln = t.column("gln");
    let lat = t.column("latitude");
    let lon = t.column("longitude");
    Ok(t.parse(|rec, line| {
        location_row(
            rec,
            line,
            [code, name, level, parent, country],
            gln,
            lat,
            lon,
        )
    }))
}

fn location_row(
    rec: &csv::StringRecord,
    line: u64,
    [code, name, level, parent, country]: [usize; 5],
    gln: Option<usize>,
    lat: Option<usize>,
    lon: Option<usize>,
) -> Result<Location, RowErrors> {
    let mut errors = RowErrors::default();
    let req = |i: usize, f: &str| cell(rec, Some(i)).ok_or_else(|| RowError::new(line, f, "empty"));
    let code_v = errors.field(req(code, "code").and_then(|c| {
        if c.chars().any(|c| c.is_control()) {
            Err(RowError::new(line, "code", "contains control characters"))
        } else {
            Ok(c)
        }
    }));
    let name_v = errors.field(req(name, "name"));
    let level_v = errors.field(req(level, "level").and_then(|l| {
        l.parse::<LocationLevel>()
            .map_err(|e| RowError::new(line, "level", e))
    }));
    let country_v = errors.field(req(country, "country").and_then(|c| {
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            Err(RowError::new(
                line,
                "country",
                format!("{c:?} is not an ISO 3166-1 alpha-3 code"),
            ))
        } else {
            Ok(c)
        }
    }));
    let parent_v = cell(rec, Some(parent)).map(str::to_string);
    match (level_v, &parent_v) {
        (Some(LocationLevel::Country), Some(_)) => {
            errors.push(RowError::new(line, "parent", "a country has no parent"));
        }
        (Some(LocationLevel::Country), None)
            if code_v.is_some() && country_v.is_some() && code_v != country_v =>
        {
            errors.push(RowError::new(
                line,
                "code",
                "a country location's code must be its ISO 3166-1 alpha-3 code",
            ));
        }
        (Some(l), None) if l != LocationLevel::Country => {
            errors.push(RowError::new(
                line,
                "parent",
                format!("empty: a {l} needs a parent location"),
            ));
        }
        _ => {}
    }
    let gln_v = errors.field(
        cell(rec, gln)
            .map(location_gln)
            .transpose()
            .map_err(|e| RowError::new(line, "gln", e)),
    );
    let coord = |i: Option<usize>, f: &str, lim: f64| -> Result<Option<f64>, RowError> {
        match cell(rec, i) {
            None => Ok(None),
            Some(s) => match s.parse::<f64>() {
                Ok(v) if v.is_finite() && v.abs() <= lim => Ok(Some(v)),
                _ => Err(RowError::new(
                    line,
                    f,
                    format!("{s:?} is not a number between -{lim} and {lim}"),
                )),
            },
        }
    };
    let latitude = errors.field(coord(lat, "latitude", 90.0));
    let longitude = errors.field(coord(lon, "longitude", 180.0));
    let (Some(code), Some(name), Some(level), Some(country), Some(gln), Some(lat), Some(lon), true) = (
        code_v,
        name_v,
        level_v,
        country_v,
        gln_v,
        latitude,
        longitude,
        errors.is_empty(),
    ) else {
        return Err(errors);
    };
    Ok(Location {
        code: code.to_string(),
        name: name.to_string(),
        level,
        parent: parent_v,
        country: country.to_string(),
        gln,
        latitude: lat,
        longitude: lon,
    })
}

/// The GLN of a location given as a GLN (13 digits), an SGLN URN with
/// extension 0 (`urn:epc:id:sgln:0614141.12345.0`) or a GLN Digital Link
/// (`https://id.gs1.org/414/0614141123452`), as EPCIS documents name
/// locations. An SGLN with another extension names a sub-location (a
/// shelf, a dock door) of the location, not the location: refused.
pub fn location_gln(s: &str) -> Result<Gln, String> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return Gln::parse(s).map_err(|e| e.to_string());
    }
    match equitas_gs1::Epc::parse(s) {
        Ok(equitas_gs1::Epc::Sgln {
            gln,
            extension: None,
        }) => Ok(gln),
        Ok(equitas_gs1::Epc::Sgln {
            gln,
            extension: Some(e),
        }) => Err(format!(
            "{s:?} names a sub-location (extension {e:?}) of GLN {gln}, not a location: \
             give the location's own GLN (an SGLN with extension 0)"
        )),
        Ok(other) => Err(format!(
            "{s:?} is not a location ({}): expected a GLN, an SGLN URN or a GLN Digital Link",
            other.describe()
        )),
        Err(e) => Err(format!(
            "{s:?} is not a GLN, an SGLN URN (urn:epc:id:sgln:CompanyPrefix.LocationRef.0) \
             or a GLN Digital Link (https://id.gs1.org/414/GLN): {e}"
        )),
    }
}

/// One reviewed entry of the manufacturing-site mapping: a site as a source
/// names it, the manufacturer that runs it and the country it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteMapping {
    pub site: String,
    pub manufacturer: String,
    /// ISO3, or `None` when the name does not allow the country to be known.
    pub country: Option<String>,
    pub city: Option<String>,
    pub note: Option<String>,
}

impl SiteMapping {
    pub fn manufacturer_code(&self) -> String {
        slug(&self.manufacturer)
    }
}

/// Parses the site mapping table (columns `site`, `manufacturer`,
/// `country_iso3`, `city`, `note`). A site listed twice is an error.
pub fn parse_site_mapping<R: Read>(r: R) -> Result<Parsed<SiteMapping>, RowError> {
    let mut t = Table::new(r)?;
    let site = t.require("site")?;
    let manufacturer = t.require("manufacturer")?;
    let country = t.require("country_iso3")?;
    let city = t.column("city");
    let note = t.column("note");
    let mut seen: HashMap<String, u64> = HashMap::new();
    Ok(t.parse(|rec, line| {
        let Some(site_v) = rec.get(site).filter(|s| !s.trim().is_empty()) else {
            return Err(RowError::new(line, "site", "empty"));
        };
        // Keep the site name exactly as the source spells it (spaces included).
        if let Some(first) = seen.insert(site_v.to_string(), line) {
            return Err(RowError::new(
                line,
                "site",
                format!("{site_v:?} is already mapped on line {first}"),
            ));
        }
        let Some(m) = cell(rec, Some(manufacturer)) else {
            return Err(RowError::new(line, "manufacturer", "empty"));
        };
        let c = cell(rec, Some(country));
        if let Some(c) = c
            && (c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(RowError::new(
                line,
                "country_iso3",
                format!("{c:?} is not an ISO 3166-1 alpha-3 code"),
            ));
        }
        Ok(SiteMapping {
            site: site_v.to_string(),
            manufacturer: m.to_string(),
            country: c.map(str::to_string),
            city: cell(rec, city).map(str::to_string),
            note: cell(rec, note).map(str::to_string),
        })
    }))
}

/// A row of a product list: the product, and its trade item when the row
/// gives a GTIN.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRow {
    pub product: crate::catalogue::Product,
    pub trade_item: Option<crate::catalogue::TradeItem>,
    /// A pack size given without a GTIN: a pack size is a trade item's,
    /// so it is not stored (the import says so).
    pub pack_size_alone: Option<f64>,
}

/// Parses a product list (`equitas import products`): columns `code`,
/// `name`, and optional `programme` (hiv, tb, malaria, immunisation, ntd,
/// srh, mental_health, essential_medicines), `category` (medicine, vaccine,
/// diagnostic, device; default medicine), `inns` (separated by `/` or `+`),
/// `strength`, `dosage_form`, `atc`, `essential` (yes/no), `gtin` and
/// `pack_size`. A row with a GTIN also records the trade item (code: the
/// GTIN-14), so that stock events naming the GTIN show the product's name.
pub fn parse_products<R: Read>(r: R) -> Result<Parsed<ProductRow>, RowError> {
    use crate::catalogue::{Product, ProductCategory, Programme, TradeItem};
    let mut t = Table::new(r)?;
    let code = t.require("code")?;
    let name = t.require("name")?;
    let [
        programme,
        category,
        inns,
        strength,
        form,
        atc,
        essential,
        gtin,
        pack,
    ] = [
        "programme",
        "category",
        "inns",
        "strength",
        "dosage_form",
        "atc",
        "essential",
        "gtin",
        "pack_size",
    ]
    .map(|c| t.column(c));
    Ok(t.parse(|rec, line| {
        let mut errors = RowErrors::default();
        let code_v = errors.field(
            cell(rec, Some(code))
                .ok_or_else(|| RowError::new(line, "code", "empty"))
                .and_then(|c| {
                    if c.chars().any(|c| c.is_control() || c.is_whitespace()) {
                        Err(RowError::new(
                            line,
                            "code",
                            "contains spaces or control characters",
                        ))
                    } else {
                        Ok(c)
                    }
                }),
        );
        let name_v =
            errors.field(cell(rec, Some(name)).ok_or_else(|| RowError::new(line, "name", "empty")));
        let programme_v = errors.field(
            cell(rec, programme)
                .map(|s| s.to_ascii_lowercase().parse::<Programme>())
                .transpose()
                .map_err(|e| RowError::new(line, "programme", e)),
        );
        let category_v = errors.field(
            cell(rec, category)
                .map(|s| s.to_ascii_lowercase().parse::<ProductCategory>())
                .transpose()
                .map_err(|e| RowError::new(line, "category", e)),
        );
        let essential_v = errors.field(
            match cell(rec, essential).map(str::to_ascii_lowercase).as_deref() {
                None => Ok(None),
                Some("yes" | "true" | "1" | "oui") => Ok(Some(true)),
                Some("no" | "false" | "0" | "non") => Ok(Some(false)),
                Some(other) => Err(RowError::new(
                    line,
                    "essential",
                    format!("{other:?}: expected yes or no"),
                )),
            },
        );
        let gtin_v = errors.field(
            cell(rec, gtin)
                .map(equitas_gs1::Gtin::parse)
                .transpose()
                .map_err(|e| RowError::new(line, "gtin", e.to_string())),
        );
        let pack_v = errors.field(
            cell(rec, pack)
                .map(|s| match s.parse::<f64>() {
                    Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
                    _ => Err(RowError::new(
                        line,
                        "pack_size",
                        format!("{s:?} is not a positive number"),
                    )),
                })
                .transpose(),
        );
        let (
            Some(code_v),
            Some(name_v),
            Some(programme_v),
            Some(category_v),
            Some(essential_v),
            Some(gtin_v),
            Some(pack_v),
        ) = (
            code_v,
            name_v,
            programme_v,
            category_v,
            essential_v,
            gtin_v,
            pack_v,
        )
        else {
            return Err(errors);
        };
        let category_v = category_v.unwrap_or(ProductCategory::Medicine);
        let product = Product {
            code: code_v.to_string(),
            name: name_v.to_string(),
            inns: cell(rec, inns)
                .map(|s| {
                    s.split(['/', '+'])
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            strength: cell(rec, strength).map(str::to_string),
            dosage_form: cell(rec, form).map(str::to_string),
            category: category_v,
            programme: programme_v,
            atc: cell(rec, atc).map(str::to_string),
            essential: essential_v,
        };
        let pack_size_alone = pack_v.filter(|_| gtin_v.is_none());
        let trade_item = gtin_v.map(|g| TradeItem {
            code: g.to_string(),
            gtin: Some(g),
            product: code_v.to_string(),
            description: name_v.to_string(),
            pack_size: pack_v,
            brand: None,
            manufacturer: None,
        });
        Ok(ProductRow {
            product,
            trade_item,
            pack_size_alone,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Errors name the line of the file whatever its line endings.
    #[test]
    fn lines_are_counted_whatever_the_line_endings() {
        for text in [
            "code,name,level,parent,country\nKEN,Kenya,country,,KEN\nX,Y,kiosk,KEN,KEN\n",
            "code,name,level,parent,country\r\nKEN,Kenya,country,,KEN\r\nX,Y,kiosk,KEN,KEN\r\n",
            "code,name,level,parent,country\rKEN,Kenya,country,,KEN\rX,Y,kiosk,KEN,KEN\r",
        ] {
            let p = parse_locations(text.as_bytes()).unwrap();
            let lines: Vec<u64> = p.errors.iter().map(|e| e.line).collect();
            assert_eq!(lines, [3], "{text:?}: {:?}", p.errors);
            assert_eq!(p.records[0].0, 2, "{text:?}");
        }
        // A `\r\n` split between two reads is one line ending.
        let mut r = Newlines::new(std::io::Read::chain(&b"a\r"[..], &b"\nb"[..]));
        let mut out = String::new();
        std::io::Read::read_to_string(&mut r, &mut out).unwrap();
        assert_eq!(out, "a\nb");
    }

    /// An empty file, or one of a byte-order mark or blank lines, is said
    /// to be empty, not to lack a column (user pass).
    #[test]
    fn an_empty_file_is_said_to_be_empty() {
        for text in ["", "\u{feff}", "\u{feff}\n", "\n\n", " \r\n"] {
            let e = parse_locations(text.as_bytes()).unwrap_err();
            assert_eq!(
                e.to_string(),
                "line 1: the file is empty: its first line should name the columns",
                "{text:?}"
            );
        }
        // A header row alone is no error: no rows.
        let p = parse_locations("code,name,level,parent,country\n".as_bytes()).unwrap();
        assert!(p.records.is_empty() && p.errors.is_empty());
    }

    /// A row longer than the header row is rejected, named, rather than
    /// read shifted or cut.
    #[test]
    fn a_row_longer_than_the_header_is_rejected() {
        // Line 3's extra value shifted it; line 4's decimal comma too,
        // before an empty last cell: nothing past the last column but an
        // empty cell, still one cell too many.
        let text = "code,name,level,parent,country\nKEN,Kenya,country,,KEN\nX,Y,region,KEN,KEN,9\nZ,0,5,KEN,KEN,\n";
        let p = parse_locations(text.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1, "{:?}", p.errors);
        let said: Vec<(u64, &str)> = p
            .errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(said.len(), 2, "{said:?}");
        assert_eq!(said[0].0, 3);
        assert!(
            said[0]
                .1
                .starts_with("6 cells where the header row has 5: \"9\" lies past the last column"),
            "{said:?}"
        );
        assert_eq!(said[1].0, 4);
        assert!(
            said[1]
                .1
                .starts_with("6 cells where the header row has 5; a comma"),
            "{said:?}"
        );
    }

    /// A misspelling is one word a letter away; another word is another
    /// column (review, 2026-12-07: the first rule, by similarity, refused
    /// `adjustment_reason`, `subcategory`, `official_name_es`).
    #[test]
    fn a_misspelling_is_one_word_a_letter_away() {
        for (h, n) in [
            ("adjustment", "adjustments"),
            ("recieved", "received"),
            ("Stockout day", "stockout_days"),
            ("closing_balanse", "closing_balance"),
        ] {
            assert!(misspelt(h, n), "{h} {n}");
        }
        for (h, n) in [
            ("adjustment_reason", "adjustments"),
            ("subcategory", "category"),
            ("pack_size_unit", "pack_size"),
            ("official_name_es", "official_name_fr"),
            ("Sub-region Code", "Sub-region Name"),
            ("issued_to", "issued"),
            ("latitude_dd", "latitude"),
            ("lat", "lot"),
            ("adjustments", "adjustments"),
        ] {
            assert!(!misspelt(h, n), "{h} {n}");
        }
    }

    /// A column is found by its name as written (case aside), else by the
    /// one header of its letters and digits; two headers of one key match
    /// neither, and headers of other scripts are told apart.
    #[test]
    fn columns_by_name_else_by_one_key() {
        let t = Table::new("Value (€),Value ($),Stockout days,Страна,Строка\n".as_bytes()).unwrap();
        assert_eq!(t.column("value ($)"), Some(1));
        assert_eq!(t.column("Value (€)"), Some(0));
        assert_eq!(t.column("value"), None);
        assert_eq!(t.column("stockout_days"), Some(2));
        assert_eq!(t.column("страна"), Some(3));
        assert_eq!(t.column("Строка"), Some(4));
        assert_eq!(t.column("(€)"), None);
    }

    /// In a file separated by semicolons, empty cells past the header row
    /// and a row of separators alone are nothing (a user pass, 2026-12-07:
    /// both were errors); a value past it is named, with a semicolon's
    /// advice.
    #[test]
    fn a_semicolon_file_ignores_cleared_cells() {
        let text = "code;name;level;parent;country\nKEN;Kenya;country;;KEN;;\n;;;;\n;;;;;;\nX;Y;region;KEN;KEN;9\n";
        let p = parse_locations(text.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1, "{:?}", p.errors);
        let e: Vec<String> = p.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            [
                "line 5: 6 cells where the header row has 5: \"9\" lies past the last column; a semicolon within a value must be within quotes"
            ]
        );
    }

    #[test]
    fn a_comma_is_read_only_as_a_thousands_separator() {
        for (s, v) in [
            ("1,234", 1234.0),
            ("12,345.67", 12345.67),
            ("1,234,567", 1_234_567.0),
            ("-1,000", -1000.0),
            (" 999 ", 999.0),
            ("0.10", 0.1),
            ("1e3", 1000.0),
        ] {
            assert_eq!(number_cell(s), Ok(Some(v)), "{s}");
        }
        // A decimal comma, or a comma out of place: refused with the reason,
        // never read as a number 10 or 1,000 times larger.
        for s in [
            "0,10", "1,5", "1000,5", "30,0", "0,050", "6200,50", "1500,50", "-1,5",
        ] {
            let e = number_cell(s).unwrap_err();
            assert!(
                e.ends_with(
                    "as in 1,234 or 12,345.67 (a decimal comma: write the number with a point, as 0.5, or separate the columns with semicolons, as a spreadsheet set to French saves CSV: such a file is read with decimal commas)"
                ),
                "{s}: {e}"
            );
            assert!(e.starts_with(&format!("{s:?} is not a number")), "{e}");
        }
        for s in [
            "1,234,5",
            "12,34.5",
            "1234,567",
            ",5",
            "5,",
            "1,,234",
            "1,234.5,6",
            "1,234.",
        ] {
            assert!(number_cell(s).is_err(), "{s}");
        }
        // Not a number at all: the caller's to keep as a gap or reject.
        for s in [
            "",
            "n/a",
            "See ASN-93 (ID#:1281)",
            "a,b",
            ",",
            "Freight Included in Commodity Cost",
            "NaN",
            "inf",
        ] {
            assert_eq!(number_cell(s), Ok(None), "{s}");
        }
    }

    proptest::proptest! {
        /// A number written with thousands separators reads as written without them.
        #[test]
        fn grouped_numbers_read_back(n in 0u64..1_000_000_000_000, cents in proptest::option::of(0u32..100)) {
            let digits = n.to_string();
            let mut grouped = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            let (text, plain) = match cents {
                Some(c) => (format!("{grouped}.{c:02}"), format!("{digits}.{c:02}")),
                None => (grouped, digits),
            };
            proptest::prop_assert_eq!(number_cell(&text), Ok(Some(plain.parse::<f64>().unwrap())));
        }

        /// A comma followed by other than exactly three digits, or after a
        /// leading 0, is never read as a number.
        #[test]
        fn a_decimal_comma_is_refused(int in 0u32..100_000, frac in "[0-9]{1,6}") {
            let s = format!("{int},{frac}");
            let grouped = frac.len() == 3 && int != 0 && int < 1000;
            proptest::prop_assert_eq!(number_cell(&s).is_err(), !grouped, "{}", s);
        }

        /// Any text: no panic, a finite number if any, and without a comma
        /// the same number Rust reads.
        #[test]
        fn any_text(s in "[0-9,.+eE -]{0,12}|\\PC{0,12}") {
            if let Ok(Some(v)) = number_cell(&s) {
                proptest::prop_assert!(v.is_finite());
            }
            if !s.contains(',') {
                proptest::prop_assert_eq!(
                    number_cell(&s),
                    Ok(s.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
                );
            }
        }
    }

    #[test]
    fn a_decimal_comma_is_named() {
        for s in ["0,5", "12,25", "-3,0"] {
            assert!(
                decimal_comma_hint(s).starts_with(" (a decimal comma"),
                "{s}"
            );
        }
        for s in ["0.5", "1,2,3", ",5", "5,", "a,b", "1 000", ""] {
            assert_eq!(decimal_comma_hint(s), "", "{s}");
        }
    }

    /// A file saved by a spreadsheet set to French: semicolons between
    /// the columns, decimal commas, thousands grouped by (no-break)
    /// spaces, Windows line endings, a byte order mark, accents. It reads
    /// as the same file written with commas and decimal points (until
    /// 2026-12-07 it was refused whole: "separate the columns with
    /// commas", which a spreadsheet set to French does not do).
    #[test]
    fn a_file_separated_by_semicolons_reads_decimal_commas() {
        let fr = "\u{feff}code;name;level;parent;country;gln;latitude;longitude\r\n\
                  SN-DK;Région de Dakar;region;SEN;SEN;;14,716;-17,467\r\n\
                  SN-TH;Thiès, région;region;SEN;SEN;;\"14,79\";-16,93\r\n";
        let en = "code,name,level,parent,country,gln,latitude,longitude\n\
                  SN-DK,Région de Dakar,region,SEN,SEN,,14.716,-17.467\n\
                  SN-TH,\"Thiès, région\",region,SEN,SEN,,14.79,-16.93\n";
        let (a, b) = (
            parse_locations(fr.as_bytes()).unwrap(),
            parse_locations(en.as_bytes()).unwrap(),
        );
        assert!(a.errors.is_empty(), "{:?}", a.errors);
        assert_eq!(a.records.len(), 2);
        assert_eq!(a.records, b.records);
        // A bad value is still named by its line and field, as written.
        let p = parse_locations(
            "code;name;level;parent;country;gln;latitude\nX;Y;region;SEN;SEN;;95,5\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(p.errors[0].line, 2);
        assert_eq!(p.errors[0].field.as_deref(), Some("latitude"));
    }

    /// In a file separated by semicolons, `1.200` is refused naming its
    /// column and both readings (until 2026-12-07 it was read as 1.2, a
    /// user pass); `1.5` and `1.2000` can only be decimals and are read.
    #[test]
    fn a_point_before_three_digits_in_a_semicolon_file_is_refused() {
        let head = "code;name;level;parent;country;gln;latitude;longitude\n";
        let p = parse_locations(
            format!("{head}A;A;region;SEN;SEN;;14.5;-17,467\nB;B;region;SEN;SEN;;1.200;0\nC;C;region;SEN;SEN;;14,5;-17,4675\n")
                .as_bytes(),
        )
        .unwrap();
        let e: Vec<String> = p.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            [
                "line 3, field `latitude`: \"1.200\" is 1200 with a point between thousands, or 1.2 with a decimal point: in a file separated by semicolons, write 1200 or 1,2"
            ]
        );
        assert_eq!(p.records.len(), 2);
        for (s, ambiguous) in [
            ("1.200", true),
            ("-12.500", true),
            (" 999.000 ", true),
            ("1.5", false),
            ("1.2000", false),
            ("1234.500", false),
            ("1.200.000", false),
            ("1,200", false),
            ("abc.def", false),
            ("0.099", false),
            ("-0.045", false),
        ] {
            assert_eq!(point_thousands(s), ambiguous, "{s:?}");
        }
    }

    #[test]
    fn numbers_written_the_french_way() {
        for (s, v) in [
            ("12,5", "12.5"),
            ("-0,5", "-0.5"),
            ("1 200", "1200"),
            ("1\u{a0}200,75", "1200.75"),
            ("12\u{202f}345\u{202f}678", "12345678"),
            (" 3,0 ", "3.0"),
        ] {
            assert_eq!(decimal_comma_number(s).as_deref(), Some(v), "{s:?}");
        }
        // Plain numbers, and text that only looks like a number, as written.
        for s in [
            "12",
            "0.5",
            "",
            "1,2,3",
            "12 34",
            "1234 567",
            ",5",
            "5,",
            "Amoxicilline 1,5 g",
            "2026-09",
            "1 200.5",
        ] {
            assert_eq!(decimal_comma_number(s), None, "{s:?}");
        }
    }

    /// A file separated by tabs, or one not UTF-8 (a spreadsheet's plain
    /// CSV in Latin-1): the error says what to do about each.
    #[test]
    fn a_tab_or_latin_1_file_says_how_to_save_it() {
        let Err(e) = parse_locations("code\tname\tlevel\nKEN\tKenya\tcountry\n".as_bytes()) else {
            panic!("a tab-separated file was read");
        };
        assert!(
            e.message
                .contains("separate the columns with commas or semicolons"),
            "{e}"
        );
        // "Kénitra" in Latin-1: é is the byte 0xE9.
        let mut latin1 = b"code,name,level,parent,country\nKE-K,K".to_vec();
        latin1.push(0xE9);
        latin1.extend_from_slice(b"nitra,region,,KEN\n");
        let p = parse_locations(latin1.as_slice()).unwrap();
        assert!(
            p.errors[0].message.contains("save it as \"CSV UTF-8\""),
            "{:?}",
            p.errors
        );
    }

    #[test]
    fn locations_report_line_and_field() {
        let csv = "code,name,level,parent,country,gln,latitude\n\
                   KEN,Kenya,country,,KEN,,\n\
                   KE-NBI,Nairobi,region,KEN,KEN,,-1.29\n\
                   KE-F1,Facility 1,facility,KE-NBI,KEN,0614141123453,\n\
                   KE-F2,Facility 2,kiosk,KE-NBI,KEN,,\n\
                   KE-F3,Facility 3,facility,,KEN,,\n\
                   KE-F4,Facility 4,facility,KE-NBI,KEN,,95\n";
        let p = parse_locations(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 2);
        let msgs: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            msgs,
            vec![
                "line 4, field `gln`: GLN: check digit is 3, expected 2 for 0614141123453",
                "line 5, field `level`: unknown location level \"kiosk\"; expected country, region (province), district, facility (health facility, hospital, health centre, health post, clinic) or warehouse (store, medical store, depot); in French: pays, région, district (sanitaire), formation sanitaire (hôpital, centre de santé, poste de santé), entrepôt (dépôt, magasin)",
                "line 6, field `parent`: empty: a facility needs a parent location",
                "line 7, field `latitude`: \"95\" is not a number between -90 and 90",
            ]
        );
    }

    /// Issue 19: a row with several bad fields lists them all, one error
    /// per field.
    #[test]
    fn every_bad_field_of_a_row_is_named() {
        let csv = "code,name,level,parent,country,gln,latitude\n\
                   KE-F1,,kiosk,KE-NBI,Kenya,0614141123453,95\n";
        let p = parse_locations(csv.as_bytes()).unwrap();
        let fields: Vec<_> = p
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_deref()))
            .collect();
        assert_eq!(
            fields,
            [
                (2, Some("name")),
                (2, Some("level")),
                (2, Some("country")),
                (2, Some("gln")),
                (2, Some("latitude"))
            ]
        );
        let csv = "code,name,category,essential,gtin,pack_size\nA B,,pill,maybe,123,0\n";
        let p = parse_products(csv.as_bytes()).unwrap();
        let fields: Vec<_> = p
            .errors
            .iter()
            .map(|e| e.field.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(
            fields,
            ["code", "name", "category", "essential", "gtin", "pack_size"]
        );
        let csv =
            "ISO3166-1-Alpha-3,ISO3166-1-Alpha-2,official_name_en,ISO3166-1-numeric\nken,KE,,x\n";
        let p = parse_country_codes(csv.as_bytes()).unwrap();
        assert_eq!(p.errors.len(), 3, "{:?}", p.errors);
    }

    /// Issue 19: a location's GLN as an SGLN URN or a Digital Link is
    /// stored as the GLN; a sub-location or another key is refused.
    #[test]
    fn gln_column_takes_sgln_urns_and_digital_links() {
        let want = Gln::parse("0614141123452").unwrap();
        for s in [
            "0614141123452",
            "urn:epc:id:sgln:0614141.12345.0",
            "https://id.gs1.org/414/0614141123452",
        ] {
            assert_eq!(location_gln(s), Ok(want.clone()), "{s}");
        }
        let sub = location_gln("urn:epc:id:sgln:0614141.12345.400").unwrap_err();
        assert!(
            sub.contains("names a sub-location (extension \"400\") of GLN 0614141123452"),
            "{sub}"
        );
        let sub = location_gln("https://id.gs1.org/414/0614141123452/254/7").unwrap_err();
        assert!(sub.contains("sub-location"), "{sub}");
        let gtin = location_gln("https://id.gs1.org/01/09520000000011/21/1").unwrap_err();
        assert!(gtin.contains("is not a location"), "{gtin}");
        let bad = location_gln("urn:epc:id:sgln:0614141.1234.0").unwrap_err();
        assert!(bad.contains("is not a GLN, an SGLN URN"), "{bad}");
        assert!(
            location_gln("0614141123453")
                .unwrap_err()
                .contains("check digit")
        );

        let csv = "code,name,level,parent,country,gln\n\
                   KE-F1,Facility 1,facility,KE-NBI,KEN,urn:epc:id:sgln:0614141.12345.0\n";
        let p = parse_locations(csv.as_bytes()).unwrap();
        assert_eq!(p.records[0].1.gln, Some(want));
    }

    #[test]
    fn missing_column_is_reported_on_line_1() {
        let e = parse_locations("code,name\nA,B\n".as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1, field `level`: required column is missing from the header row (it has: code, name)"
        );
    }

    #[test]
    fn site_mapping_rejects_duplicates_and_bad_codes() {
        let csv = "site,manufacturer,country_iso3,city,note\n\
                   A plant,Maker,IND,Goa,\n\
                   A plant,Maker,IND,Goa,\n\
                   B plant,Maker,India,,\n\
                   C plant,Maker,,,unknown country\n";
        let p = parse_site_mapping(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.records[1].1.country, None);
        assert_eq!(p.errors.len(), 2);
        assert!(p.errors[0].to_string().contains("already mapped on line 2"));
    }
    #[test]
    fn products_parse_with_their_trade_items_and_bad_rows_named() {
        let csv = "code,name,programme,category,gtin,pack_size,essential\n\
                   SYN-001,HIV product 1,hiv,,09520000000011,30,yes\n\
                   SYN-002,Vaccine,immunisation,vaccine,,,\n\
                   SYN 3,Bad code,,,,,\n\
                   SYN-004,Bad programme,cancer,,,,\n\
                   SYN-005,Bad GTIN,hiv,,09520000000012,,\n\
                   SYN-006,Bad pack,hiv,,,-1,\n\
                   SYN-007,Bad flag,hiv,,,,maybe\n";
        let p = parse_products(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 2);
        let first = &p.records[0].1;
        assert_eq!(
            first.product.programme,
            Some(crate::catalogue::Programme::Hiv)
        );
        assert_eq!(first.product.essential, Some(true));
        let ti = first.trade_item.as_ref().unwrap();
        assert_eq!(
            (ti.code.as_str(), ti.product.as_str()),
            ("09520000000011", "SYN-001")
        );
        assert_eq!(ti.pack_size, Some(30.0));
        assert_eq!(
            p.records[1].1.product.category,
            crate::catalogue::ProductCategory::Vaccine
        );
        assert!(p.records[1].1.trade_item.is_none());
        let fields: Vec<(u64, String)> = p
            .errors
            .iter()
            .map(|e| (e.line, e.field.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            fields,
            vec![
                (4, "code".to_string()),
                (5, "programme".to_string()),
                (6, "gtin".to_string()),
                (7, "pack_size".to_string()),
                (8, "essential".to_string()),
            ]
        );
    }
}
