"""Runs statsforecast on the series written by the Equitas forecasting benchmark
and prints, per model, the time to forecast every series and the mean MASE on the
held-out months, as JSON for `cargo bench -p equitas-planning --bench forecast --
--compare FILE`.

    python3 -m venv /tmp/sf && /tmp/sf/bin/pip install statsforecast==2.1.1 pandas
    cargo bench -p equitas-planning --bench forecast -- 100000 --csv /tmp/series.csv
    /tmp/sf/bin/python bench/statsforecast/compare.py /tmp/series.csv > /tmp/sf.json
    cargo bench -p equitas-planning --bench forecast -- 100000 --compare /tmp/sf.json

MASE is computed here exactly as in Equitas (docs/formulas.md 4.3): mean absolute
error over the 6 held-out months divided by the mean absolute one-step naive error
of the 30 training months; series whose training part is flat are left out.
Models run one at a time, on all cores (n_jobs=-1), after a warm-up on a few series
so that numba compilation is not timed.

    compare.py FILE --accuracy [a,b,...] > sf.json

scores instead each model's forecasts and 80% / 95% intervals on the last 6 months of
every series (series may differ in length and start; bench/statsforecast/scms.sh):
MASE, RMSSE, the scaled pinball loss of the four interval bounds and the share of the
held-out months inside each interval, all as Equitas computes them (docs/formulas.md 4.3),
means over the series whose training part is not flat. Forecasts and bounds below zero
are taken as zero, as Equitas shows them. Models with their own intervals (AutoETS, the
naive methods, Holt, Holt-Winters, Theta, SES) use them; the others get statsforecast's
conformal intervals (`ConformalIntervals(h=6, n_windows=2)`).
"""
import json, sys, time
import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import (
    AutoETS, Naive, SeasonalNaive, WindowAverage, SimpleExponentialSmoothingOptimized, Holt,
    HoltWinters, Theta, CrostonClassic, CrostonSBA, CrostonOptimized, TSB, ADIDA, IMAPA,
)

HOLDOUT = 6
MODELS = {
    "naive": lambda: Naive(),
    "seasonal_naive": lambda: SeasonalNaive(season_length=12),
    "moving_average": lambda: WindowAverage(window_size=3),
    "ses": lambda: SimpleExponentialSmoothingOptimized(),
    "croston": lambda: CrostonClassic(),
    "croston_sba": lambda: CrostonSBA(),
    "croston_optimized": lambda: CrostonOptimized(),
    "tsb": lambda: TSB(alpha_d=0.1, alpha_p=0.1),
    "adida": lambda: ADIDA(),
    "imapa": lambda: IMAPA(),
    "holt": lambda: Holt(),
    "holt_winters": lambda: HoltWinters(season_length=12),
    "theta": lambda: Theta(season_length=12),
}
ACCURACY = dict(MODELS, auto_ets=lambda: AutoETS(season_length=12))
QUANTILES = [0.025, 0.10, 0.90, 0.975]


def accuracy(path, only):
    """Each model's accuracy on the held-out months (see the module doc)."""
    from statsforecast.utils import ConformalIntervals

    df = pd.read_csv(path, parse_dates=["ds"]).sort_values(["unique_id", "ds"])
    df["k"] = df.groupby("unique_id").cumcount(ascending=False)
    train_df = df[df.k >= HOLDOUT][["unique_id", "ds", "y"]]
    test = df[df.k < HOLDOUT].pivot(index="unique_id", columns="k", values="y")
    test = test[sorted(test.columns, reverse=True)].to_numpy()
    ids = np.sort(df.unique_id.unique())
    mae, mse = [], []
    for _, g in train_df.groupby("unique_id", sort=True):
        d = np.diff(g.y.to_numpy())
        mae.append(np.abs(d).mean())
        mse.append((d * d).mean())
    mae, mse = np.array(mae), np.array(mse)
    keep = mae > 0
    out = {}
    for name in only:
        def make(conformal):
            m = ACCURACY[name]()
            if conformal:
                m.prediction_intervals = ConformalIntervals(h=HOLDOUT, n_windows=2)
            return m
        probe = train_df[train_df.unique_id == ids[0]]
        try:
            StatsForecast(models=[make(False)], freq="MS", n_jobs=1).forecast(
                df=probe, h=HOLDOUT, level=[80, 95])
            conformal = False
        except Exception:
            conformal = True
        sf = StatsForecast(models=[make(conformal)], freq="MS", n_jobs=-1)
        t = time.perf_counter()
        try:
            fc = sf.forecast(df=train_df, h=HOLDOUT, level=[80, 95])
        except Exception:
            # Some series too short for the model (Holt-Winters needs two years): one at a
            # time, those left out (as Equitas leaves them out).
            one = StatsForecast(models=[make(conformal)], freq="MS", n_jobs=1)
            parts = []
            for i in ids:
                try:
                    parts.append(one.forecast(df=train_df[train_df.unique_id == i], h=HOLDOUT,
                                              level=[80, 95]))
                except Exception:
                    pass
            fc = pd.concat(parts)
        seconds = time.perf_counter() - t
        fc = fc.reset_index() if "unique_id" not in fc.columns else fc
        fc["k"] = fc.groupby("unique_id").cumcount()
        col = [c for c in fc.columns if c not in ("unique_id", "ds", "k") and "-lo-" not in c and "-hi-" not in c][0]
        get = lambda c: np.maximum(
            fc.pivot(index="unique_id", columns="k", values=c).reindex(ids).to_numpy(), 0.0)
        f = get(col)
        bounds = [get(f"{col}-lo-95"), get(f"{col}-lo-80"), get(f"{col}-hi-80"), get(f"{col}-hi-95")]
        e = test - f
        ok = keep & np.isfinite(f).all(axis=1)
        mase = np.abs(e).mean(axis=1)[ok] / mae[ok]
        rmsse = np.sqrt((e * e).mean(axis=1)[ok] / mse[ok])
        pin = sum(np.where(test >= b, q * (test - b), (1 - q) * (b - test)).mean(axis=1)
                  for q, b in zip(QUANTILES, bounds)) / len(QUANTILES)
        spl = pin[ok] / mae[ok]
        fitted = np.isfinite(f).all(axis=1)
        cover = lambda lo, hi: float(((lo <= test) & (test <= hi))[fitted].mean())
        out[name] = {
            "seconds": seconds, "series": int(ok.sum()),
            "mase": float(np.nanmean(mase)), "rmsse": float(np.nanmean(rmsse)),
            "spl": float(np.nanmean(spl)),
            "cov80": cover(bounds[1], bounds[2]), "cov95": cover(bounds[0], bounds[3]),
            "intervals": "conformal" if conformal else "model",
        }
        print(f"{name}: {out[name]}", file=sys.stderr, flush=True)
    print(json.dumps(out, indent=1))

def main():
    path = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == "--accuracy":
        models = sys.argv[3].split(",") if len(sys.argv) > 3 else list(ACCURACY)
        return accuracy(path, models)
    only = sys.argv[2].split(",") if len(sys.argv) > 2 else list(MODELS)
    df = pd.read_csv(path, parse_dates=["ds"])
    df = df.sort_values(["unique_id", "ds"])
    ids = df["unique_id"].to_numpy()
    y = df["y"].to_numpy().reshape(-1, 36)
    train_df = df.groupby("unique_id", sort=False).head(36 - HOLDOUT)
    train, test = y[:, : 36 - HOLDOUT], y[:, 36 - HOLDOUT :]
    scale = np.abs(np.diff(train, axis=1)).mean(axis=1)
    keep = scale > 0
    out = {}
    for name in only:
        warm = StatsForecast(models=[MODELS[name]()], freq="MS", n_jobs=1)
        warm.forecast(df=train_df[train_df.unique_id < 20], h=HOLDOUT)
        sf = StatsForecast(models=[MODELS[name]()], freq="MS", n_jobs=-1)
        t = time.perf_counter()
        fc = sf.forecast(df=train_df, h=HOLDOUT)
        seconds = time.perf_counter() - t
        col = [c for c in fc.columns if c not in ("unique_id", "ds")][0]
        f = fc.sort_values(["unique_id", "ds"])[col].to_numpy().reshape(-1, HOLDOUT)
        mase = np.abs(test - f).mean(axis=1)[keep] / scale[keep]
        mase = mase[np.isfinite(mase)]
        out[name] = {"seconds": seconds, "mase": float(mase.mean()), "series": int(mase.size)}
        print(f"{name}: {seconds:.1f} s, MASE {mase.mean():.4f}", file=sys.stderr, flush=True)
    print(json.dumps(out, indent=1))

if __name__ == "__main__":
    main()
