//! Reading and writing Equitas records, written once for both backends.
//!
//! Writes are upserts on the natural key that report whether the record
//! was inserted, updated or already present unchanged; that is what makes
//! re-importing the same data a no-op and lets imports say what they did.

use crate::{Conn, StoreError, Value};
use equitas_market::ProcurementLine;
use equitas_model::reference::IncomeGroup;
use equitas_model::{
    Country, Location, LocationLevel, ManufacturingSite, OrgRole, Organisation, Product, TradeItem,
};
use std::collections::BTreeSet;

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Inserted,
    Updated,
    Unchanged,
}

/// Counts of outcomes over an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows removed: a list replaced whole loses those not in the file.
    pub removed: u64,
}

impl Tally {
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Inserted => self.inserted += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
    pub fn merge(&mut self, other: Tally) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.removed += other.removed;
    }
    pub fn total(&self) -> u64 {
        self.inserted + self.updated + self.unchanged
    }
    pub fn changed(&self) -> u64 {
        self.inserted + self.updated + self.removed
    }
}

/// Inserts or updates the row of `table` whose `keys` columns equal the
/// first `keys.len()` values; the remaining values go to `cols`.
pub(crate) fn upsert(
    c: &mut dyn Conn,
    table: &str,
    keys: &[&str],
    cols: &[&str],
    values: Vec<Value>,
) -> Result<Outcome, StoreError> {
    debug_assert_eq!(keys.len() + cols.len(), values.len());
    let nk = keys.len();
    let where_: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ${}", i + 1))
        .collect();
    let where_ = where_.join(" AND ");
    let select = format!("SELECT {} FROM {table} WHERE {where_}", cols.join(", "));
    let existing = c.query(&select, &values[..nk])?;
    match existing.first() {
        None => {
            let all: Vec<&str> = keys.iter().chain(cols).copied().collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                all.join(", "),
                placeholders(1, values.len())
            );
            c.execute(&sql, &values)?;
            Ok(Outcome::Inserted)
        }
        Some(row) if row.as_slice() == &values[nk..] => Ok(Outcome::Unchanged),
        Some(_) => {
            let set: Vec<String> = cols
                .iter()
                .enumerate()
                .map(|(i, col)| format!("{col} = ${}", nk + i + 1))
                .collect();
            let sql = format!("UPDATE {table} SET {} WHERE {where_}", set.join(", "));
            c.execute(&sql, &values)?;
            Ok(Outcome::Updated)
        }
    }
}

/// `col IN ($k, ...)` for `values`, appended to `params`.
pub(crate) fn in_list<V: Clone + Into<Value>>(
    col: &str,
    values: &[V],
    params: &mut Vec<Value>,
) -> String {
    let start = params.len();
    params.extend(values.iter().cloned().map(Into::into));
    format!("{col} IN ({})", placeholders(start + 1, values.len()))
}

/// `$first, $first+1, ...`: `n` placeholders.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 5);
    for i in first..first + n {
        if i > first {
            out.push_str(", ");
        }
        out.push('$');
        out.push_str(&i.to_string());
    }
    out
}

fn count(c: &mut dyn Conn, sql: &str, params: &[Value]) -> Result<i64, StoreError> {
    c.query_scalar(sql, params)?
        .get::<Option<i64>>()
        .map(|v| v.unwrap_or(0))
}

// ---------------------------------------------------------------- countries

pub fn put_country(c: &mut dyn Conn, x: &Country) -> Result<Outcome, StoreError> {
    // Income groups come from another file: keep them when re-importing codes.
    let prev = c.query(
        "SELECT who_region, wb_region, income_group FROM countries WHERE iso3 = $1",
        &[x.iso3.as_str().into()],
    )?;
    let keep = |i: usize, new: &Option<String>| -> Value {
        match (new, prev.first()) {
            (Some(v), _) => v.into(),
            (None, Some(row)) => row[i].clone(),
            (None, None) => Value::Null,
        }
    };
    upsert(
        c,
        "countries",
        &["iso3"],
        &[
            "iso2",
            "numeric_code",
            "name_en",
            "name_fr",
            "name_short",
            "name_un",
            "m49_region",
            "m49_subregion",
            "currency",
            "least_developed",
            "landlocked_developing",
            "small_island_developing",
            "who_region",
            "wb_region",
            "income_group",
        ],
        vec![
            x.iso3.as_str().into(),
            x.iso2.as_str().into(),
            x.numeric.map(i64::from).into(),
            x.name_en.as_str().into(),
            x.name_fr.clone().into(),
            x.name_short.clone().into(),
            x.name_un.clone().into(),
            x.m49_region.clone().into(),
            x.m49_subregion.clone().into(),
            x.currency.clone().into(),
            x.least_developed.into(),
            x.landlocked_developing.into(),
            x.small_island_developing.into(),
            keep(0, &x.who_region),
            keep(1, &x.wb_region),
            keep(2, &x.income_group),
        ],
    )
}

pub fn country_exists(c: &mut dyn Conn, iso3: &str) -> Result<bool, StoreError> {
    let rows = c.query("SELECT 1 FROM countries WHERE iso3 = $1", &[iso3.into()])?;
    Ok(!rows.is_empty())
}

/// Sets a country's WHO region and World Bank groups. `Ok(None)` if the
/// country is not in the database.
pub fn set_income_group(c: &mut dyn Conn, g: &IncomeGroup) -> Result<Option<Outcome>, StoreError> {
    let row = c.query(
        "SELECT who_region, wb_region, income_group FROM countries WHERE iso3 = $1",
        &[g.iso3.as_str().into()],
    )?;
    let Some(row) = row.first() else {
        return Ok(None);
    };
    let new: Vec<Value> = vec![
        g.who_region.clone().into(),
        g.wb_region.clone().into(),
        g.income_group.clone().into(),
    ];
    if row.as_slice() == new.as_slice() {
        return Ok(Some(Outcome::Unchanged));
    }
    let mut p = new;
    p.push(g.iso3.as_str().into());
    c.execute(
        "UPDATE countries SET who_region = $1, wb_region = $2, income_group = $3 WHERE iso3 = $4",
        &p,
    )?;
    Ok(Some(Outcome::Updated))
}

pub fn list_countries(c: &mut dyn Conn) -> Result<Vec<Country>, StoreError> {
    let rows = c.query(
        "SELECT iso3, iso2, numeric_code, name_en, name_fr, name_short, m49_region, m49_subregion,
                currency, least_developed, landlocked_developing, small_island_developing,
                who_region, wb_region, income_group, name_un
         FROM countries ORDER BY iso3",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Country {
                iso3: r[0].get()?,
                iso2: r[1].get()?,
                numeric: r[2]
                    .get::<Option<i64>>()?
                    .and_then(|n| u16::try_from(n).ok()),
                name_en: r[3].get()?,
                name_fr: r[4].get()?,
                name_short: r[5].get()?,
                m49_region: r[6].get()?,
                m49_subregion: r[7].get()?,
                currency: r[8].get()?,
                least_developed: r[9].get()?,
                landlocked_developing: r[10].get()?,
                small_island_developing: r[11].get()?,
                who_region: r[12].get()?,
                wb_region: r[13].get()?,
                income_group: r[14].get()?,
                name_un: r[15].get()?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------- locations

/// Why a location cannot be stored: the field and the reason.
pub type Rejection = (&'static str, String);

/// Checks a location against what the database holds: its country exists,
/// its parent exists at an allowed level and in the same country, and its
/// GLN is not another location's. Every problem found is returned (none:
/// the location may be stored).
pub fn check_location(c: &mut dyn Conn, l: &Location) -> Result<Vec<Rejection>, StoreError> {
    let mut bad = Vec::new();
    let known_country = country_exists(c, &l.country)?;
    if !known_country {
        bad.push((
            "country",
            format!(
                "{} is not a known country (import the country codes first)",
                l.country
            ),
        ));
    }
    if let Some(parent) = &l.parent {
        let rows = c.query(
            "SELECT level, country FROM locations WHERE code = $1",
            &[parent.as_str().into()],
        )?;
        match rows.first() {
            None => bad.push((
                "parent",
                format!(
                    "location {parent:?} does not exist (parents must come before their children)"
                ),
            )),
            Some(row) => {
                let level: String = row[0].get()?;
                let country: String = row[1].get()?;
                let plevel: LocationLevel = level.parse().map_err(StoreError::Invalid)?;
                if !l.level.allowed_parents().contains(&plevel) {
                    bad.push((
                        "parent",
                        format!("a {} cannot be inside a {plevel} ({parent})", l.level),
                    ));
                }
                if known_country && country != l.country {
                    bad.push((
                        "country",
                        format!("{} differs from the parent's country {country}", l.country),
                    ));
                }
            }
        }
    }
    if let Some(gln) = &l.gln {
        let rows = c.query(
            "SELECT code FROM locations WHERE gln = $1 AND code <> $2",
            &[gln.as_str().into(), l.code.as_str().into()],
        )?;
        if let Some(r) = rows.first() {
            let other: String = r[0].get()?;
            bad.push(("gln", format!("{gln} is already the GLN of {other:?}")));
        }
    }
    Ok(bad)
}

/// Inserts or updates a location. A blank GLN or coordinate keeps the one
/// stored: a file of names and parents alone must not cut a location from
/// its movements, which events name by GLN (to change a GLN, give the new
/// one).
pub fn put_location(c: &mut dyn Conn, l: &Location) -> Result<Outcome, StoreError> {
    let mut given: [Value; 3] = [
        l.gln.as_ref().map(|g| g.to_string()).into(),
        l.latitude.into(),
        l.longitude.into(),
    ];
    if given.iter().any(|v| matches!(v, Value::Null)) {
        let stored = c.query(
            "SELECT gln, latitude, longitude FROM locations WHERE code = $1",
            &[l.code.as_str().into()],
        )?;
        if let Some(row) = stored.into_iter().next() {
            for (v, old) in given.iter_mut().zip(row) {
                if matches!(v, Value::Null) {
                    *v = old;
                }
            }
        }
    }
    let [gln, latitude, longitude] = given;
    upsert(
        c,
        "locations",
        &["code"],
        &[
            "name",
            "level",
            "parent",
            "country",
            "gln",
            "latitude",
            "longitude",
        ],
        vec![
            l.code.as_str().into(),
            l.name.as_str().into(),
            l.level.as_str().into(),
            l.parent.clone().into(),
            l.country.as_str().into(),
            gln,
            latitude,
            longitude,
        ],
    )
}

/// Ensures every country has its own row in the location hierarchy, so
/// that regions can hang from it. Returns how many were added.
pub fn ensure_country_locations(c: &mut dyn Conn) -> Result<u64, StoreError> {
    c.execute(
        "INSERT INTO locations (code, name, level, parent, country)
         SELECT iso3, name_en, 'country', NULL, iso3 FROM countries
         WHERE iso3 NOT IN (SELECT code FROM locations)",
        &[],
    )
}

// ---------------------------------------------------------------- catalogue

pub fn put_product(c: &mut dyn Conn, p: &Product) -> Result<Outcome, StoreError> {
    upsert(
        c,
        "products",
        &["code"],
        &[
            "name",
            "inns",
            "strength",
            "dosage_form",
            "category",
            "programme",
            "atc",
            "essential",
        ],
        vec![
            p.code.as_str().into(),
            p.name.as_str().into(),
            p.inns.join("/").into(),
            p.strength.clone().into(),
            p.dosage_form.clone().into(),
            p.category.as_str().into(),
            p.programme.map(|x| x.as_str()).into(),
            p.atc.clone().into(),
            p.essential.into(),
        ],
    )
}

/// Whether any stock is counted in the trade item `code` (a GTIN-14): a
/// movement or a stock report naming it, in its 14 digits or, a GTIN-13,
/// without the leading 0.
pub fn stock_counted_in(c: &mut dyn Conn, code: &str) -> Result<bool, StoreError> {
    let short = code.strip_prefix('0').unwrap_or(code);
    let v = c.query_scalar(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM stock_movements WHERE item IN ($1, $2)) \
         OR EXISTS (SELECT 1 FROM stock_reports WHERE item IN ($1, $2)) THEN 1 ELSE 0 END",
        &[code.into(), short.into()],
    )?;
    v.get::<bool>()
}

/// A stored trade item's product, the product's name and the item's pack size.
pub type TradeItemOwner = (String, Option<String>, Option<f64>);

/// The product a stored trade item belongs to, with the product's name,
/// and its pack size; `None` if no trade item has that code.
pub fn trade_item_owner(
    c: &mut dyn Conn,
    code: &str,
) -> Result<Option<TradeItemOwner>, StoreError> {
    let rows = c.query(
        "SELECT t.product, p.name, t.pack_size FROM trade_items t \
         LEFT JOIN products p ON p.code = t.product WHERE t.code = $1",
        &[code.into()],
    )?;
    rows.first()
        .map(|r| Ok((r[0].get()?, r[1].get()?, r[2].get()?)))
        .transpose()
}

pub fn put_trade_item(c: &mut dyn Conn, t: &TradeItem) -> Result<Outcome, StoreError> {
    upsert(
        c,
        "trade_items",
        &["code"],
        &[
            "gtin",
            "product",
            "description",
            "pack_size",
            "brand",
            "manufacturer",
        ],
        vec![
            t.code.as_str().into(),
            t.gtin.as_ref().map(|g| g.to_string()).into(),
            t.product.as_str().into(),
            t.description.as_str().into(),
            t.pack_size.into(),
            t.brand.clone().into(),
            t.manufacturer.clone().into(),
        ],
    )
}

/// Stores an organisation. Roles accumulate: an organisation first seen as
/// a supplier and later as a manufacturer keeps both.
pub fn put_organisation(c: &mut dyn Conn, o: &Organisation) -> Result<Outcome, StoreError> {
    let rows = c.query(
        "SELECT roles, country FROM organisations WHERE code = $1",
        &[o.code.as_str().into()],
    )?;
    let mut roles: BTreeSet<String> = o.roles.iter().map(|r| r.as_str().to_string()).collect();
    let mut country = o.country.clone();
    if let Some(r) = rows.first() {
        let prev: String = r[0].get()?;
        roles.extend(
            prev.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
        if country.is_none() {
            country = r[1].get()?;
        }
    }
    // Keep roles in their declared order for a stable text form.
    let ordered: Vec<&str> = OrgRole::ALL
        .iter()
        .map(|r| r.as_str())
        .filter(|r| roles.contains(*r))
        .collect();
    upsert(
        c,
        "organisations",
        &["code"],
        &["name", "roles", "country"],
        vec![
            o.code.as_str().into(),
            o.name.as_str().into(),
            ordered.join(",").into(),
            country.into(),
        ],
    )
}

pub fn put_site(c: &mut dyn Conn, s: &ManufacturingSite) -> Result<Outcome, StoreError> {
    upsert(
        c,
        "manufacturing_sites",
        &["code"],
        &[
            "name",
            "manufacturer",
            "country",
            "city",
            "latitude",
            "longitude",
        ],
        vec![
            s.code.as_str().into(),
            s.name.as_str().into(),
            s.manufacturer.clone().into(),
            s.country.clone().into(),
            s.city.clone().into(),
            s.latitude.into(),
            s.longitude.into(),
        ],
    )
}

// ---------------------------------------------------------------- procurement

fn gaps_digest(l: &ProcurementLine) -> String {
    l.gaps
        .iter()
        .map(|g| format!("{}={}:{}", g.field, g.kind.as_str(), g.raw))
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

pub fn put_procurement_line(c: &mut dyn Conn, l: &ProcurementLine) -> Result<Outcome, StoreError> {
    let outcome = upsert(
        c,
        "procurement_lines",
        &["source", "source_id"],
        &[
            "buyer_country",
            "supplier",
            "product",
            "trade_item",
            "site",
            "pack_size",
            "quantity",
            "value",
            "pack_price",
            "unit_price",
            "currency",
            "incoterm",
            "mode",
            "fulfil_via",
            "quote_date",
            "order_date",
            "scheduled_date",
            "delivered_date",
            "recorded_date",
            "weight_kg",
            "freight",
            "insurance",
            "first_line",
            "project_code",
            "quote_ref",
            "order_ref",
            "shipment_ref",
            "gaps_digest",
        ],
        vec![
            l.source.as_str().into(),
            l.source_id.as_str().into(),
            l.buyer_country.as_str().into(),
            l.supplier.as_str().into(),
            l.product.as_str().into(),
            l.trade_item.as_str().into(),
            l.site.clone().into(),
            l.pack_size.into(),
            l.quantity.into(),
            l.value.into(),
            l.pack_price.into(),
            l.unit_price.into(),
            l.currency.as_str().into(),
            l.incoterm.clone().into(),
            l.mode.clone().into(),
            l.fulfil_via.clone().into(),
            l.quote_date.into(),
            l.order_date.into(),
            l.scheduled_date.into(),
            l.delivered_date.into(),
            l.recorded_date.into(),
            l.weight_kg.into(),
            l.freight.into(),
            l.insurance.into(),
            l.first_line.into(),
            l.project_code.clone().into(),
            l.quote_ref.clone().into(),
            l.order_ref.clone().into(),
            l.shipment_ref.clone().into(),
            gaps_digest(l).into(),
        ],
    )?;
    if outcome != Outcome::Unchanged {
        let key: [Value; 2] = [l.source.as_str().into(), l.source_id.as_str().into()];
        c.execute(
            "DELETE FROM procurement_gaps WHERE source = $1 AND source_id = $2",
            &key,
        )?;
        for g in &l.gaps {
            c.execute(
                "INSERT INTO procurement_gaps (source, source_id, field, kind, raw) VALUES ($1, $2, $3, $4, $5)",
                &[
                    key[0].clone(),
                    key[1].clone(),
                    g.field.into(),
                    g.kind.as_str().into(),
                    g.raw.as_str().into(),
                ],
            )?;
        }
    }
    Ok(outcome)
}

/// Gaps stored, counted by field and reason.
pub fn gap_counts(c: &mut dyn Conn) -> Result<Vec<(String, String, i64)>, StoreError> {
    c.query(
        "SELECT field, kind, COUNT(*) FROM procurement_gaps GROUP BY field, kind ORDER BY field, kind",
        &[],
    )?
    .iter()
    .map(|r| Ok((r[0].get()?, r[1].get()?, r[2].get()?)))
    .collect()
}

// ---------------------------------------------------------------- imports

/// What one import run did, recorded in the `imports` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportRecord {
    pub kind: String,
    pub sha256: String,
    pub source_name: String,
    pub rows_read: u64,
    pub tally: Tally,
    pub rejected: u64,
}

/// Records an import run. The same content imported again updates its
/// row (run count and time) instead of adding one. `changes` counts the
/// runs that changed the data: the stock data's watermark, so that a
/// server reloads after an import that changed something (the same file
/// again after another, A-B-A, too) and after no other.
pub fn record_import(c: &mut dyn Conn, r: &ImportRecord) -> Result<(), StoreError> {
    let now = chrono::Utc::now().to_rfc3339();
    let changed = i64::from(r.tally.changed() > 0);
    let key: [Value; 2] = [r.kind.as_str().into(), r.sha256.as_str().into()];
    let n = c.execute(
        "UPDATE imports SET last_at = $3, runs = runs + 1, source_name = $4, rows_read = $5,
                inserted = $6, updated = $7, unchanged = $8, rejected = $9, changes = changes + $10
         WHERE kind = $1 AND sha256 = $2",
        &[
            key[0].clone(),
            key[1].clone(),
            now.as_str().into(),
            r.source_name.as_str().into(),
            r.rows_read.into(),
            r.tally.inserted.into(),
            r.tally.updated.into(),
            r.tally.unchanged.into(),
            r.rejected.into(),
            changed.into(),
        ],
    )?;
    if n == 0 {
        c.execute(
            "INSERT INTO imports (kind, sha256, source_name, first_at, last_at, runs, rows_read,
                                  inserted, updated, unchanged, rejected, changes)
             VALUES ($1, $2, $3, $4, $4, 1, $5, $6, $7, $8, $9, $10)",
            &[
                key[0].clone(),
                key[1].clone(),
                r.source_name.as_str().into(),
                now.as_str().into(),
                r.rows_read.into(),
                r.tally.inserted.into(),
                r.tally.updated.into(),
                r.tally.unchanged.into(),
                r.rejected.into(),
                changed.into(),
            ],
        )?;
    }
    Ok(())
}

/// One row of the import history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportHistory {
    pub kind: String,
    pub source_name: String,
    pub last_at: String,
    pub runs: i64,
    /// The runs that changed the data (a file imported again unchanged
    /// changes nothing).
    pub changes: i64,
    pub rows_read: i64,
    pub rejected: i64,
}

pub fn list_imports(c: &mut dyn Conn) -> Result<Vec<ImportHistory>, StoreError> {
    c.query(
        "SELECT kind, source_name, last_at, runs, rows_read, rejected, changes FROM imports ORDER BY last_at DESC, id DESC",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(ImportHistory {
            kind: r[0].get()?,
            source_name: r[1].get()?,
            last_at: r[2].get()?,
            runs: r[3].get()?,
            rows_read: r[4].get()?,
            rejected: r[5].get()?,
            changes: r[6].get()?,
        })
    })
    .collect()
}

// ---------------------------------------------------------------- summaries

/// How much the database holds.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Counts {
    pub countries: i64,
    pub countries_with_income_group: i64,
    pub who_regions: i64,
    pub regions: i64,
    pub districts: i64,
    pub facilities: i64,
    pub warehouses: i64,
    pub products: i64,
    pub trade_items: i64,
    pub suppliers: i64,
    pub manufacturers: i64,
    #[serde(rename = "manufacturing_sites")]
    pub sites: i64,
    #[serde(rename = "manufacturing_sites_with_country")]
    pub sites_with_country: i64,
    pub procurement_lines: i64,
    pub procurement_buyer_countries: i64,
    pub procurement_value_usd: f64,
    pub first_delivery: Option<String>,
    pub last_delivery: Option<String>,
    /// Captured EPCIS events.
    pub epcis_events: i64,
}

pub fn counts(c: &mut dyn Conn) -> Result<Counts, StoreError> {
    let level = |c: &mut dyn Conn, l: &str| {
        count(
            c,
            "SELECT COUNT(*) FROM locations WHERE level = $1",
            &[l.into()],
        )
    };
    let role = |c: &mut dyn Conn, r: &str| {
        count(
            c,
            "SELECT COUNT(*) FROM organisations WHERE ',' || roles || ',' LIKE $1",
            &[format!("%,{r},%").into()],
        )
    };
    let dates = c.query(
        "SELECT MIN(delivered_date), MAX(delivered_date) FROM procurement_lines",
        &[],
    )?;
    Ok(Counts {
        countries: count(c, "SELECT COUNT(*) FROM countries", &[])?,
        countries_with_income_group: count(
            c,
            "SELECT COUNT(*) FROM countries WHERE income_group IS NOT NULL",
            &[],
        )?,
        who_regions: count(
            c,
            "SELECT COUNT(DISTINCT who_region) FROM countries WHERE who_region IS NOT NULL",
            &[],
        )?,
        regions: level(c, "region")?,
        districts: level(c, "district")?,
        facilities: level(c, "facility")?,
        warehouses: level(c, "warehouse")?,
        products: count(c, "SELECT COUNT(*) FROM products", &[])?,
        trade_items: count(c, "SELECT COUNT(*) FROM trade_items", &[])?,
        suppliers: role(c, "supplier")?,
        manufacturers: role(c, "manufacturer")?,
        sites: count(c, "SELECT COUNT(*) FROM manufacturing_sites", &[])?,
        sites_with_country: count(
            c,
            "SELECT COUNT(*) FROM manufacturing_sites WHERE country IS NOT NULL",
            &[],
        )?,
        procurement_lines: count(c, "SELECT COUNT(*) FROM procurement_lines", &[])?,
        procurement_buyer_countries: count(
            c,
            "SELECT COUNT(DISTINCT buyer_country) FROM procurement_lines",
            &[],
        )?,
        procurement_value_usd: c
            .query_scalar(
                "SELECT CAST(SUM(value) AS DOUBLE PRECISION) FROM procurement_lines WHERE currency = 'USD'",
                &[],
            )?
            .get::<Option<f64>>()?
            .unwrap_or(0.0),
        first_delivery: dates.first().map(|r| r[0].get()).transpose()?.flatten(),
        last_delivery: dates.first().map(|r| r[1].get()).transpose()?.flatten(),
        epcis_events: count(c, "SELECT COUNT(*) FROM epcis_events", &[])?,
    })
}

/// Procurement value (US$) by the country of the manufacturing site;
/// `None` groups lines whose site or site country is unknown.
pub fn value_by_manufacturing_country(
    c: &mut dyn Conn,
) -> Result<Vec<(Option<String>, f64)>, StoreError> {
    c.query(
        "SELECT s.country, CAST(SUM(l.value) AS DOUBLE PRECISION)
         FROM procurement_lines l LEFT JOIN manufacturing_sites s ON s.code = l.site
         WHERE l.value IS NOT NULL AND l.currency = 'USD'
         GROUP BY s.country ORDER BY 2 DESC",
        &[],
    )?
    .iter()
    .map(|r| Ok((r[0].get()?, r[1].get::<Option<f64>>()?.unwrap_or(0.0))))
    .collect()
}

/// For each product: value procured (US$) by manufacturing country, for
/// lines whose site country is known.
pub fn product_value_by_manufacturing_country(
    c: &mut dyn Conn,
) -> Result<Vec<(String, String, f64)>, StoreError> {
    c.query(
        "SELECT l.product, s.country, CAST(SUM(l.value) AS DOUBLE PRECISION)
         FROM procurement_lines l JOIN manufacturing_sites s ON s.code = l.site
         WHERE l.value IS NOT NULL AND l.currency = 'USD' AND s.country IS NOT NULL
         GROUP BY l.product, s.country ORDER BY l.product, s.country",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok((
            r[0].get()?,
            r[1].get()?,
            r[2].get::<Option<f64>>()?.unwrap_or(0.0),
        ))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn numbered_placeholders() {
        assert_eq!(placeholders(1, 3), "$1, $2, $3");
        assert_eq!(placeholders(19, 2), "$19, $20");
        assert_eq!(placeholders(4, 0), "");
    }
}
