//! Imports: parse a source file, then write all of it in one transaction.
//!
//! An import either commits whole or leaves the database exactly as it was
//! (an error, a panic or a killed process before the commit rolls back).
//! Writes are upserts, so importing the same data again changes nothing
//! and says so. Bad rows are reported with their line and field; the good
//! rows are imported unless the caller asks for `strict`.

use crate::repo::{self, ImportRecord, Tally};
use crate::{Conn, Store, StoreError, market, supply};
use equitas_market::GapKind;
use equitas_market::procurement::ProcurementData;
use equitas_market::scms;
use equitas_market::{generic, inputs, msh};
use equitas_model::RowError;
use equitas_model::reference::{self, CountryAlias, CountryNames, Parsed, SiteMapping};
use equitas_supply::registers;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use thiserror::Error;

/// The kinds of file Equitas imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// ISO 3166 country codes with M49 regions (datasets/country-codes layout).
    Countries,
    /// WHO regions and World Bank income groups per ISO3.
    IncomeGroups,
    /// A location hierarchy: regions, districts, facilities, warehouses.
    Locations,
    /// The USAID SCMS shipment pricing file.
    Scms,
    /// Procurement lines in any CSV layout, described by a column mapping.
    Procurement,
    /// International reference prices per comparison unit.
    ReferencePrices,
    /// Standard treatment courses (units per course).
    Courses,
    /// Daily wages of the lowest-paid unskilled government worker.
    Wages,
    /// Marketing authorisations by country.
    Authorisations,
    /// The WHO list of prequalified vaccines.
    WhoPqVaccines,
    /// Monthly stock reports per location, product and month.
    StockReports,
    /// Minimum and maximum months of stock per tier (and product).
    StockLevels,
    /// A product list (names, programmes, GTINs of trade items).
    Products,
    /// Manufacturing sites, their platform, capacity, status and approvals.
    SupplySites,
    /// Technology transfers and licences.
    Licences,
    /// Regulatory authorities and their reliance pathways.
    Regulators,
    /// Ingredient (API) sources of finished-product sites.
    IngredientSources,
    /// Shipments expected from suppliers (the pipeline of plans, 4.7): each
    /// import replaces the list.
    Pipeline,
    /// Lead times by item and supplier (4.7): each import replaces the list.
    LeadTimes,
}

impl ImportKind {
    /// A list imported whole (the pipeline, lead times: formulas 4.7): a
    /// file with a rejected row replaces nothing (`replace_list`).
    pub fn is_list(self) -> bool {
        matches!(self, ImportKind::Pipeline | ImportKind::LeadTimes)
    }

    pub const ALL: &'static [ImportKind] = &[
        ImportKind::Countries,
        ImportKind::IncomeGroups,
        ImportKind::Locations,
        ImportKind::Scms,
        ImportKind::Procurement,
        ImportKind::ReferencePrices,
        ImportKind::Courses,
        ImportKind::Wages,
        ImportKind::Authorisations,
        ImportKind::WhoPqVaccines,
        ImportKind::StockReports,
        ImportKind::StockLevels,
        ImportKind::Products,
        ImportKind::SupplySites,
        ImportKind::Licences,
        ImportKind::Regulators,
        ImportKind::IngredientSources,
        ImportKind::Pipeline,
        ImportKind::LeadTimes,
    ];

    /// The kind named `name` (as [`ImportKind::as_str`] writes it).
    pub fn from_name(name: &str) -> Option<ImportKind> {
        Self::ALL.iter().copied().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Countries => "countries",
            ImportKind::IncomeGroups => "income-groups",
            ImportKind::Locations => "locations",
            ImportKind::Scms => "scms",
            ImportKind::Procurement => "procurement",
            ImportKind::ReferencePrices => "reference-prices",
            ImportKind::Courses => "courses",
            ImportKind::Wages => "wages",
            ImportKind::Authorisations => "authorisations",
            ImportKind::WhoPqVaccines => "who-pq-vaccines",
            ImportKind::StockReports => "stock-reports",
            ImportKind::StockLevels => "stock-levels",
            ImportKind::Products => "products",
            ImportKind::SupplySites => "supply-sites",
            ImportKind::Licences => "licences",
            ImportKind::Regulators => "regulators",
            ImportKind::IngredientSources => "ingredient-sources",
            ImportKind::Pipeline => "pipeline",
            ImportKind::LeadTimes => "lead-times",
        }
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Receives progress while records are written.
pub trait Progress {
    fn start(&self, _label: &str, _total: u64) {}
    fn inc(&self, _n: u64) {}
    fn finish(&self) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Reject the whole file if any row is bad.
    pub strict: bool,
    /// Validate and count, then roll back.
    pub dry_run: bool,
}

/// Reviewed tables and configuration imports rely on.
#[derive(Debug, Clone, Default)]
pub struct Mappings {
    /// Manufacturing sites to manufacturers and countries (SCMS).
    pub sites: Vec<SiteMapping>,
    /// Country names used by sources.
    pub country_aliases: Vec<CountryAlias>,
    /// Column mapping of a generic procurement CSV.
    pub procurement: Option<generic::Mapping>,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub kind: Option<ImportKind>,
    pub source_name: String,
    pub rows_read: u64,
    /// Outcome per record type, in the order written (e.g. "products").
    pub written: Vec<(&'static str, Tally)>,
    pub rejected: Vec<RowError>,
    /// Gaps kept, counted by (field, reason).
    pub gaps: BTreeMap<(&'static str, GapKind), u64>,
    pub notes: Vec<String>,
    pub dry_run: bool,
}

impl ImportReport {
    pub fn total(&self) -> Tally {
        let mut t = Tally::default();
        for (_, x) in &self.written {
            t.merge(*x);
        }
        t
    }
    /// The number of rows rejected (`rejected` holds one error per bad
    /// field: a row may have several).
    pub fn rejected_rows(&self) -> usize {
        equitas_model::rows_with_errors(&self.rejected)
    }
    /// True if nothing was inserted or updated.
    pub fn unchanged(&self) -> bool {
        self.total().changed() == 0
    }
    /// Why rejected rows kept the whole file out, or `None` if its good
    /// rows were imported: a list with a rejected row replaces nothing, and
    /// a file whose every row was rejected has nothing to import.
    pub fn nothing_imported(&self) -> Option<String> {
        let refused = self.rejected_rows();
        if refused > 0 && self.kind.is_some_and(ImportKind::is_list) {
            Some(format!(
                "{refused} of {} rows rejected; a list is replaced whole, so nothing was imported and the list held is kept",
                self.rows_read
            ))
        } else if self.rows_read > 0 && refused as u64 >= self.rows_read {
            Some(format!(
                "every row was rejected ({refused} of {}); nothing was imported",
                self.rows_read
            ))
        } else {
            None
        }
    }
}

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{source_name}: {error}")]
    File {
        source_name: String,
        error: RowError,
    },
    #[error(
        "{source_name}: {} bad row(s) and the import is strict (--strict, or strict=true in the API); nothing was imported. First: {}",
        equitas_model::rows_with_errors(errors),
        errors.first().map(|e| e.to_string()).unwrap_or_default()
    )]
    Strict {
        source_name: String,
        errors: Vec<RowError>,
    },
    #[error("{0}")]
    Precondition(String),
    /// A row outside the caller's scope: nothing was imported.
    #[error("{source_name}: line {line}: {detail}; nothing was imported")]
    OutOfScope {
        source_name: String,
        line: u64,
        detail: String,
    },
    /// Rows of this kind cannot be checked against a scope.
    #[error(
        "{kind} rows are reference data that span every place and country (no row names a place and a product a scope could be checked against): importing them needs the import permission everywhere; a scoped caller may import {}",
        SCOPABLE.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
    )]
    Unscopable { kind: ImportKind },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Matches MSH guide rows to catalogue products (see `equitas_market::msh`).
/// Rows naming no product are not errors: the guide covers far more
/// medicines than any one catalogue.
fn match_msh(
    store: &mut dyn Store,
    p: Parsed<msh::MshRow>,
) -> Result<(Parsed<inputs::ReferencePriceRow>, String), StoreError> {
    let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
    for (code, inns, strength, form) in market::product_identities(store)? {
        let (Some(strength), Some(unit)) =
            (strength, form.as_deref().and_then(msh::comparison_unit))
        else {
            continue;
        };
        if inns.is_empty() {
            continue;
        }
        by_key
            .entry(msh::matching_key(&inns, &strength, unit))
            .or_default()
            .push(code);
    }
    let mut out = Parsed {
        records: Vec::new(),
        errors: p.errors,
        notes: p.notes,
    };
    let (mut matched, mut unmatched, mut repeated) = (0, 0, 0);
    let mut priced: HashMap<String, u64> = HashMap::new();
    for (line, r) in p.records {
        let key = msh::matching_key(&r.medicine, &r.strength, &r.comparison_unit);
        match by_key.get(&key) {
            None => unmatched += 1,
            Some(codes) => {
                matched += 1;
                for code in codes {
                    // The guide may list a medicine twice (e.g. under two
                    // names); the first price wins and the rest are counted.
                    if priced.insert(code.clone(), line).is_some() {
                        repeated += 1;
                        continue;
                    }
                    out.records.push((
                        line,
                        inputs::ReferencePriceRow {
                            price: equitas_market::analysis::ReferencePrice {
                                product: code.clone(),
                                price_usd: r.price_usd,
                                source: format!("MSH price guide, {}", r.basis),
                            },
                            unit: Some(r.comparison_unit.clone()),
                            year: None,
                        },
                    ));
                }
            }
        }
    }
    let note = format!(
        "MSH price guide layout: {matched} row(s) matched catalogue products, {unmatched} name medicines not in the catalogue, {repeated} repeated a product already priced (first price kept)"
    );
    Ok((out, note))
}

/// Attributes each authorisation without a product code to the catalogue
/// product its `product_name` matches (docs/formulas.md 6.3: case, accents,
/// spaces and punctuation aside), so that it counts with that product's
/// other authorisations instead of in a row of its own (until 2026-12-07 it
/// was stored under its name alone). A name matching no product, or
/// several, is kept as written and named in a note, with the file, the
/// lines and a close product name where there is one.
fn attribute_authorisations(
    store: &mut dyn Store,
    source_name: &str,
    mut p: Parsed<inputs::Authorisation>,
    report: &mut ImportReport,
) -> Result<Parsed<inputs::Authorisation>, StoreError> {
    if p.records.iter().all(|(_, a)| a.product.is_some()) {
        return Ok(p);
    }
    let names = market::product_names(store)?;
    let mut attributed = 0;
    for (_, a) in &mut p.records {
        if a.product.is_none()
            && let Some(code) = names.code_of(&a.product_name)
        {
            a.product = Some(code.to_string());
            attributed += 1;
        }
    }
    if attributed > 0 {
        report.notes.push(format!(
            "{attributed} authorisation(s) without a product code attributed to the catalogue product of their product_name"
        ));
    }
    let unnamed: Vec<(u64, &str)> = p
        .records
        .iter()
        .filter(|(_, a)| a.product.is_none())
        .map(|(line, a)| (*line, a.product_name.as_str()))
        .collect();
    if let Some(note) =
        equitas_market::authorisations::unattributed_note(source_name, &unnamed, &names)
    {
        report.notes.push(note);
    }
    Ok(p)
}

/// Country names and codes known to the database, with the reviewed aliases.
fn country_names(store: &mut dyn Store, mappings: &Mappings) -> Result<CountryNames, ImportError> {
    let countries = repo::list_countries(store)?;
    if countries.is_empty() {
        return Err(ImportError::Precondition(
            "the database has no countries yet: import the country codes first \
             (`equitas import countries FILE`, or run `equitas demo`)"
                .into(),
        ));
    }
    Ok(CountryNames::new(&countries, &mappings.country_aliases))
}

/// The codes and names of a table, read on the first code not found, to
/// say which code was meant ([`equitas_model::suggest`]: `amox-50` for
/// `amox-500`, `sn-dk-pk-02` for `SN-DK-PK-02`, a name for its code). Each
/// code is guessed once, and at most [`Known::GUESSES`] codes are: a file
/// of many unknown codes (the wrong file?) is not held up by them while
/// the import holds the write lock.
struct Known {
    sql: &'static str,
    suggester: Option<equitas_model::suggest::Suggester<String>>,
    guessed: HashMap<String, Option<String>>,
    /// Only codes within this scope are suggested: a scoped caller learns
    /// no code outside it from a typing error (a review, 2026-12-07).
    within: Option<(crate::auth::Scope, crate::auth::Dim)>,
}

impl Known {
    const GUESSES: usize = 100;

    fn new(sql: &'static str) -> Self {
        Known {
            sql,
            suggester: None,
            guessed: HashMap::new(),
            within: None,
        }
    }

    /// Suggests only the codes `scope` allows along `dim`.
    fn within(mut self, scope: &crate::auth::Scope, dim: crate::auth::Dim) -> Self {
        if !scope.is_all() {
            self.within = Some((scope.clone(), dim));
        }
        self
    }

    fn guess(&mut self, c: &mut dyn Conn, asked: &str) -> Result<Option<String>, StoreError> {
        if let Some(g) = self.guessed.get(asked) {
            return Ok(g.clone());
        }
        if self.guessed.len() >= Self::GUESSES {
            return Ok(None);
        }
        if self.suggester.is_none() {
            let mut rows = c
                .query(self.sql, &[])?
                .iter()
                .map(|r| Ok((r[0].get::<String>()?, r[1].get::<String>()?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            if let Some((scope, dim)) = &self.within {
                rows.retain(|(code, _)| scope.allows(&[(*dim, Some(code.as_str()))]));
            }
            self.suggester = Some(equitas_model::suggest::Suggester::new(
                rows.iter().flat_map(|(code, name)| {
                    [(code.clone(), code.as_str()), (code.clone(), name.as_str())]
                }),
            ));
        }
        let g = self
            .suggester
            .as_ref()
            .and_then(|s| s.guess(asked).cloned());
        self.guessed.insert(asked.to_string(), g.clone());
        Ok(g)
    }
}

fn unknown_product(code: &str) -> (&'static str, String) {
    (
        "product",
        format!("{code:?} is not a known product code (see `equitas market products`)"),
    )
}

fn unknown_country(iso3: &str) -> (&'static str, String) {
    (
        "country",
        format!("{iso3} is not a known country (import the country codes first)"),
    )
}

/// Per-record outcome of a checked write: stored, or rejected with a
/// (field, reason) for each field found wrong.
type Checked = Result<repo::Outcome, Vec<(&'static str, String)>>;

/// Writes parsed records one by one, rejecting those `put` refuses. Of a
/// kind stored one row per key ([`one_row_per_key`]), a row whose key a
/// row before stored is rejected, unwritten; a row rejected leaves its key
/// free.
fn write_checked<T>(
    c: &mut dyn Conn,
    report: &mut ImportReport,
    rows: Rows<T>,
    label: &'static str,
    progress: &dyn Progress,
    mut put: impl FnMut(&mut dyn Conn, &T) -> Result<Checked, StoreError>,
) -> Result<(), StoreError> {
    let Rows {
        parsed: p,
        per_key,
        name_updates,
    } = rows;
    if report.rows_read == 0 {
        report.rows_read = p.rows();
    }
    report.rejected = p.errors;
    report.notes.extend(p.notes);
    progress.start(label, p.records.len() as u64);
    let mut t = Tally::default();
    // The keys stored, with the line of the row that stored each.
    let mut stored: HashMap<String, u64> = HashMap::new();
    // The rows that replaced what was held, named in a note.
    let mut updated: Vec<String> = Vec::new();
    for (line, r) in &p.records {
        let key = per_key.as_ref().map(|rule| (rule.key)(r));
        if let (Some(rule), Some(k)) = (&per_key, &key)
            && let Some(&at) = stored.get(k)
        {
            report.rejected.push(rule.again(*line, k, at));
            progress.inc(1);
            continue;
        }
        match put(c, r)? {
            Ok(o) => {
                t.add(o);
                if o == repo::Outcome::Updated {
                    updated.push(match &key {
                        Some(k) => format!("line {line} ({k})"),
                        None => format!("line {line}"),
                    });
                }
                if let Some(k) = key {
                    stored.insert(k, *line);
                }
            }
            Err(bad) => report.rejected.extend(
                bad.into_iter()
                    .map(|(field, reason)| RowError::new(*line, field, reason)),
            ),
        }
        progress.inc(1);
    }
    report.rejected.sort_by_key(|e| e.line);
    report.written.push((label, t));
    if name_updates && !updated.is_empty() {
        report.notes.push(format!(
            "{label} {} what was held (updated): {}",
            if report.dry_run {
                "that would change"
            } else {
                "changing"
            },
            first_ten(&updated, ", ")
        ));
    }
    Ok(())
}

/// The first ten of `items` joined by `sep`, then how many more (a note
/// names some rows, not thousands).
fn first_ten(items: &[String], sep: &str) -> String {
    const SHOWN: usize = 10;
    let mut out = items[..items.len().min(SHOWN)].join(sep);
    if items.len() > SHOWN {
        out.push_str(&format!("{sep}and {} more", items.len() - SHOWN));
    }
    out
}

/// Whether a reference price given per `given` is a price per the
/// comparison unit of a product of dosage form `form`
/// (`equitas_market::catalogue::comparison_unit`): that unit in any of its
/// forms (`tablets`, `Tablet`), or the MSH guide's unit for the form
/// (`TAB-CAP` for tablets and capsules, `ML`, `TEST`, `VIAL`: `msh::comparison_unit`),
/// case aside.
fn priced_per(given: &str, form: &str) -> bool {
    let g = given.trim();
    msh::comparison_unit(form).is_some_and(|m| m.eq_ignore_ascii_case(g))
        || equitas_market::catalogue::comparison_unit(&g.to_lowercase())
            == equitas_market::catalogue::comparison_unit(form)
}

/// A figure as a note quotes it: whole numbers without decimals.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{}", (v * 1e6).round() / 1e6)
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn file_err(source_name: &str) -> impl Fn(RowError) -> ImportError + '_ {
    move |error| ImportError::File {
        source_name: source_name.to_string(),
        error,
    }
}

/// Imports `bytes` (the content of `source_name`) into `store`.
pub fn import(
    store: &mut dyn Store,
    kind: ImportKind,
    source_name: &str,
    bytes: &[u8],
    mappings: &Mappings,
    opts: ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    import_within(
        store,
        kind,
        source_name,
        bytes,
        mappings,
        opts,
        progress,
        &crate::auth::Scope::All,
    )
}

/// How an imported file's text is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    /// A byte order mark of UTF-16: refused (read as bytes it is noise).
    Utf16,
    /// UTF-8 but for bytes of another encoding from `line` on: refused.
    Mixed {
        line: u64,
    },
    /// Not UTF-8: what a spreadsheet set to French (or any Western
    /// European language) on Windows saves as plain CSV. Every byte is a
    /// character of it (WHATWG Encoding Standard), so nothing is lost, and
    /// an ASCII file reads the same either way.
    Windows1252,
}

fn text_encoding(bytes: &[u8]) -> Encoding {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Encoding::Utf16;
    }
    let Err(e) = std::str::from_utf8(bytes) else {
        return Encoding::Utf8;
    };
    // A file with a UTF-8 byte order mark, or with a character of more
    // than one byte written in UTF-8, is UTF-8 with bytes of another
    // encoding mixed in: read as Windows-1252 it would turn its accents
    // into `Ã©` without a word, so it is refused at its first such byte.
    let mixed = bytes.starts_with(&[0xEF, 0xBB, 0xBF])
        || bytes
            .utf8_chunks()
            .any(|c| c.valid().bytes().any(|b| b >= 0x80));
    if mixed {
        let at = e.valid_up_to();
        let line = 1 + bytes[..at].iter().filter(|b| **b == b'\n').count() as u64;
        Encoding::Mixed { line }
    } else {
        Encoding::Windows1252
    }
}

/// The kinds whose rows each name what a scope restricts (a location and
/// a product), so that a caller whose import permission is scoped can
/// import them, every row checked. The others are reference data spanning
/// every place and country.
pub const SCOPABLE: &[ImportKind] = &[ImportKind::StockReports];

/// [`import`] for a caller whose import permission reaches only `scope`:
/// every row must lie within it, else nothing is imported and the error
/// names the first row outside; a kind not in [`SCOPABLE`] is refused to a
/// scoped caller.
#[allow(clippy::too_many_arguments)]
pub fn import_within(
    store: &mut dyn Store,
    kind: ImportKind,
    source_name: &str,
    bytes: &[u8],
    mappings: &Mappings,
    opts: ImportOptions,
    progress: &dyn Progress,
    scope: &crate::auth::Scope,
) -> Result<ImportReport, ImportError> {
    if !scope.is_all() && !SCOPABLE.contains(&kind) {
        return Err(ImportError::Unscopable { kind });
    }
    let mut report = ImportReport {
        kind: Some(kind),
        source_name: source_name.to_string(),
        dry_run: opts.dry_run,
        ..Default::default()
    };
    let decoded;
    let bytes = match text_encoding(bytes) {
        Encoding::Utf8 => bytes,
        Encoding::Utf16 => {
            return Err(ImportError::File {
                source_name: source_name.to_string(),
                error: RowError::row(
                    1,
                    "the file is UTF-16 (a spreadsheet's \"Unicode text\"): save it as \"CSV UTF-8\"",
                ),
            });
        }
        Encoding::Mixed { line } => {
            return Err(ImportError::File {
                source_name: source_name.to_string(),
                error: RowError::row(
                    line,
                    "the file is UTF-8 but this line holds a character of another encoding (Windows-1252 or Latin-1: text pasted from another file?): retype its accented letters, or save the whole file as \"CSV UTF-8\"",
                ),
            });
        }
        Encoding::Windows1252 => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            decoded = text.into_owned().into_bytes();
            report.notes.push(format!(
                "{source_name} is not UTF-8: read as Windows-1252, as a spreadsheet saves plain CSV \
                 (\"CSV (séparateur : point-virgule)\"); check its accented names, or save it as \"CSV UTF-8\""
            ));
            &decoded[..]
        }
    };
    // Parse everything before opening the transaction: parsing is pure and
    // the write lock is then held only as long as the writes take.
    enum Input {
        Countries(Rows<equitas_model::Country>),
        Income(Rows<reference::IncomeGroup>),
        Locations(Rows<equitas_model::Location>),
        Scms(Box<ProcurementData>),
        RefPrices(Rows<inputs::ReferencePriceRow>),
        Courses(Rows<equitas_market::analysis::TreatmentCourse>),
        Wages(Rows<equitas_market::analysis::Wage>),
        Authorisations(Rows<inputs::Authorisation>),
        Pq(Parsed<inputs::Prequalified>),
        StockReports(Parsed<equitas_ledger::report::StockReport>),
        StockLevels(Rows<equitas_ledger::view::LevelRow>),
        Products(Rows<reference::ProductRow>),
        SupplySites(Rows<registers::Site>),
        Licences(Rows<registers::Licence>),
        Regulators(Rows<registers::Regulator>),
        Ingredients(Rows<registers::IngredientSource>),
        Pipeline(Parsed<equitas_planning::quantify::Incoming>),
        LeadTimes(Parsed<equitas_planning::plan::LeadTime>),
    }
    let input = match kind {
        ImportKind::StockReports => Input::StockReports(
            equitas_ledger::report::parse_stock_reports(bytes).map_err(file_err(source_name))?,
        ),
        ImportKind::StockLevels => Input::StockLevels(one_row_per_key(
            equitas_ledger::view::parse_stock_levels(bytes).map_err(file_err(source_name))?,
            "tier",
            "item and tier",
            |r| {
                let item = if r.item.is_empty() {
                    "(every item)"
                } else {
                    &r.item
                };
                format!("{item} / {}", r.tier.as_str())
            },
        )),
        ImportKind::Pipeline => Input::Pipeline(
            equitas_planning::quantify::parse_pipeline(bytes).map_err(file_err(source_name))?,
        ),
        // Several rows of an item and supplier are routes, the shortest
        // applying (formulas 4.7): no one-row-per-key rule here.
        ImportKind::LeadTimes => Input::LeadTimes(
            equitas_planning::plan::parse_lead_times(bytes).map_err(file_err(source_name))?,
        ),
        ImportKind::Countries => Input::Countries(one_row_per_key(
            reference::parse_country_codes(bytes).map_err(file_err(source_name))?,
            "ISO3166-1-Alpha-3",
            "country",
            |c| c.iso3.clone(),
        )),
        ImportKind::IncomeGroups => Input::Income(one_row_per_key(
            reference::parse_income_groups(bytes).map_err(file_err(source_name))?,
            "iso3c",
            "country",
            |g| g.iso3.clone(),
        )),
        // A product's packs are rows of its code with their GTINs: one row
        // per code and trade item.
        ImportKind::Products => Input::Products(one_row_per_key(
            reference::parse_products(bytes).map_err(file_err(source_name))?,
            "code",
            "product and trade item",
            |r| match &r.trade_item {
                Some(t) => format!("{} / {}", r.product.code, t.code),
                None => r.product.code.clone(),
            },
        )),
        ImportKind::Locations => Input::Locations(one_row_per_key(
            reference::parse_locations(bytes).map_err(file_err(source_name))?,
            "code",
            "location",
            |l| l.code.clone(),
        )),
        ImportKind::Procurement => {
            let Some(m) = &mappings.procurement else {
                return Err(ImportError::Precondition(
                    "a procurement import needs a column mapping (--mapping FILE.toml; see docs/procurement-mapping.toml)".into(),
                ));
            };
            let names = country_names(store, mappings)?;
            let lookup = |n: &str| names.lookup(n);
            Input::Scms(Box::new(
                generic::parse_generic(bytes, m, &lookup).map_err(file_err(source_name))?,
            ))
        }
        ImportKind::Scms => {
            let names = country_names(store, mappings)?;
            let sites: HashMap<String, SiteMapping> = mappings
                .sites
                .iter()
                .map(|m| (m.site.clone(), m.clone()))
                .collect();
            let lookup = |n: &str| names.lookup(n);
            let data = scms::parse_scms(bytes, &lookup, &sites).map_err(file_err(source_name))?;
            Input::Scms(Box::new(data))
        }
        ImportKind::ReferencePrices => {
            let header = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
            if msh::is_msh_layout(&String::from_utf8_lossy(header)) {
                let p = msh::parse_msh(bytes).map_err(file_err(source_name))?;
                report.rows_read = p.rows();
                let (rows, note) = match_msh(store, p)?;
                report.notes.push(note);
                Input::RefPrices(rows.into())
            } else {
                Input::RefPrices(one_row_per_key(
                    inputs::parse_reference_prices(bytes).map_err(file_err(source_name))?,
                    "source",
                    "product and source",
                    |r| format!("{} / {}", r.price.product, r.price.source),
                ))
            }
        }
        ImportKind::Courses => Input::Courses(one_row_per_key(
            inputs::parse_courses(bytes).map_err(file_err(source_name))?,
            "product",
            "product",
            |c| c.product.clone(),
        )),
        ImportKind::Wages => Input::Wages(one_row_per_key(
            inputs::parse_wages(bytes).map_err(file_err(source_name))?,
            "country",
            "country",
            |w| w.country.clone(),
        )),
        ImportKind::Authorisations => Input::Authorisations(one_row_per_key(
            attribute_authorisations(
                store,
                source_name,
                inputs::parse_authorisations(bytes).map_err(file_err(source_name))?,
                &mut report,
            )?,
            "number",
            "country and number",
            |a| format!("{} / {}", a.country, a.number),
        )),
        ImportKind::WhoPqVaccines => {
            Input::Pq(inputs::parse_who_pq_vaccines(bytes).map_err(file_err(source_name))?)
        }
        ImportKind::SupplySites => Input::SupplySites(one_row_per_key(
            registers::parse_sites(bytes).map_err(file_err(source_name))?,
            "site",
            "site",
            |x| x.site.clone(),
        )),
        ImportKind::Licences => Input::Licences(one_row_per_key(
            registers::parse_licences(bytes).map_err(file_err(source_name))?,
            "technology",
            "programme, licensor, licensee and technology",
            |l| {
                format!(
                    "{} / {} / {} / {}",
                    l.programme, l.licensor, l.licensee, l.technology
                )
            },
        )),
        ImportKind::Regulators => Input::Regulators(one_row_per_key(
            registers::parse_regulators(bytes).map_err(file_err(source_name))?,
            "pathway",
            "country and pathway",
            |r| format!("{} / {}", r.country, r.pathway),
        )),
        ImportKind::IngredientSources => Input::Ingredients(one_row_per_key(
            registers::parse_ingredient_sources(bytes).map_err(file_err(source_name))?,
            "api_country",
            "site, product, ingredient, API manufacturer and API country",
            |x| {
                format!(
                    "{} / {} / {} / {} / {}",
                    x.site,
                    x.product.as_deref().unwrap_or("(every product)"),
                    x.ingredient,
                    x.api_manufacturer,
                    x.api_country
                )
            },
        )),
    };

    if let (false, Input::StockReports(p)) = (scope.is_all(), &input) {
        use crate::auth::Dim;
        // A row naming a location or product the data do not know is left
        // to the row checks ("not a known location code; did you mean
        // ...?"): it is within no scope, and a typing error in one row is
        // no refusal of the whole file (a user pass, 2026-12-07: a district
        // officer's typo read "not within your scope; nothing was imported").
        let items = crate::stock::item_catalogue(&mut *store)?;
        let places: std::collections::HashSet<String> = store
            .query("SELECT code FROM locations", &[])?
            .iter()
            .map(|r| r[0].get())
            .collect::<Result<_, StoreError>>()?;
        for (line, r) in &p.records {
            // A GTIN is held in its 14-digit form.
            let gtin14 = equitas_gs1::Gtin::parse(&r.item)
                .ok()
                .map(|g| g.as_gtin14().to_string());
            let known_item = items.name(&r.item).is_some()
                || gtin14.as_deref().is_some_and(|g| items.name(g).is_some());
            if !places.contains(&r.location) || !known_item {
                continue;
            }
            let within = |item: &str| {
                scope.allows(&[
                    (Dim::Location, Some(&r.location)),
                    (Dim::Product, Some(item)),
                ])
            };
            if !(within(&r.item) || gtin14.as_deref().is_some_and(within)) {
                return Err(ImportError::OutOfScope {
                    source_name: source_name.to_string(),
                    line: *line,
                    detail: format!(
                        "location {:?} and product {:?} are not both within {}",
                        r.location,
                        r.item,
                        scope.label()
                    ),
                });
            }
        }
    }
    let mut tx = store.begin()?;
    match input {
        Input::Countries(p) => {
            write_checked(
                tx.as_mut(),
                &mut report,
                p,
                "countries",
                progress,
                |c, r| Ok(Ok(repo::put_country(c, r)?)),
            )?;
            let added = repo::ensure_country_locations(tx.as_mut())?;
            if added > 0 {
                report
                    .notes
                    .push(format!("{added} countries added to the location hierarchy"));
            }
        }
        Input::Income(p) => {
            write_checked(
                tx.as_mut(),
                &mut report,
                p,
                "countries (income groups)",
                progress,
                |c, g| {
                    Ok(match repo::set_income_group(c, g)? {
                        Some(o) => Ok(o),
                        None => Err(vec![(
                            "iso3c",
                            format!(
                                "{} is not a known country (import the country codes first)",
                                g.iso3
                            ),
                        )]),
                    })
                },
            )?;
        }
        Input::Products(p) => {
            // A row is a product and, if it names one, a trade item of it.
            let mut items = Tally::default();
            let mut repacked: Vec<String> = Vec::new();
            let mut moved: Vec<String> = Vec::new();
            // A pack size without a GTIN has no trade item to be stored
            // with (until 2026-12-07 it was dropped without a word).
            let alone: Vec<String> = p
                .parsed
                .records
                .iter()
                .filter(|(_, r)| r.pack_size_alone.is_some())
                .map(|(line, r)| format!("{} (line {line})", r.product.code))
                .collect();
            if !alone.is_empty() {
                report.notes.push(format!(
                    "{} row(s) give a pack_size without a gtin; a pack size is that of a trade item, the pack a GTIN names, so it was not stored: {}",
                    alone.len(),
                    alone.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
                        + if alone.len() > 10 { ", ..." } else { "" }
                ));
            }
            write_checked(tx.as_mut(), &mut report, p, "products", progress, |c, r| {
                // A GTIN names one trade item of one product, and the
                // stock counted in it is that product's: a row giving it to
                // another product would move that stock without a word
                // (until 2026-12-07 it did).
                let before = match &r.trade_item {
                    Some(t) => repo::trade_item_owner(c, &t.code)?,
                    None => None,
                };
                if let (Some(t), Some((owner, name, _))) = (&r.trade_item, &before)
                    && *owner != t.product
                    && repo::stock_counted_in(c, &t.code)?
                {
                    let owner_named = match name {
                        Some(n) if n != owner => format!("{owner} ({n})"),
                        _ => owner.clone(),
                    };
                    return Ok(Err(vec![(
                        "gtin",
                        format!(
                            "{} is already the GTIN of a trade item of {owner_named}, and stock is counted in it: \
                             a GTIN names one pack of one product, so giving it to {} would move that stock; give {} its own GTIN",
                            t.code, r.product.code, r.product.code
                        ),
                    )]));
                }
                // A GTIN no stock is counted in moves, named (a GTIN given
                // to the wrong product can be corrected).
                if let (Some(t), Some((owner, _, _))) = (&r.trade_item, &before)
                    && *owner != t.product
                {
                    moved.push(format!("{} from {owner} to {}", t.code, t.product));
                }
                let product = repo::put_product(c, &r.product)?;
                if let Some(t) = &r.trade_item {
                    if let Some((_, _, Some(was))) = before
                        && t.pack_size.is_some_and(|now| now != was)
                    {
                        repacked.push(format!(
                            "{} ({}): {was} to {}",
                            t.code,
                            t.product,
                            t.pack_size.unwrap_or(was)
                        ));
                    }
                    items.add(repo::put_trade_item(c, t)?);
                }
                Ok(Ok(product))
            })?;
            report.written.push(("trade items", items));
            if !moved.is_empty() {
                report.notes.push(format!(
                    "{} GTIN(s) moved to another product, no stock being counted in them: {}",
                    moved.len(),
                    moved.join("; ")
                ));
            }
            if !repacked.is_empty() {
                report.notes.push(format!(
                    "{} trade item(s) changed pack size, so stock counted in their packs now counts that many units a pack: {}",
                    repacked.len(),
                    repacked.join("; ")
                ));
            }
        }
        Input::Locations(p) => write_locations(tx.as_mut(), &mut report, p, progress)?,
        Input::Scms(d) => {
            report.rows_read = d.rows_read;
            report.gaps = d.gap_counts();
            if !d.unmapped_sites.is_empty() {
                report.notes.push(format!(
                    "{} manufacturing site(s) not in the reviewed site mapping, stored without a country: {}",
                    d.unmapped_sites.len(),
                    d.unmapped_sites.iter().cloned().collect::<Vec<_>>().join("; ")
                ));
            }
            report.notes.extend(d.notes.iter().cloned());
            let total = d.organisations.len()
                + d.products.len()
                + d.trade_items.len()
                + d.sites.len()
                + d.lines.len();
            progress.start("SCMS records", total as u64);
            let mut t = Tally::default();
            for o in &d.organisations {
                t.add(repo::put_organisation(tx.as_mut(), o)?);
                progress.inc(1);
            }
            report
                .written
                .push(("organisations", std::mem::take(&mut t)));
            for p in &d.products {
                t.add(repo::put_product(tx.as_mut(), p)?);
                progress.inc(1);
            }
            report.written.push(("products", std::mem::take(&mut t)));
            for i in &d.trade_items {
                t.add(repo::put_trade_item(tx.as_mut(), i)?);
                progress.inc(1);
            }
            report.written.push(("trade items", std::mem::take(&mut t)));
            for s in &d.sites {
                t.add(repo::put_site(tx.as_mut(), s)?);
                progress.inc(1);
            }
            report
                .written
                .push(("manufacturing sites", std::mem::take(&mut t)));
            for (_, l) in &d.lines {
                t.add(repo::put_procurement_line(tx.as_mut(), l)?);
                progress.inc(1);
            }
            report.written.push(("procurement lines", t));
            report.rejected = d.errors;
        }
        Input::RefPrices(p) => {
            // Each product's dosage form, which gives its comparison unit.
            let forms: HashMap<String, String> = market::product_identities(tx.as_mut())?
                .into_iter()
                .filter_map(|(code, _, _, form)| Some((code, form?)))
                .collect();
            write_checked(
                tx.as_mut(),
                &mut report,
                p,
                "reference prices",
                progress,
                |c, r| {
                    if !market::product_exists(c, &r.price.product)? {
                        return Ok(Err(vec![unknown_product(&r.price.product)]));
                    }
                    let mut bad = Vec::new();
                    if let (Some(given), Some(form)) = (&r.unit, forms.get(&r.price.product))
                        && !priced_per(given, form)
                    {
                        let want = equitas_market::catalogue::comparison_unit(form);
                        bad.push((
                            "unit",
                            format!(
                                "{given:?} is not the unit {} is compared in: give the price of one {want} \
                                 (median price ratios divide prices per {want}, docs/formulas.md 2.6)",
                                r.price.product
                            ),
                        ));
                    }
                    let this_year =
                        chrono::Datelike::year(&equitas_ledger::calendar::date_of(crate::today()));
                    if let Some(y) = r.year.filter(|&y| y > this_year) {
                        bad.push(("year", format!("{y} is after this year ({this_year})")));
                    }
                    Ok(if bad.is_empty() {
                        Ok(market::put_reference_price(c, r)?)
                    } else {
                        Err(bad)
                    })
                },
            )?;
        }
        Input::Courses(p) => {
            write_checked(
                tx.as_mut(),
                &mut report,
                p,
                "treatment courses",
                progress,
                |c, r| {
                    Ok(if market::product_exists(c, &r.product)? {
                        Ok(market::put_course(c, r)?)
                    } else {
                        Err(vec![unknown_product(&r.product)])
                    })
                },
            )?;
        }
        Input::StockReports(p) => {
            write_stock_reports(tx.as_mut(), &mut report, p, progress, scope)?
        }
        Input::Pipeline(p) => write_pipeline(tx.as_mut(), &mut report, p, progress)?,
        Input::LeadTimes(p) => write_lead_times(tx.as_mut(), &mut report, p, progress)?,
        Input::StockLevels(p) => {
            write_checked(
                tx.as_mut(),
                &mut report,
                p,
                "stock levels",
                progress,
                |c, r| Ok(Ok(crate::stock::put_level(c, r)?)),
            )?;
        }
        Input::Wages(p) => {
            write_checked(tx.as_mut(), &mut report, p, "wages", progress, |c, r| {
                Ok(if repo::country_exists(c, &r.country)? {
                    Ok(market::put_wage(c, r)?)
                } else {
                    Err(vec![unknown_country(&r.country)])
                })
            })?;
        }
        Input::Authorisations(p) => {
            write_checked(
                tx.as_mut(),
                &mut report,
                p,
                "authorisations",
                progress,
                |c, r| {
                    let mut bad = Vec::new();
                    if !repo::country_exists(c, &r.country)? {
                        bad.push(unknown_country(&r.country));
                    }
                    if let Some(code) = &r.product
                        && !market::product_exists(c, code)?
                    {
                        bad.push(unknown_product(code));
                    }
                    if !bad.is_empty() {
                        return Ok(Err(bad));
                    }
                    Ok(Ok(market::put_authorisation(c, r)?))
                },
            )?;
        }
        Input::Pq(p) => {
            write_checked(
                tx.as_mut(),
                &mut report,
                p.into(),
                "prequalified products",
                progress,
                |c, r| Ok(Ok(market::put_prequalified(c, r)?)),
            )?;
        }
        Input::SupplySites(p) => {
            write_checked(
                tx.as_mut(),
                &mut report,
                p,
                "manufacturing sites",
                progress,
                |c, r| {
                    Ok(if repo::country_exists(c, &r.country)? {
                        Ok(supply::put_site(c, r)?)
                    } else {
                        Err(vec![unknown_country(&r.country)])
                    })
                },
            )?;
        }
        Input::Licences(p) => {
            write_checked(tx.as_mut(), &mut report, p, "licences", progress, |c, r| {
                for k in &r.territory {
                    if !repo::country_exists(c, k)? {
                        return Ok(Err(vec![(
                            "territory",
                            format!("{k} is not a known country (import the country codes first)"),
                        )]));
                    }
                }
                Ok(Ok(supply::put_licence(c, r)?))
            })?;
        }
        Input::Regulators(p) => {
            write_checked(
                tx.as_mut(),
                &mut report,
                p,
                "regulators",
                progress,
                |c, r| {
                    Ok(if repo::country_exists(c, &r.country)? {
                        Ok(supply::put_regulator(c, r)?)
                    } else {
                        Err(vec![unknown_country(&r.country)])
                    })
                },
            )?;
        }
        Input::Ingredients(p) => {
            write_checked(
                tx.as_mut(),
                &mut report,
                p,
                "ingredient sources",
                progress,
                |c, r| {
                    if !repo::country_exists(c, &r.api_country)? {
                        let (_, why) = unknown_country(&r.api_country);
                        return Ok(Err(vec![("api_country", why)]));
                    }
                    if let Some(code) = &r.product
                        && !market::product_exists(c, code)?
                    {
                        return Ok(Err(vec![unknown_product(code)]));
                    }
                    Ok(Ok(supply::put_ingredient_source(c, r)?))
                },
            )?;
        }
    }
    progress.finish();
    finish(tx, report, kind, source_name, bytes, opts)
}

/// One row per key in a file: the key a row is stored under (a country's
/// wage, a product's course, a site...). A later row of a key already
/// stored by this import would overwrite it, the summary counting it
/// "updated": it is rejected instead, naming the line stored, as a second
/// stock report of a place, product and month is (docs/formulas.md 3.10).
/// Until 2026-12-07 the last row won silently.
///
/// Only a row stored claims its key ([`write_checked`] applies the rule as
/// it writes): a row rejected, when read or when written (an unknown
/// country or product, a location whose parent is missing), leaves its key
/// to a corrected row further down the file. Until 2026-12-07 the key was
/// claimed as the file was read, so that the corrected row was rejected as
/// a duplicate of the bad one and neither was imported.
struct OneRowPerKey<T> {
    field: &'static str,
    what: &'static str,
    key: Box<dyn Fn(&T) -> String>,
}

impl<T> OneRowPerKey<T> {
    /// The rejection of the row at `line` whose key `k` the row at `at`
    /// stored.
    fn again(&self, line: u64, k: &str, at: u64) -> RowError {
        let what = self.what;
        RowError::new(
            line,
            self.field,
            format!(
                "a second row for the same {what} ({k}) as line {at}; a file holds one row per {what}"
            ),
        )
    }
}

/// Rows read from a file, with the rule of one row per key for the kinds
/// stored under one ([`one_row_per_key`]).
struct Rows<T> {
    parsed: Parsed<T>,
    per_key: Option<OneRowPerKey<T>>,
    /// Name the rows that change what was held in a note: for the kinds a
    /// user writes row by row (stock reports), where a row replacing a
    /// month already reported is news; not for reference lists, whose
    /// imports update by design (income groups fill in the countries).
    name_updates: bool,
}

impl<T> From<Parsed<T>> for Rows<T> {
    fn from(parsed: Parsed<T>) -> Self {
        Rows {
            parsed,
            per_key: None,
            name_updates: false,
        }
    }
}

/// `p`'s rows, one per key (`key`, named `what`; a duplicate is rejected
/// on `field`) as they are written ([`OneRowPerKey`]).
fn one_row_per_key<T>(
    p: Parsed<T>,
    field: &'static str,
    what: &'static str,
    key: impl Fn(&T) -> String + 'static,
) -> Rows<T> {
    Rows {
        parsed: p,
        per_key: Some(OneRowPerKey {
            field,
            what,
            key: Box::new(key),
        }),
        name_updates: false,
    }
}

/// Ends an import's transaction: rolled back if `--strict` finds bad rows
/// or on a dry run, else recorded in `imports` and committed.
fn finish(
    mut tx: Box<dyn crate::Tx + '_>,
    report: ImportReport,
    kind: ImportKind,
    source_name: &str,
    bytes: &[u8],
    opts: ImportOptions,
) -> Result<ImportReport, ImportError> {
    if opts.strict && !report.rejected.is_empty() {
        // Dropping the transaction rolls everything back.
        return Err(ImportError::Strict {
            source_name: source_name.to_string(),
            errors: report.rejected,
        });
    }
    if opts.dry_run {
        drop(tx);
        return Ok(report);
    }
    repo::record_import(
        tx.as_mut(),
        &ImportRecord {
            kind: kind.as_str().to_string(),
            sha256: sha256(bytes),
            source_name: source_name.to_string(),
            rows_read: report.rows_read,
            tally: report.total(),
            rejected: report.rejected_rows() as u64,
        },
    )?;
    tx.commit()?;
    Ok(report)
}

/// The pipeline file's shipments in place of those imported before (the
/// list of what is expected now: a shipment received or cancelled is left
/// out of the next file), each place a location of the hierarchy (code or
/// GLN). The same list again changes nothing.
fn write_pipeline(
    c: &mut dyn Conn,
    report: &mut ImportReport,
    p: Parsed<equitas_planning::quantify::Incoming>,
    progress: &dyn Progress,
) -> Result<(), StoreError> {
    report.rows_read = p.rows();
    report.rejected = p.errors;
    let mut after: Vec<Vec<crate::Value>> = Vec::new();
    // The items of the rows kept, by line.
    let mut named: Vec<(u64, String)> = Vec::new();
    for (line, x) in p.records {
        let known = c.query(
            "SELECT 1 FROM locations WHERE code = $1 OR gln = $1",
            &[x.to.as_str().into()],
        )?;
        if known.is_empty() {
            report.rejected.push(RowError::new(
                line,
                "place",
                format!(
                    "{:?}: no such location (a location code or GLN of the hierarchy)",
                    x.to
                ),
            ));
            continue;
        }
        named.push((line, x.item.clone()));
        after.push(vec![
            (line as i64).into(),
            x.item.as_str().into(),
            x.to.as_str().into(),
            equitas_ledger::calendar::format_month(x.arrival).into(),
            x.quantity.into(),
        ]);
    }
    report.rejected.sort_by_key(|e| e.line);
    replace_list(
        c,
        report,
        List {
            table: "pipeline_shipments",
            columns: "line, item, place, arrival, quantity",
            what: "pipeline shipments",
            replaced: "shipments imported before {were} replaced: the pipeline is the last file's list",
        },
        after,
        progress,
    )?;
    let named = named.iter().map(|(l, i)| (*l, i.as_str()));
    note_unknown_items(c, report, named, "pipeline shipment", "pipeline shipments")
}

/// The lead-times file's rows in place of those imported before (the
/// lead times known now; 4.7). An item need not be in the data yet: plans
/// name the rows of items they do not hold. The same list again changes
/// nothing.
fn write_lead_times(
    c: &mut dyn Conn,
    report: &mut ImportReport,
    p: Parsed<equitas_planning::plan::LeadTime>,
    progress: &dyn Progress,
) -> Result<(), StoreError> {
    report.rows_read = p.rows();
    report.rejected = p.errors;
    let named: Vec<(u64, String)> = p
        .records
        .iter()
        .filter(|(_, l)| !l.item.is_empty())
        .map(|(line, l)| (*line, l.item.clone()))
        .collect();
    let after = p
        .records
        .into_iter()
        .map(|(line, l)| {
            vec![
                (line as i64).into(),
                l.item.as_str().into(),
                l.supplier.as_str().into(),
                l.order.into(),
                l.production.into(),
                l.transport.into(),
                l.receipt.into(),
            ]
        })
        .collect();
    replace_list(
        c,
        report,
        List {
            table: "lead_times",
            columns: "line, item, supplier, order_months, production_months, transport_months, receipt_months",
            what: "lead times",
            replaced: "lead times imported before {were} replaced: the lead times are the last file's list",
        },
        after,
        progress,
    )?;
    let named = named.iter().map(|(l, i)| (*l, i.as_str()));
    note_unknown_items(c, report, named, "lead-time row", "lead-time rows")
}

/// Notes the rows of a list (`rows`: line, item) naming no item of the
/// catalogue, once the list is written (or would be, in a dry run): kept,
/// as the list may come before the products (4.7), but a misspelt code
/// would otherwise go unseen until a plan names it. A file with a row
/// rejected replaces nothing: its rows are not noted.
fn note_unknown_items<'a>(
    c: &mut dyn Conn,
    report: &mut ImportReport,
    rows: impl IntoIterator<Item = (u64, &'a str)>,
    one: &str,
    many: &str,
) -> Result<(), StoreError> {
    if !report.rejected.is_empty() {
        return Ok(());
    }
    let items = crate::stock::item_catalogue(c)?;
    let known = |i: &str| items.name(i).is_some();
    let unknown: Vec<String> = rows
        .into_iter()
        .filter(|(_, i)| !known(i) && equitas_gs1::Gtin::known_form(i, known).is_none())
        .map(|(line, i)| format!("line {line} ({i:?})"))
        .collect();
    const SHOWN: usize = 10;
    if unknown.is_empty() {
        return Ok(());
    }
    let n = unknown.len();
    let more = n.saturating_sub(SHOWN);
    report.notes.push(format!(
        "{n} {} no item of the catalogue (a product code, trade item code or GTIN): {}{}; {} kept: a plan counts {} only once its item has stock data (stock reports of a product imported with `equitas import products`, or captured events of its GTIN)",
        if n == 1 {
            format!("{one} names")
        } else {
            format!("{many} name")
        },
        unknown[..n.min(SHOWN)].join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        },
        match (n == 1, report.dry_run) {
            (true, false) => "it is",
            (true, true) => "it would be",
            (false, false) => "they are",
            (false, true) => "they would be",
        },
        if n == 1 { "it" } else { "each" },
    ));
    Ok(())
}

/// A list's rows without their line (the first column): what they say.
fn content(rows: &[Vec<crate::Value>]) -> Vec<&[crate::Value]> {
    rows.iter()
        .map(|r| r.get(1..).unwrap_or_default())
        .collect()
}

/// A table that each import replaces whole (a list of what holds now).
struct List {
    table: &'static str,
    /// Its columns, the first the file's line (the list's order).
    columns: &'static str,
    /// What its rows are, in the report's tally.
    what: &'static str,
    /// The note when rows imported before are replaced, after their count
    /// (`{were}`: "were", or "would be" in a dry run).
    replaced: &'static str,
}

/// Replaces `list`'s rows by `after` (the file's, in its order), unless they
/// are the same: then nothing is written and the rows are unchanged. A file
/// with a row rejected replaces nothing: a list is replaced whole, and the
/// rows it would lose are those the user must mend. A file of its header
/// only empties the list, said.
fn replace_list(
    c: &mut dyn Conn,
    report: &mut ImportReport,
    list: List,
    after: Vec<Vec<crate::Value>>,
    progress: &dyn Progress,
) -> Result<(), StoreError> {
    let before = c.query(
        &format!("SELECT {} FROM {} ORDER BY line", list.columns, list.table),
        &[],
    )?;
    let mut t = Tally::default();
    if !report.rejected.is_empty() {
        report.notes.push(format!(
            "nothing replaced: {} are a list imported whole, and {} of this file's rows {} rejected; the {} imported before are kept: mend the rows named and import the file again",
            list.what,
            report.rejected.len(),
            if report.rejected.len() == 1 { "was" } else { "were" },
            before.len(),
        ));
    } else if content(&after) == content(&before) {
        // The same rows in the same order (a line number moved by a blank
        // line or a comment is no change).
        t.unchanged = after.len() as u64;
    } else {
        // Counted as the rows differ: those in both unchanged, the others
        // new or removed (the list is written again whole, in the file's
        // order).
        let mut pool: HashMap<String, u64> = HashMap::new();
        for r in content(&before) {
            *pool.entry(format!("{r:?}")).or_default() += 1;
        }
        for r in content(&after) {
            match pool.get_mut(&format!("{r:?}")) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    t.unchanged += 1;
                }
                _ => t.inserted += 1,
            }
        }
        t.removed = pool.values().sum();
        c.execute(&format!("DELETE FROM {}", list.table), &[])?;
        let (were, is) = if report.dry_run {
            ("would be", "would be")
        } else {
            ("were", "is")
        };
        if !before.is_empty() {
            report.notes.push(format!(
                "the {} {}",
                before.len(),
                list.replaced.replace("{were}", were)
            ));
        }
        if after.is_empty() {
            report.notes.push(format!(
                "the file has no rows: the list of {} {is} emptied",
                list.what
            ));
        }
        let n = list.columns.split(',').count();
        let insert = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            list.table,
            list.columns,
            (1..=n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        progress.start(list.what, after.len() as u64);
        for r in &after {
            c.execute(&insert, r)?;
            progress.inc(1);
        }
    }
    report.written.push((list.what, t));
    Ok(())
}

/// Writes stock reports (the CSV import's, or another format's read into
/// the same rows): each names a known location and item, or is rejected
/// with its line.
fn write_stock_reports(
    conn: &mut dyn Conn,
    report: &mut ImportReport,
    mut p: Parsed<equitas_ledger::report::StockReport>,
    progress: &dyn Progress,
    scope: &crate::auth::Scope,
) -> Result<(), StoreError> {
    // An item is known as the ledger resolves it (docs/formulas.md
    // 3.1): a product code, or a trade item's code or GTIN. A GTIN
    // written with 8, 12 or 13 digits is kept in its 14-digit form,
    // as the catalogue and EPCIS events hold it.
    let items = crate::stock::item_catalogue(conn)?;
    for (_, r) in &mut p.records {
        if let Some(g) = equitas_gs1::Gtin::known_form(&r.item, |c| items.name(c).is_some()) {
            r.item = g;
        }
    }
    // A report is of a month that has ended (docs/formulas.md 3.10).
    let today = crate::today();
    // One row per place, product and month, the product as the ledger
    // resolves it: two rows naming it by its code and a GTIN, or a GTIN
    // of 13 and of 14 digits, are the same report, whose counts the
    // second would replace (until 2026-12-07 only the names as written
    // were compared, when the file was read).
    let resolved = items.clone();
    let mut rows = one_row_per_key(
        p,
        "product",
        "report",
        move |r: &equitas_ledger::report::StockReport| {
            format!(
                "{} / {} / {}",
                r.location,
                resolved.resolve(&r.item).0,
                equitas_ledger::calendar::format_month(r.period)
            )
        },
    );
    rows.name_updates = true;
    // Rows written whose figures do not add up to their closing balance:
    // a count may differ from the books (the ledger then flags a count
    // mismatch, formulas 3.10), but a typing error is best seen here.
    let mut unbalanced: Vec<String> = Vec::new();
    let mut places =
        Known::new("SELECT code, name FROM locations").within(scope, crate::auth::Dim::Location);
    let mut products =
        Known::new("SELECT code, name FROM products").within(scope, crate::auth::Dim::Product);
    write_checked(conn, report, rows, "stock reports", progress, |c, r| {
        let mut bad = Vec::new();
        if let Some(why) = equitas_ledger::report::period_not_ended(
            r.period,
            today,
            equitas_ledger::calendar::format_month,
        ) {
            bad.push(("period", why));
        }
        if let Some(why) = equitas_ledger::report::period_too_early(
            r.period,
            equitas_ledger::calendar::format_month,
        ) {
            bad.push(("period", why));
        }
        let level = crate::stock::location_level(c, &r.location)?;
        if let Some(area) = level.filter(|l| l.is_area()) {
            bad.push((
                "location",
                format!(
                    "{:?} is a {}, an area: its stock is the sum of its facilities' and stores', \
                     and a report there would be added to theirs; report a store's stock at the \
                     store (a location of level warehouse in the area)",
                    r.location,
                    area.as_str()
                ),
            ));
        }
        if level.is_none() {
            bad.push((
                "location",
                match places.guess(c, &r.location)? {
                    Some(g) => format!(
                        "{:?} is not a known location code; did you mean {g:?}?",
                        r.location
                    ),
                    None => format!(
                        "{:?} is not a known location code (import the locations first)",
                        r.location
                    ),
                },
            ));
        }
        if items.name(&r.item).is_none() {
            bad.push((
                "product",
                match products.guess(c, &r.item)? {
                    Some(g) => format!(
                        "{:?} is not a known product code or trade item GTIN; did you mean {g:?}?",
                        r.item
                    ),
                    None => format!(
                        "{:?} is not a known product code or trade item GTIN \
                             (import the products first: `equitas import products`)",
                        r.item
                    ),
                },
            ));
        }
        if !bad.is_empty() {
            return Ok(Err(bad));
        }
        if let (Some(o), Some(cl)) = (r.opening, r.closing) {
            let books = o + r.received - r.issued - r.dispensed + r.adjustments;
            if (books - cl).abs() > 1e-6 * cl.abs().max(1.0) {
                unbalanced.push(format!(
                    "line {} ({} + {} − {} − {} + {} = {}, closing {})",
                    r.line,
                    num(o),
                    num(r.received),
                    num(r.issued),
                    num(r.dispensed),
                    num(r.adjustments),
                    num(books),
                    num(cl)
                ));
            }
        }
        Ok(Ok(crate::stock::put_report(c, r)?))
    })?;
    if !unbalanced.is_empty() {
        report.notes.push(format!(
            "{} row(s) whose opening + received − issued − dispensed + adjustments is not the closing balance (a count that differs from the books is kept, and shown in stock problems as a count mismatch; a typing error is not): {}",
            unbalanced.len(),
            first_ten(&unbalanced, "; ")
        ));
    }
    Ok(())
}

/// Writes locations (the CSV import's, or a FHIR registry's read into the
/// same rows): each checked against the hierarchy, or rejected with its line.
fn write_locations(
    conn: &mut dyn Conn,
    report: &mut ImportReport,
    p: Rows<equitas_model::Location>,
    progress: &dyn Progress,
) -> Result<(), StoreError> {
    repo::ensure_country_locations(conn)?;
    write_checked(conn, report, p, "locations", progress, |c, l| {
        let bad = repo::check_location(c, l)?;
        Ok(if bad.is_empty() {
            Ok(repo::put_location(c, l)?)
        } else {
            Err(bad)
        })
    })
}

/// Imports locations read from another format than the locations CSV (a
/// FHIR registry): checked and written as that import writes them, in one
/// transaction, recorded as a `locations` import of `bytes`.
pub fn import_locations(
    store: &mut dyn Store,
    source_name: &str,
    bytes: &[u8],
    parsed: Parsed<equitas_model::Location>,
    opts: ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport {
        kind: Some(ImportKind::Locations),
        source_name: source_name.to_string(),
        dry_run: opts.dry_run,
        ..Default::default()
    };
    let mut tx = store.begin()?;
    write_locations(tx.as_mut(), &mut report, parsed.into(), progress)?;
    progress.finish();
    finish(tx, report, ImportKind::Locations, source_name, bytes, opts)
}

/// Imports stock reports read from another format than the stock-report
/// CSV (DHIS2 data value sets): checked and written as that import writes
/// them, in one transaction, recorded as a `stock-reports` import of
/// `bytes`; `notes` are the reader's.
pub fn import_stock_reports(
    store: &mut dyn Store,
    source_name: &str,
    bytes: &[u8],
    parsed: Parsed<equitas_ledger::report::StockReport>,
    notes: Vec<String>,
    opts: ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport {
        kind: Some(ImportKind::StockReports),
        source_name: source_name.to_string(),
        dry_run: opts.dry_run,
        notes,
        ..Default::default()
    };
    let mut tx = store.begin()?;
    write_stock_reports(
        tx.as_mut(),
        &mut report,
        parsed,
        progress,
        &crate::auth::Scope::All,
    )?;
    progress.finish();
    finish(
        tx,
        report,
        ImportKind::StockReports,
        source_name,
        bytes,
        opts,
    )
}

#[cfg(test)]
mod tests {
    use super::ImportKind;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in ImportKind::ALL {
            assert_eq!(ImportKind::from_name(k.as_str()), Some(*k));
        }
        assert_eq!(ImportKind::from_name("colour"), None);
    }
}
