//! `equitas generate`: a synthetic national supply network written as files.

use anyhow::{Context, Result};
use clap::Args;
use equitas_ledger::calendar::{self, Day};
use std::path::PathBuf;

fn day(s: &str, what: &str) -> Result<Day> {
    calendar::parse_day(s).with_context(|| format!("{what} {s:?} is not a date (YYYY-MM-DD)"))
}

#[derive(Args, Debug, Clone)]
pub struct GenerateArgs {
    /// Directory to write country.csv, locations.csv, products.csv and the EPCIS documents to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The ISO 3166 alpha-3 code the network is filed under (a
    /// user-assigned code such as XSY or XSZ: no real country).
    #[arg(long, default_value = "XSY", value_name = "ISO3")]
    pub country: String,
    #[arg(long, default_value_t = 1500)]
    pub facilities: usize,
    #[arg(long, default_value_t = 150)]
    pub products: usize,
    #[arg(long, default_value_t = 10)]
    pub regions: usize,
    #[arg(long, default_value_t = 6)]
    pub districts_per_region: usize,
    #[arg(long, default_value_t = 24)]
    pub months: u32,
    /// First day simulated [default: the first day of the month --months
    /// before this one, so that the last month simulated is the last
    /// complete one]. The simulation must end by today: a capture refuses
    /// events dated after it.
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// Events per EPCIS document.
    #[arg(long, default_value_t = 100_000)]
    pub events_per_file: usize,
}

pub fn synth_config(args: &GenerateArgs) -> Result<equitas_synth::Config> {
    Ok(equitas_synth::Config {
        seed: args.seed,
        country: args.country.to_ascii_uppercase(),
        regions: args.regions.max(1),
        districts_per_region: args.districts_per_region.max(1),
        facilities: args.facilities,
        products: args.products,
        months: args.months,
        start: start(args.start.as_deref(), args.months, equitas_store::today())?,
    })
}

/// The first day simulated (by whole months): `start` if given, else the first day of the
/// month `months` before today's. The last day simulated must not be after
/// `today`: a capture refuses events dated after it (docs/epcis.md), so
/// such a network could not be loaded.
fn start(start: Option<&str>, months: u32, today: Day) -> Result<Day> {
    let months = i32::try_from(months).context("--months is too large")?;
    let Some(s) = start else {
        return Ok(calendar::month_start(calendar::month_of(today) - months));
    };
    let first = day(s, "--start")?;
    // The network is simulated by whole months, from the start's.
    let last = calendar::month_end(calendar::month_of(first) + months - 1);
    // Events are dated up to the evening of the last day: that day must
    // have ended.
    if last >= today {
        let fits = calendar::month_start(calendar::month_of(today) - months);
        anyhow::bail!(
            "--start {s} with --months {months} simulates up to {}, which has not ended \
             (today is {}): an EPCIS capture refuses events dated after it. Start on {} or earlier, \
             or simulate fewer months",
            calendar::format_day(last),
            calendar::format_day(today),
            calendar::format_day(fits)
        );
    }
    Ok(first)
}

/// Writes the network's files; returns (documents written, events).
/// Before writing, prints on stderr how many events and bytes to expect,
/// with a warning when that is over 1 GB.
pub fn generate(args: &GenerateArgs) -> Result<(usize, u64)> {
    let net = equitas_synth::Network::new(synth_config(args)?);
    // Measured on the generator (2026-12-05): 5.0 events per facility,
    // product and month for 30 x 12 x 12 (21,779 events), 6.1 for
    // 60 x 12 x 12, 6.0 for 300 x 20 x 6 (4 regions), 5.4 for the defaults
    // 1500 x 150 x 24 (29.4 million events, 13 GB); 482-486 bytes per event
    // in the JSON binding. 6 and 490 are within 20% of each of these.
    let events = 6 * (args.facilities * args.products) as u64 * u64::from(args.months);
    let bytes = events * 490;
    let gb = bytes as f64 / 1e9;
    let size = if gb >= 1.0 {
        format!("{gb:.1} GB")
    } else if bytes >= 1_000_000 {
        format!("{:.0} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.0} kB", bytes as f64 / 1e3)
    };
    eprintln!(
        "Estimate: about {} events, {size}, in {} EPCIS document(s) ({} facilities x {} products x {} months).",
        crate::format::int(events as i64),
        events.div_ceil(args.events_per_file.max(1) as u64).max(1),
        args.facilities,
        args.products,
        args.months
    );
    if gb >= 1.0 {
        eprintln!(
            "warning: this writes about {size} to {}; make it smaller with --facilities, --products or --months (Ctrl-C stops it).",
            args.out.display()
        );
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let write = |name: &str, text: &str| {
        let p = args.out.join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))
    };
    write("country.csv", &net.countries_csv())?;
    write("locations.csv", &net.locations_csv())?;
    write("products.csv", &net.products_csv())?;
    let bar = crate::progress::Bar::spinner("simulating");
    let created = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let per = args.events_per_file.max(1);
    let mut batch: Vec<String> = Vec::with_capacity(per.min(1 << 20));
    let (mut files, mut n) = (0usize, 0u64);
    let mut error: Option<anyhow::Error> = None;
    let flush = |batch: &mut Vec<String>, files: &mut usize| -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        *files += 1;
        write(
            &format!("events-{:05}.jsonld", *files),
            &equitas_synth::document(batch, &created),
        )?;
        batch.clear();
        Ok(())
    };
    equitas_synth::simulate(&net, &mut |e| {
        if error.is_some() {
            return;
        }
        batch.push(e.to_json(&net, n));
        n += 1;
        if n % 10_000 == 0 {
            bar.set_message(format!("simulating: {n} events"));
        }
        if batch.len() >= per
            && let Err(err) = flush(&mut batch, &mut files)
        {
            error = Some(err);
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    flush(&mut batch, &mut files)?;
    bar.finish_and_clear();
    Ok((files, n))
}

/// `equitas generate`: writes the network and says what it wrote.
pub fn run(args: &GenerateArgs) -> Result<()> {
    let (files, events) = generate(args)?;
    println!(
        "Synthetic network written to {}: country.csv, locations.csv, products.csv and {files} EPCIS document(s) holding {events} events.",
        args.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulation_ends_by_today() {
        let today = calendar::parse_day("2026-12-07").unwrap();
        let on = |d: Day| calendar::format_day(d);
        // Default: the 24 months up to the last complete one.
        assert_eq!(on(start(None, 24, today).unwrap()), "2024-12-01");
        assert_eq!(on(start(None, 1, today).unwrap()), "2026-11-01");
        // Given: kept when its last month has ended.
        assert_eq!(
            on(start(Some("2024-12-01"), 24, today).unwrap()),
            "2024-12-01"
        );
        // Up to today: refused (its events run to the evening).
        assert!(
            start(
                Some("2026-12-01"),
                1,
                calendar::parse_day("2026-12-31").unwrap()
            )
            .is_err()
        );
        // December 2026 has begun, not ended: refused, with a start that fits.
        let e = start(Some("2025-01-01"), 24, today)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("simulates up to 2026-12-31, which has not ended (today is 2026-12-07)")
                && e.contains("Start on 2024-12-01 or earlier"),
            "{e}"
        );
        assert!(
            start(Some("2025-13-01"), 2, today)
                .unwrap_err()
                .to_string()
                .contains("--start \"2025-13-01\" is not a date")
        );
    }
}
