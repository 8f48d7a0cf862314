//! Small derivative-free minimisers for smoothing parameters.

/// (sqrt(5) - 1) / 2.
pub const GOLDEN: f64 = 0.618_033_988_749_894_8;

/// Minimises `f` on `[lo, hi]` by golden-section search to a width of 1e-9
/// (at most 100 steps); returns the middle of the last interval.
pub fn golden_section(mut f: impl FnMut(f64) -> f64, lo: f64, hi: f64) -> f64 {
    let (mut a, mut b) = (lo, hi);
    let mut c = b - GOLDEN * (b - a);
    let mut d = a + GOLDEN * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..100 {
        if (b - a).abs() < 1e-9 {
            break;
        }
        // Values equal but for rounding count as a tie, which keeps the left
        // (smaller) part: flat objectives give the lower bound.
        if fc <= fd + 1e-12 * fd.abs() {
            b = d;
            d = c;
            fd = fc;
            c = b - GOLDEN * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + GOLDEN * (b - a);
            fd = f(d);
        }
    }
    0.5 * (a + b)
}

/// Nelder-Mead simplex minimisation of `f` over the box `bounds` (points
/// are clamped into it), from `start`; `iters` evaluations at most.
pub fn nelder_mead(
    mut f: impl FnMut(&[f64]) -> f64,
    start: &[f64],
    bounds: &[(f64, f64)],
    iters: usize,
) -> Vec<f64> {
    let n = start.len();
    let clamp = |p: &mut Vec<f64>| {
        for (x, &(lo, hi)) in p.iter_mut().zip(bounds) {
            *x = x.clamp(lo, hi);
        }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    let mut p0 = start.to_vec();
    clamp(&mut p0);
    let v0 = f(&p0);
    simplex.push((p0.clone(), v0));
    for i in 0..n {
        let mut p = p0.clone();
        let (lo, hi) = bounds[i];
        let step = 0.1 * (hi - lo);
        p[i] = if p[i] + step <= hi {
            p[i] + step
        } else {
            p[i] - step
        };
        clamp(&mut p);
        let v = f(&p);
        simplex.push((p, v));
    }
    let mut evals = n + 1;
    while evals < iters {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = simplex[0].1;
        let worst = simplex[n].1;
        if (worst - best).abs() <= 1e-10 * (1.0 + best.abs()) {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(p, _)| p[j]).sum::<f64>() / n as f64)
            .collect();
        let toward = |t: f64, from: &[f64]| -> Vec<f64> {
            let mut p: Vec<f64> = centroid
                .iter()
                .zip(from)
                .map(|(c, x)| c + t * (x - c))
                .collect();
            clamp(&mut p);
            p
        };
        let worst_p = simplex[n].0.clone();
        let r = toward(-1.0, &worst_p);
        let fr = f(&r);
        evals += 1;
        if fr < simplex[0].1 {
            let e = toward(-2.0, &worst_p);
            let fe = f(&e);
            evals += 1;
            simplex[n] = if fe < fr { (e, fe) } else { (r, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (r, fr);
        } else {
            let c = if fr < worst {
                toward(-0.5, &worst_p)
            } else {
                toward(0.5, &worst_p)
            };
            let fcv = f(&c);
            evals += 1;
            if fcv < worst.min(fr) {
                simplex[n] = (c, fcv);
            } else {
                let b = simplex[0].0.clone();
                for s in simplex.iter_mut().skip(1) {
                    let mut p: Vec<f64> =
                        b.iter().zip(&s.0).map(|(x, y)| x + 0.5 * (y - x)).collect();
                    clamp(&mut p);
                    s.1 = f(&p);
                    s.0 = p;
                    evals += 1;
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimisers_find_known_minima() {
        let x = golden_section(|a| (a - 0.37).powi(2), 0.0, 1.0);
        assert!((x - 0.37).abs() < 1e-6);
        assert!((golden_section(|a| a, 0.1, 0.3) - 0.1).abs() < 1e-6);
        let p = nelder_mead(
            |p| (p[0] - 0.3).powi(2) + 10.0 * (p[1] - 0.7).powi(2),
            &[0.5, 0.5],
            &[(0.0, 1.0), (0.0, 1.0)],
            500,
        );
        assert!(
            (p[0] - 0.3).abs() < 1e-3 && (p[1] - 0.7).abs() < 1e-3,
            "{p:?}"
        );
    }
}
