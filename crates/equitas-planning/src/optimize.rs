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

/// How a [`NelderMead`] search builds its first simplex, stops and scales
/// its moves.
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
/// are clamped into it), from `start`; `iters` evaluations at most, with the
/// standard settings ([`Simplex::standard`]; [`NelderMead`] for others).
pub fn nelder_mead(
    mut f: impl FnMut(&[f64]) -> f64,
    start: &[f64],
    bounds: &[(f64, f64)],
    iters: usize,
) -> Vec<f64> {
    let mut nm = NelderMead::new(start, bounds, Simplex::standard(iters));
    while let Some(p) = nm.ask() {
        let v = f(p);
        nm.tell(v);
    }
    nm.best()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Evaluating vertex i of the first simplex.
    Start(usize),
    /// Ready for the next iteration.
    Next,
    Reflect,
    Expand,
    Contract,
    /// Evaluating vertex i after a shrink.
    Shrink(usize),
    Done,
}

/// Nelder-Mead (1965) simplex minimisation as a step-by-step search: `ask`
/// gives the next point to evaluate (`None` once finished) and `tell` its
/// value, so that the caller can evaluate the points of several searches
/// together. Each iteration reflects the worst vertex through the centroid
/// of the others, expands if that is the best point yet, accepts it if it
/// beats the second worst, otherwise contracts (outside or inside) and,
/// failing that, shrinks every vertex toward the best.
pub struct NelderMead<'a> {
    opt: Simplex,
    bounds: &'a [(f64, f64)],
    n: usize,
    /// Vertices one after another, and their values.
    pts: Vec<f64>,
    vals: Vec<f64>,
    /// The sum of all vertices, kept up to date as they move.
    sum: Vec<f64>,
    centroid: Vec<f64>,
    /// The point asked for, and the reflected point.
    trial: Vec<f64>,
    reflected: Vec<f64>,
    fr: f64,
    order: (usize, usize, usize),
    /// The vertices by value, then by index (best first, worst last), kept
    /// up to date as one vertex moves, when `sorted`: no value is NaN (the
    /// order of [`NelderMead::rank`] is then this order's first, last and
    /// last but one). Invariant: `sorted` between iterations only if no
    /// value is NaN.
    ord: Vec<usize>,
    /// The values in that order.
    ordv: Vec<f64>,
    sorted: bool,
    coef: (f64, f64, f64),
    evals: usize,
    iters: usize,
    phase: Phase,
}

impl<'a> NelderMead<'a> {
    pub fn new(start: &[f64], bounds: &'a [(f64, f64)], opt: Simplex) -> NelderMead<'a> {
        let n = start.len();
        let nf = n as f64;
        let coef = if opt.adaptive && n > 0 {
            (1.0 + 2.0 / nf, 0.75 - 0.5 / nf, 1.0 - 1.0 / nf)
        } else {
            (2.0, 0.5, 0.5)
        };
        let mut p0 = start.to_vec();
        clamp(&mut p0, bounds);
        let mut pts = Vec::with_capacity((n + 1) * n);
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
            clamp(&mut p, bounds);
            pts.extend(&p);
        }
        NelderMead {
            opt,
            bounds,
            n,
            trial: p0,
            pts,
            vals: vec![f64::NAN; n + 1],
            sum: vec![0.0; n],
            centroid: vec![0.0; n],
            reflected: vec![0.0; n],
            fr: f64::NAN,
            order: (0, 0, 0),
            ord: (0..=n).collect(),
            ordv: vec![f64::NAN; n + 1],
            sorted: false,
            coef,
            evals: 0,
            iters: 0,
            phase: Phase::Start(0),
        }
    }

    fn vertex(&self, i: usize) -> &[f64] {
        &self.pts[i * self.n..(i + 1) * self.n]
    }

    /// (best, worst, second worst) in one pass; ties keep the earlier
    /// vertex best and the later one worst (the second worst is the latest
    /// of the largest values but the worst's). The values compared are
    /// carried along, not read again through the indices. Each iteration
    /// takes them from the order kept instead ([`NelderMead::order_now`]);
    /// this scan serves where a value is NaN, and for the best at the end.
    fn rank(vals: &[f64]) -> (usize, usize, usize) {
        let (mut b, mut w, mut s) = (0, 0, usize::MAX);
        let (mut vb, mut vw) = (vals[0], vals[0]);
        // The second worst's value; `s` is `usize::MAX` until there is one,
        // and then any value takes it (as a comparison with NaN would not).
        let mut vs = f64::NAN;
        for (i, &v) in vals.iter().enumerate().skip(1) {
            let better = v < vb;
            b = if better { i } else { b };
            vb = if better { v } else { vb };
            let worse = v >= vw;
            let second = s == usize::MAX || v >= vs;
            // A new worst demotes the old one to second worst.
            s = if worse {
                w
            } else if second {
                i
            } else {
                s
            };
            vs = if worse {
                vw
            } else if second {
                v
            } else {
                vs
            };
            w = if worse { i } else { w };
            vw = if worse { v } else { vw };
        }
        (b, w, if s == usize::MAX { w } else { s })
    }

    /// Sorts `ord` again after every value changed.
    fn sort(&mut self) {
        self.sorted = !self.vals.iter().any(|v| v.is_nan());
        if self.sorted {
            let vals = &self.vals;
            // Equal values (0 and -0 too) by index.
            self.ord.sort_unstable_by(|&i, &j| {
                vals[i]
                    .partial_cmp(&vals[j])
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(i.cmp(&j))
            });
            for (u, &i) in self.ordv.iter_mut().zip(&self.ord) {
                *u = vals[i];
            }
        }
    }

    /// (best, worst, second worst) as [`NelderMead::rank`] finds them, from
    /// the order kept (the first, the last and the last but one) when there
    /// is one: the search then need not look at every vertex each iteration.
    fn order_now(&self) -> (usize, usize, usize) {
        if !self.sorted {
            return Self::rank(&self.vals);
        }
        let o = &self.ord;
        let n = o.len() - 1;
        let order = (o[0], o[n], o[n.saturating_sub(1)]);
        debug_assert_eq!(order, Self::rank(&self.vals), "{:?}", self.vals);
        order
    }

    fn converged(&self) -> bool {
        let (b, w, _) = self.order;
        match self.opt.value_sd {
            Some(sd) => {
                // n + 1 values spread over a range r have a standard
                // deviation of at least r / sqrt(2 (n + 1)) (the two ends
                // apart, the others in the middle): far from converged when
                // the range alone says so (a margin of 1% for rounding). An
                // infinite value or a NaN goes on to the full test, which
                // then finds a variance of NaN, taken as 0: converged.
                let range = self.vals[w] - self.vals[b];
                let k = self.vals.len() as f64;
                if range.is_finite()
                    && range * range > 2.02 * k * sd * sd
                    && (self.sorted || !self.vals.iter().any(|v| v.is_nan()))
                {
                    return false;
                }
                // Deviations from the first value, for accuracy in one pass.
                let (mut sum, mut sq) = (0.0, 0.0);
                for v in &self.vals {
                    let d = v - self.vals[0];
                    sum += d;
                    sq += d * d;
                }
                let mean = sum / k;
                (sq / k - mean * mean).max(0.0).sqrt() < sd
            }
            None => (self.vals[w] - self.vals[b]).abs() <= 1e-10 * (1.0 + self.vals[b].abs()),
        }
    }

    /// centroid + t (worst - centroid), clamped, into `trial` (`bounds`
    /// has a pair for each coordinate: [`NelderMead::new`] reads them all).
    fn toward_worst(&mut self, t: f64) {
        let n = self.n;
        let w = self.order.1 * n;
        let worst = &self.pts[w..w + n];
        for (((o, &c), &x), &(lo, hi)) in self
            .trial
            .iter_mut()
            .zip(&self.centroid)
            .zip(worst)
            .zip(self.bounds)
        {
            *o = (c + t * (x - c)).clamp(lo, hi);
        }
    }

    fn replace_worst(&mut self, from_trial: bool, v: f64) {
        let wi = self.order.1;
        let n = self.n;
        let p = if from_trial {
            &self.trial
        } else {
            &self.reflected
        };
        let worst = &mut self.pts[wi * n..(wi + 1) * n];
        for ((s, old), new) in self.sum.iter_mut().zip(worst).zip(p) {
            *s += new - *old;
            *old = *new;
        }
        self.vals[wi] = v;
        self.phase = Phase::Next;
        if self.sorted {
            if v.is_nan() {
                self.sorted = false;
                return;
            }
            // The worst, last in the order, moves to its new place: after
            // the vertices before it (counted, not searched: no branch to
            // mispredict).
            let (ord, ordv) = (&mut self.ord, &mut self.ordv);
            let (mut p, mut tie) = (0usize, false);
            for &u in &ordv[..n] {
                p += usize::from(u < v);
                tie |= u == v;
            }
            if tie {
                // Equal values (rare) go by index.
                p = ord[..n]
                    .iter()
                    .zip(&ordv[..n])
                    .map(|(&j, &u)| usize::from(u < v || (u == v && j < wi)))
                    .sum();
            }
            let (o, ov) = (&mut ord[p..=n], &mut ordv[p..=n]);
            for e in (1..o.len()).rev() {
                o[e] = o[e - 1];
                ov[e] = ov[e - 1];
            }
            ord[p] = wi;
            ordv[p] = v;
        }
    }

    fn resum(&mut self) {
        self.sum.iter_mut().for_each(|x| *x = 0.0);
        for p in self.pts.chunks_exact(self.n.max(1)) {
            for (s, x) in self.sum.iter_mut().zip(p) {
                *s += x;
            }
        }
    }

    /// The next point to evaluate, `None` once the search has finished.
    pub fn ask(&mut self) -> Option<&[f64]> {
        match self.phase {
            Phase::Done => return None,
            Phase::Start(i) | Phase::Shrink(i) => return Some(self.vertex(i)),
            Phase::Reflect | Phase::Expand | Phase::Contract => return Some(&self.trial),
            Phase::Next => {}
        }
        let n = self.n;
        if self.evals >= self.opt.max_evals || self.iters >= self.opt.max_iters || n == 0 {
            self.phase = Phase::Done;
            return None;
        }
        self.iters += 1;
        self.order = self.order_now();
        if self.converged() {
            self.phase = Phase::Done;
            return None;
        }
        let w = self.order.1 * n;
        let worst = &self.pts[w..w + n];
        for ((c, s), x) in self.centroid.iter_mut().zip(&self.sum).zip(worst) {
            *c = (s - x) / n as f64;
        }
        self.toward_worst(-1.0);
        self.phase = Phase::Reflect;
        Some(&self.trial)
    }

    /// The value of the point last asked for.
    pub fn tell(&mut self, v: f64) {
        self.evals += 1;
        let (expand, contract, shrink) = self.coef;
        match self.phase {
            Phase::Start(i) => {
                self.vals[i] = v;
                self.phase = if i < self.n {
                    Phase::Start(i + 1)
                } else {
                    self.resum();
                    self.sort();
                    Phase::Next
                };
            }
            Phase::Shrink(i) => {
                self.vals[i] = v;
                let next = (i + 1..=self.n).find(|&j| j != self.order.0);
                self.phase = match next {
                    Some(j) => Phase::Shrink(j),
                    None => {
                        self.resum();
                        self.sort();
                        Phase::Next
                    }
                };
            }
            Phase::Reflect => {
                self.fr = v;
                let (b, w, s) = self.order;
                if v < self.vals[b] {
                    self.reflected.copy_from_slice(&self.trial);
                    self.toward_worst(-expand);
                    self.phase = Phase::Expand;
                } else if v < self.vals[s] {
                    self.replace_worst(true, v);
                } else {
                    let t = if v < self.vals[w] {
                        -contract
                    } else {
                        contract
                    };
                    self.toward_worst(t);
                    self.phase = Phase::Contract;
                }
            }
            Phase::Expand => {
                if v < self.fr {
                    self.replace_worst(true, v);
                } else {
                    self.replace_worst(false, self.fr);
                }
            }
            Phase::Contract => {
                let worst = self.vals[self.order.1];
                if v < worst.min(self.fr) {
                    self.replace_worst(true, v);
                } else {
                    // Shrink every other vertex toward the best, then
                    // evaluate them one by one.
                    let n = self.n;
                    let bi = self.order.0;
                    let best = self.vertex(bi).to_vec();
                    for (i, p) in self.pts.chunks_exact_mut(n).enumerate() {
                        if i != bi {
                            for (y, x) in p.iter_mut().zip(&best) {
                                *y = x + shrink * (*y - x);
                            }
                            clamp(p, self.bounds);
                        }
                    }
                    let first = if bi == 0 { 1 } else { 0 };
                    self.phase = Phase::Shrink(first);
                }
            }
            Phase::Next | Phase::Done => {}
        }
    }

    /// The best vertex so far.
    pub fn best(&self) -> Vec<f64> {
        let (b, _, _) = Self::rank(&self.vals);
        self.vertex(b).to_vec()
    }
}

fn clamp(p: &mut [f64], bounds: &[(f64, f64)]) {
    for (x, &(lo, hi)) in p.iter_mut().zip(bounds) {
        *x = x.clamp(lo, hi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The ranking as first written, comparing through the indices: the
    /// reference of the faster ways now used.
    fn rank_reference(vals: &[f64]) -> (usize, usize, usize) {
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
    }

    /// The convergence test as first written (every value, each time).
    fn converged_reference(vals: &[f64], sd: f64) -> bool {
        let (mut sum, mut sq) = (0.0, 0.0);
        for v in vals {
            let d = v - vals[0];
            sum += d;
            sq += d * d;
        }
        let k = vals.len() as f64;
        let mean = sum / k;
        (sq / k - mean * mean).max(0.0).sqrt() < sd
    }

    /// Values with ties, signed zeros, infinities and NaN.
    fn values() -> impl Strategy<Value = Vec<f64>> {
        proptest::collection::vec(
            prop_oneof![
                Just(0.0),
                Just(-0.0),
                Just(1.0),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
                Just(f64::NAN),
                -3.0f64..3.0,
                100.0f64..100.001,
            ],
            1..20,
        )
    }

    /// A search of the ETS fits' kind, asking and telling until done:
    /// checks at every iteration that the order kept as vertices move is
    /// the one a scan of every value finds.
    fn search(f: impl Fn(&[f64]) -> f64, start: &[f64], bounds: &[(f64, f64)]) -> Vec<f64> {
        let opt = Simplex {
            max_iters: 300,
            ..crate::models::ETS_SEARCH
        };
        let mut nm = NelderMead::new(start, bounds, opt);
        while let Some(p) = nm.ask() {
            let v = f(p);
            if nm.phase == Phase::Reflect {
                assert_eq!(nm.order, rank_reference(&nm.vals), "{:?}", nm.vals);
            }
            nm.tell(v);
        }
        nm.best()
    }

    proptest! {
        #[test]
        fn the_ranking_is_the_reference_one(vals in values()) {
            prop_assert_eq!(NelderMead::rank(&vals), rank_reference(&vals));
        }

        #[test]
        fn the_convergence_test_is_the_reference_one(
            vals in values(),
            sd in prop_oneof![Just(1e-4), 0.0f64..2.0],
        ) {
            let bounds = vec![(f64::NEG_INFINITY, f64::INFINITY); vals.len() - 1];
            let opt = Simplex { value_sd: Some(sd), ..Simplex::standard(10) };
            let mut nm = NelderMead::new(&vec![0.5; vals.len() - 1], &bounds, opt);
            nm.vals.clone_from(&vals);
            nm.order = rank_reference(&vals);
            prop_assert_eq!(nm.converged(), converged_reference(&vals, sd));
        }

        /// Objectives with plateaus (rounded to a coarse step), so that
        /// vertices tie often, and some infinite.
        #[test]
        fn the_order_kept_is_the_ranking(
            step in prop_oneof![Just(0.0), Just(0.5), Just(4.0)],
            dims in 1usize..8,
            wall in proptest::option::of(0.5f64..3.0),
        ) {
            let f = |p: &[f64]| {
                let v: f64 = p.iter().enumerate().map(|(i, x)| (x - i as f64).powi(2)).sum();
                if wall.is_some_and(|w| p[0] > w) {
                    f64::INFINITY
                } else if step > 0.0 {
                    (v / step).round() * step
                } else {
                    v
                }
            };
            let bounds = vec![(-10.0, 10.0); dims];
            search(f, &vec![0.3; dims], &bounds);
        }
    }

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
