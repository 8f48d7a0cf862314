//! Market data in the store: observations for the indicators, reference
//! prices, treatment courses, wages and registers. Written once for both backends.

use crate::repo::in_list;
use crate::repo::{Outcome, upsert};
use crate::{Conn, StoreError, Value};
use chrono::NaiveDate;
use equitas_market::analysis::{Observation, ReferencePrice, TreatmentCourse, Wage};
use equitas_market::authorisations::{self as ma, Held, ProductNames};
use equitas_market::inputs::{Authorisation, Prequalified, ReferencePriceRow};
use std::collections::HashMap;

/// Which procurement lines an analysis covers. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Product codes.
    pub products: Vec<String>,
    /// Programme (hiv, malaria...).
    pub programme: Option<String>,
    /// Buyer countries (ISO3).
    pub countries: Vec<String>,
    /// Delivered on or after.
    pub from: Option<NaiveDate>,
    /// Delivered on or before.
    pub to: Option<NaiveDate>,
}

/// Procurement lines as observations for the market indicators.
///
/// Originator versus generic applies to medicines: SCMS writes "Generic"
/// as the brand of generics and the brand name of originator products.
/// The small tables (sites, trade items) are read into maps first so that
/// the procurement lines are scanned once, without a join per line.
pub fn observations(c: &mut dyn Conn, f: &Filter) -> Result<Vec<Observation>, StoreError> {
    let site_country: HashMap<String, Option<String>> = c
        .query("SELECT code, country FROM manufacturing_sites", &[])?
        .iter()
        .map(|r| Ok((r[0].get()?, r[1].get()?)))
        .collect::<Result<_, StoreError>>()?;
    let originator: HashMap<String, Option<bool>> = c
        .query(
            "SELECT t.code,
                    CASE WHEN p.category = 'medicine' AND t.brand IS NOT NULL
                         THEN CASE WHEN LOWER(t.brand) = 'generic' THEN 0 ELSE 1 END END
             FROM trade_items t JOIN products p ON p.code = t.product",
            &[],
        )?
        .iter()
        .map(|r| Ok((r[0].get()?, r[1].get()?)))
        .collect::<Result<_, StoreError>>()?;

    let mut cond = vec!["1 = 1".to_string()];
    let mut params: Vec<Value> = Vec::new();
    if !f.products.is_empty() {
        cond.push(in_list("product", &f.products, &mut params));
    }
    if !f.countries.is_empty() {
        cond.push(in_list("buyer_country", &f.countries, &mut params));
    }
    if let Some(p) = &f.programme {
        params.push(p.as_str().into());
        cond.push(format!(
            "product IN (SELECT code FROM products WHERE programme = ${})",
            params.len()
        ));
    }
    if let Some(d) = f.from {
        params.push(d.into());
        cond.push(format!("delivered_date >= ${}", params.len()));
    }
    if let Some(d) = f.to {
        params.push(d.into());
        cond.push(format!("delivered_date <= ${}", params.len()));
    }
    let sql = format!(
        "SELECT product, supplier, buyer_country, site, trade_item, mode, pack_size, quantity,
                value, order_date, scheduled_date, delivered_date
         FROM procurement_lines WHERE {}",
        cond.join(" AND ")
    );
    let mut out = Vec::new();
    c.query_each(&sql, &params, &mut |r| {
        let site = r[3].take_opt_text()?;
        let trade_item = r[4].take_text()?;
        out.push(Observation {
            product: r[0].take_text()?,
            supplier: r[1].take_text()?,
            buyer_country: r[2].take_text()?,
            site_country: site
                .as_ref()
                .and_then(|s| site_country.get(s).cloned().flatten()),
            site,
            mode: r[5].take_opt_text()?,
            originator: originator.get(&trade_item).copied().flatten(),
            pack_size: r[6].get()?,
            quantity: r[7].get()?,
            value: r[8].get()?,
            order_date: r[9].get()?,
            scheduled_date: r[10].get()?,
            delivered_date: r[11].get()?,
        });
        Ok(())
    })?;
    Ok(out)
}

pub fn product_exists(c: &mut dyn Conn, code: &str) -> Result<bool, StoreError> {
    let rows = c.query("SELECT 1 FROM products WHERE code = $1", &[code.into()])?;
    Ok(!rows.is_empty())
}

pub fn put_reference_price(c: &mut dyn Conn, r: &ReferencePriceRow) -> Result<Outcome, StoreError> {
    upsert(
        c,
        "reference_prices",
        &["product", "source"],
        &["price_usd", "unit", "year"],
        vec![
            r.price.product.as_str().into(),
            r.price.source.as_str().into(),
            r.price.price_usd.into(),
            r.unit.clone().into(),
            r.year.map(i64::from).into(),
        ],
    )
}

/// Reference prices by product: those of `source` only, when one is named;
/// otherwise, with several sources for a product, the alphabetically first.
/// Every reference price loaded, of every source, by product and source.
pub fn reference_price_list(c: &mut dyn Conn) -> Result<Vec<ReferencePrice>, StoreError> {
    c.query(
        "SELECT product, source, price_usd FROM reference_prices ORDER BY product, source",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(ReferencePrice {
            product: r[0].get()?,
            source: r[1].get()?,
            price_usd: r[2].get()?,
        })
    })
    .collect()
}

/// The reference price of each product (of `source` only if given), as
/// `equitas_market::analysis::reference_table` chooses.
pub fn reference_prices(
    c: &mut dyn Conn,
    source: Option<&str>,
) -> Result<HashMap<String, ReferencePrice>, StoreError> {
    Ok(equitas_market::analysis::reference_table(
        reference_price_list(c)?,
        source,
    ))
}

pub fn put_course(c: &mut dyn Conn, t: &TreatmentCourse) -> Result<Outcome, StoreError> {
    upsert(
        c,
        "treatment_courses",
        &["product"],
        &["units", "description", "source"],
        vec![
            t.product.as_str().into(),
            t.units.into(),
            t.description.as_str().into(),
            t.source.as_str().into(),
        ],
    )
}

pub fn courses(c: &mut dyn Conn) -> Result<HashMap<String, TreatmentCourse>, StoreError> {
    c.query(
        "SELECT product, units, description, source FROM treatment_courses",
        &[],
    )?
    .iter()
    .map(|r| {
        let t = TreatmentCourse {
            product: r[0].get()?,
            units: r[1].get()?,
            description: r[2].get()?,
            source: r[3].get()?,
        };
        Ok((t.product.clone(), t))
    })
    .collect()
}

pub fn put_wage(c: &mut dyn Conn, w: &Wage) -> Result<Outcome, StoreError> {
    upsert(
        c,
        "wages",
        &["country"],
        &["daily_wage", "currency", "exchange_rate", "year", "source"],
        vec![
            w.country.as_str().into(),
            w.daily_wage.into(),
            w.currency.as_str().into(),
            w.exchange_rate.into(),
            w.year.map(i64::from).into(),
            w.source.as_str().into(),
        ],
    )
}

pub fn wages(c: &mut dyn Conn) -> Result<HashMap<String, Wage>, StoreError> {
    c.query(
        "SELECT country, daily_wage, currency, exchange_rate, year, source FROM wages",
        &[],
    )?
    .iter()
    .map(|r| {
        let w = Wage {
            country: r[0].get()?,
            daily_wage: r[1].get()?,
            currency: r[2].get()?,
            exchange_rate: r[3].get()?,
            year: r[4]
                .get::<Option<i64>>()?
                .and_then(|y| i32::try_from(y).ok()),
            source: r[5].get()?,
        };
        Ok((w.country.clone(), w))
    })
    .collect()
}

pub fn put_authorisation(c: &mut dyn Conn, a: &Authorisation) -> Result<Outcome, StoreError> {
    upsert(
        c,
        "marketing_authorisations",
        &["country", "number"],
        &[
            "product_name",
            "product",
            "holder",
            "manufacturer",
            "status",
            "valid_from",
            "valid_to",
        ],
        vec![
            a.country.as_str().into(),
            a.number.as_str().into(),
            a.product_name.as_str().into(),
            a.product.clone().into(),
            a.holder.as_str().into(),
            a.manufacturer.clone().into(),
            a.status.as_str().into(),
            a.valid_from.into(),
            a.valid_to.into(),
        ],
    )
}

pub fn put_prequalified(c: &mut dyn Conn, p: &Prequalified) -> Result<Outcome, StoreError> {
    upsert(
        c,
        "prequalified",
        &["programme", "reference"],
        &[
            "product_type",
            "commercial_name",
            "presentation",
            "doses",
            "manufacturer",
            "regulator",
            "prequalified_on",
        ],
        vec![
            p.programme.as_str().into(),
            p.reference.as_str().into(),
            p.product_type.as_str().into(),
            p.commercial_name.clone().into(),
            p.presentation.clone().into(),
            p.doses.clone().into(),
            p.manufacturer.as_str().into(),
            p.regulator.clone().into(),
            p.prequalified_on.into(),
        ],
    )
}

pub use equitas_market::authorisations::SourcesRow;
/// The catalogue's products by name, to attribute an authorisation that
/// names its product only by name (docs/formulas.md 6.3).
pub fn product_names(c: &mut dyn Conn) -> Result<ProductNames, StoreError> {
    let rows = c.query("SELECT code, name FROM products", &[])?;
    let pairs = rows
        .iter()
        .map(|r| Ok((r[0].get()?, r[1].get()?)))
        .collect::<Result<Vec<(String, String)>, StoreError>>()?;
    Ok(ProductNames::new(pairs))
}

/// Every marketing authorisation loaded (of `country` if given), whatever
/// its status, with whether it is valid on `on` and the product it counts
/// under (docs/formulas.md 6.3): its code, else the catalogue product its
/// name matches. Rows stored without a code before imports attributed them
/// (2026-12-07) are so merged with their product here too.
pub fn authorisations_held(
    c: &mut dyn Conn,
    on: NaiveDate,
    country: Option<&str>,
) -> Result<Vec<Held>, StoreError> {
    let names = product_names(c)?;
    let (cond, params): (&str, Vec<Value>) = match country {
        Some(k) => (" WHERE country = $1", vec![k.into()]),
        None => ("", vec![]),
    };
    c.query(
        &format!(
            "SELECT country, product, product_name, holder, manufacturer, status, valid_from,
                    valid_to
             FROM marketing_authorisations{cond}"
        ),
        &params,
    )?
    .iter()
    .map(|r| {
        let product: Option<String> = r[1].get()?;
        let product_name: String = r[2].get()?;
        let status: String = r[5].get()?;
        Ok(Held {
            country: r[0].get()?,
            product: ma::product_key(product.as_deref(), &product_name, &names),
            holder: r[3].get()?,
            manufacturer: r[4].get()?,
            valid: ma::valid_on(&status, r[6].get()?, r[7].get()?, on),
        })
    })
    .collect()
}

/// Legal sources per country and product (`equitas market sources`): every
/// (country, product) with an authorisation loaded, counting those valid
/// on `on` (status "valid" and the date within [valid_from, valid_to] where
/// those are given); a product with none valid is a row of zeros.
pub fn legal_sources(
    c: &mut dyn Conn,
    on: NaiveDate,
    country: Option<&str>,
) -> Result<Vec<SourcesRow>, StoreError> {
    Ok(ma::legal_sources(&authorisations_held(c, on, country)?))
}

/// Prequalified manufacturers per product type of a programme.
pub fn prequalified_sources(
    c: &mut dyn Conn,
    programme: &str,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    c.query(
        "SELECT product_type, COUNT(DISTINCT manufacturer), COUNT(*) FROM prequalified
         WHERE programme = $1 GROUP BY product_type ORDER BY product_type",
        &[programme.into()],
    )?
    .iter()
    .map(|r| Ok((r[0].get()?, r[1].get()?, r[2].get()?)))
    .collect()
}

/// Display names of codes, to print people-readable tables.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub products: HashMap<String, String>,
    pub countries: HashMap<String, String>,
    pub organisations: HashMap<String, String>,
    pub sites: HashMap<String, String>,
}

/// The names of codes, countries named in `lang` by their UN names, as WHO
/// writes them: in English the UN terminology database's short name
/// (`name_un`: "United Republic of Tanzania", not CLDR's "Tanzania"), else
/// CLDR's where UNTERM has none ("Côte d’Ivoire"); in French the official
/// French name. Until 2026-12-07 English answers gave CLDR's short names,
/// "UK", "Congo - Kinshasa", beside official French ones.
pub fn names(c: &mut dyn Conn, lang: equitas_model::Lang) -> Result<Names, StoreError> {
    let countries = match lang {
        equitas_model::Lang::En => {
            "SELECT iso3, COALESCE(name_un, name_short, name_en) FROM countries"
        }
        equitas_model::Lang::Fr => {
            "SELECT iso3, COALESCE(name_fr, name_un, name_short, name_en) FROM countries"
        }
    };
    let mut map = |sql: &str| -> Result<HashMap<String, String>, StoreError> {
        c.query(sql, &[])?
            .iter()
            .map(|r| Ok((r[0].get()?, r[1].get()?)))
            .collect()
    };
    Ok(Names {
        products: map("SELECT code, name FROM products")?,
        countries: map(countries)?,
        organisations: map("SELECT code, name FROM organisations")?,
        sites: map("SELECT code, name FROM manufacturing_sites")?,
    })
}

/// (code, INNs joined by `/`, strength, dosage form).
pub type ProductIdentity = (String, String, Option<String>, Option<String>);

/// Products with what identifies them as medicines.
pub fn product_identities(c: &mut dyn Conn) -> Result<Vec<ProductIdentity>, StoreError> {
    c.query(
        "SELECT code, inns, strength, dosage_form FROM products ORDER BY code",
        &[],
    )?
    .iter()
    .map(|r| Ok((r[0].get()?, r[1].get()?, r[2].get()?, r[3].get()?)))
    .collect()
}

/// The unit each product's comparison units count, read from its dosage
/// form (`equitas_market::catalogue::comparison_unit`); products without a
/// dosage form are left out.
pub fn comparison_units(c: &mut dyn Conn) -> Result<HashMap<String, String>, StoreError> {
    Ok(product_identities(c)?
        .into_iter()
        .filter_map(|(code, _, _, form)| {
            Some((code, equitas_market::catalogue::comparison_unit(&form?)))
        })
        .collect())
}

/// Delivery delays of all procurement lines with a scheduled and a
/// delivered date, in months (days / `DAYS_PER_MONTH`, 30.4375): the lead-time variability
/// of the stockout risk (docs/formulas.md 4.8).
pub fn delivery_delays_months(c: &mut dyn Conn) -> Result<Vec<f64>, StoreError> {
    Ok(observations(c, &Filter::default())?
        .iter()
        .filter_map(|o| Some((o.delivered_date? - o.scheduled_date?).num_days()))
        .map(|d| d as f64 / equitas_ledger::indicators::DAYS_PER_MONTH)
        .collect())
}
