//! Procurement lines from any CSV, its columns named in a small TOML
//! mapping. Example (`docs/procurement-mapping.toml` in the repository):
//!
//! ```toml
//! source = "national-tenders-2024"   # part of every line's key
//! currency = "USD"                   # when there is no currency column
//! date_format = "%d/%m/%Y"           # chrono format of the date columns
//! category = "medicine"              # when there is no category column
//! programme = "tb"                   # optional
//!
//! [columns]
//! id = "Line"
//! buyer_country = "Country"          # ISO3, ISO2 or a name
//! supplier = "Supplier"
//! molecule = "INN"
//! quantity = "Packs"
//! strength = "Strength"
//! dosage_form = "Form"
//! pack_size = "Units per pack"
//! value = "Total"
//! ```
//!
//! Optional columns: `description`, `brand`, `category`, `currency`,
//! `incoterm`, `mode`, `site`, `site_country`, `manufacturer`, `order_date`,
//! `scheduled_date`, `delivered_date`, `freight`, `insurance`.
//!
//! A line's site is its `site` cell, else its `manufacturer` cell, in the
//! country of manufacture the line states: keyed by both
//! ([`crate::catalogue::given_site_code`]), so a manufacturer stated in two
//! countries has two sites and the notes name its lines. Date cells are read
//! with `date_format` ([`mapped_date`]).

use crate::catalogue::{CatalogueBuilder, ProductSpec, SiteSpec, given_site_code};
use crate::inputs::date_cell;
use crate::procurement::{FieldGap, GapKind, ProcurementData, ProcurementLine};
use chrono::format::{Item, StrftimeItems};
use chrono::{NaiveDate, NaiveDateTime};
use equitas_model::reference::{Table, cell, number_cell};
use equitas_model::{OrgRole, ProductCategory, Programme, RowError, RowErrors, slug};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Read;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub source: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default = "default_date_format")]
    pub date_format: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub programme: Option<String>,
    pub columns: Columns,
}

fn default_currency() -> String {
    "USD".into()
}
fn default_date_format() -> String {
    "%Y-%m-%d".into()
}

/// CSV column names for each field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub id: String,
    pub buyer_country: String,
    pub supplier: String,
    pub molecule: String,
    pub quantity: String,
    pub strength: Option<String>,
    pub dosage_form: Option<String>,
    pub pack_size: Option<String>,
    pub value: Option<String>,
    pub description: Option<String>,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub currency: Option<String>,
    pub incoterm: Option<String>,
    pub mode: Option<String>,
    pub site: Option<String>,
    pub site_country: Option<String>,
    pub manufacturer: Option<String>,
    pub order_date: Option<String>,
    pub scheduled_date: Option<String>,
    pub delivered_date: Option<String>,
    pub freight: Option<String>,
    pub insurance: Option<String>,
}

/// Reads a mapping; the error says where the TOML is wrong.
pub fn parse_mapping(text: &str) -> Result<Mapping, String> {
    let m: Mapping = toml::from_str(text).map_err(|e| e.to_string())?;
    if m.source.trim().is_empty() {
        return Err("`source` must name the dataset".into());
    }
    if let Some(c) = &m.category {
        c.parse::<ProductCategory>()?;
    }
    if let Some(p) = &m.programme {
        p.parse::<Programme>()?;
    }
    if StrftimeItems::new(&m.date_format).any(|i| matches!(i, Item::Error)) {
        return Err(format!(
            "`date_format` {:?} is not a chrono format (write it as %Y-%m-%d, %d/%m/%Y, %d-%b-%y...)",
            m.date_format
        ));
    }
    Ok(m)
}

/// Reads a date cell of a mapped file written with the mapping's
/// `date_format`. `Ok(None)`: a gap, the cell holding no date at all (empty,
/// a reason a source writes instead of a date such as `Not Applicable` or
/// `Date Not Captured`, or words without a digit such as `pending`); `Err`
/// with the reason: a day the calendar lacks (`2023-02-30`), or a cell
/// holding digits that is not written as `date_format` writes a date
/// (`10/02/2023` when the mapping says `%Y-%m-%d`), with the date as the
/// format writes it and, for a day and month in either order, how it reads
/// as DD/MM/YYYY or MM/DD/YYYY. Such a cell was a gap until 2026-12-07: its
/// line silently lost its date.
pub fn mapped_date(raw: &str, format: &str) -> Result<Option<NaiveDate>, String> {
    let raw = raw.trim();
    let shape = DateShape::of(raw);
    let other_shape = shape
        .as_ref()
        .is_some_and(|s| !s.formats().contains(&format));
    match date_cell(raw, &[format]) {
        Ok(None)
            if raw.bytes().any(|b| b.is_ascii_digit())
                && GapKind::classify(raw) == GapKind::Unrecognised =>
        {
            Err(not_in_format(raw, format, shape.as_ref(), true))
        }
        // A day or month out of range in a date written in another order
        // (`10-13-2023` read as %Y-%m-%d): say which order it looks like.
        Err(_) if other_shape => Err(not_in_format(raw, format, shape.as_ref(), true)),
        r => r,
    }
}

/// The shape of a date written with digits: day and month (either order)
/// then a four-digit year, or a four-digit year first, separated by one of
/// `/`, `-`, `.`.
pub(crate) enum DateShape {
    /// `a{sep}b{sep}year`: DD/MM/YYYY or MM/DD/YYYY.
    DayMonth {
        a: u32,
        b: u32,
        year: i32,
        sep: char,
    },
    /// `year{sep}month{sep}day`.
    YearFirst {
        year: i32,
        month: u32,
        day: u32,
        sep: char,
    },
}

impl DateShape {
    pub(crate) fn of(raw: &str) -> Option<DateShape> {
        let sep = raw.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
        let parts: Vec<&str> = raw.split(sep).collect();
        let [x, y, z] = parts.as_slice() else {
            return None;
        };
        if !parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let short = |p: &str| p.len() <= 2;
        match (x.len(), z.len()) {
            (1..=2, 4) if short(y) => Some(DateShape::DayMonth {
                a: x.parse().ok()?,
                b: y.parse().ok()?,
                year: z.parse().ok()?,
                sep,
            }),
            (4, 1..=2) if short(y) => Some(DateShape::YearFirst {
                year: x.parse().ok()?,
                month: y.parse().ok()?,
                day: z.parse().ok()?,
                sep,
            }),
            _ => None,
        }
    }

    /// The chrono formats that read this shape.
    fn formats(&self) -> Vec<&'static str> {
        let sep = match self {
            DateShape::DayMonth { sep, .. } | DateShape::YearFirst { sep, .. } => *sep,
        };
        match (self, sep) {
            (DateShape::DayMonth { .. }, '/') => vec!["%d/%m/%Y", "%m/%d/%Y"],
            (DateShape::DayMonth { .. }, '-') => vec!["%d-%m-%Y", "%m-%d-%Y"],
            (DateShape::DayMonth { .. }, _) => vec!["%d.%m.%Y", "%m.%d.%Y"],
            (DateShape::YearFirst { .. }, '/') => vec!["%Y/%m/%d"],
            (DateShape::YearFirst { .. }, '-') => vec!["%Y-%m-%d"],
            (DateShape::YearFirst { .. }, _) => vec!["%Y.%m.%d"],
        }
    }
}

/// `d` as `format` writes it (`None` for a format that cannot write a date).
fn written(d: NaiveDate, format: &str) -> Option<String> {
    let mut out = String::new();
    let at: NaiveDateTime = d.and_hms_opt(0, 0, 0)?;
    write!(out, "{}", at.format(format)).ok()?;
    Some(out)
}

/// Why a cell with digits is no date as `format` writes one, and what to
/// do: write it as the format does, or (where the format is the mapping's
/// `date_format`, `mapping`) set date_format to the order it looks like.
pub(crate) fn not_in_format(
    raw: &str,
    format: &str,
    shape: Option<&DateShape>,
    mapping: bool,
) -> String {
    let example = NaiveDate::from_ymd_opt(2023, 12, 31).and_then(|d| written(d, format));
    let as_format = |d: NaiveDate| written(d, format).unwrap_or_else(|| d.to_string());
    let words = |d: NaiveDate| d.format("%-d %B %Y").to_string();
    let mut out = if mapping {
        format!("{raw:?} is not a date as date_format {format:?} writes them")
    } else {
        format!("{raw:?} is not a date as {format:?} writes them")
    };
    // What else can be done: with a mapping, set its date_format.
    let or_set = |f: &str| {
        if mapping {
            format!(", or set date_format in the mapping to {f}")
        } else {
            String::new()
        }
    };
    if let Some(e) = &example {
        let _ = write!(out, " (31 December 2023 is {e})");
    }
    let as_written = if mapping {
        "write the date as date_format does, or set date_format in the mapping"
    } else {
        "write the date as the format does"
    };
    let no_day = |shape: &str| {
        format!("it has the shape of {shape} but names no day of the calendar: {as_written}")
    };
    let hint = match shape {
        Some(DateShape::DayMonth { a, b, year, sep: s }) => {
            let day_first = NaiveDate::from_ymd_opt(*year, *b, *a);
            let month_first = NaiveDate::from_ymd_opt(*year, *a, *b);
            match (day_first, month_first) {
                (Some(d), Some(m)) if d != m => format!(
                    "it looks like DD{s}MM{s}YYYY ({}: write {}) or MM{s}DD{s}YYYY ({}: write {}){}",
                    words(d),
                    as_format(d),
                    words(m),
                    as_format(m),
                    or_set(&format!("\"%d{s}%m{s}%Y\" or \"%m{s}%d{s}%Y\""))
                ),
                (Some(d), Some(_)) => format!(
                    "it looks like DD{s}MM{s}YYYY or MM{s}DD{s}YYYY (both {}): write {}{}",
                    words(d),
                    as_format(d),
                    or_set(&format!("\"%d{s}%m{s}%Y\""))
                ),
                (Some(d), None) => format!(
                    "it looks like DD{s}MM{s}YYYY ({}): write {}{}",
                    words(d),
                    as_format(d),
                    or_set(&format!("\"%d{s}%m{s}%Y\""))
                ),
                (None, Some(m)) => format!(
                    "it looks like MM{s}DD{s}YYYY ({}): write {}{}",
                    words(m),
                    as_format(m),
                    or_set(&format!("\"%m{s}%d{s}%Y\""))
                ),
                (None, None) => no_day(&format!("DD{s}MM{s}YYYY or MM{s}DD{s}YYYY")),
            }
        }
        Some(DateShape::YearFirst {
            year,
            month,
            day,
            sep: s,
        }) => match NaiveDate::from_ymd_opt(*year, *month, *day) {
            Some(d) => format!(
                "it looks like YYYY{s}MM{s}DD ({}): write {}{}",
                words(d),
                as_format(d),
                or_set(&format!("\"%Y{s}%m{s}%d\""))
            ),
            None => no_day(&format!("YYYY{s}MM{s}DD")),
        },
        None => as_written.to_string(),
    };
    format!("{out}: {hint}")
}

/// The countries of manufacture the imported lines state for each site
/// name (the site, else the manufacturer), with their lines: a name stated
/// in two countries, or in one and none, is named in the import's notes.
#[derive(Default)]
struct Origins {
    /// By the slug of the name.
    by_name: BTreeMap<String, Named>,
}

/// A site or manufacturer name and the lines stating each country (none: `None`).
struct Named {
    /// As first written.
    name: String,
    /// `site` or `manufacturer`: the column it was read from.
    column: &'static str,
    lines: BTreeMap<Option<String>, Vec<u64>>,
}

impl Origins {
    fn add(&mut self, name: &str, column: &'static str, country: Option<&str>, line: u64) {
        self.by_name
            .entry(slug(name))
            .or_insert_with(|| Named {
                name: name.to_string(),
                column,
                lines: BTreeMap::new(),
            })
            .lines
            .entry(country.map(str::to_string))
            .or_default()
            .push(line);
    }

    fn notes(&self) -> Vec<String> {
        let lines = |l: &[u64]| {
            const SHOWN: usize = 5;
            let mut s = l
                .iter()
                .take(SHOWN)
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            if l.len() > SHOWN {
                let _ = write!(s, " and {} more", l.len() - SHOWN);
            }
            format!("{} {s}", if l.len() == 1 { "line" } else { "lines" })
        };
        self.by_name
            .values()
            .filter(|n| n.lines.len() > 1)
            .map(|Named { name, column, lines: by }| {
                let stated: Vec<String> = by
                    .iter()
                    .filter_map(|(k, l)| {
                        k.as_ref().map(|k| {
                            format!("{k} ({}, site {})", lines(l), given_site_code(name, Some(k)))
                        })
                    })
                    .collect();
                let mut note = format!(
                    "{column} {name:?} is stated made in {} {}: each line is counted in the country it states, as a site of its own: {}",
                    stated.len(),
                    if stated.len() == 1 { "country" } else { "countries" },
                    stated.join("; ")
                );
                if let Some(l) = by.get(&None) {
                    let _ = write!(
                        note,
                        "; no country of manufacture on {}: of unknown origin (site {}), not taken from another line",
                        lines(l),
                        given_site_code(name, None)
                    );
                }
                note
            })
            .collect()
    }
}

/// Parses `r` with `m`. `country_iso3` resolves country names and codes.
pub fn parse_generic<R: Read>(
    r: R,
    m: &Mapping,
    country_iso3: &dyn Fn(&str) -> Option<String>,
) -> Result<ProcurementData, RowError> {
    let mut t = Table::new(r)?;
    let c = &m.columns;
    // Every column the mapping names must exist; the error names both.
    let col =
        |t: &Table<R>, field: &str, name: &Option<String>| -> Result<Option<usize>, RowError> {
            match name {
                None => Ok(None),
                Some(n) => t.column(n).map(Some).ok_or_else(|| {
                    RowError::new(
                        1,
                        n.clone(),
                        format!("column named by mapping field `{field}` is not in the header row"),
                    )
                }),
            }
        };
    let req = |t: &Table<R>, field: &str, name: &str| {
        col(t, field, &Some(name.to_string())).map(|i| i.unwrap_or(0))
    };
    let i_id = req(&t, "id", &c.id)?;
    let i_country = req(&t, "buyer_country", &c.buyer_country)?;
    let i_supplier = req(&t, "supplier", &c.supplier)?;
    let i_molecule = req(&t, "molecule", &c.molecule)?;
    let i_quantity = req(&t, "quantity", &c.quantity)?;
    // Each optional field: its column's index and name, if the mapping names one.
    let opt: HashMap<&'static str, Option<(usize, &str)>> = [
        ("strength", &c.strength),
        ("dosage_form", &c.dosage_form),
        ("pack_size", &c.pack_size),
        ("value", &c.value),
        ("description", &c.description),
        ("brand", &c.brand),
        ("category", &c.category),
        ("currency", &c.currency),
        ("incoterm", &c.incoterm),
        ("mode", &c.mode),
        ("site", &c.site),
        ("site_country", &c.site_country),
        ("manufacturer", &c.manufacturer),
        ("order_date", &c.order_date),
        ("scheduled_date", &c.scheduled_date),
        ("delivered_date", &c.delivered_date),
        ("freight", &c.freight),
        ("insurance", &c.insurance),
    ]
    .into_iter()
    .map(|(f, n)| Ok((f, col(&t, f, n)?.zip(n.as_deref()))))
    .collect::<Result<_, RowError>>()?;
    let default_category: ProductCategory = m
        .category
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: String| RowError::new(0, "category", e))?
        .unwrap_or(ProductCategory::Medicine);
    let programme: Option<Programme> = m
        .programme
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: String| RowError::new(0, "programme", e))?;

    let mut cat = CatalogueBuilder::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut origins = Origins::default();
    let parsed = t.parse(|rec, line| {
        generic_row(
            rec,
            line,
            m,
            &opt,
            [i_id, i_country, i_supplier, i_molecule, i_quantity],
            default_category,
            programme,
            country_iso3,
            &mut cat,
            &mut seen,
            &mut origins,
        )
    });
    let mut out = ProcurementData {
        rows_read: parsed.rows(),
        lines: parsed.records,
        errors: parsed.errors,
        ..Default::default()
    };
    out.unmapped_sites = std::mem::take(&mut cat.unmapped_sites);
    out.notes = origins.notes();
    let c = cat.finish();
    out.products = c.products;
    out.trade_items = c.trade_items;
    out.organisations = c.organisations;
    out.sites = c.sites;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn generic_row(
    rec: &csv::StringRecord,
    line: u64,
    m: &Mapping,
    opt: &HashMap<&'static str, Option<(usize, &str)>>,
    [i_id, i_country, i_supplier, i_molecule, i_quantity]: [usize; 5],
    default_category: ProductCategory,
    programme: Option<Programme>,
    country_iso3: &dyn Fn(&str) -> Option<String>,
    cat: &mut CatalogueBuilder,
    seen: &mut HashMap<String, u64>,
    origins: &mut Origins,
) -> Result<ProcurementLine, RowErrors> {
    let c = &m.columns;
    let get = |f: &str| cell(rec, opt.get(f).copied().flatten().map(|(i, _)| i));
    let required = |i: usize, name: &str| {
        cell(rec, Some(i)).ok_or_else(|| RowError::new(line, name.to_string(), "empty"))
    };
    // Every field is checked before anything is added to the catalogue, so
    // that a bad row lists all its bad fields and adds nothing.
    let mut e = RowErrors::default();
    let id = e.field(required(i_id, &c.id).and_then(|id| match seen.get(id) {
        Some(first) => Err(RowError::new(
            line,
            c.id.clone(),
            format!("{id:?} already used on line {first}"),
        )),
        None => Ok(id.to_string()),
    }));
    let buyer_country = e.field(required(i_country, &c.buyer_country).and_then(|raw| {
        country_iso3(raw).ok_or_else(|| {
            RowError::new(
                line,
                c.buyer_country.clone(),
                format!("{raw:?} is not a known country name or code"),
            )
        })
    }));
    let supplier_name = e.field(required(i_supplier, &c.supplier));
    let molecule = e.field(required(i_molecule, &c.molecule));
    let quantity =
        e.field(
            required(i_quantity, &c.quantity).and_then(|qraw| match number_cell(qraw) {
                Ok(Some(q)) if q >= 0.0 => Ok(q),
                Err(why) => Err(RowError::new(line, c.quantity.clone(), why)),
                _ => Err(RowError::new(
                    line,
                    c.quantity.clone(),
                    format!("{qraw:?} is not a non-negative number"),
                )),
            }),
        );
    let category = e.field(match get("category") {
        Some(v) => v
            .parse::<ProductCategory>()
            .map_err(|e| RowError::new(line, c.category.clone().unwrap_or_default(), e)),
        None => Ok(default_category),
    });
    let site_country = e.field(match get("site_country") {
        None => Ok(None),
        Some(s) => country_iso3(s).map(Some).ok_or_else(|| {
            RowError::new(
                line,
                c.site_country.clone().unwrap_or_default(),
                format!("{s:?} is not a known country name or code"),
            )
        }),
    });
    // The other columns the mapping names: a value, a gap (text that is no
    // value, kept with its reason), or an error (a decimal comma, a day the
    // calendar lacks), read before the catalogue hears of the row.
    let mut gaps = Vec::new();
    let mut gap = |f: &'static str, raw: &str| {
        gaps.push(FieldGap {
            field: f,
            kind: GapKind::classify(raw),
            raw: raw.to_string(),
        })
    };
    let mut number = |f: &'static str| -> Option<f64> {
        let (i, name) = opt.get(f).copied().flatten()?;
        let raw = rec.get(i).unwrap_or("").trim();
        match number_cell(raw) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                gap(f, raw);
                None
            }
            Err(why) => {
                e.push(RowError::new(line, name, why));
                None
            }
        }
    };
    let pack_size = number("pack_size");
    let value = number("value");
    let freight = number("freight");
    let insurance = number("insurance");
    let mut date = |f: &'static str| -> Option<NaiveDate> {
        let (i, name) = opt.get(f).copied().flatten()?;
        let raw = rec.get(i).unwrap_or("").trim();
        match mapped_date(raw, &m.date_format) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                gap(f, raw);
                None
            }
            Err(why) => {
                e.push(RowError::new(line, name, why));
                None
            }
        }
    };
    let order_date = date("order_date");
    let scheduled_date = date("scheduled_date");
    let delivered_date = date("delivered_date");
    // A site or manufacturer cell stating there is none ("Not Applicable")
    // names no site: the line's origin is unknown (formulas 6.1).
    let mut stated = |f: &'static str| -> Option<&str> {
        let v = get(f)?;
        match GapKind::classify(v) {
            GapKind::Unrecognised => Some(v),
            _ => {
                gap(f, v);
                None
            }
        }
    };
    let site_name = stated("site");
    let manufacturer = stated("manufacturer");
    let (
        Some(id),
        Some(buyer_country),
        Some(supplier_name),
        Some(molecule),
        Some(quantity),
        Some(category),
        Some(site_country),
    ) = (
        id,
        buyer_country,
        supplier_name,
        molecule,
        quantity,
        category,
        site_country,
    )
    else {
        return Err(e);
    };
    if !e.is_empty() {
        return Err(e);
    }
    seen.insert(id.clone(), line);

    let product = cat.product(&ProductSpec {
        molecule,
        strength: get("strength"),
        dosage_form: get("dosage_form"),
        category,
        programme,
    });
    let description = match get("description") {
        Some(d) => d.to_string(),
        None => match pack_size {
            Some(p) => format!("{product} x {p}"),
            None => product.clone(),
        },
    };
    let trade_item = cat.trade_item(&description, &product, pack_size, get("brand"));
    let supplier = cat.organisation(supplier_name, OrgRole::Supplier, None);
    // The site is keyed by its name and the country this line states, so
    // that a manufacturer making in two countries has two sites and no line
    // takes another line's country (formulas 6.1).
    if let Some(name) = site_name.or(manufacturer) {
        let column = if site_name.is_some() {
            "site"
        } else {
            "manufacturer"
        };
        origins.add(name, column, site_country.as_deref(), line);
    }
    let site = site_name.or(manufacturer).map(|name| {
        cat.site(SiteSpec::Given {
            name,
            manufacturer,
            country: site_country.as_deref(),
        })
    });
    Ok(ProcurementLine {
        source: m.source.clone(),
        source_id: id,
        buyer_country,
        supplier,
        product,
        trade_item,
        site,
        pack_size,
        quantity,
        value,
        pack_price: match (value, quantity) {
            (Some(v), q) if q > 0.0 => Some(v / q),
            _ => None,
        },
        unit_price: None,
        currency: get("currency").unwrap_or(&m.currency).to_string(),
        incoterm: get("incoterm").map(str::to_string),
        mode: get("mode").map(str::to_string),
        fulfil_via: None,
        quote_date: None,
        order_date,
        scheduled_date,
        delivered_date,
        recorded_date: None,
        weight_kg: None,
        freight,
        insurance,
        first_line: None,
        project_code: None,
        quote_ref: None,
        order_ref: None,
        shipment_ref: None,
        gaps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPPING: &str = r#"
source = "tenders-2024"
date_format = "%d/%m/%Y"
programme = "tb"

[columns]
id = "Line"
buyer_country = "Country"
supplier = "Supplier"
molecule = "INN"
quantity = "Packs"
strength = "Strength"
dosage_form = "Form"
pack_size = "Units"
value = "Total"
manufacturer = "Maker"
site_country = "Made in"
delivered_date = "Delivered"
"#;

    fn lookup(s: &str) -> Option<String> {
        match s {
            "Kenya" | "KEN" => Some("KEN".into()),
            "India" | "IND" => Some("IND".into()),
            _ => None,
        }
    }

    #[test]
    fn maps_columns_and_reports_problems() {
        let m = parse_mapping(MAPPING).unwrap();
        let csv = "Line,Country,Supplier,INN,Packs,Strength,Form,Units,Total,Maker,Made in,Delivered\n\
                   1,Kenya,GDF,Isoniazid,100,300mg,Tablet,672,1500.5,Macleods,India,15/03/2024\n\
                   2,Kenya,GDF,Isoniazid,x,300mg,Tablet,672,1,Macleods,India,15/03/2024\n\
                   3,Atlantis,GDF,Isoniazid,1,300mg,Tablet,672,1,Macleods,India,15/03/2024\n\
                   4,KEN,GDF,Isoniazid,5,300mg,Tablet,672,n/a,Macleods,IND,not yet\n\
                   1,Kenya,GDF,Isoniazid,1,300mg,Tablet,672,1,Macleods,India,15/03/2024\n\
                   7,Atlantis,,Isoniazid,-2,300mg,Tablet,672,1,Macleods,Nowhere,15/03/2024\n";
        let d = parse_generic(csv.as_bytes(), &m, &lookup).unwrap();
        assert_eq!(d.rows_read, 6);
        assert_eq!(d.lines.len(), 2);
        let e: Vec<String> = d.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            e,
            vec![
                "line 3, field `Packs`: \"x\" is not a non-negative number",
                "line 4, field `Country`: \"Atlantis\" is not a known country name or code",
                "line 6, field `Line`: \"1\" already used on line 2",
                // Issue 19: every bad field of the row.
                "line 7, field `Country`: \"Atlantis\" is not a known country name or code",
                "line 7, field `Supplier`: empty",
                "line 7, field `Packs`: \"-2\" is not a non-negative number",
                "line 7, field `Made in`: \"Nowhere\" is not a known country name or code",
            ]
        );
        let l = &d.lines[0].1;
        assert_eq!(l.product, "isoniazid-300mg-tablet");
        assert_eq!(l.delivered_date, NaiveDate::from_ymd_opt(2024, 3, 15));
        assert_eq!(l.value, Some(1500.5));
        assert_eq!(d.products[0].programme, Some(Programme::Tb));
        assert_eq!(d.sites[0].country.as_deref(), Some("IND"));
        let gaps: Vec<(&str, GapKind)> = d.lines[1]
            .1
            .gaps
            .iter()
            .map(|g| (g.field, g.kind))
            .collect();
        assert_eq!(
            gaps,
            vec![
                ("value", GapKind::NotApplicable),
                ("delivered_date", GapKind::Unrecognised)
            ]
        );
    }

    #[test]
    fn a_decimal_comma_or_impossible_date_is_an_error_naming_the_column() {
        let m = parse_mapping(
            &MAPPING.replace("delivered_date = \"Delivered\"", "order_date = \"PO date\""),
        )
        .unwrap();
        let csv = "Line,Country,Supplier,INN,Packs,Strength,Form,Units,Total,Maker,Made in,PO date\n\
                   1,Kenya,GDF,Isoniazid,100,300mg,Tablet,672,\"1500,50\",Macleods,India,15/03/2024\n\
                   2,Kenya,GDF,Isoniazid,100,300mg,Tablet,672,1500.5,Macleods,India,30/02/2020\n\
                   3,Kenya,GDF,Isoniazid,\"1,5\",300mg,Tablet,672,\"1,500.50\",Macleods,India,29/02/2020\n\
                   4,Kenya,GDF,Isoniazid,\"1,000\",300mg,Tablet,672,\"1,500.50\",Not Applicable,,29/02/2020\n";
        let d = parse_generic(csv.as_bytes(), &m, &lookup).unwrap();
        let e: Vec<String> = d.errors.iter().map(|e| e.to_string()).collect();
        let comma = "is not a number: a comma is read only as a thousands separator, as in 1,234 or 12,345.67 (a decimal comma: write the number with a point, as 0.5, or separate the columns with semicolons, as a spreadsheet set to French saves CSV: such a file is read with decimal commas)";
        assert_eq!(
            e,
            vec![
                format!("line 2, field `Total`: \"1500,50\" {comma}"),
                "line 3, field `PO date`: \"30/02/2020\" is not a date: February 2020 has 29 days"
                    .to_string(),
                format!("line 4, field `Packs`: \"1,5\" {comma}"),
            ]
        );
        assert_eq!(d.lines.len(), 1);
        let l = &d.lines[0].1;
        assert_eq!((l.quantity, l.value), (1000.0, Some(1500.5)));
        assert_eq!(l.order_date, NaiveDate::from_ymd_opt(2020, 2, 29));
        // A maker the file says is not applicable names no site.
        assert_eq!(l.site, None);
        assert!(d.sites.is_empty());
        assert_eq!(
            l.gaps.iter().map(|g| (g.field, g.kind)).collect::<Vec<_>>(),
            vec![("manufacturer", GapKind::NotApplicable)]
        );
        // Rejected rows add nothing to the catalogue.
        assert_eq!(d.trade_items.len(), 1);
    }

    #[test]
    fn mapping_errors_are_precise() {
        let e = parse_mapping("source = \"x\"\n[columns]\nid = \"a\"\n").unwrap_err();
        assert!(e.contains("missing field `buyer_country`"), "{e}");
        let e = parse_mapping(&MAPPING.replace("molecule =", "molecul =")).unwrap_err();
        assert!(e.contains("unknown field `molecul`"), "{e}");
        let e = parse_mapping(&MAPPING.replace("\"tb\"", "\"oncology\"")).unwrap_err();
        assert!(e.contains("unknown programme"), "{e}");
        let m = parse_mapping(MAPPING).unwrap();
        let e = parse_generic("Line,Country\n".as_bytes(), &m, &lookup).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1, field `Supplier`: column named by mapping field `supplier` is not in the header row"
        );
    }

    fn lookup_fr(s: &str) -> Option<String> {
        match s {
            "Côte d'Ivoire" | "CIV" => Some("CIV".into()),
            "China" | "Chine" | "CHN" => Some("CHN".into()),
            "India" | "Inde" | "IND" => Some("IND".into()),
            _ => None,
        }
    }

    const TWO_COUNTRIES: &str = "Line,Country,Supplier,INN,Packs,Strength,Form,Units,Total,Maker,Made in,Delivered\n\
        1,CIV,GDF,Isoniazid,10,300mg,Tablet,100,100,Lupin,India,15/03/2024\n\
        2,CIV,GDF,Isoniazid,10,300mg,Tablet,100,300,Bar Pharma,China,15/03/2024\n\
        3,CIV,GDF,Isoniazid,10,300mg,Tablet,100,200,Bar Pharma,Inde,15/03/2024\n\
        4,CIV,GDF,Isoniazid,10,300mg,Tablet,100,50,Lupin,Chine,15/03/2024\n\
        5,CIV,GDF,Isoniazid,10,300mg,Tablet,100,70,Lupin,,15/03/2024\n";

    /// Issue of 2026-12-07: a manufacturer's second country of manufacture
    /// was silently taken for its first (the site was keyed by the
    /// manufacturer's name alone, its country the first line's).
    #[test]
    fn each_line_keeps_the_country_of_manufacture_it_states() {
        let m = parse_mapping(MAPPING).unwrap();
        let d = parse_generic(TWO_COUNTRIES.as_bytes(), &m, &lookup_fr).unwrap();
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let country: HashMap<&str, Option<&str>> = d
            .sites
            .iter()
            .map(|s| (s.code.as_str(), s.country.as_deref()))
            .collect();
        let per_line: Vec<(u64, &str, Option<&str>)> = d
            .lines
            .iter()
            .map(|(line, l)| {
                let site = l.site.as_deref().unwrap();
                (*line, site, country[site])
            })
            .collect();
        assert_eq!(
            per_line,
            vec![
                (2, "lupin-ind", Some("IND")),
                (3, "bar-pharma-chn", Some("CHN")),
                (4, "bar-pharma-ind", Some("IND")),
                (5, "lupin-chn", Some("CHN")),
                // No country stated: unknown, not the country of line 2 or 5.
                (6, "lupin", None),
            ]
        );
        // Two sites of one manufacturer each.
        let makers: HashMap<&str, Option<&str>> = d
            .sites
            .iter()
            .map(|s| (s.code.as_str(), s.manufacturer.as_deref()))
            .collect();
        assert_eq!(makers["bar-pharma-chn"], Some("bar-pharma"));
        assert_eq!(makers["bar-pharma-ind"], Some("bar-pharma"));
        assert_eq!(makers["lupin"], Some("lupin"));
        let names: Vec<&str> = d.sites.iter().map(|s| s.name.as_str()).collect();
        assert!(names.iter().all(|n| ["Bar Pharma", "Lupin"].contains(n)));
        // The import says so, naming the lines.
        assert_eq!(
            d.notes,
            vec![
                "manufacturer \"Bar Pharma\" is stated made in 2 countries: each line is counted in the country it states, as a site of its own: CHN (line 3, site bar-pharma-chn); IND (line 4, site bar-pharma-ind)",
                "manufacturer \"Lupin\" is stated made in 2 countries: each line is counted in the country it states, as a site of its own: CHN (line 5, site lupin-chn); IND (line 2, site lupin-ind); no country of manufacture on line 6: of unknown origin (site lupin), not taken from another line",
            ]
        );
    }

    #[test]
    fn a_site_in_one_country_throughout_is_one_site_and_no_note() {
        let m = parse_mapping(MAPPING).unwrap();
        let csv = "Line,Country,Supplier,INN,Packs,Strength,Form,Units,Total,Maker,Made in,Delivered\n\
                   1,CIV,GDF,Isoniazid,10,300mg,Tablet,100,100,Lupin,India,15/03/2024\n\
                   2,CIV,GDF,Isoniazid,10,300mg,Tablet,100,100,Lupin,IND,15/03/2024\n\
                   3,CIV,GDF,Isoniazid,10,300mg,Tablet,100,100,Lupin,Inde,15/03/2024\n";
        let d = parse_generic(csv.as_bytes(), &m, &lookup_fr).unwrap();
        assert_eq!(d.sites.len(), 1);
        assert_eq!(d.sites[0].code, "lupin-ind");
        assert!(d.notes.is_empty(), "{:?}", d.notes);
    }

    /// Issue of 2026-12-07: a date written in another format than the
    /// mapping's was kept as a gap, and the line lost its date unnoticed.
    #[test]
    fn a_date_in_another_format_is_an_error_naming_the_format() {
        let m = parse_mapping(&MAPPING.replace("%d/%m/%Y", "%Y-%m-%d").replace(
            "delivered_date = \"Delivered\"",
            "order_date = \"PO\"\nscheduled_date = \"Planned\"\ndelivered_date = \"Delivered\"",
        ))
        .unwrap();
        let csv = "Line,Country,Supplier,INN,Packs,Strength,Form,Units,Total,Maker,Made in,PO,Planned,Delivered\n\
                   1,India,GDF,Isoniazid,10,300mg,Tablet,100,100,Lupin,India,2023-01-05,2023-02-01,2023-02-10\n\
                   2,India,GDF,Isoniazid,10,300mg,Tablet,100,100,Lupin,India,2023-01-05,2023-02-01,10/02/2023\n\
                   3,India,GDF,Isoniazid,10,300mg,Tablet,100,100,Lupin,India,25/01/2023,02/25/2023,2023-02-30\n\
                   4,India,GDF,Isoniazid,10,300mg,Tablet,100,100,Lupin,India,Not Applicable,Date Not Captured,\n\
                   5,India,GDF,Isoniazid,10,300mg,Tablet,100,100,Lupin,India,pending,10-13-2023,2023-02\n";
        let d = parse_generic(csv.as_bytes(), &m, &lookup).unwrap();
        let e: Vec<String> = d.errors.iter().map(|e| e.to_string()).collect();
        let head = |v: &str| {
            format!(
                "{v:?} is not a date as date_format \"%Y-%m-%d\" writes them (31 December 2023 is 2023-12-31)"
            )
        };
        assert_eq!(
            e,
            vec![
                format!(
                    "line 3, field `Delivered`: {}: it looks like DD/MM/YYYY (10 February 2023: write 2023-02-10) or MM/DD/YYYY (2 October 2023: write 2023-10-02), or set date_format in the mapping to \"%d/%m/%Y\" or \"%m/%d/%Y\"",
                    head("10/02/2023")
                ),
                format!(
                    "line 4, field `PO`: {}: it looks like DD/MM/YYYY (25 January 2023): write 2023-01-25, or set date_format in the mapping to \"%d/%m/%Y\"",
                    head("25/01/2023")
                ),
                format!(
                    "line 4, field `Planned`: {}: it looks like MM/DD/YYYY (25 February 2023): write 2023-02-25, or set date_format in the mapping to \"%m/%d/%Y\"",
                    head("02/25/2023")
                ),
                "line 4, field `Delivered`: \"2023-02-30\" is not a date: February 2023 has 28 days".to_string(),
                format!(
                    "line 6, field `Planned`: {}: it looks like MM-DD-YYYY (13 October 2023): write 2023-10-13, or set date_format in the mapping to \"%m-%d-%Y\"",
                    head("10-13-2023")
                ),
                format!(
                    "line 6, field `Delivered`: {}: write the date as date_format does, or set date_format in the mapping",
                    head("2023-02")
                ),
            ]
        );
        // The good rows are read; the texts for no date stay gaps.
        let read: Vec<u64> = d.lines.iter().map(|(l, _)| *l).collect();
        assert_eq!(read, vec![2, 5]);
        assert_eq!(
            d.lines[0].1.delivered_date,
            NaiveDate::from_ymd_opt(2023, 2, 10)
        );
        let gaps: Vec<(&str, GapKind)> = d.lines[1]
            .1
            .gaps
            .iter()
            .map(|g| (g.field, g.kind))
            .collect();
        assert_eq!(
            gaps,
            vec![
                ("order_date", GapKind::NotApplicable),
                ("scheduled_date", GapKind::NotCaptured),
                ("delivered_date", GapKind::Blank),
            ]
        );
    }

    #[test]
    fn a_date_format_chrono_cannot_read_is_refused() {
        let e = parse_mapping(&MAPPING.replace("%d/%m/%Y", "%d/%Q/%Y")).unwrap_err();
        assert!(e.contains("is not a chrono format"), "{e}");
    }

    proptest::proptest! {
        /// A day written as the mapping's format reads back; written as
        /// DD/MM/YYYY or MM/DD/YYYY in an ISO mapping it is an error that
        /// says how to write it, never a gap; text without a digit, and the
        /// texts sources write for no date, stay gaps.
        #[test]
        fn mapped_dates_read_back_or_say_how_to_write_them(
            y in 1970i32..2069, m in 1u32..=12, d in 1u32..=28,
            sep in proptest::sample::select(vec!['/', '-', '.']),
            words in "[A-Za-z ]{0,20}",
        ) {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            for f in ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%b-%y", "%d.%m.%Y"] {
                let text = date.format(f).to_string();
                proptest::prop_assert_eq!(mapped_date(&text, f), Ok(Some(date)));
            }
            let iso = date.format("%Y-%m-%d").to_string();
            for (day_first, text) in [
                (true, format!("{d:02}{sep}{m:02}{sep}{y}")),
                (false, format!("{m}{sep}{d}{sep}{y}")),
            ] {
                let e = mapped_date(&text, "%Y-%m-%d").unwrap_err();
                proptest::prop_assert!(e.contains(&format!("write {iso}")), "{}", e);
                proptest::prop_assert!(e.ends_with('"'), "{}", e);
                proptest::prop_assert!(e.contains("or set date_format in the mapping to"), "{}", e);
                if d > 12 {
                    let order = if day_first { "DD" } else { "MM" };
                    proptest::prop_assert!(e.contains(&format!("it looks like {order}{sep}")), "{}", e);
                }
            }
            proptest::prop_assert_eq!(mapped_date(&words, "%Y-%m-%d"), Ok(None));
            for gap in ["Date Not Captured", "Not Applicable", "N/A", "N/A - From RDC", "Pre-PQ Process"] {
                proptest::prop_assert_eq!(mapped_date(gap, "%d/%m/%Y"), Ok(None));
            }
        }
    }
}
