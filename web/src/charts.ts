// Apache ECharts, only the parts used (tree-shaken), and the world map from
// Natural Earth (world-atlas, 1:110m, public domain), loaded on first use.

import * as echarts from "echarts/core";
import { BarChart, LineChart, MapChart, BoxplotChart, PieChart } from "echarts/charts";
import {
  GridComponent,
  TooltipComponent,
  VisualMapComponent,
  LegendComponent,
  AriaComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import type { FeatureCollection, Geometry } from "geojson";

echarts.use([
  BarChart,
  LineChart,
  MapChart,
  BoxplotChart,
  PieChart,
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
  }
}

const live = new Set<Chart>();
const observers = new Set<ResizeObserver>();

/**
 * A chart in a new element. ECharts needs the element's size, so the chart
 * is made when the element is in the page and has one (`onReady` then gets
 * it), follows its size after, and is disposed when the page changes.
 */
export function chart(name: string, option: Option, height = 320, onReady?: (c: Chart) => void): HTMLElement {
  const node = document.createElement("div");
  node.className = "chart";
  node.dataset.chart = name;
  node.style.height = `${height}px`;
  let c: Chart | null = null;
  const ro = new ResizeObserver(() => {
    if (node.clientWidth === 0) return;
    if (c) {
      c.resize();
      return;
    }
    c = echarts.init(node, undefined, { renderer: "canvas" });
    c.setOption({ aria: { enabled: true }, animation: false, ...option });
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

let world: Promise<Map<number, string>> | null = null;

/** Registers the world map once; returns the shape names by ISO 3166 numeric code. */
export function worldMap(): Promise<Map<number, string>> {
  world ??= (async () => {
    const [{ feature }, topo] = await Promise.all([
      import("topojson-client"),
      import("world-atlas/countries-110m.json"),
    ]);
    const topology = (topo.default ?? topo) as unknown as Parameters<typeof feature>[0];
    const fc = feature(topology, (topology as any).objects.countries) as unknown as FeatureCollection<
      Geometry,
      { name: string }
    >;
    const byNumeric = new Map<number, string>();
    for (const f of fc.features) {
      // Shapes are keyed by ISO 3166-1 numeric code; a few disputed areas have none.
      const id = Number(f.id);
      const name = `${f.properties.name}#${f.id ?? ""}`;
      f.properties = { ...f.properties, name };
      if (Number.isFinite(id)) byNumeric.set(id, name);
    }
    echarts.registerMap("world", fc as any);
    return byNumeric;
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
