//! What the FHIR exchanges keep beside the ledger (schema version 14,
//! docs/interop.md): the facility registry's organisations (FHIR
//! Organization, as IHE mCSD: name, identifiers, type, parent) and the
//! organisation managing each location; and the product code mapping
//! (codings of other systems to GTINs) that every FHIR import reads.

use crate::repo::{Tally, upsert};
use crate::{Conn, Store, StoreError, Value};
use serde::Serialize;
use std::collections::BTreeSet;

/// An organisation of the facility registry.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Organization {
    pub code: String,
    pub name: String,
    /// Its type: the first coding, as `system|code` (or the text).
    pub kind: Option<String>,
    /// The parent organisation's code.
    pub part_of: Option<String>,
    /// Every identifier, as (system, value).
    pub identifiers: Vec<(String, String)>,
}

/// An organisation as stored, with the locations it manages.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OrganizationRow {
    #[serde(flatten)]
    pub organization: Organization,
    /// Location codes (`Location.managingOrganization`), sorted.
    pub locations: Vec<String>,
}

/// The codes of the organisations held.
pub fn organization_codes(c: &mut dyn Conn) -> Result<BTreeSet<String>, StoreError> {
    let mut out = BTreeSet::new();
    c.query_each("SELECT code FROM registry_organizations", &[], &mut |r| {
        out.insert(r[0].take_text()?);
        Ok(())
    })?;
    Ok(out)
}

/// What saving the registry did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryReport {
    pub organizations: Tally,
    pub links: Tally,
}

/// Saves organisations and the organisation managing each location, in
/// one transaction. A parent or a managing organisation must be among
/// `orgs` or held already, and a linked location held: otherwise nothing
/// is written (`StoreError::Invalid` names it).
pub fn save(
    st: &mut dyn Store,
    orgs: &[Organization],
    links: &[(String, String)],
) -> Result<RegistryReport, StoreError> {
    let mut tx = st.begin()?;
    let mut known = organization_codes(&mut *tx)?;
    known.extend(orgs.iter().map(|o| o.code.clone()));
    for o in orgs {
        if let Some(p) = &o.part_of
            && !known.contains(p)
        {
            return Err(StoreError::Invalid(format!(
                "organisation {}: its parent {p:?} is not an organisation of the registry",
                o.code
            )));
        }
    }
    let mut report = RegistryReport::default();
    // Every organisation first without its parent (a parent may come
    // later in the list), then the parents.
    let mut parents = Vec::new();
    for o in orgs {
        let ids = serde_json::to_string(
            &o.identifiers
                .iter()
                .map(|(s, v)| serde_json::json!({"system": s, "value": v}))
                .collect::<Vec<_>>(),
        )
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let held: Option<Option<String>> = tx
            .query(
                "SELECT part_of FROM registry_organizations WHERE code = $1",
                &[o.code.as_str().into()],
            )?
            .first_mut()
            .map(|r| r[0].take_opt_text())
            .transpose()?;
        let outcome = upsert(
            &mut *tx,
            "registry_organizations",
            &["code"],
            &["name", "kind", "identifiers"],
            vec![
                o.code.as_str().into(),
                o.name.as_str().into(),
                o.kind.clone().map(Value::from).unwrap_or(Value::Null),
                ids.into(),
            ],
        )?;
        let parent_changed = held.as_ref().is_some_and(|p| *p != o.part_of);
        report.organizations.add(match outcome {
            crate::repo::Outcome::Unchanged if parent_changed => crate::repo::Outcome::Updated,
            x => x,
        });
        parents.push((o.code.clone(), o.part_of.clone()));
    }
    for (code, parent) in parents {
        tx.execute(
            "UPDATE registry_organizations SET part_of = $1 WHERE code = $2",
            &[parent.map(Value::from).unwrap_or(Value::Null), code.into()],
        )?;
    }
    for (location, org) in links {
        if !known.contains(org) {
            return Err(StoreError::Invalid(format!(
                "location {location}: its managing organisation {org:?} is not an organisation of the registry"
            )));
        }
        let held: i64 = tx
            .query_scalar(
                "SELECT COUNT(*) FROM locations WHERE code = $1",
                &[location.as_str().into()],
            )?
            .get()?;
        if held == 0 {
            return Err(StoreError::Invalid(format!(
                "location {location:?} is not in the hierarchy"
            )));
        }
        report.links.add(upsert(
            &mut *tx,
            "location_organizations",
            &["location"],
            &["organization"],
            vec![location.as_str().into(), org.as_str().into()],
        )?);
    }
    tx.commit()?;
    Ok(report)
}

/// Every organisation of the registry with the locations it manages, by code.
pub fn organizations(c: &mut dyn Conn) -> Result<Vec<OrganizationRow>, StoreError> {
    let mut out: Vec<OrganizationRow> = Vec::new();
    c.query_each(
        "SELECT code, name, kind, part_of, identifiers FROM registry_organizations ORDER BY code",
        &[],
        &mut |r| {
            let ids: Vec<serde_json::Value> = serde_json::from_str(&r[4].take_text()?)
                .map_err(|e| StoreError::Invalid(format!("stored identifiers: {e}")))?;
            let identifiers = ids
                .iter()
                .map(|v| {
                    (
                        v["system"].as_str().unwrap_or_default().to_string(),
                        v["value"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            out.push(OrganizationRow {
                organization: Organization {
                    code: r[0].take_text()?,
                    name: r[1].take_text()?,
                    kind: r[2].take_opt_text()?,
                    part_of: r[3].take_opt_text()?,
                    identifiers,
                },
                locations: Vec::new(),
            });
            Ok(())
        },
    )?;
    let mut links = Vec::new();
    c.query_each(
        "SELECT organization, location FROM location_organizations ORDER BY organization, location",
        &[],
        &mut |r| {
            links.push((r[0].take_text()?, r[1].take_text()?));
            Ok(())
        },
    )?;
    for (org, loc) in links {
        if let Some(o) = out.iter_mut().find(|o| o.organization.code == org) {
            o.locations.push(loc);
        }
    }
    Ok(out)
}

/// One coding of another system and the GTIN-14 it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ProductCode {
    pub system: String,
    pub code: String,
    pub gtin: String,
}

/// The product code mapping held, by system and code.
pub fn product_codes(c: &mut dyn Conn) -> Result<Vec<ProductCode>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        "SELECT system, code, gtin FROM product_codes ORDER BY system, code",
        &[],
        &mut |r| {
            out.push(ProductCode {
                system: r[0].take_text()?,
                code: r[1].take_text()?,
                gtin: r[2].take_text()?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// Saves codings (checked by the caller: a GTIN-14 each), in one
/// transaction; `dry_run` rolls it back. A coding held with another GTIN
/// is updated.
pub fn save_product_codes(
    st: &mut dyn Store,
    codes: &[ProductCode],
    dry_run: bool,
) -> Result<Tally, StoreError> {
    let mut tx = st.begin()?;
    let mut t = Tally::default();
    for p in codes {
        t.add(upsert(
            &mut *tx,
            "product_codes",
            &["system", "code"],
            &["gtin"],
            vec![
                p.system.as_str().into(),
                p.code.as_str().into(),
                p.gtin.as_str().into(),
            ],
        )?);
    }
    // Dropped uncommitted, a transaction is rolled back.
    if !dry_run {
        tx.commit()?;
    }
    Ok(t)
}
