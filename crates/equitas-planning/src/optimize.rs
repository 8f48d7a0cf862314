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

/// How [`nelder_mead_with`] builds its first simplex, stops and scales its
/// moves.
#[derive(Debug, Clone, Copy)]
pub struct Simplex {
    /// Each further vertex moves one coordinate of the start by this
    /// fraction of its bounds' width (`Some`), or multiplies it by
    /// `1 + relative_step` (`None`; a zero coordinate becomes `zero_step`):
    /// the second suits unbounded coordinates such as initial states.
    pub width_step: Option<f64>,
    pub relative_step: f64,
    pub zero_step: f64,
    /// Gao and Han's (2012) coefficients for `n` dimensions (expansion
    /// 1 + 2/n, contraction 0.75 - 1/(2n), shrink 1 - 1/n) instead of the
    /// standard 2, 1/2, 1/2.
    pub adaptive: bool,
    /// Stop when the population standard deviation of the vertices' values
    /// falls below this (`Some`), or when best and worst agree to a relative
    /// 1e-10 (`None`).
    pub value_sd: Option<f64>,
    /// At most this many evaluations of `f` ...
    pub max_evals: usize,
    /// ... and this many iterations.
    pub max_iters: usize,
}

impl Simplex {
    /// The standard method: first steps of a tenth of each bound's width,
    /// standard coefficients, `evals` evaluations at most.
    pub fn standard(evals: usize) -> Simplex {
        Simplex {
            width_step: Some(0.1),
            relative_step: 0.0,
            zero_step: 0.0,
            adaptive: false,
            value_sd: None,
            max_evals: evals,
            max_iters: usize::MAX,
        }
    }
}

/// Nelder-Mead simplex minimisation of `f` over the box `bounds` (points
/// are clamped into it), from `start`; `iters` evaluations at most.
pub fn nelder_mead(
    f: impl FnMut(&[f64]) -> f64,
    start: &[f64],
    bounds: &[(f64, f64)],
    iters: usize,
) -> Vec<f64> {
    nelder_mead_with(f, start, bounds, &Simplex::standard(iters))
}

/// Nelder-Mead (1965) simplex minimisation of `f` over the box `bounds`
/// (every trial point is clamped into it), from `start`, as set by `opt`:
/// reflect the worst vertex through the centroid of the others, expand if
/// that is the best point yet, accept it if it beats the second worst,
/// otherwise contract (outside or inside) and, failing that, shrink every
/// vertex toward the best. Returns the best vertex.
pub fn nelder_mead_with(
    mut f: impl FnMut(&[f64]) -> f64,
    start: &[f64],
    bounds: &[(f64, f64)],
    opt: &Simplex,
) -> Vec<f64> {
    let n = start.len();
    let clamp = |p: &mut [f64]| {
        for (x, &(lo, hi)) in p.iter_mut().zip(bounds) {
            *x = x.clamp(lo, hi);
        }
    };
    let nf = n as f64;
    let (expand, contract, shrink) = if opt.adaptive && n > 0 {
        (1.0 + 2.0 / nf, 0.75 - 0.5 / nf, 1.0 - 1.0 / nf)
    } else {
        (2.0, 0.5, 0.5)
    };
    // Vertices one after another in `pts`, their values in `vals`.
    let mut pts: Vec<f64> = Vec::with_capacity((n + 1) * n);
    let mut vals: Vec<f64> = Vec::with_capacity(n + 1);
    let mut p0 = start.to_vec();
    clamp(&mut p0);
    vals.push(f(&p0));
    pts.extend(&p0);
    for i in 0..n {
        let mut p = p0.clone();
        let (lo, hi) = bounds[i];
        p[i] = match opt.width_step {
            Some(w) => {
                let step = w * (hi - lo);
                if p[i] + step <= hi {
                    p[i] + step
                } else {
                    p[i] - step
                }
            }
            None if p[i] == 0.0 => opt.zero_step,
            None => p[i] * (1.0 + opt.relative_step),
        };
        clamp(&mut p);
        vals.push(f(&p));
        pts.extend(&p);
    }
    let mut evals = n + 1;
    // The sum of all vertices, kept up to date as they move.
    let mut sum = vec![0.0; n];
    let add_all = |sum: &mut [f64], pts: &[f64]| {
        sum.iter_mut().for_each(|x| *x = 0.0);
        for p in pts.chunks_exact(n.max(1)) {
            for (s, x) in sum.iter_mut().zip(p) {
                *s += x;
            }
        }
    };
    add_all(&mut sum, &pts);
    let mut centroid = vec![0.0; n];
    let (mut r, mut c) = (vec![0.0; n], vec![0.0; n]);
    // centroid + t (from - centroid), clamped.
    let toward = |out: &mut [f64], centroid: &[f64], t: f64, from: &[f64]| {
        for ((o, c), x) in out.iter_mut().zip(centroid).zip(from) {
            *o = c + t * (x - c);
        }
        clamp(out);
    };
    let order = |vals: &[f64]| {
        // (best, worst, second worst) in one pass; ties keep the earlier
        // vertex best and the later one worst.
        let (mut b, mut w, mut s) = (0, 0, usize::MAX);
        for (i, &v) in vals.iter().enumerate().skip(1) {
            if v < vals[b] {
                b = i;
            }
            if v >= vals[w] {
                s = w;
                w = i;
            } else if s == usize::MAX || v >= vals[s] {
                s = i;
            }
        }
        (b, w, if s == usize::MAX { w } else { s })
    };
    let mut iters = 0;
    while evals < opt.max_evals && iters < opt.max_iters && n > 0 {
        iters += 1;
        let (bi, wi, si) = order(&vals);
        let (best, worst) = (vals[bi], vals[wi]);
        let done = match opt.value_sd {
            Some(sd) => {
                // Deviations from the first value, for accuracy in one pass.
                let (mut sum, mut sq) = (0.0, 0.0);
                for v in &vals {
                    let d = v - vals[0];
                    sum += d;
                    sq += d * d;
                }
                let mean = sum / (nf + 1.0);
                (sq / (nf + 1.0) - mean * mean).max(0.0).sqrt() < sd
            }
            None => (worst - best).abs() <= 1e-10 * (1.0 + best.abs()),
        };
        if done {
            break;
        }
        let w = wi * n..(wi + 1) * n;
        for ((c, s), x) in centroid.iter_mut().zip(&sum).zip(&pts[w.clone()]) {
            *c = (s - x) / nf;
        }
        toward(&mut r, &centroid, -1.0, &pts[w.clone()]);
        let fr = f(&r);
        evals += 1;
        let mut replace = |pts: &mut [f64], vals: &mut [f64], p: &[f64], v: f64| {
            for ((s, old), new) in sum.iter_mut().zip(&pts[w.clone()]).zip(p) {
                *s += new - old;
            }
            pts[w.clone()].copy_from_slice(p);
            vals[wi] = v;
        };
        if fr < best {
            toward(&mut c, &centroid, -expand, &pts[w.clone()]);
            let fe = f(&c);
            evals += 1;
            if fe < fr {
                replace(&mut pts, &mut vals, &c, fe);
            } else {
                replace(&mut pts, &mut vals, &r, fr);
            }
        } else if fr < vals[si] {
            replace(&mut pts, &mut vals, &r, fr);
        } else {
            let t = if fr < worst { -contract } else { contract };
            toward(&mut c, &centroid, t, &pts[w.clone()]);
            let fcv = f(&c);
            evals += 1;
            if fcv < worst.min(fr) {
                replace(&mut pts, &mut vals, &c, fcv);
            } else {
                let b = pts[bi * n..(bi + 1) * n].to_vec();
                for (i, p) in pts.chunks_exact_mut(n).enumerate() {
                    if i == bi {
                        continue;
                    }
                    for (y, x) in p.iter_mut().zip(&b) {
                        *y = x + shrink * (*y - x);
                    }
                    clamp(p);
                    vals[i] = f(p);
                    evals += 1;
                }
                add_all(&mut sum, &pts);
            }
        }
    }
    let (bi, _, _) = order(&vals);
    pts[bi * n..(bi + 1) * n].to_vec()
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
