// The indicators the overview colours places by: where each comes from in
// the API, how a place's value is made from the rows, and where the
// formulas doc defines it.

import * as api from "./api";
import { lang, num, pct, t } from "./i18n";

export type IndicatorId = "availability" | "months_of_stock" | "risk" | "concentration" | "mpr" | "on_time";

/** A place with the indicator's value. */
export interface Area {
  code: string;
  name: string;
  value: number | null;
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
  areas: (level: string) => Promise<Area[]>;
  products: (area: string, level: string) => Promise<AreaProduct[]>;
}

function median(xs: number[]): number | null {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const g = m.get(k);
    if (g) g.push(r);
    else m.set(k, [r]);
  }
  return m;
}

async function countryNames(): Promise<Map<string, string>> {
  const c = await api.all<api.Country>("/api/v1/countries");
  return new Map(c.rows.map((r) => [r.iso3, (lang() === "fr" && r.name_fr) || r.name_en]));
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
      const p = await api.all<api.AvailabilityRow>("/api/v1/availability", { by: level, basket: true });
      return p.rows.map((r) => ({ code: r.area, name: r.area_name, value: r.availability }));
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
      const p = await api.all<api.StockRow>("/api/v1/stock", { level });
      return [...groupBy(p.rows, (r) => r.location)].map(([code, rows]) => ({
        code,
        name: rows[0].location_name,
        value: median(rows.map((r) => r.months_of_stock).filter((x): x is number => x !== null)),
      }));
    },
    async products(area, level) {
      const p = await api.all<api.StockRow>("/api/v1/stock", { level, within: area });
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
      const p = await api.all<api.RiskRow>("/api/v1/risk", { level });
      return [...groupBy(p.rows, (r) => r.area)].map(([code, rows]) => ({
        code,
        name: rows[0].area_name,
        value: Math.max(...rows.map((r) => r.max_6)),
      }));
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
      const [p, names] = await Promise.all([
        api.all<api.ConcentrationRow>("/api/v1/market/concentration", { per: "country" }),
        countryNames(),
      ]);
      return p.rows.map((r) => ({ code: r.key[0], name: names.get(r.key[0]) ?? r.key[0], value: r.hhi }));
    },
    async products(area) {
      const p = await api.all<api.ConcentrationRow>("/api/v1/market/concentration", { country: area });
      return p.rows.map((r) => ({ code: r.key[0], value: r.hhi, detail: `${r.top} ${pct(r.top_share)}` }));
    },
  },
  {
    id: "mpr",
    kind: "market",
    doc: "2.6",
    higherIsBetter: false,
    format: (v) => num(v, 2),
    async areas() {
      const [p, names] = await Promise.all([
        api.all<api.MprRow>("/api/v1/market/mpr", { by_country: true }),
        countryNames(),
      ]);
      return [...groupBy(p.rows, (r) => r.key[1] ?? "")].map(([code, rows]) => ({
        code,
        name: names.get(code) ?? code,
        value: median(rows.map((r) => r.mpr).filter((x): x is number => x !== null)),
      }));
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
      const [p, names] = await Promise.all([
        api.all<api.DeliveryRow>("/api/v1/market/delivery", { by: "country" }),
        countryNames(),
      ]);
      return p.rows.map((r) => ({ code: r.key[0], name: names.get(r.key[0]) ?? r.key[0], value: r.on_time_share }));
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
