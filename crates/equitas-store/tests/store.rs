//! The same integration tests on SQLite and PostgreSQL.

use equitas_store::import::{
    ImportError, ImportKind, ImportOptions, Mappings, NoProgress, Progress, import,
};
use equitas_store::migrations::{self, latest};
use equitas_store::on_both_backends;
use equitas_store::repo::{self, Outcome, Tally};
use equitas_store::testing::{TestStore, import_data};
use equitas_store::{Store, Value};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

const COUNTRIES: &str = "ISO3166-1-Alpha-3,ISO3166-1-Alpha-2,ISO3166-1-numeric,official_name_en,official_name_fr,CLDR display name,Region Name,Sub-region Name,ISO4217-currency_alphabetic_code,Least Developed Countries (LDC)
KEN,KE,404,Kenya,Kenya,Kenya,Africa,Sub-Saharan Africa,KES,
SEN,SN,686,Senegal,Sénégal,Senegal,Africa,Sub-Saharan Africa,XOF,x
,XX,999,Nowhere,,,,,,
";

const INCOME: &str = "\"\",\"iso3c\",\"who.region\",\"whoc.region\",\"wb.region\",\"Income.group\"
\"1\",\"KEN\",\"AFRO\",\"AFRO E\",\"Sub-Saharan Africa\",\"Lower middle income\"
\"2\",\"ATL\",\"AFRO\",\"AFRO E\",\"Sub-Saharan Africa\",\"Low income\"
";

const LOCATIONS: &str = "code,name,level,parent,country,gln,latitude,longitude
KE-30,Nairobi,region,KEN,KEN,,,
KE-30-01,Westlands,district,KE-30,KEN,,,
KE-30-01-F1,Westlands Health Centre,facility,KE-30-01,KEN,0614141123452,-1.26,36.80
KE-30-01-F2,Bad GLN clinic,facility,KE-30-01,KEN,0614141123453,,
KE-30-01-F3,Orphan,facility,KE-99,KEN,,,
SN-DK,Dakar,region,SEN,SEN,,,
SN-DK-F1,Cross-border,facility,KE-30-01,SEN,,,
KE-CMS,Kenya central medical store,warehouse,KEN,KEN,,,
";

fn opts() -> ImportOptions {
    ImportOptions::default()
}

fn run(s: &mut TestStore, kind: ImportKind, text: &str) -> equitas_store::import::ImportReport {
    import(
        s.store.as_mut(),
        kind,
        kind.as_str(),
        text.as_bytes(),
        &Mappings::default(),
        opts(),
        &NoProgress,
    )
    .expect("import")
}

fn count(s: &mut TestStore, table: &str) -> i64 {
    s.store
        .query_scalar(&format!("SELECT COUNT(*) FROM {table}"), &[])
        .unwrap()
        .get()
        .unwrap()
}

fn schema_is_current_and_migration_idempotent(s: &mut TestStore) {
    assert_eq!(
        migrations::current_version(s.store.as_mut()).unwrap(),
        latest()
    );
    assert_eq!(
        migrations::migrate(s.store.as_mut()).unwrap(),
        Vec::<i64>::new()
    );
    // Reopening an existing database applies nothing either.
    let mut again = equitas_store::open(&s.target).unwrap();
    assert_eq!(
        migrations::current_version(again.as_mut()).unwrap(),
        latest()
    );
}

fn newer_schema_is_refused(s: &mut TestStore) {
    s.store
        .execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 'now')",
            &[Value::Int(latest() + 1)],
        )
        .unwrap();
    let err = equitas_store::open(&s.target).err().expect("must refuse");
    assert!(
        err.to_string().contains("newer than this Equitas knows"),
        "{err}"
    );
}

fn reference_imports_are_idempotent(s: &mut TestStore) {
    let r = run(s, ImportKind::Countries, COUNTRIES);
    assert_eq!(r.rows_read, 3);
    assert_eq!(
        r.written,
        vec![(
            "countries",
            Tally {
                inserted: 2,
                updated: 0,
                unchanged: 0,
                removed: 0
            }
        )]
    );
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].line, 4);
    assert_eq!(r.rejected[0].field.as_deref(), Some("ISO3166-1-Alpha-3"));

    let r = run(s, ImportKind::IncomeGroups, INCOME);
    assert_eq!(
        r.total(),
        Tally {
            inserted: 0,
            updated: 1,
            unchanged: 0,
            removed: 0
        }
    );
    assert_eq!(r.rejected.len(), 1);
    assert!(
        r.rejected[0]
            .to_string()
            .contains("ATL is not a known country")
    );

    // Again: nothing changes, nothing is duplicated, income groups survive
    // re-importing the country codes.
    let r = run(s, ImportKind::Countries, COUNTRIES);
    assert!(r.unchanged());
    assert_eq!(r.total().unchanged, 2);
    let r = run(s, ImportKind::IncomeGroups, INCOME);
    assert!(r.unchanged());
    assert_eq!(count(s, "countries"), 2);
    assert_eq!(count(s, "imports"), 2);
    let runs: i64 = s
        .store
        .query_scalar("SELECT CAST(SUM(runs) AS BIGINT) FROM imports", &[])
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(runs, 4);
    let ken = repo::list_countries(s.store.as_mut()).unwrap();
    let ken = ken.iter().find(|c| c.iso3 == "KEN").unwrap();
    assert_eq!(ken.income_group.as_deref(), Some("Lower middle income"));
    assert_eq!(ken.who_region.as_deref(), Some("AFRO"));
    assert_eq!(ken.numeric, Some(404));
    let sen = repo::list_countries(s.store.as_mut()).unwrap();
    assert!(
        sen.iter().any(|c| c.iso3 == "SEN"
            && c.least_developed
            && c.name_fr.as_deref() == Some("Sénégal"))
    );

    // A changed value is an update.
    let changed = COUNTRIES.replace("Kenya,Kenya,Kenya", "Republic of Kenya,Kenya,Kenya");
    let r = run(s, ImportKind::Countries, &changed);
    assert_eq!(
        r.total(),
        Tally {
            inserted: 0,
            updated: 1,
            unchanged: 1,
            removed: 0
        }
    );
}

fn location_hierarchy_is_checked(s: &mut TestStore) {
    run(s, ImportKind::Countries, COUNTRIES);
    let r = run(s, ImportKind::Locations, LOCATIONS);
    let msgs: Vec<String> = r.rejected.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        msgs,
        vec![
            "line 5, field `gln`: GLN: check digit is 3, expected 2 for 0614141123453",
            "line 6, field `parent`: location \"KE-99\" does not exist (parents must come before their children)",
            "line 8, field `country`: SEN differs from the parent's country KEN",
        ]
    );
    assert_eq!(r.total().inserted, 5);
    let c = repo::counts(s.store.as_mut()).unwrap();
    assert_eq!(
        (c.regions, c.districts, c.facilities, c.warehouses),
        (2, 1, 1, 1)
    );
    assert_eq!(count(s, "locations WHERE level = 'country'"), 2);
    // A GLN cannot belong to two locations.
    let dup =
        "code,name,level,parent,country,gln\nKE-X,Other,facility,KE-30-01,KEN,0614141123452\n";
    let r = run(s, ImportKind::Locations, dup);
    assert_eq!(r.rejected.len(), 1);
    assert!(
        r.rejected[0]
            .to_string()
            .contains("already the GLN of \"KE-30-01-F1\"")
    );
    // Level rules: a region cannot sit inside a district.
    let bad = "code,name,level,parent,country\nKE-R,R,region,KE-30-01,KEN\n";
    let r = run(s, ImportKind::Locations, bad);
    assert!(
        r.rejected[0]
            .to_string()
            .contains("a region cannot be inside a district"),
        "{:?}",
        r.rejected
    );
    // Issue 19: every problem of a row, one per field.
    let bad = "code,name,level,parent,country,gln\nKE-Y,Y,facility,KE-77,ZZZ,0614141123452\n";
    let r = run(s, ImportKind::Locations, bad);
    let fields: Vec<_> = r
        .rejected
        .iter()
        .map(|e| (e.line, e.field.as_deref()))
        .collect();
    assert_eq!(
        fields,
        [(2, Some("country")), (2, Some("parent")), (2, Some("gln"))],
        "{:?}",
        r.rejected
    );
    assert_eq!(r.rejected_rows(), 1);
    // A row leaving the GLN and coordinates blank keeps those stored (the
    // location's movements name it by GLN); the name is updated.
    let renamed = "code,name,level,parent,country,gln,latitude,longitude\nKE-30-01-F1,Westlands HC,facility,KE-30-01,KEN,,,\n";
    let r = run(s, ImportKind::Locations, renamed);
    assert_eq!(
        (r.total().updated, r.rejected.len()),
        (1, 0),
        "{:?}",
        r.rejected
    );
    let kept = s
        .store
        .query(
            "SELECT name, gln, latitude FROM locations WHERE code = 'KE-30-01-F1'",
            &[],
        )
        .unwrap();
    assert_eq!(
        kept[0],
        vec![
            Value::from("Westlands HC"),
            Value::from("0614141123452"),
            Value::from(-1.26)
        ]
    );
    // The same file again changes nothing.
    let r = run(s, ImportKind::Locations, renamed);
    assert_eq!(r.total().unchanged, 1);
}

struct PanicAfter {
    n: u64,
    seen: Cell<u64>,
}
impl Progress for PanicAfter {
    fn inc(&self, n: u64) {
        self.seen.set(self.seen.get() + n);
        if self.seen.get() >= self.n {
            panic!("simulated crash in the middle of an import");
        }
    }
}

fn snapshot(s: &mut TestStore) -> Vec<Vec<Value>> {
    s.store
        .query(
            "SELECT code, name, level, parent FROM locations ORDER BY code",
            &[],
        )
        .unwrap()
}

fn interrupted_import_leaves_database_as_before(s: &mut TestStore) {
    run(s, ImportKind::Countries, COUNTRIES);
    let before = snapshot(s);
    let imports_before = count(s, "imports");
    let store: &mut dyn Store = s.store.as_mut();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let _ = import(
            store,
            ImportKind::Locations,
            "locations.csv",
            LOCATIONS.as_bytes(),
            &Mappings::default(),
            opts(),
            &PanicAfter {
                n: 3,
                seen: Cell::new(0),
            },
        );
    }));
    assert!(result.is_err(), "the simulated crash must happen");
    assert_eq!(snapshot(s), before);
    assert_eq!(count(s, "imports"), imports_before);
    // The store is still usable and the import succeeds afterwards.
    let r = run(s, ImportKind::Locations, LOCATIONS);
    assert_eq!(r.total().inserted, 5);
}

fn strict_and_dry_run_change_nothing(s: &mut TestStore) {
    run(s, ImportKind::Countries, COUNTRIES);
    let before = snapshot(s);
    let err = import(
        s.store.as_mut(),
        ImportKind::Locations,
        "locations.csv",
        LOCATIONS.as_bytes(),
        &Mappings::default(),
        ImportOptions {
            strict: true,
            dry_run: false,
        },
        &NoProgress,
    )
    .unwrap_err();
    match &err {
        ImportError::Strict { errors, .. } => assert_eq!(errors.len(), 3),
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().starts_with("locations.csv: 3 bad row(s) and the import is strict (--strict, or strict=true in the API); nothing was imported. First: line 5, field `gln`"), "{err}");
    assert_eq!(snapshot(s), before);
    let r = import(
        s.store.as_mut(),
        ImportKind::Locations,
        "locations.csv",
        LOCATIONS.as_bytes(),
        &Mappings::default(),
        ImportOptions {
            strict: false,
            dry_run: true,
        },
        &NoProgress,
    )
    .unwrap();
    assert_eq!(r.total().inserted, 5);
    assert_eq!(snapshot(s), before);
}

fn organisation_roles_accumulate(s: &mut TestStore) {
    use equitas_model::{OrgRole, Organisation};
    let mut o = Organisation {
        code: "cipla".into(),
        name: "Cipla".into(),
        roles: vec![OrgRole::Supplier],
        country: None,
    };
    let mut tx = s.store.begin().unwrap();
    assert_eq!(
        repo::put_organisation(tx.as_mut(), &o).unwrap(),
        Outcome::Inserted
    );
    o.roles = vec![OrgRole::Manufacturer];
    o.country = Some("IND".into());
    assert_eq!(
        repo::put_organisation(tx.as_mut(), &o).unwrap(),
        Outcome::Updated
    );
    o.country = None;
    assert_eq!(
        repo::put_organisation(tx.as_mut(), &o).unwrap(),
        Outcome::Unchanged
    );
    tx.commit().unwrap();
    let roles: String = s
        .store
        .query_scalar("SELECT roles FROM organisations WHERE code = 'cipla'", &[])
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(roles, "manufacturer,supplier");
}

fn full_scms_import_accounts_for_every_row(s: &mut TestStore) {
    let imp = |s: &mut TestStore, kind: ImportKind, file: &str| import_data(s, kind, file);
    // SCMS needs the countries first.
    imp(s, ImportKind::Countries, "country-codes.csv");
    let r = imp(s, ImportKind::Scms, "supply_chain_shipment_pricing.csv");
    assert_eq!(r.rows_read, 10_324);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
    let lines = r
        .written
        .iter()
        .find(|(k, _)| *k == "procurement lines")
        .unwrap()
        .1;
    assert_eq!(lines.inserted, 10_324);
    assert!(
        r.notes.is_empty(),
        "every site is in the reviewed mapping: {:?}",
        r.notes
    );
    // Gaps counted from the file by hand (see shared/README.md quirks).
    let gap = |f: &str, k: &str| {
        r.gaps
            .iter()
            .filter(|((field, kind), _)| *field == f && kind.as_str() == k)
            .map(|(_, n)| *n)
            .sum::<u64>()
    };
    assert_eq!(gap("freight", "included_in_commodity_cost"), 1442);
    assert_eq!(gap("freight", "see_other_shipment"), 1937 + 508);
    assert_eq!(gap("freight", "invoiced_separately"), 239);
    assert_eq!(gap("weight_kg", "captured_separately"), 1507);
    assert_eq!(gap("order_date", "not_applicable_from_rdc"), 5404);
    assert_eq!(gap("quote_date", "pre_pq_process"), 2476);
    assert_eq!(gap("mode", "blank"), 360);
    assert_eq!(gap("insurance", "blank"), 287);
    // "Not Applicable" as the manufacturing site: no site (formulas 6.1).
    assert_eq!(gap("site", "not_applicable"), 12);
    let stored: i64 = repo::gap_counts(s.store.as_mut())
        .unwrap()
        .iter()
        .map(|(_, _, n)| *n)
        .sum();
    assert_eq!(stored as u64, r.gaps.values().sum::<u64>());

    let c = repo::counts(s.store.as_mut()).unwrap();
    assert_eq!(c.procurement_lines, 10_324);
    assert_eq!(c.procurement_buyer_countries, 43);
    assert_eq!(c.suppliers, 73);
    // 88 site names, less "Not Applicable", which names none.
    assert_eq!(c.sites, 87);
    assert_eq!(c.sites_with_country, 83);
    assert!(
        (c.procurement_value_usd - 1_627_584_457.29).abs() < 0.01,
        "{}",
        c.procurement_value_usd
    );
    assert_eq!(c.first_delivery.as_deref(), Some("2006-05-02"));
    assert_eq!(c.last_delivery.as_deref(), Some("2015-09-14"));

    // Value by manufacturing country, checked against an independent sum
    // of the CSV: India 1,301,528,351.66 US$ = 79.97 % of the total.
    let by = repo::value_by_manufacturing_country(s.store.as_mut()).unwrap();
    let ind = by
        .iter()
        .find(|(k, _)| k.as_deref() == Some("IND"))
        .unwrap()
        .1;
    assert!((ind - 1_301_528_351.66).abs() < 0.01, "{ind}");
    let sum: f64 = by.iter().map(|(_, v)| v).sum();
    assert!((sum - c.procurement_value_usd).abs() < 0.01);

    // Importing the same file again changes nothing.
    let r = imp(s, ImportKind::Scms, "supply_chain_shipment_pricing.csv");
    assert!(r.unchanged(), "{:?}", r.written);
    assert_eq!(count(s, "procurement_lines"), 10_324);
}

on_both_backends! {
    schema_is_current => schema_is_current_and_migration_idempotent,
    newer_schema => newer_schema_is_refused,
    reference_imports => reference_imports_are_idempotent,
    locations => location_hierarchy_is_checked,
    interrupted_import => interrupted_import_leaves_database_as_before,
    strict_and_dry_run => strict_and_dry_run_change_nothing,
    organisation_roles => organisation_roles_accumulate,
    full_scms_import => full_scms_import_accounts_for_every_row,
    one_row_per_key => a_second_row_of_a_key_is_rejected_naming_the_first,
    rejected_row_claims_no_key => a_rejected_row_leaves_its_key_to_a_corrected_one,
}

/// A file holds one row per key (a country's wage, a product, a
/// regulator's pathway, an item's lead time from a supplier): a later row
/// of the same key is rejected naming the line of the first, rather than
/// overwriting it within the same import (user pass: the last of two KEN
/// wages won, counted "updated"). The first row is imported.
fn a_second_row_of_a_key_is_rejected_naming_the_first(s: &mut TestStore) {
    let run = |s: &mut TestStore, kind: ImportKind, csv: &str| {
        equitas_store::testing::import_bytes(s, kind, "dup.csv", csv.as_bytes())
    };
    run(s, ImportKind::Countries, COUNTRIES);
    let r = run(
        s,
        ImportKind::Wages,
        "country,daily_wage,currency,exchange_rate,source\nKEN,500,KES,130,first\nSEN,2000,XOF,600,s\nKEN,900,KES,130,second\n",
    );
    assert_eq!((r.rows_read, r.total().inserted), (3, 2), "{r:?}");
    assert_eq!(r.rejected.len(), 1, "{r:?}");
    assert_eq!(
        r.rejected[0].to_string(),
        "line 4, field `country`: a second row for the same country (KEN) as line 2; a file holds one row per country"
    );
    let wage: f64 = s
        .store
        .query_scalar("SELECT daily_wage FROM wages WHERE country = 'KEN'", &[])
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(wage, 500.0, "the first row's");
    let r = run(
        s,
        ImportKind::Products,
        "code,name,programme\nMY-001,One,hiv\nMY-001,Two,hiv\n",
    );
    assert_eq!((r.total().inserted, r.total().updated), (1, 0), "{r:?}");
    assert!(
        r.rejected[0]
            .to_string()
            .contains("same product and trade item (MY-001) as line 2"),
        "{r:?}"
    );
    // Two packs of one product (their GTINs) are two rows of its code.
    let r = run(
        s,
        ImportKind::Products,
        "code,name,programme,gtin,pack_size\nTLD,TLD,hiv,09520000000110,30\nTLD,TLD,hiv,09520000000127,90\n",
    );
    assert!(r.rejected.is_empty(), "{r:?}");
    // Lead times: several rows of an item and supplier are routes, the
    // shortest applying (formulas 4.7), never duplicates.
    let r = run(
        s,
        ImportKind::LeadTimes,
        "item,supplier,order_months,production_months,transport_months,receipt_months\nMY-001,A,1,1,1,0\nMY-001,A,1,2,1,0\n",
    );
    assert!(r.rejected.is_empty(), "{r:?}");
    // Different keys are no duplicates.
    let r = run(
        s,
        ImportKind::Regulators,
        "country,authority,pathway,source\nKEN,PPB,standard,s\nKEN,PPB,reliance,s\nKEN,PPB,standard,s\n",
    );
    assert_eq!(r.rejected.len(), 1, "{r:?}");
    assert_eq!(r.rejected[0].line, 4, "{r:?}");
}

/// Only a row imported claims its key: a first row of a key rejected (a
/// bad field read, or a country, product or parent the database lacks
/// when written) leaves the key to a corrected row of the same key
/// further down, which is imported, the first reported rejected with its
/// own reason (user pass: the corrected row was rejected as a duplicate of
/// the bad one, and neither was imported). A third row of the key is then
/// a duplicate of the corrected one.
fn a_rejected_row_leaves_its_key_to_a_corrected_one(s: &mut TestStore) {
    let run = |s: &mut TestStore, kind: ImportKind, csv: &str| {
        equitas_store::testing::import_bytes(s, kind, "fix.csv", csv.as_bytes())
    };
    run(s, ImportKind::Countries, COUNTRIES);
    let fields = |r: &equitas_store::import::ImportReport| {
        r.rejected
            .iter()
            .map(|e| (e.line, e.to_string()))
            .collect::<Vec<_>>()
    };
    // Rejected when read: a wage that is no number.
    let r = run(
        s,
        ImportKind::Wages,
        "country,daily_wage,currency,exchange_rate,source\nKEN,lots,KES,130,typo\nKEN,500,KES,130,fixed\n",
    );
    assert_eq!((r.rows_read, r.total().inserted), (2, 1), "{r:?}");
    assert_eq!(r.rejected_rows(), 1, "{r:?}");
    assert_eq!(r.rejected[0].line, 2, "{r:?}");
    assert!(r.rejected[0].to_string().contains("daily_wage"), "{r:?}");
    // Rejected when written: the site's country is unknown (the key is the
    // site); the corrected row is imported, and a third row of the site is
    // a duplicate of the corrected one, not of the bad one.
    let r = run(
        s,
        ImportKind::SupplySites,
        "site,name,organisation,country,status,source\nS1,Plant,Org,XYZ,operational,s\nS1,Plant,Org,KEN,operational,s\nS1,Plant,Org,SEN,operational,s\n",
    );
    assert_eq!((r.rows_read, r.total().inserted), (3, 1), "{r:?}");
    let f = fields(&r);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0].0, 2, "{f:?}");
    assert!(f[0].1.contains("XYZ is not a known country"), "{f:?}");
    assert_eq!(
        f[1],
        (
            4,
            "line 4, field `site`: a second row for the same site (S1) as line 3; a file holds one row per site".to_string()
        )
    );
    let country: String = s
        .store
        .query_scalar("SELECT country FROM supply_sites WHERE site = 'S1'", &[])
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(country, "KEN", "the corrected row's");
    // A location under a parent the database lacks, then the same code
    // under its country: the second is imported.
    let r = run(
        s,
        ImportKind::Locations,
        "code,name,level,parent,country,gln\nD1,District,district,NOPE,KEN,\nD1,District,district,KEN,KEN,\n",
    );
    assert_eq!(r.total().inserted, 1, "{r:?}");
    let f = fields(&r);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, 2, "{f:?}");
    assert!(!f[0].1.contains("second row"), "{f:?}");
}
