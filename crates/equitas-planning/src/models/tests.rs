use super::*;
use equitas_doc_vectors::vectors;
use proptest::prelude::*;

#[test]
fn same_as_statsforecast() {
    for v in vectors("forecast_statsforecast") {
        let y: Vec<f64> = v["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        for (name, want) in v["forecasts"].as_object().unwrap() {
            let m = Method::from_name(name).unwrap();
            let want: Vec<f64> = want
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let got = forecast_raw(m, &y, want.len(), &p()).unwrap();
            let tol = v["tolerance"].as_f64().unwrap_or(1e-5);
            assert!(
                close(&got, &want, tol),
                "{name} on {y:?}: {got:?}, statsforecast {want:?}"
            );
        }
    }
}

fn p() -> ModelParams {
    ModelParams::default()
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
}

#[test]
fn hand_computed_values() {
    // SES with alpha 0.5 on 10, 20, 30: forecasts 10, 10, 15, then 22.5.
    assert_eq!(ses_next(&[10.0, 20.0, 30.0], 0.5), 22.5);
    assert_eq!(ses_sse(&[10.0, 20.0, 30.0], 0.5), 100.0 + 225.0);
    let trend: Vec<f64> = (1..=24).map(f64::from).collect();
    assert_eq!(
        forecast_raw(Method::Naive, &trend, 2, &p()).unwrap(),
        vec![24.0, 24.0]
    );
    assert_eq!(
        forecast_raw(Method::SeasonalNaive, &trend, 3, &p()).unwrap(),
        vec![13.0, 14.0, 15.0]
    );
    assert_eq!(
        forecast_raw(
            Method::MovingAverage,
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            1,
            &p()
        )
        .unwrap(),
        vec![5.0]
    );
    // A single demand of 10 in month 6 of 12.
    let mut one = vec![0.0; 12];
    one[5] = 10.0;
    let f = |m| forecast_raw(m, &one, 1, &p()).unwrap()[0];
    assert!((f(Method::Croston) - 10.0 / 6.0).abs() < 1e-12);
    assert!((f(Method::CrostonSba) - 0.95 * 10.0 / 6.0).abs() < 1e-12);
    // TSB: probability smoothed to 0.1 x 0.9^6 after the demand, size 10.
    assert!((f(Method::Tsb) - 10.0 * 0.1 * 0.9f64.powi(6)).abs() < 1e-12);
    // ADIDA: buckets of 6 months hold 10 and 0; SES from 10 gives 9; per month 1.5.
    assert!(
        (f(Method::Adida) - 1.5).abs() < 1e-9,
        "{}",
        f(Method::Adida)
    );
    assert_eq!(round_half_even(2.5), 2);
    assert_eq!(round_half_even(3.5), 4);
    assert_eq!(round_half_even(1.5), 2);
    assert_eq!(round_half_even(0.4), 1);
    assert_eq!(intervals(&[0.0, 3.0, 0.0, 0.0, 1.0]), vec![2.0, 3.0]);
}

#[test]
fn known_properties() {
    let constant = vec![7.0; 36];
    for m in Method::ALL {
        let v = forecast_raw(m, &constant, 6, &p()).unwrap();
        let want = if m == Method::CrostonSba {
            0.95 * 7.0
        } else {
            7.0
        };
        assert!(
            close(&v, &[want; 6], 1e-6),
            "{m:?} on a constant series: {v:?}"
        );
    }
    let zeros = vec![0.0; 36];
    for m in Method::ALL {
        let v = forecast_raw(m, &zeros, 6, &p()).unwrap();
        assert!(v.iter().all(|&x| x.abs() < 1e-12), "{m:?} on zeros: {v:?}");
    }
    // A straight line: Holt continues it exactly; damped Holt bends below it;
    // the naive method stays flat; Theta follows the trend upwards.
    let line: Vec<f64> = (1..=36).map(|t| 5.0 + 2.0 * f64::from(t)).collect();
    let holt = forecast_raw(Method::Holt, &line, 3, &p()).unwrap();
    assert!(close(&holt, &[79.0, 81.0, 83.0], 1e-6), "{holt:?}");
    let damped = forecast_raw(Method::DampedHolt, &line, 3, &p()).unwrap();
    assert!(damped[2] < 83.0 && damped[2] > 77.0, "{damped:?}");
    let theta = forecast_raw(Method::Theta, &line, 3, &p()).unwrap();
    assert!(theta[0] > 76.0 && theta[2] > theta[0], "{theta:?}");
    // A repeated seasonal pattern: Holt-Winters reproduces it.
    let pattern: Vec<f64> = (0..36)
        .map(|t| 100.0 + 20.0 * ((t % 12) as f64 - 5.5))
        .collect();
    let hw = forecast_raw(Method::HoltWinters, &pattern, 12, &p()).unwrap();
    assert!(close(&hw, &pattern[..12], 1e-3), "{hw:?}");
    // Too short: no forecast.
    assert_eq!(
        forecast_raw(Method::HoltWinters, &pattern[..20], 1, &p()),
        None
    );
    // Clipping: a falling line forecasts no negative demand.
    let falling: Vec<f64> = (0..24).map(|t| 46.0 - 2.0 * f64::from(t)).collect();
    assert!(
        forecast(Method::Holt, &falling, 12, &p())
            .unwrap()
            .iter()
            .all(|&x| x >= 0.0)
    );
}

proptest! {
    #[test]
    fn forecasts_are_finite_and_intermittent_ones_within_the_data(
        y in proptest::collection::vec(prop_oneof![Just(0.0), 0.0f64..500.0], 1..40)
    ) {
        let max = y.iter().cloned().fold(0.0, f64::max);
        for m in Method::ALL {
            if let Some(v) = forecast(m, &y, 6, &p()) {
                prop_assert_eq!(v.len(), 6);
                prop_assert!(v.iter().all(|x| x.is_finite() && *x >= 0.0), "{:?} {:?}", m, v);
                if matches!(m, Method::Croston | Method::CrostonSba | Method::CrostonOptimized | Method::Tsb
                    | Method::Adida | Method::Imapa | Method::Ses | Method::MovingAverage | Method::Naive) {
                    prop_assert!(v.iter().all(|x| *x <= max + 1e-9), "{:?} {:?} max {}", m, v, max);
                }
            }
        }
    }
}

#[test]
fn ets_chooses_among_the_forms_of_the_data() {
    // Zeros rule out multiplicative errors; a season needs more months than its length.
    let with_zero = [
        3.0, 0.0, 4.0, 5.0, 2.0, 6.0, 1.0, 3.0, 2.0, 4.0, 5.0, 3.0, 2.0,
    ];
    let forms = ets_forms(&with_zero, 12);
    assert_eq!(forms.len(), 6);
    assert!(forms.iter().all(|f| !f.multiplicative_error));
    assert_eq!(forms.iter().filter(|f| f.seasonal).count(), 3);
    assert!(ets_forms(&with_zero[..12], 12).iter().all(|f| !f.seasonal));
    let positive: Vec<f64> = with_zero.iter().map(|v| v + 1.0).collect();
    let forms = ets_forms(&positive, 12);
    assert_eq!(forms.len(), 12);
    assert_eq!(forms.iter().filter(|f| f.multiplicative_error).count(), 6);
    // A repeated seasonal pattern: a seasonal form reproduces it.
    let pattern: Vec<f64> = (0..36)
        .map(|t| 100.0 + 20.0 * ((t % 12) as f64 - 5.5))
        .collect();
    let v = forecast_raw(Method::Ets, &pattern, 12, &p()).unwrap();
    assert!(close(&v, &pattern[..12], 1e-3), "{v:?}");
    assert_eq!(fit(Method::Ets, &pattern, &p()).unwrap().len(), 6 + 12);
    // A straight line: a trended form continues it.
    let line: Vec<f64> = (1..=36).map(|t| 5.0 + 2.0 * f64::from(t)).collect();
    let v = forecast_raw(Method::Ets, &line, 3, &p()).unwrap();
    assert!(close(&v, &[79.0, 81.0, 83.0], 1e-3), "{v:?}");
    // Level only from 4 months; fewer are too short.
    assert!(forecast_raw(Method::Ets, &[4.0, 6.0, 5.0, 7.0], 2, &p()).is_some());
    assert_eq!(forecast_raw(Method::Ets, &[4.0, 6.0, 5.0], 2, &p()), None);
}

proptest! {
    #[test]
    fn ets_constants_stay_within_their_bounds(
        y in proptest::collection::vec(prop_oneof![Just(0.0), 1.0f64..500.0], 4..40)
    ) {
        if let Some(c) = fit(Method::Ets, &y, &p()) {
            let (alpha, beta, gamma, phi) = (c[0], c[1], c[2], c[3]);
            prop_assert!((1e-4..=0.9999).contains(&alpha), "{:?}", c);
            // β within [1e-4, the starting α], γ within [1e-4, 1 − the
            // starting α]: α starts at 1e-4 + 0.2 × 0.9998 / m, m = 12 with
            // a season (18 values), else 1 (docs/formulas.md 4.2).
            let m = if c.len() == 18 { 12.0 } else { 1.0 };
            let start = 1e-4 + 0.2 * 0.9998 / m;
            prop_assert!(beta == 0.0 || (1e-4..=start + 1e-12).contains(&beta), "{:?}", c);
            prop_assert!(gamma == 0.0 || (1e-4..=1.0 - start + 1e-12).contains(&gamma), "{:?}", c);
            prop_assert!(phi == 1.0 || (0.8..=0.98).contains(&phi), "{:?}", c);
            prop_assert!(c.len() == 7 || c.len() == 18, "{:?}", c);
        }
    }
}

proptest! {
    /// Holt and damped Holt from one fit of Holt's two forms (the cache of
    /// the automatic choice) are exactly each model's own fit, at every
    /// prefix of a series (as the rolling origins fit them), in either order.
    #[test]
    fn holt_and_damped_holt_share_their_damped_search_exactly(
        y in proptest::collection::vec(prop_oneof![Just(0.0), Just(7.0), 1.0f64..500.0], 1..30),
        damped_first in any::<bool>(),
    ) {
        let mut cache = FitCache::default();
        let order = if damped_first {
            [Method::DampedHolt, Method::Holt]
        } else {
            [Method::Holt, Method::DampedHolt]
        };
        for n in 0..=y.len() {
            for m in order {
                prop_assert_eq!(fit_cached(m, &y[..n], &p(), &mut cache), fit(m, &y[..n], &p()));
            }
        }
    }
}

#[test]
fn holt_fits_shared_on_a_constant_series() {
    let y = [7.0; 12];
    let mut cache = FitCache::default();
    for m in [Method::Holt, Method::DampedHolt, Method::Holt] {
        let f = fit_cached(m, &y, &p(), &mut cache);
        assert_eq!(f, fit(m, &y, &p()));
        assert!(f.is_some());
    }
}

proptest! {
    /// ADIDA and IMAPA sharing their aggregate forecast (the cache of the
    /// automatic choice) forecast exactly as each alone, at every prefix.
    #[test]
    fn adida_and_imapa_share_their_aggregate_exactly(
        y in proptest::collection::vec(prop_oneof![Just(0.0), Just(0.0), 1.0f64..50.0], 0..30),
        imapa_first in any::<bool>(),
    ) {
        let mut cache = FitCache::default();
        let order = if imapa_first {
            [Method::Imapa, Method::Adida]
        } else {
            [Method::Adida, Method::Imapa]
        };
        for n in 0..=y.len() {
            for m in order {
                prop_assert_eq!(
                    forecast_cached(m, &y[..n], 4, &p(), &mut cache),
                    forecast(m, &y[..n], 4, &p())
                );
            }
        }
    }
}

/// formulas 4.4: a falling trend held after month `after` stops there and
/// the seasonal pattern goes on around it; a rising trend runs on; before
/// `after` nothing changes.
#[test]
fn a_falling_trend_is_held_and_the_season_goes_on() {
    let season = [
        10.0, 30.0, 20.0, 0.0, -10.0, -20.0, -30.0, -20.0, 0.0, 10.0, 20.0, 20.0,
    ];
    let falling: Vec<f64> = (0..48)
        .map(|t| 300.0 - 3.0 * t as f64 + season[t % 12] + [1.0, -1.0, 0.5][t % 3])
        .collect();
    let p = p();
    for method in [
        Method::HoltWinters,
        Method::Holt,
        Method::DampedHolt,
        Method::Theta,
    ] {
        let plain = forecast(method, &falling, 36, &p).unwrap();
        let (held, was) = forecast_held(method, &falling, 36, &p, 6).unwrap();
        assert!(was, "{method:?}");
        assert_eq!(held[..6], plain[..6], "{method:?}");
        // Held: each month is the same month a year before, once both
        // lie beyond month 6 (months 19-36 against 7-24).
        for k in 18..36 {
            assert!((held[k] - held[k - 12]).abs() < 1e-9, "{method:?} {held:?}");
        }
        // Not held, the trend goes on falling.
        assert!(plain[35] < held[35] - 1.0, "{method:?} {plain:?} {held:?}");
        // Asked for no hold within the horizon: the plain forecast.
        assert_eq!(
            forecast_held(method, &falling, 6, &p, 6).unwrap(),
            (plain[..6].to_vec(), false)
        );
    }
    // Holt-Winters keeps its pattern while held.
    let (hw, _) = forecast_held(Method::HoltWinters, &falling, 36, &p, 6).unwrap();
    let spread = hw[24..36].iter().fold(f64::MIN, |a, &v| a.max(v))
        - hw[24..36].iter().fold(f64::MAX, |a, &v| a.min(v));
    assert!(spread > 30.0, "{hw:?}");
    // A rising trend is not held.
    let rising: Vec<f64> = falling.iter().rev().copied().collect();
    for method in [Method::HoltWinters, Method::Holt, Method::Theta] {
        let (f, was) = forecast_held(method, &rising, 36, &p, 6).unwrap();
        assert!(!was, "{method:?}");
        assert_eq!(f, forecast(method, &rising, 36, &p).unwrap());
    }
    // A method without a trend is never held.
    let (f, was) = forecast_held(Method::Ses, &falling, 36, &p, 6).unwrap();
    assert!(!was);
    assert_eq!(f, forecast(Method::Ses, &falling, 36, &p).unwrap());
}
