//! Data kept in each country (schema version 15, docs/region.md): on a
//! country's server, what it publishes; on a regional server, the
//! countries' servers it pulls from and the publications it holds, one per
//! country and month, replaced whole when republished.

use crate::{Conn, Store, StoreError, Value};
use equitas_region::{FigureRow, Level, Publication};
use serde::Serialize;

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What this country's server publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publishing {
    /// ISO 3166 alpha-3: a place of level country in the hierarchy.
    pub country: String,
    pub level: Level,
    pub set_at: String,
}

/// Chooses what this server publishes: `country` must be a place of
/// level country in the location hierarchy.
pub fn set_publishing(c: &mut dyn Conn, country: &str, level: Level) -> Result<(), StoreError> {
    let n: i64 = c
        .query_scalar(
            "SELECT COUNT(*) FROM locations WHERE code = $1 AND level = 'country'",
            &[country.into()],
        )?
        .get()?;
    if n == 0 {
        return Err(StoreError::Invalid(format!(
            "--country {country}: not a country of the location hierarchy (equitas import countries, then locations)"
        )));
    }
    c.execute("DELETE FROM region_publishing", &[])?;
    c.execute(
        "INSERT INTO region_publishing (id, country, level, set_at) VALUES (1, $1, $2, $3)",
        &[country.into(), level.as_str().into(), now_text().into()],
    )?;
    Ok(())
}

/// What this server publishes, if it was chosen.
pub fn publishing(c: &mut dyn Conn) -> Result<Option<Publishing>, StoreError> {
    let Some(mut r) = c
        .query(
            "SELECT country, level, set_at FROM region_publishing WHERE id = 1",
            &[],
        )?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let level: String = r[1].take_text()?;
    Ok(Some(Publishing {
        country: r[0].take_text()?,
        level: level.parse().map_err(StoreError::Invalid)?,
        set_at: r[2].take_text()?,
    }))
}

/// A country's server a regional server pulls from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub country: String,
    pub url: String,
    /// The file holding the API token (the token itself is not stored).
    pub token_file: String,
    pub added_at: String,
    /// The end of the last pull, and its error if it failed.
    pub pulled_at: Option<String>,
    pub last_error: Option<String>,
}

/// Adds a country's server, or changes its URL and token file; true if
/// it was new.
pub fn add_source(
    c: &mut dyn Conn,
    country: &str,
    url: &str,
    token_file: &str,
) -> Result<bool, StoreError> {
    let ok = country.len() == 3 && country.chars().all(|x| x.is_ascii_uppercase());
    if !ok {
        return Err(StoreError::Invalid(format!(
            "country {country:?}: an ISO 3166 alpha-3 code in capitals (XSY)"
        )));
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(StoreError::Invalid(format!(
            "URL {url:?}: the country's Equitas server, http:// or https://"
        )));
    }
    let changed = c.execute(
        "UPDATE region_sources SET url = $2, token_file = $3 WHERE country = $1",
        &[country.into(), url.into(), token_file.into()],
    )?;
    if changed > 0 {
        return Ok(false);
    }
    c.execute(
        "INSERT INTO region_sources (country, url, token_file, added_at) VALUES ($1, $2, $3, $4)",
        &[
            country.into(),
            url.into(),
            token_file.into(),
            now_text().into(),
        ],
    )?;
    Ok(true)
}

pub fn sources(c: &mut dyn Conn) -> Result<Vec<Source>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        "SELECT country, url, token_file, added_at, pulled_at, last_error FROM region_sources ORDER BY country",
        &[],
        &mut |r| {
            out.push(Source {
                country: r[0].take_text()?,
                url: r[1].take_text()?,
                token_file: r[2].take_text()?,
                added_at: r[3].take_text()?,
                pulled_at: r[4].take_opt_text()?,
                last_error: r[5].take_opt_text()?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// Records the end of a pull of `country`, and its error if it failed.
pub fn pulled(c: &mut dyn Conn, country: &str, error: Option<&str>) -> Result<(), StoreError> {
    c.execute(
        "UPDATE region_sources SET pulled_at = $2, last_error = $3 WHERE country = $1",
        &[country.into(), now_text().into(), error.into()],
    )?;
    Ok(())
}

/// The publications held, by country then month.
pub fn held(c: &mut dyn Conn) -> Result<Vec<Publication>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        "SELECT country, month, level, format, equitas_version, formulas_version, computed_at, digest, row_count \
         FROM region_publications ORDER BY country, month",
        &[],
        &mut |r| {
            out.push(Publication {
                country: r[0].take_text()?,
                month: r[1].take_text()?,
                level: r[2].take_text()?,
                format: u32::try_from(r[3].get::<i64>()?).unwrap_or(0),
                equitas_version: r[4].take_text()?,
                formulas_version: u32::try_from(r[5].get::<i64>()?).unwrap_or(0),
                computed_at: r[6].take_text()?,
                digest: r[7].take_text()?,
                rows: u64::try_from(r[8].get::<i64>()?).unwrap_or(0),
            });
            Ok(())
        },
    )?;
    Ok(out)
}

const COLUMNS: &str = "country, month, level, location, location_name, item, item_name, opening, received, issued, \
     dispensed, adjusted, closing, stockout_days, amc, months_of_stock, facilities, in_stock, availability";

fn values(r: &FigureRow) -> [Value; 19] {
    [
        r.country.as_str().into(),
        r.month.as_str().into(),
        r.level.as_str().into(),
        r.location.as_str().into(),
        r.location_name.as_str().into(),
        r.item.as_str().into(),
        r.item_name.clone().into(),
        r.opening.into(),
        r.received.into(),
        r.issued.into(),
        r.dispensed.into(),
        r.adjusted.into(),
        r.closing.into(),
        r.stockout_days.map(i64::from).into(),
        r.amc.into(),
        r.months_of_stock.into(),
        Value::Int(i64::from(r.facilities)),
        Value::Int(i64::from(r.in_stock)),
        r.availability.into(),
    ]
}

/// Stores a publication in one transaction: the month's earlier
/// publication of that country, if any, is replaced whole. Every row must
/// be of the publication's country and month.
pub fn save(st: &mut dyn Store, p: &Publication, rows: &[FigureRow]) -> Result<(), StoreError> {
    if let Some(r) = rows
        .iter()
        .find(|r| r.country != p.country || r.month != p.month)
    {
        return Err(StoreError::Invalid(format!(
            "a row of {} {} is in the publication of {} {}",
            r.country, r.month, p.country, p.month
        )));
    }
    let mut tx = st.begin()?;
    let key = [
        Value::from(p.country.as_str()),
        Value::from(p.month.as_str()),
    ];
    tx.execute(
        "DELETE FROM region_figures WHERE country = $1 AND month = $2",
        &key,
    )?;
    tx.execute(
        "DELETE FROM region_publications WHERE country = $1 AND month = $2",
        &key,
    )?;
    tx.execute(
        "INSERT INTO region_publications (country, month, level, format, equitas_version, formulas_version, \
         computed_at, digest, row_count, pulled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            p.country.as_str().into(),
            p.month.as_str().into(),
            p.level.as_str().into(),
            Value::Int(i64::from(p.format)),
            p.equitas_version.as_str().into(),
            Value::Int(i64::from(p.formulas_version)),
            p.computed_at.as_str().into(),
            p.digest.as_str().into(),
            Value::from(rows.len() as u64),
            now_text().into(),
        ],
    )?;
    let all: Vec<Value> = rows.iter().flat_map(values).collect();
    if !tx.copy_in("region_figures", COLUMNS, &all)? {
        let placeholders: Vec<String> = (1..=19).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO region_figures ({COLUMNS}) VALUES ({})",
            placeholders.join(", ")
        );
        for r in rows {
            tx.execute(&sql, &values(r))?;
        }
    }
    tx.commit()
}

/// Which rows held to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The rows' level (`country` for the countries' totals).
    pub level: String,
    /// `YYYY-MM`; none: every month.
    pub month: Option<String>,
    /// None: every country.
    pub countries: Vec<String>,
    /// None: every item.
    pub items: Vec<String>,
}

/// The rows held, by country, month, location and item.
pub fn figures(c: &mut dyn Conn, q: &Query) -> Result<Vec<FigureRow>, StoreError> {
    let mut sql = format!("SELECT {COLUMNS} FROM region_figures WHERE level = $1");
    let mut params: Vec<Value> = vec![q.level.as_str().into()];
    if let Some(m) = &q.month {
        params.push(m.as_str().into());
        sql.push_str(&format!(" AND month = ${}", params.len()));
    }
    for (column, list) in [("country", &q.countries), ("item", &q.items)] {
        if list.is_empty() {
            continue;
        }
        let mut marks = Vec::new();
        for v in list {
            params.push(v.as_str().into());
            marks.push(format!("${}", params.len()));
        }
        sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
    }
    sql.push_str(" ORDER BY country, month, location, item");
    let mut out = Vec::new();
    let int = |v: &Value| -> Result<u32, StoreError> {
        Ok(u32::try_from(v.get::<i64>()?).unwrap_or(u32::MAX))
    };
    c.query_each(&sql, &params, &mut |r| {
        out.push(FigureRow {
            country: r[0].take_text()?,
            month: r[1].take_text()?,
            level: r[2].take_text()?,
            location: r[3].take_text()?,
            location_name: r[4].take_text()?,
            item: r[5].take_text()?,
            item_name: r[6].take_opt_text()?,
            opening: r[7].get()?,
            received: r[8].get()?,
            issued: r[9].get()?,
            dispensed: r[10].get()?,
            adjusted: r[11].get()?,
            closing: r[12].get()?,
            stockout_days: r[13]
                .get::<Option<i64>>()?
                .map(|d| u32::try_from(d).unwrap_or(u32::MAX)),
            amc: r[14].get()?,
            months_of_stock: r[15].get()?,
            facilities: int(&r[16])?,
            in_stock: int(&r[17])?,
            availability: r[18].get()?,
        });
        Ok(())
    })?;
    Ok(out)
}
