// The indicators the overview colours places by: where each comes from in
// the API, how a place's value is made from the rows, and where the
// formulas doc defines it.

import * as api from "./api";
import { num, pct, t } from "./i18n";
import { loadCountryNames, loadPlaceNames } from "./names";

export type IndicatorId = "availability" | "months_of_stock" | "risk" | "concentration" | "mpr" | "on_time";

/** A place with the indicator's value. */
export interface Area {
  code: string;
  name: string;
  value: number | null;
}

/** The places, and what date the data are of: stock as of a day, procurement over a period. */
export interface Areas {
  areas: Area[];
  asOf?: string;
  period?: { from: string | null; to: string | null };
  /** What the figures are measured against (the reference prices of an MPR). */
  basis?: string;
}

/** A product of a place with the indicator's value. */
export interface AreaProduct {
  /** Item (GTIN) for stock indicators, product code for market ones. */
  code: string;
  value: number | null;
  /** A second figure shown beside it. */
  detail: string;
}

export interface Indicator {
  id: IndicatorId;
  kind: "stock" | "market";
  /** docs/formulas.md section. */
  doc: string;
  /** Higher values are better (colour scale direction). */
  higherIsBetter: boolean;
  format: (v: number | null) => string;
  /** Fixed scale of the colours, if the indicator has one. */
  range?: [number, number];
  areas: (level: string) => Promise<Areas>;
  products: (area: string, level: string) => Promise<AreaProduct[]>;
}

function median(xs: number[]): number | null {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const g = m.get(k);
    if (g) g.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** One place per code of the rows, named from its first row, valued from all its rows. */
function areasOf<T>(
  rows: T[],
  code: (r: T) => string,
  name: (r: T) => string,
  value: (rows: T[]) => number | null,
): Area[] {
  return [...groupBy(rows, code)].map(([c, g]) => ({ code: c, name: name(g[0]), value: value(g) }));
}

/** Places that are buyer countries (ISO3 codes), named in the page's language. */
async function perCountry<T>(
  path: string,
  params: Record<string, string | boolean>,
  code: (r: T) => string,
  value: (rows: T[]) => number | null,
  basis?: (rows: T[]) => string | undefined,
): Promise<Areas> {
  const [p, names] = await Promise.all([api.all<T>(path, params), loadCountryNames()]);
  return {
    areas: areasOf(p.rows, code, (r) => names.get(code(r)) ?? code(r), value),
    period: p.period,
    basis: basis?.(p.rows),
  };
}

export const INDICATORS: Indicator[] = [
  {
    id: "availability",
    kind: "stock",
    doc: "3.9",
    higherIsBetter: true,
    range: [0, 1],
    format: (v) => pct(v),
    async areas(level) {
      const [p, place] = await Promise.all([api.all<api.AvailabilityRow>("/api/v1/availability", { by: level, basket: true }), loadPlaceNames()]);
      return { areas: areasOf(p.rows, (r) => r.area, (r) => place(r.area, r.area_name), (g) => g[0].availability), asOf: p.as_of };
    },
    async products(area, level) {
      const p = await api.all<api.AvailabilityRow>("/api/v1/availability", { by: level });
      return p.rows
        .filter((r) => r.area === area)
        .map((r) => ({
          code: r.item,
          value: r.availability,
          detail: `${num(r.in_stock)} / ${num(r.facilities)}`,
        }));
    },
  },
  {
    id: "months_of_stock",
    kind: "stock",
    doc: "3.6",
    higherIsBetter: true,
    format: (v) => num(v, 1),
    async areas(level) {
      const [p, place] = await Promise.all([api.all<api.StockRow>("/api/v1/stock", { level }), loadPlaceNames()]);
      const areas = areasOf(
        p.rows,
        (r) => r.location,
        (r) => place(r.location, r.location_name),
        (g) => median(g.map((r) => r.months_of_stock).filter((x): x is number => x !== null)),
      );
      return { areas, asOf: p.as_of };
    },
    async products(area, level) {
      const p = await api.all<api.StockRow>("/api/v1/stock", { level });
      return p.rows
        .filter((r) => r.location === area)
        .map((r) => ({ code: r.item, value: r.months_of_stock, detail: t(`status.${r.status}` as any) }));
    },
  },
  {
    id: "risk",
    kind: "stock",
    doc: "4.8",
    higherIsBetter: false,
    range: [0, 1],
    format: (v) => pct(v),
    async areas(level) {
      const [p, place] = await Promise.all([api.all<api.RiskRow>("/api/v1/risk", { level }), loadPlaceNames()]);
      return { areas: areasOf(p.rows, (r) => r.area, (r) => place(r.area, r.area_name), (g) => Math.max(...g.map((r) => r.max_6))), asOf: p.as_of };
    },
    async products(area, level) {
      const p = await api.all<api.RiskRow>("/api/v1/risk", { level });
      return p.rows
        .filter((r) => r.area === area)
        .map((r) => ({ code: r.item, value: r.max_6, detail: pct(r.max_all) }));
    },
  },
  {
    id: "concentration",
    kind: "market",
    doc: "2.2",
    higherIsBetter: false,
    range: [0, 10000],
    format: (v) => num(v),
    async areas() {
      return perCountry<api.ConcentrationRow>(
        "/api/v1/market/concentration",
        { per: "country" },
        (r) => r.key[0],
        (g) => g[0].hhi,
      );
    },
    async products(area) {
      const p = await api.all<api.ConcentrationRow>("/api/v1/market/concentration", { country: area });
      return p.rows.map((r) => ({
        code: r.key[0],
        value: r.hhi,
        detail: `${api.label(p, "supplier", r.top)} ${pct(r.top_share)}`,
      }));
    },
  },
  {
    id: "mpr",
    kind: "market",
    doc: "2.6",
    higherIsBetter: false,
    format: (v) => num(v, 2),
    async areas() {
      return perCountry<api.MprRow>(
        "/api/v1/market/mpr",
        { by_country: true },
        (r) => r.key[1] ?? "",
        (g) => median(g.map((r) => r.mpr).filter((x): x is number => x !== null)),
        (rows) => [...new Set(rows.map((r) => r.reference_source))].sort().join("; ") || undefined,
      );
    },
    async products(area) {
      const p = await api.all<api.MprRow>("/api/v1/market/mpr", { by_country: true, country: area });
      return p.rows.map((r) => ({ code: r.key[0], value: r.mpr, detail: num(r.n) }));
    },
  },
  {
    id: "on_time",
    kind: "market",
    doc: "2.9",
    higherIsBetter: true,
    range: [0, 1],
    format: (v) => pct(v),
    async areas() {
      return perCountry<api.DeliveryRow>(
        "/api/v1/market/delivery",
        { by: "country" },
        (r) => r.key[0],
        (g) => g[0].on_time_share,
      );
    },
    async products(area) {
      const p = await api.all<api.DeliveryRow>("/api/v1/market/delivery", { by: "product", country: area });
      return p.rows.map((r) => ({
        code: r.key[0],
        value: r.on_time_share,
        detail: r.delay_days ? num(r.delay_days.median) : "–",
      }));
    },
  },
];

export function indicator(id: string | null): Indicator {
  return INDICATORS.find((i) => i.id === id) ?? INDICATORS[0];
}
