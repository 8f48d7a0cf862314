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
"""
import json, sys, time
import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import (
    Naive, SeasonalNaive, WindowAverage, SimpleExponentialSmoothingOptimized, Holt,
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

def main():
    path = sys.argv[1]
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
