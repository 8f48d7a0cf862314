//! Supply security (issue 20) on SQLite and PostgreSQL: the registers'
//! imports, the tiers of supply on the real SCMS file and the single-source
//! vaccine types of the WHO PQ list, each checked against a computation
//! made here from the CSV files with the `csv` reader alone (not Equitas's
//! parsers or indicators). The figures written out were also computed by a
//! short Python script over the same files.

use equitas_market::analysis::Weight;
use equitas_store::import::{ImportKind, ImportOptions, NoProgress, import};
use equitas_store::market::Filter;
use equitas_store::on_both_backends;
use equitas_store::supply;
use equitas_store::testing::{TestStore, data_file, import_bytes, shipped_mappings};
use equitas_supply::{Tier, reach, regional, sources_per_type, supply_tiers};
use std::collections::{BTreeMap, BTreeSet, HashMap};

fn countries(s: &mut TestStore) {
    import_bytes(
        s,
        ImportKind::Countries,
        "countries",
        &data_file("country-codes.csv"),
    );
}

const SITES: &str = "site,name,organisation,country,status,source,platform,capacity_min,capacity_max,capacity_unit,approvals,source_date\n\
    afrigen-cpt,Afrigen Biologics,Afrigen Biologics,ZAF,technology-transfer-recipient,https://example.org/hub,mRNA,,,,,2025-01-01\n\
    bio-x,Bio X,Bio X,KEN,planned,https://example.org/x,viral vector,10,20,million doses,national@2024-02-01,\n\
    bad-1,Bad,Bad,XXX,planned,u,,,,,,\n";

fn registers(s: &mut TestStore) {
    countries(s);
    let opts = |strict, dry_run| ImportOptions { strict, dry_run };
    let run = |s: &mut TestStore, kind, csv: &str, o| {
        import(
            s.store.as_mut(),
            kind,
            "f.csv",
            csv.as_bytes(),
            &shipped_mappings(),
            o,
            &NoProgress,
        )
    };
    // --strict: nothing written; --dry-run: counted, then rolled back.
    assert!(run(s, ImportKind::SupplySites, SITES, opts(true, false)).is_err());
    let dry = run(s, ImportKind::SupplySites, SITES, opts(false, true)).unwrap();
    assert_eq!(dry.total().inserted, 2);
    let count = |s: &mut TestStore, t: &str| -> i64 {
        s.store
            .query_scalar(&format!("SELECT COUNT(*) FROM {t}"), &[])
            .unwrap()
            .get()
            .unwrap()
    };
    assert_eq!(count(s, "supply_sites"), 0);
    let r = import_bytes(s, ImportKind::SupplySites, "sites.csv", SITES.as_bytes());
    assert_eq!(r.total().inserted, 2);
    assert_eq!(
        r.rejected[0].located("sites.csv"),
        "sites.csv:4: country: XXX is not a known country (import the country codes first)"
    );
    let again = import_bytes(s, ImportKind::SupplySites, "sites.csv", SITES.as_bytes());
    assert!(again.unchanged(), "a second import changes nothing");
    // Read back as parsed.
    let parsed = equitas_supply::registers::parse_sites(SITES.as_bytes()).unwrap();
    let mut stored = supply::sites(s.store.as_mut()).unwrap();
    stored.sort_by(|a, b| a.site.cmp(&b.site));
    // (The row of an unknown country was rejected by the import.)
    let want: Vec<_> = parsed
        .records
        .into_iter()
        .map(|(_, r)| r)
        .filter(|r| r.country != "XXX")
        .collect();
    assert_eq!(stored, want);

    let lic = "programme,licensor,licensee,technology,status,source,territory,start\n\
               who-mrna,Afrigen Biologics,Biovac,mRNA platform,active,u,ZAF,2022-01-01\n\
               mpp,Originator,Generic Co,drug,active,u,KEN;ZZZ,\n";
    let r = import_bytes(s, ImportKind::Licences, "lic.csv", lic.as_bytes());
    assert_eq!(r.total().inserted, 1);
    assert_eq!(r.rejected[0].field.as_deref(), Some("territory"));
    assert!(import_bytes(s, ImportKind::Licences, "lic.csv", lic.as_bytes()).unchanged());
    let stored = supply::licences(s.store.as_mut()).unwrap();
    assert_eq!(
        stored,
        vec![
            equitas_supply::registers::parse_licences(lic.as_bytes())
                .unwrap()
                .records
                .remove(0)
                .1
        ]
    );

    let reg = "country,authority,pathway,source,gbt_level,gbt_year,wla,days_to_authorise\n\
               ZAF,SAHPRA,standard,u,3,2022,,\n\
               ZAF,SAHPRA,WHO collaborative registration procedure,u,3,2022,,90\n";
    assert_eq!(
        import_bytes(s, ImportKind::Regulators, "reg.csv", reg.as_bytes())
            .total()
            .inserted,
        2
    );
    // A changed fact updates its row.
    let changed = reg.replace(",90\n", ",80\n");
    let r = import_bytes(s, ImportKind::Regulators, "reg.csv", changed.as_bytes());
    assert_eq!((r.total().updated, r.total().unchanged), (1, 1));
    let rows = supply::regulators(s.store.as_mut(), Some("ZAF")).unwrap();
    assert_eq!(rows.len(), 2);
    let crp = &rows[0];
    assert_eq!(crp.pathway, "WHO collaborative registration procedure");
    assert_eq!(crp.days_to_authorise, Some(80));
    assert_eq!((crp.gbt_level, crp.gbt_year), (Some(3), Some(2022)));
    assert_eq!(rows[1].days_to_authorise, None);
}

/// The registers shipped with Equitas (`equitas demo` loads them) import
/// cleanly, even with `--strict`, every row with a source and a date.
fn shipped_registers(s: &mut TestStore) {
    countries(s);
    for (kind, file, rows) in [
        (ImportKind::Licences, "supply-mrna-programme.csv", 17),
        (ImportKind::Licences, "supply-c-tap-licences.csv", 2),
        (ImportKind::Regulators, "supply-regulators.csv", 5),
    ] {
        let bytes = data_file(file);
        let r = import(
            s.store.as_mut(),
            kind,
            file,
            &bytes,
            &shipped_mappings(),
            ImportOptions {
                strict: true,
                dry_run: false,
            },
            &NoProgress,
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(r.total().inserted, rows, "{file}");
        let mut csv = csv::Reader::from_reader(bytes.as_slice());
        let h = csv.headers().unwrap().clone();
        let (src, date) = (
            h.iter().position(|x| x == "source").unwrap(),
            h.iter().position(|x| x == "source_date").unwrap(),
        );
        for rec in csv.records() {
            let rec = rec.unwrap();
            assert!(rec[src].starts_with("https://"), "{file}: {rec:?}");
            assert!(!rec[date].is_empty(), "{file}: {rec:?}");
        }
    }
    let regs = supply::regulators(s.store.as_mut(), None).unwrap();
    assert!(
        regs.iter()
            .all(|r| r.gbt_level == Some(3) && r.gbt_year.is_some())
    );
}

/// Independent figures per product (molecule/test type, dosage, base
/// dosage form) or per product and buying country: (groups, HHI rounded) by
/// manufacturer, site and producing country, from the raw CSV and the site mapping.
fn independent_tiers(per_country: bool) -> Vec<[(usize, i64); 3]> {
    let mut sites: HashMap<String, (String, String)> = HashMap::new();
    let bytes = data_file("scms-manufacturing-sites.csv");
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    for rec in r.records() {
        let rec = rec.unwrap();
        sites.insert(
            rec[0].trim().to_string(),
            (rec[1].trim().to_string(), rec[2].trim().to_string()),
        );
    }
    let bytes = data_file("supply_chain_shipment_pricing.csv");
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (molecule, dosage, form, country, value, site) = (
        col("molecule/test type"),
        col("dosage"),
        col("dosage form"),
        col("country"),
        col("line item value"),
        col("manufacturing site"),
    );
    type Groups = BTreeMap<String, f64>;
    let mut by: BTreeMap<Vec<String>, [Groups; 3]> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let Ok(v) = rec[value].replace(',', "").parse::<f64>() else {
            continue;
        };
        if v <= 0.0 {
            continue;
        }
        // The catalogue's product identity: molecule, strength and the
        // dosage form before " - " (`Tablet - FDC` is a tablet), lowercased.
        let base = rec[form]
            .split(" - ")
            .next()
            .unwrap_or("")
            .trim()
            .to_lowercase();
        let mut key: Vec<String> = vec![
            rec[molecule].trim().to_string(),
            rec[dosage].trim().to_string(),
            base,
        ];
        if per_country {
            key.push(rec[country].trim().to_string());
        }
        // "Not Applicable": the source states no manufacturing site, so the
        // line's manufacturer, site and country are unknown (formulas 6.1).
        let s = match rec[site].trim() {
            "Not Applicable" => "",
            s => s,
        };
        let mapped = sites.get(s);
        let known = [
            mapped.map(|m| m.0.clone()).filter(|x| !x.is_empty()),
            Some(s.to_string()).filter(|x| !x.is_empty()),
            mapped.map(|m| m.1.clone()).filter(|x| !x.is_empty()),
        ];
        if known.iter().all(Option::is_none) {
            continue;
        }
        let e = by.entry(key).or_default();
        for (t, g) in known.into_iter().enumerate() {
            if let Some(g) = g {
                *e[t].entry(g).or_default() += v;
            }
        }
    }
    let mut out: Vec<[(usize, i64); 3]> = by
        .values()
        .map(|tiers| {
            let f = |g: &Groups| {
                let total: f64 = g.values().sum();
                let hhi: f64 = g.values().map(|x| (100.0 * x / total).powi(2)).sum();
                if g.is_empty() {
                    (0, -1)
                } else {
                    (g.len(), hhi.round() as i64)
                }
            };
            [f(&tiers[0]), f(&tiers[1]), f(&tiers[2])]
        })
        .collect();
    out.sort();
    out
}

fn scms_tiers(s: &mut TestStore) {
    countries(s);
    import_bytes(
        s,
        ImportKind::Scms,
        "scms",
        &data_file("supply_chain_shipment_pricing.csv"),
    );
    for per_country in [false, true] {
        let (links, obs) = supply::flows(
            s.store.as_mut(),
            &Filter::default(),
            per_country,
            Weight::Value,
        )
        .unwrap();
        assert_eq!(obs.len(), 10_324);
        let rows = supply_tiers(&links);
        let mut ours: Vec<[(usize, i64); 3]> = rows
            .iter()
            .map(|r| {
                let f = |t| {
                    r.tier(t)
                        .map_or((0, -1), |c| (c.groups, c.hhi.round() as i64))
                };
                [f(Tier::Manufacturer), f(Tier::Site), f(Tier::Country)]
            })
            .collect();
        ours.sort();
        let theirs = independent_tiers(per_country);
        assert_eq!(ours.len(), theirs.len(), "rows, per country: {per_country}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a, b, "per country: {per_country}");
        }
        let single_country = rows.iter().filter(|r| r.single_country).count();
        let single_source = rows.iter().filter(|r| r.single_source).count();
        if per_country {
            // Python: 891 product x country rows, 779 single-country (the
            // lines of "Not Applicable" sites of unknown origin).
            assert_eq!((rows.len(), single_country), (891, 779));
            let ng = rows
                .iter()
                .find(|r| r.key == ["efavirenz-600mg-tablet", "NGA"])
                .unwrap();
            let hhi = |t| ng.tier(t).unwrap().hhi;
            assert!((hhi(Tier::Manufacturer) - 4099.891).abs() < 0.001);
            assert!((hhi(Tier::Site) - 4005.405).abs() < 0.001);
            assert!(ng.single_country && !ng.single_source);
        } else {
            // Python: 132 products with a known manufacturer, site or
            // country (2 have only "Not Applicable" sites), 79
            // single-country, 77 single-manufacturer; weakest tier:
            // manufacturer 92, country 40.
            assert_eq!((rows.len(), single_country, single_source), (132, 79, 77));
            let weakest = |t| rows.iter().filter(|r| r.weakest == t).count();
            assert_eq!(
                (weakest(Tier::Manufacturer), weakest(Tier::Country)),
                (92, 40)
            );
            let efv = rows
                .iter()
                .find(|r| r.key == ["efavirenz-600mg-tablet"])
                .unwrap();
            let hhi = |t| efv.tier(t).unwrap().hhi;
            assert!((hhi(Tier::Manufacturer) - 2830.042).abs() < 0.001);
            assert!((hhi(Tier::Site) - 2771.306).abs() < 0.001);
            assert!((hhi(Tier::Country) - 9990.788).abs() < 0.001);
            assert_eq!(efv.weakest, Tier::Country);
        }
    }

    // Ingredient sources: one efavirenz site's ingredient from China, all of
    // another site's products from India.
    let (links, _) = supply::flows(
        s.store.as_mut(),
        &Filter {
            products: vec!["efavirenz-600mg-tablet".into()],
            ..Default::default()
        },
        false,
        Weight::Value,
    )
    .unwrap();
    let mut by_site: BTreeMap<String, f64> = BTreeMap::new();
    for l in &links {
        *by_site.entry(l.site.clone().unwrap()).or_default() += l.weight;
    }
    let mut sites = by_site.iter();
    let ((a, wa), (b, wb)) = (sites.next().unwrap(), sites.next().unwrap());
    let csv = format!(
        "site,product,ingredient,api_manufacturer,api_country,source\n\
         {a},efavirenz-600mg-tablet,efavirenz,API one,CHN,test\n\
         {b},,efavirenz,API two,IND,test\n\
         {b},,efavirenz,API three,CHN,test\n\
         {b},no-such-product,efavirenz,API four,CHN,test\n"
    );
    let r = import_bytes(s, ImportKind::IngredientSources, "api.csv", csv.as_bytes());
    assert_eq!(r.total().inserted, 3);
    assert_eq!(r.rejected[0].line, 5);
    let (links, _) = supply::flows(
        s.store.as_mut(),
        &Filter {
            products: vec!["efavirenz-600mg-tablet".into()],
            ..Default::default()
        },
        false,
        Weight::Value,
    )
    .unwrap();
    let row = &supply_tiers(&links)[0];
    let ing = row.tier(Tier::IngredientCountry).unwrap();
    let total: f64 = by_site.values().sum();
    let (chn, ind) = (wa + wb / 2.0, wb / 2.0);
    let want = (100.0 * chn / (chn + ind)).powi(2) + (100.0 * ind / (chn + ind)).powi(2);
    assert_eq!(ing.groups, 2);
    assert!((ing.hhi - want).abs() < 1e-6, "{} {want}", ing.hhi);
    assert!((ing.unknown_share - (1.0 - (wa + wb) / total)).abs() < 1e-9);
}

/// Regulatory reach: authorisations valid on a date, procurement demand in
/// the countries whose register is loaded, the fastest pathway.
fn regulatory_reach(s: &mut TestStore) {
    countries(s);
    import_bytes(
        s,
        ImportKind::Scms,
        "scms",
        &data_file("supply_chain_shipment_pricing.csv"),
    );
    let ma = "country,number,product_name,product,holder,manufacturer,status,valid_from,valid_to\n\
              KEN,H1,Efavirenz 600mg,efavirenz-600mg-tablet,Cipla,Cipla Goa,valid,2020-01-01,2030-01-01\n\
              KEN,H2,Efavirenz 600mg,efavirenz-600mg-tablet,Mylan,,valid,2020-01-01,2030-01-01\n\
              KEN,H3,Nevirapine 200mg,nevirapine-200mg-tablet,Aurobindo,Aurobindo,valid,2020-01-01,2021-01-01\n";
    import_bytes(s, ImportKind::Authorisations, "ma.csv", ma.as_bytes());
    let reg = "country,authority,pathway,source,days_to_authorise\n\
               KEN,PPB,standard,u,365\n\
               KEN,PPB,WHO collaborative registration procedure,u,90\n";
    import_bytes(s, ImportKind::Regulators, "reg.csv", reg.as_bytes());
    let on = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let a = supply::authorisations(s.store.as_mut(), on, None).unwrap();
    assert_eq!(a.len(), 3, "every authorisation loaded is read");
    assert_eq!(
        a.iter().filter(|a| a.valid).count(),
        2,
        "the expired authorisation does not count"
    );
    let demand = supply::demand(s.store.as_mut(), None).unwrap();
    let kenya: BTreeSet<&str> = demand
        .iter()
        .filter(|(c, _)| c == "KEN")
        .map(|(_, p)| p.as_str())
        .collect();
    let regs = supply::regulators(s.store.as_mut(), None).unwrap();
    let rows = reach::reach(&a, &demand, &regs, 3, 5);
    assert!(
        rows.iter().all(|r| r.country == "KEN"),
        "only Kenya's register is loaded"
    );
    // The expired nevirapine authorisation keeps its product, with 0 sources.
    let want: BTreeSet<&str> = kenya
        .iter()
        .copied()
        .chain(["efavirenz-600mg-tablet", "nevirapine-200mg-tablet"])
        .collect();
    assert_eq!(rows.len(), want.len());
    let efv = rows
        .iter()
        .find(|r| r.product == "efavirenz-600mg-tablet")
        .unwrap();
    assert_eq!(
        (efv.sources, efv.alternative, efv.days_to_authorise),
        (2, true, None)
    );
    let nvp = rows
        .iter()
        .find(|r| r.product == "nevirapine-200mg-tablet")
        .unwrap();
    assert_eq!((nvp.sources, nvp.alternative), (0, false));
    // A product Kenya buys with no valid authorisation (the nevirapine one expired).
    let other = kenya
        .iter()
        .find(|p| **p != "efavirenz-600mg-tablet")
        .unwrap();
    let nvp = rows.iter().find(|r| r.product == *other).unwrap();
    assert_eq!((nvp.sources, nvp.alternative), (0, false));
    assert_eq!(nvp.days_to_authorise, Some(90));
    assert_eq!(
        nvp.pathway.as_deref(),
        Some("WHO collaborative registration procedure")
    );
}

/// The share produced in each WHO region and each country's dependence,
/// against one SQL aggregate over the stored lines (not the Rust path).
fn geographic(s: &mut TestStore) {
    countries(s);
    import_bytes(
        s,
        ImportKind::IncomeGroups,
        "income",
        &data_file("who_regions_wb_income.csv"),
    );
    import_bytes(
        s,
        ImportKind::Scms,
        "scms",
        &data_file("supply_chain_shipment_pricing.csv"),
    );
    let (flows, _) = supply::regional_flows(
        s.store.as_mut(),
        &Filter::default(),
        Weight::Value,
        regional::Regions::Who,
    )
    .unwrap();
    let rows = regional::regional(&flows);
    let sql = s
        .store
        .query(
            "SELECT b.who_region,
                    SUM(l.value),
                    SUM(CASE WHEN m.country IS NOT NULL THEN l.value ELSE 0 END),
                    SUM(CASE WHEN p.who_region = b.who_region THEN l.value ELSE 0 END)
             FROM procurement_lines l
             JOIN countries b ON b.iso3 = l.buyer_country
             LEFT JOIN manufacturing_sites m ON m.code = l.site
             LEFT JOIN countries p ON p.iso3 = m.country
             WHERE l.value > 0 AND b.who_region IS NOT NULL
             GROUP BY b.who_region ORDER BY b.who_region",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), sql.len());
    for (r, q) in rows.iter().zip(&sql) {
        let region: String = q[0].get().unwrap();
        let (total, known, inside): (f64, f64, f64) = (
            q[1].get().unwrap(),
            q[2].get().unwrap(),
            q[3].get().unwrap(),
        );
        assert_eq!(r.region, region);
        assert!((r.total - total).abs() < 1e-6 * total, "{region}");
        assert!(
            (r.share_in_region.unwrap() - inside / known).abs() < 1e-9,
            "{region}"
        );
        assert!(
            (r.unknown_share - (total - known) / total).abs() < 1e-9,
            "{region}"
        );
    }
    // The buyers are in AFRO, EMRO, EURO, PAHO and WPRO; African buyers got
    // 2.0% of the value with a known origin made in Africa.
    let afro = rows.iter().find(|r| r.region == "AFRO").unwrap();
    assert!(
        (afro.share_in_region.unwrap() - 0.020).abs() < 0.0005,
        "{afro:?}"
    );

    // The African Union as one region, against the same SQL over its members.
    let members: Vec<String> = regional::AFRICAN_UNION
        .iter()
        .map(|k| format!("'{k}'"))
        .collect();
    let known: i64 = s
        .store
        .query_scalar(
            &format!(
                "SELECT COUNT(*) FROM countries WHERE iso3 IN ({})",
                members.join(",")
            ),
            &[],
        )
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(known, 55, "every member is an ISO 3166 country of the list");
    let (au_flows, _) = supply::regional_flows(
        s.store.as_mut(),
        &Filter::default(),
        Weight::Value,
        regional::Regions::AfricanUnion,
    )
    .unwrap();
    let au = regional::regional(&au_flows);
    assert_eq!(au.len(), 1);
    let q = s
        .store
        .query(
            &format!(
                "SELECT SUM(l.value),
                        SUM(CASE WHEN m.country IS NOT NULL THEN l.value ELSE 0 END),
                        SUM(CASE WHEN m.country IN ({0}) THEN l.value ELSE 0 END)
                 FROM procurement_lines l
                 LEFT JOIN manufacturing_sites m ON m.code = l.site
                 WHERE l.value > 0 AND l.buyer_country IN ({0})",
                members.join(",")
            ),
            &[],
        )
        .unwrap();
    let (total, known, inside): (f64, f64, f64) = (
        q[0][0].get().unwrap(),
        q[0][1].get().unwrap(),
        q[0][2].get().unwrap(),
    );
    assert!((au[0].total - total).abs() < 1e-6 * total);
    assert!((au[0].share_in_region.unwrap() - inside / known).abs() < 1e-9);

    let dep = regional::dependence(&flows);
    let nga: f64 = dep
        .iter()
        .filter(|d| d.country == "NGA")
        .map(|d| d.share)
        .sum();
    assert!((nga - 1.0).abs() < 1e-9);
}

/// Matchmaking on the SCMS file with a small sites and licences register:
/// demand and what is made in the region against an SQL aggregate.
fn matchmaking(s: &mut TestStore) {
    countries(s);
    for (kind, file) in [
        (ImportKind::IncomeGroups, "who_regions_wb_income.csv"),
        (ImportKind::Scms, "supply_chain_shipment_pricing.csv"),
    ] {
        import_bytes(s, kind, file, &data_file(file));
    }
    let sites = "site,name,organisation,country,status,source,products,approvals\n\
                 zaf-1,ZA plant,ZA Pharma,ZAF,operational,test,efavirenz-600mg-tablet,who-pq@2020-01-01\n\
                 ken-1,KE plant,KE Pharma,KEN,scaling-up,test,lamivudine-150mg-tablet,national\n";
    import_bytes(s, ImportKind::SupplySites, "sites.csv", sites.as_bytes());
    let (flows, obs) = supply::regional_flows(
        s.store.as_mut(),
        &Filter::default(),
        Weight::Value,
        regional::Regions::Who,
    )
    .unwrap();
    let pf: Vec<(String, regional::Flow)> =
        obs.iter().map(|o| o.product.clone()).zip(flows).collect();
    let regions = supply::who_regions(s.store.as_mut()).unwrap();
    let rows = equitas_supply::matching::matchmaking(
        &pf,
        &supply::sites(s.store.as_mut()).unwrap(),
        &supply::licences(s.store.as_mut()).unwrap(),
        &regions,
        None,
    );
    let get = |p: &str| {
        rows.iter()
            .find(|r| r.region == "AFRO" && r.product == p)
            .unwrap()
    };
    let efv = get("efavirenz-600mg-tablet");
    assert_eq!(efv.qualified_producers, vec!["zaf-1"]);
    assert!(!efv.priority);
    let lam = get("lamivudine-150mg-tablet");
    assert_eq!((lam.producers.len(), lam.qualified_producers.len()), (1, 0));
    assert!(lam.priority);
    assert_eq!(
        rows[0].product, "lamivudine-150mg-tablet",
        "the only priority gap comes first"
    );
    let q = s
        .store
        .query(
            "SELECT SUM(l.value),
                    SUM(CASE WHEN p.who_region = 'AFRO' THEN l.value ELSE 0 END)
             FROM procurement_lines l
             JOIN countries b ON b.iso3 = l.buyer_country
             LEFT JOIN manufacturing_sites m ON m.code = l.site
             LEFT JOIN countries p ON p.iso3 = m.country
             WHERE l.value > 0 AND b.who_region = 'AFRO' AND l.product = $1",
            &["efavirenz-600mg-tablet".into()],
        )
        .unwrap();
    let (d, inside): (f64, f64) = (q[0][0].get().unwrap(), q[0][1].get().unwrap());
    assert!((efv.demand - d).abs() < 1e-6 * d);
    assert!((efv.made_in_region - inside).abs() < 1e-6 * d.max(1.0));
    assert!((efv.uncovered - (d - inside)).abs() < 1e-6 * d);
}

fn pq_single_source(s: &mut TestStore) {
    let Some(path) = equitas_doc_vectors::conformance::shared(
        "data/who-pq/prequalified_vaccines.csv",
        "the WHO PQ single-source part",
    ) else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    import_bytes(s, ImportKind::WhoPqVaccines, "pq.csv", &bytes);
    let entries = supply::prequalified(s.store.as_mut(), "vaccines").unwrap();
    let rows = sources_per_type(&entries, 3, 5);

    // Independently: type -> manufacturers, products per authority.
    type Acc = (BTreeSet<String>, BTreeMap<String, usize>);
    let mut by_type: BTreeMap<String, Acc> = BTreeMap::new();
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x.trim() == n).unwrap();
    let (t, m, a) = (
        col("Vaccine Type"),
        col("Manufacturer"),
        col("Responsible NRA"),
    );
    for rec in r.records() {
        let rec = rec.unwrap();
        let e = by_type.entry(rec[t].trim().to_string()).or_default();
        e.0.insert(rec[m].trim().to_string());
        let auth = match rec[a].trim() {
            "" => "not stated",
            x => x,
        };
        *e.1.entry(auth.to_string()).or_default() += 1;
    }
    assert_eq!(rows.len(), by_type.len());
    // Python over the same file: 57 types, 18 made by one manufacturer.
    assert_eq!(rows.len(), 57);
    assert_eq!(rows.iter().filter(|r| r.single_source).count(), 18);
    for row in &rows {
        let (ms, auths) = &by_type[&row.product_type];
        assert_eq!(
            row.manufacturers,
            ms.iter().cloned().collect::<Vec<_>>(),
            "{}",
            row.product_type
        );
        assert_eq!(&row.authorities, auths, "{}", row.product_type);
        assert_eq!(row.single_source, ms.len() == 1);
    }
}

/// The user's `tenders2.csv` (issue of 2026-12-07), in the layout of
/// docs/procurement-mapping.toml: Bar Pharma made in China on line 3 and
/// in India ("Inde") on line 4, Lupin in India on line 2 and in China
/// ("Chine") on line 5. Line 6 writes its delivery date day first.
const TENDERS2: &str = "Line ID,Country,Supplier,INN,Packs,Strength,Dosage form,Units per pack,Line value,Manufacturer,Country of manufacture,PO date,Planned delivery,Delivered,Mode\n\
    T1,CIV,GDF,Isoniazid,100,300mg,Tablet,100,600,Lupin,India,2023-01-05,2023-02-01,2023-02-10,Sea\n\
    T2,CIV,GDF,Isoniazid,100,300mg,Tablet,100,300,Bar Pharma,China,2023-01-05,2023-02-01,2023-02-12,Sea\n\
    T3,CIV,GDF,Isoniazid,100,300mg,Tablet,100,200,Bar Pharma,Inde,2023-01-05,2023-02-01,2023-02-14,Sea\n\
    T4,CIV,GDF,Isoniazid,100,300mg,Tablet,100,400,Lupin,Chine,2023-01-05,2023-02-01,2023-02-16,Sea\n\
    T5,CIV,GDF,Isoniazid,100,300mg,Tablet,100,900,Lupin,India,2023-01-05,2023-02-01,10/02/2023,Sea\n";

fn procurement_mappings() -> equitas_store::import::Mappings {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/procurement-mapping.toml");
    equitas_store::import::Mappings {
        procurement: Some(
            equitas_market::generic::parse_mapping(&std::fs::read_to_string(path).unwrap())
                .unwrap(),
        ),
        ..shipped_mappings()
    }
}

fn import_tenders(s: &mut TestStore, name: &str, csv: &str) -> equitas_store::import::ImportReport {
    import(
        s.store.as_mut(),
        ImportKind::Procurement,
        name,
        csv.as_bytes(),
        &procurement_mappings(),
        ImportOptions::default(),
        &NoProgress,
    )
    .unwrap()
}

/// Each procurement line's producing country, by its source id.
fn line_countries(s: &mut TestStore) -> Vec<(String, Option<String>)> {
    s.store
        .query(
            "SELECT l.source_id, m.country FROM procurement_lines l
             LEFT JOIN manufacturing_sites m ON m.code = l.site ORDER BY l.source_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r[0].get().unwrap(), r[1].get().unwrap()))
        .collect()
}

/// A manufacturer's lines in two countries are two sites, each line
/// counted in the country it states, and the import names the lines
/// (until 2026-12-07 the second country was silently taken for the
/// first); a date in another format than the mapping's is a row error
/// naming the line, the field and how to write it, the other rows imported.
fn per_line_country_of_manufacture(s: &mut TestStore) {
    countries(s);
    let r = import_tenders(s, "tenders2.csv", TENDERS2);
    assert_eq!(r.rows_read, 5);
    let notes = r.notes.join("\n");
    assert!(
        notes.contains("manufacturer \"Bar Pharma\" is stated made in 2 countries: each line is counted in the country it states, as a site of its own: CHN (line 3, site bar-pharma-chn); IND (line 4, site bar-pharma-ind)"),
        "{notes}"
    );
    assert!(
        notes.contains("CHN (line 5, site lupin-chn); IND (line 2, site lupin-ind)"),
        "{notes}"
    );
    let rejected: Vec<String> = r
        .rejected
        .iter()
        .map(|e| e.located("tenders2.csv"))
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(
        rejected[0].starts_with("tenders2.csv:6: Delivered: \"10/02/2023\" is not a date as date_format \"%Y-%m-%d\" writes them"),
        "{rejected:?}"
    );
    assert!(
        rejected[0].contains("it looks like DD/MM/YYYY (10 February 2023: write 2023-02-10)"),
        "{rejected:?}"
    );
    assert!(r.gaps.is_empty(), "no date became a gap: {:?}", r.gaps);
    let s_ = |x: &str| Some(x.to_string());
    assert_eq!(
        line_countries(s),
        vec![
            ("T1".into(), s_("IND")),
            ("T2".into(), s_("CHN")),
            ("T3".into(), s_("IND")),
            ("T4".into(), s_("CHN")),
        ]
    );
    // `supply dependence --country CIV --product isoniazid-300mg-tablet`:
    // India 600 + 200, China 300 + 400 (not India 100% of Lupin's lines).
    let f = Filter {
        products: vec!["isoniazid-300mg-tablet".into()],
        countries: vec!["CIV".into()],
        ..Filter::default()
    };
    let (flows, _) =
        supply::regional_flows(s.store.as_mut(), &f, Weight::Value, regional::Regions::Who)
            .unwrap();
    let dep: Vec<(String, f64)> = regional::dependence(&flows)
        .into_iter()
        .map(|d| (d.producer, d.share))
        .collect();
    // The largest share first (formulas 6.4).
    assert_eq!(
        dep,
        vec![
            ("IND".into(), 800.0 / 1500.0),
            ("CHN".into(), 700.0 / 1500.0)
        ]
    );
    // The supply map: Bar Pharma has two sites, one per country.
    let (links, _) = supply::flows(s.store.as_mut(), &f, false, Weight::Value).unwrap();
    let mut bar: Vec<(Option<String>, Option<String>, Option<String>)> = links
        .iter()
        .filter(|l| l.manufacturer.as_deref() == Some("bar-pharma"))
        .map(|l| (l.site.clone(), l.country.clone(), l.manufacturer.clone()))
        .collect();
    bar.sort();
    assert_eq!(
        bar,
        vec![
            (s_("bar-pharma-chn"), s_("CHN"), s_("bar-pharma")),
            (s_("bar-pharma-ind"), s_("IND"), s_("bar-pharma")),
        ]
    );
    let row = &supply_tiers(&links)[0];
    let manufacturer = row.tier(Tier::Manufacturer).unwrap();
    assert_eq!(
        (manufacturer.groups, manufacturer.top.as_str()),
        (2, "lupin")
    );
    let country = row.tier(Tier::Country).unwrap();
    assert_eq!((country.groups, country.top.as_str()), (2, "IND"));
    assert!((country.top_share - 800.0 / 1500.0).abs() < 1e-12);

    // The same file again changes nothing.
    assert!(import_tenders(s, "tenders2.csv", TENDERS2).unchanged());
    // A later file stating Bar Pharma in India only reattributes no line
    // of the first (until 2026-12-07 its site's country was overwritten).
    let later = "Line ID,Country,Supplier,INN,Packs,Strength,Dosage form,Units per pack,Line value,Manufacturer,Country of manufacture,PO date,Planned delivery,Delivered,Mode\n\
                 T9,CIV,GDF,Isoniazid,100,300mg,Tablet,100,100,Bar Pharma,India,2023-03-05,2023-04-01,2023-04-10,Sea\n";
    let r = import_tenders(s, "tenders3.csv", later);
    assert!(
        r.rejected.is_empty() && r.notes.is_empty(),
        "{:?} {:?}",
        r.rejected,
        r.notes
    );
    let countries = line_countries(s);
    assert_eq!(countries[1], ("T2".into(), s_("CHN")));
    assert_eq!(countries[4], ("T9".into(), s_("IND")));
}

/// A country whose only authorisation of a product is not valid (suspended,
/// expired, withdrawn: all alike) shows the product with 0 sources and no
/// alternative; an authorisation named only by its product's catalogue name
/// counts with that product's coded ones, both when imported and when a
/// store already holds it without a code (user pass, 2026-12-07).
fn reach_none_valid_and_named_only(s: &mut TestStore) {
    countries(s);
    let products = "code,name\n\
                    efavirenz-600mg-tablet,Efavirenz 600mg tablet\n\
                    nvp-200,Nevirapine 200mg tablet\n";
    import_bytes(s, ImportKind::Products, "products.csv", products.as_bytes());
    let ma = "country,number,product_name,product,holder,manufacturer,status,valid_from,valid_to\n\
              KEN,K1,Efavirenz 600mg,efavirenz-600mg-tablet,Cipla,,suspended,,\n\
              KEN,K2,Nevirapine,nvp-200,Mylan,,valid,2020-01-01,2025-12-31\n\
              KEN,K3,Nevirapine,nvp-200,Hetero,,withdrawn,,\n\
              UGA,U1,Nevirapine,nvp-200,Mylan,,expired,,\n\
              NGA,N1,Efavirenz,efavirenz-600mg-tablet,Cipla,,valid,,\n\
              NGA,N2,Efavirenz,efavirenz-600mg-tablet,Mylan,,valid,,\n\
              NGA,N3,Efavirenz 600mg tablet,,Aurobindo,,valid,,\n\
              NGA,N4,EFAVIRENZ 600 MG TABLET,,Hetero,,valid,,\n\
              NGA,N5,Efavirenz 600mg tab,,Strides,,valid,,\n";
    let r = import_bytes(s, ImportKind::Authorisations, "ma.csv", ma.as_bytes());
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("2 authorisation(s) without a product code attributed")),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes.iter().any(|n| n.contains(
            "ma.csv: line 10 (\"Efavirenz 600mg tab\"): matches no product; did you mean \"Efavirenz 600mg tablet\"?"
        )),
        "{:?}",
        r.notes
    );
    // A row stored without a code before imports attributed them.
    equitas_store::market::put_authorisation(
        s.store.as_mut(),
        &equitas_market::inputs::Authorisation {
            country: "NGA".into(),
            number: "N6".into(),
            product_name: "efavirenz 600mg tablet".into(),
            product: None,
            holder: "Macleods".into(),
            manufacturer: None,
            status: "valid".into(),
            valid_from: None,
            valid_to: None,
        },
    )
    .unwrap();
    let on = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();

    let rows = equitas_store::market::legal_sources(s.store.as_mut(), on, None).unwrap();
    let got: Vec<(&str, &str, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.country.as_str(),
                r.product.as_str(),
                r.authorised_holders,
                r.authorisations,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("KEN", "efavirenz-600mg-tablet", 0, 0),
            ("KEN", "nvp-200", 0, 0),
            ("NGA", "Efavirenz 600mg tab", 1, 1),
            ("NGA", "efavirenz-600mg-tablet", 5, 5),
            ("UGA", "nvp-200", 0, 0),
        ]
    );

    let a = supply::authorisations(s.store.as_mut(), on, None).unwrap();
    let rows = reach::reach(&a, &[("KEN".into(), "other".into())], &[], 3, 5);
    let got: Vec<(&str, &str, usize, bool)> = rows
        .iter()
        .map(|r| {
            (
                r.country.as_str(),
                r.product.as_str(),
                r.sources,
                r.alternative,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("KEN", "efavirenz-600mg-tablet", 0, false),
            ("KEN", "nvp-200", 0, false),
            ("KEN", "other", 0, false),
            ("NGA", "Efavirenz 600mg tab", 1, false),
            ("NGA", "efavirenz-600mg-tablet", 5, true),
            ("UGA", "nvp-200", 0, false),
        ]
    );
}

on_both_backends! {
    supply_registers => registers,
    supply_shipped_registers => shipped_registers,
    supply_tiers_on_scms => scms_tiers,
    supply_pq_single_source => pq_single_source,
    supply_regulatory_reach => regulatory_reach,
    supply_reach_none_valid_and_named_only => reach_none_valid_and_named_only,
    supply_geographic => geographic,
    supply_matchmaking => matchmaking,
    supply_per_line_country_of_manufacture => per_line_country_of_manufacture,
}
