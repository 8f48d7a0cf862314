// Apache ECharts, only the parts used (tree-shaken), and the world map from
// Natural Earth (world-atlas, 1:110m, public domain), loaded on first use.

import * as echarts from "echarts/core";
import { BarChart, LineChart, MapChart, BoxplotChart, PieChart, SankeyChart } from "echarts/charts";
import {
  GridComponent,
  TooltipComponent,
  VisualMapComponent,
  LegendComponent,
  AriaComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import type { Feature, FeatureCollection, Geometry, MultiPolygon, Polygon, Position } from "geojson";
import { lang, locale, t } from "./i18n";
import * as api from "./api";

echarts.use([
  BarChart,
  LineChart,
  MapChart,
  BoxplotChart,
  PieChart,
  SankeyChart,
  GridComponent,
  TooltipComponent,
  VisualMapComponent,
  LegendComponent,
  AriaComponent,
  CanvasRenderer,
]);

export type Chart = echarts.ECharts;
export type Option = echarts.EChartsCoreOption;

declare global {
  interface Window {
    /** Charts on the page by name, for the browser tests. */
    __equitasCharts?: Record<string, Chart>;
    /** The shapes of the world map as registered, for the browser tests. */
    __equitasWorld?: FeatureCollection<Geometry, { name: string }>;
  }
}

/** A number in the page's language (3,000 or 3 000), as many decimals as it has (up to 3). */
export function plain(v: number): string {
  return new Intl.NumberFormat(locale()).format(v);
}

type Loose = Record<string, any>;

/**
 * The chart's option with what ECharts would otherwise write in English:
 * value axes and tooltips get the page language's number format (unless the
 * chart formats them itself), and the accessible description its words.
 */
function localised(option: Option): Option {
  const axes = (a: unknown) => (Array.isArray(a) ? a : a ? [a] : []) as Loose[];
  const out: Loose = { ...option };
  for (const k of ["xAxis", "yAxis"]) {
    if (!out[k]) continue;
    const list = axes(out[k]).map((ax) =>
      ax.type === "value" && !ax.axisLabel?.formatter ? { ...ax, axisLabel: { ...ax.axisLabel, formatter: plain } } : ax,
    );
    out[k] = Array.isArray(out[k]) ? list : list[0];
  }
  if (out.tooltip && !out.tooltip.formatter && !out.tooltip.valueFormatter) {
    out.tooltip = { ...out.tooltip, valueFormatter: (v: unknown) => (typeof v === "number" ? plain(v) : String(v ?? "–")) };
  }
  out.aria = {
    enabled: true,
    label: {
      general: { withTitle: t("aria.chart_titled"), withoutTitle: t("aria.chart") },
      series: {
        maxCount: 10,
        single: { prefix: "", withName: t("aria.series_named"), withoutName: "" },
        multiple: {
          prefix: t("aria.series_count"),
          withName: t("aria.series_n_named"),
          withoutName: t("aria.series_n"),
          separator: { middle: "", end: "" },
        },
      },
      data: {
        maxCount: 20,
        allData: t("aria.all_data"),
        partialData: t("aria.partial_data"),
        withName: t("aria.data_named"),
        withoutName: "{value}",
        separator: { middle: lang() === "fr" ? " ; " : "; ", end: ". " },
      },
    },
  };
  return out;
}

const live = new Set<Chart>();
const observers = new Set<ResizeObserver>();

/**
 * A chart in a new element. ECharts needs the element's size, so the chart
 * is made when the element is in the page and has one (`onReady` then gets
 * it), follows its size after, and is disposed when the page changes.
 * `height` is in pixels, or made from the width the page gives the chart.
 */
export function chart(
  name: string,
  option: Option,
  height: number | ((width: number) => number) = 320,
  onReady?: (c: Chart) => void,
): HTMLElement {
  const node = document.createElement("div");
  node.className = "chart";
  node.dataset.chart = name;
  const sized = () => {
    const h = typeof height === "number" ? height : Math.round(height(node.clientWidth));
    if (node.style.height !== `${h}px`) node.style.height = `${h}px`;
  };
  if (typeof height === "number") sized();
  let c: Chart | null = null;
  const ro = new ResizeObserver(() => {
    if (node.clientWidth === 0) return;
    sized();
    if (c) {
      c.resize();
      return;
    }
    c = echarts.init(node, undefined, { renderer: "canvas" });
    c.setOption({ animation: false, ...localised(option) });
    live.add(c);
    (window.__equitasCharts ??= {})[name] = c;
    onReady?.(c);
  });
  ro.observe(node);
  observers.add(ro);
  return node;
}

export function disposeCharts(): void {
  for (const o of observers) o.disconnect();
  observers.clear();
  for (const c of live) c.dispose();
  live.clear();
  window.__equitasCharts = {};
}

/** The world map as registered: shape names by ISO 3166 numeric code, and its width / height as drawn. */
export interface WorldMap {
  byNumeric: Map<number, string>;
  aspect: number;
}

let world: Promise<WorldMap> | null = null;

/** ECharts draws a degree of longitude this wide against a degree of latitude (its default `aspectScale`). */
const ASPECT_SCALE = 0.75;

/** Antarctica (ISO 3166 010): no buyer country, and a sixth of the map's height. */
const LEFT_OFF = new Set(["010"]);

/**
 * One side of a ring: the points with `keep(x)`, cut where an edge crosses
 * the meridian `x0` (Sutherland-Hodgman against one half-plane).
 */
function clipRing(ring: Position[], x0: number, keep: (x: number) => boolean): Position[] {
  const out: Position[] = [];
  for (let i = 0; i + 1 < ring.length; i++) {
    const [a, b] = [ring[i], ring[i + 1]];
    const [inA, inB] = [keep(a[0]), keep(b[0])];
    if (inA) out.push(a);
    if (inA !== inB) out.push([x0, a[1] + ((b[1] - a[1]) * (x0 - a[0])) / (b[0] - a[0])]);
  }
  if (out.length < 3) return [];
  out.push(out[0]);
  return out;
}

/** The ring's longitudes made continuous (a step of more than 180° is a crossing of the 180th meridian). */
function unwrap(ring: Position[], near: number): Position[] {
  let shift = Math.round((near - ring[0][0]) / 360) * 360;
  let prev = ring[0][0];
  return ring.map(([x, y]) => {
    if (x - prev > 180) shift -= 360;
    else if (prev - x > 180) shift += 360;
    prev = x;
    return [x + shift, y];
  });
}

/**
 * A polygon whose edges cross the 180th meridian, which a flat map would
 * draw as lines across the whole world, split into its parts east and west
 * of it (Natural Earth's shapes are made for the sphere: Russia's Chukotka
 * and Fiji cross it).
 */
export function splitAtAntimeridian(polygon: Position[][]): Position[][][] {
  const crosses = polygon.some((r) => r.some((p, i) => i > 0 && Math.abs(p[0] - r[i - 1][0]) > 180));
  if (!crosses) return [polygon];
  const outer = unwrap(polygon[0], polygon[0][0][0]);
  const rings = [outer, ...polygon.slice(1).map((r) => unwrap(r, outer[0][0]))];
  const xs = outer.map((p) => p[0]);
  // The meridian is at +180 if the unwrapped shape goes past it, else at -180.
  const edge = Math.max(...xs) > 180 ? 180 : -180;
  const sides: [(x: number) => boolean, number][] = [
    [(x) => x <= 180 && x >= -180, 0],
    [(x) => (edge > 0 ? x >= 180 : x <= -180), edge > 0 ? -360 : 360],
  ];
  const parts: Position[][][] = [];
  for (const [keep, shift] of sides) {
    const [outerPart, ...holes] = rings.map((r) => clipRing(r, edge, keep));
    if (outerPart.length === 0) continue;
    parts.push([outerPart, ...holes.filter((r) => r.length > 0)].map((r) => r.map(([x, y]) => [x + shift, y])));
  }
  return parts;
}

function splitFeature(f: Feature<Geometry, { name: string }>): Feature<Geometry, { name: string }> {
  const g = f.geometry;
  if (g.type !== "Polygon" && g.type !== "MultiPolygon") return f;
  const polygons = g.type === "Polygon" ? [(g as Polygon).coordinates] : (g as MultiPolygon).coordinates;
  const split = polygons.flatMap(splitAtAntimeridian);
  if (split.length === polygons.length && split.every((p, i) => p === polygons[i])) return f;
  return { ...f, geometry: { type: "MultiPolygon", coordinates: split } };
}

/** Registers the world map once. */
export function worldMap(): Promise<WorldMap> {
  world ??= (async () => {
    const [{ feature }, topo] = await Promise.all([
      import("topojson-client"),
      import("world-atlas/countries-110m.json"),
    ]);
    const topology = (topo.default ?? topo) as unknown as Parameters<typeof feature>[0];
    const all = feature(topology, (topology as any).objects.countries) as unknown as FeatureCollection<
      Geometry,
      { name: string }
    >;
    const fc: FeatureCollection<Geometry, { name: string }> = {
      type: "FeatureCollection",
      features: all.features.filter((f) => !LEFT_OFF.has(String(f.id))).map(splitFeature),
    };
    const byNumeric = new Map<number, string>();
    let [south, north] = [90, -90];
    for (const f of fc.features) {
      // Shapes are keyed by ISO 3166-1 numeric code; a few disputed areas have none.
      const id = Number(f.id);
      const name = `${f.properties.name}#${f.id ?? ""}`;
      f.properties = { ...f.properties, name };
      if (Number.isFinite(id)) byNumeric.set(id, name);
      const polygons = f.geometry.type === "MultiPolygon" ? f.geometry.coordinates : f.geometry.type === "Polygon" ? [f.geometry.coordinates] : [];
      for (const p of polygons) for (const [, y] of p[0]) [south, north] = [Math.min(south, y), Math.max(north, y)];
    }
    echarts.registerMap("world", fc as any);
    window.__equitasWorld = fc;
    return { byNumeric, aspect: (360 * ASPECT_SCALE) / (north - south) };
  })();
  return world;
}

/** Colours from poor to good (red to green), colour-blind safe enough with labels. */
export const SCALE_GOOD_HIGH = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"];
export const SCALE_GOOD_LOW = SCALE_GOOD_HIGH.slice().reverse();

/** The colour of `v` on a scale from `lo` to `hi` (the visual map's colours, by step). */
export function colourOf(v: number | null, lo: number, hi: number, colours: string[]): string {
  if (v === null || !Number.isFinite(v)) return "#cccccc";
  const f = hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5;
  return colours[Math.min(colours.length - 1, Math.floor(f * colours.length))];
}

/** A country (ISO 3166-1 alpha-3) with the value it is coloured by. */
export interface MapArea {
  code: string;
  name: string;
  value: number | null;
  /** A second line of the tooltip. */
  detail?: string;
}

/**
 * Countries coloured by a value on the world map, with its scale from `lo`
 * to `hi`; `null` when none of them has a shape on the map. `missing`
 * counts the areas left off (no shape).
 */
export async function countryMap(
  name: string,
  areas: MapArea[],
  o: { label: string; format: (v: number | null) => string; lo: number; hi: number; colours: string[]; pick?: (code: string) => void },
): Promise<{ node: HTMLElement; missing: number } | null> {
  const [map, countries] = await Promise.all([worldMap(), api.all<api.Country>("/api/v1/countries")]);
  const numeric = new Map(countries.rows.filter((c) => c.numeric !== null).map((c) => [c.iso3, c.numeric!]));
  const shapeOf = (a: MapArea) => map.byNumeric.get(numeric.get(a.code) ?? -1);
  const onMap = areas.filter((a) => shapeOf(a) !== undefined);
  if (onMap.length === 0) return null;
  const byShape = new Map(onMap.map((a) => [shapeOf(a)!, a]));
  const node = chart(
    name,
    {
      tooltip: {
        trigger: "item",
        formatter: (p: any) => {
          const a = byShape.get(p.name);
          if (!a) return String(p.name).split("#")[0];
          return `${a.name}<br>${o.label}: ${o.format(a.value)}${a.detail ? `<br>${a.detail}` : ""}`;
        },
      },
      visualMap: {
        min: o.lo,
        max: o.hi,
        calculable: true,
        inRange: { color: o.colours },
        left: "left",
        bottom: 10,
        formatter: (v: number) => o.format(v),
      },
      series: [
        {
          type: "map",
          map: "world",
          roam: true,
          // The whole width: the chart is as high as the map is at that width.
          left: 0,
          right: 0,
          top: 0,
          bottom: 0,
          name: o.label,
          emphasis: { label: { show: false } },
          itemStyle: { areaColor: "#eeeeee", borderColor: "#999", borderWidth: 0.4 },
          data: onMap.map((a) => ({ name: shapeOf(a)!, value: a.value, code: a.code })),
        },
      ],
    },
    (width) => width / map.aspect,
    (c) =>
      c.on("click", (p: any) => {
        const a = byShape.get(p.name);
        if (a && o.pick) o.pick(a.code);
      }),
  );
  return { node, missing: areas.length - onMap.length };
}
