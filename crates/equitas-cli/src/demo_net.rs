//! The demo's stock part: a small synthetic country captured through EPCIS.

use anyhow::{Result, bail};
use equitas_ledger::calendar;
use equitas_ledger::indicators::Status;
use equitas_ledger::view::{self, StockQuery};
use equitas_model::LocationLevel;
use equitas_store::Store;
use equitas_store::import::{ImportKind, ImportOptions};

/// What the demo's stock part did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoStock {
    pub country: String,
    pub captured: usize,
    pub already_loaded: bool,
    pub as_of: Option<String>,
    pub facilities: usize,
    pub stocked_out: usize,
    pub below_min: usize,
    pub availability: Option<f64>,
}

/// Loads the synthetic network into the store through the EPCIS capture
/// path, unless it is there already, and summarises its stock.
pub fn load_demo_network(store: &mut dyn Store) -> Result<DemoStock> {
    use equitas_store::epcis::{ErrorBehaviour, capture};
    let net = equitas_synth::Network::new(equitas_synth::Config::demo());
    let mappings = crate::commands::load_mappings(None, None, None)?;
    for (kind, name, text) in [
        (
            ImportKind::Countries,
            "synthetic-country.csv",
            net.countries_csv(),
        ),
        (
            ImportKind::Locations,
            "synthetic-locations.csv",
            net.locations_csv(),
        ),
        (
            ImportKind::Products,
            "synthetic-products.csv",
            net.products_csv(),
        ),
    ] {
        let r = crate::commands::run_import(
            store,
            kind,
            name,
            text.as_bytes(),
            &mappings,
            ImportOptions::default(),
        )?;
        if !r.rejected.is_empty() {
            bail!("{name}: {}", r.rejected[0]);
        }
    }
    let mut events = Vec::new();
    equitas_synth::simulate(&net, &mut |e| {
        events.push(e.to_json(&net, events.len() as u64))
    });
    let first_id = events
        .first()
        .and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok())
        .and_then(|v| v["eventID"].as_str().map(str::to_string));
    let held = match &first_id {
        Some(id) => equitas_store::epcis::event_by_id(store, id)?.is_some(),
        None => true,
    };
    let mut captured = 0;
    if !held {
        let bar = crate::progress::Bar::new("synthetic events");
        let created = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        for (i, chunk) in events.chunks(20_000).enumerate() {
            let text = equitas_synth::document(chunk, &created);
            let doc = equitas_epcis::EventReader::new(&text)
                .map_err(|e| anyhow::anyhow!("synthetic document {i}: {e}"))?;
            let r = capture(
                store,
                &format!("synthetic network, part {}", i + 1),
                &doc,
                Vec::new(),
                ErrorBehaviour::Rollback,
                &bar,
            )?;
            if !r.rejected.is_empty() {
                bail!("synthetic events rejected: {:?}", r.rejected.first());
            }
            captured += r.captured;
        }
    }
    let data = equitas_store::stock::load(store)?;
    let q = StockQuery {
        level: Some(LocationLevel::Facility),
        ..StockQuery::default()
    };
    let rows = view::stock(&data.ledger, &data.places, &data.bands, &q);
    let through = data.ledger.through();
    let avail = through.map(|d| {
        view::availability(
            &data.ledger,
            &data.places,
            LocationLevel::Country,
            &[],
            false,
            &[d],
        )
    });
    let (mut managed, mut stocked) = (0, 0);
    for r in avail.iter().flatten() {
        managed += r.facilities;
        stocked += r.in_stock;
    }
    Ok(DemoStock {
        country: net.config.country.clone(),
        captured,
        already_loaded: held,
        as_of: through.map(calendar::format_day),
        facilities: net
            .places
            .iter()
            .filter(|p| p.level == equitas_synth::Level::Facility)
            .count(),
        stocked_out: rows
            .iter()
            .filter(|r| r.status == Status::StockedOut)
            .count(),
        below_min: rows.iter().filter(|r| r.status == Status::BelowMin).count(),
        availability: equitas_ledger::indicators::availability(stocked, managed),
    })
}
