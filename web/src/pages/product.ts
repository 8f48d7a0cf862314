// A product: stock by level, availability over time and stockout risk (from
// the ledger, per item), then prices and their spread, suppliers and their
// shares, and delivery delays (from procurement lines).

import * as api from "../api";
import { chart } from "../charts";
import { docLink, el, fill, message, section } from "../dom";
import { colon, date, month, num, pct, t } from "../i18n";
import { loadNames, loadPlaceNames, nameOf } from "../names";
import { navigate, type Route } from "../router";
import { dataTable } from "../table";
import { groupBy } from "../indicators";
import { stockFigures } from "../stock";
import { band, method, programme } from "../vocab";

const LEVELS = ["warehouse", "region", "district", "facility"];
/** The levels a product's supply plans are shown at: each store's orders, or each area's. */
const PLAN_LEVELS = ["warehouse", "country", "region"];
/** The groups a product's supply concentration is shown across (formulas 2.8). */
const CONCENTRATION_BY = ["supplier", "site", "site-country"];

export async function productPage(route: Route): Promise<HTMLElement> {
  const code = route.arg;
  const [names, place] = await Promise.all([loadNames(), loadPlaceNames()]);
  // The code is a product (with its items) or an item (GTIN) of one.
  const product = names.items.get(code)?.product ?? code;
  const items = names.itemsOf.get(product) ?? (names.items.has(code) ? [code] : []);
  const info = names.items.get(items[0] ?? "");
  const title = nameOf(names, product);
  const level = LEVELS.includes(route.query.get("level") ?? "") ? route.query.get("level")! : "facility";
  const asked = PLAN_LEVELS.includes(route.query.get("plan") ?? "") ? route.query.get("plan")! : null;

  const root = el(
    "div",
    { class: "page product" },
    el("h1", {}, title),
    el(
      "p",
      { class: "lead" },
      // Items recorded by a GTIN are named as such; one recorded under the
      // product's own code is the product, already shown.
      [product, programme(info?.programme), ...items.filter((i) => /^\d{8,14}$/.test(i)).map((i) => t("product.gtin", i))]
        .filter(Boolean)
        .join(" · "),
    ),
  );
  if (items.length === 0 && !names.products.has(product)) {
    root.append(message(t("product.unknown", code)));
    return root;
  }

  if (items.length > 0) {
    const stock = section("stock", t("product.stock_by_level"), "3.6");
    const avail = section("availability", t("product.availability_time"), "3.9");
    const risk = section("risk", t("product.risk"), "4.8");
    const orders = section("orders", t("product.orders"), "4.7");
    root.append(stock.root, el("div", { class: "two" }, avail.root, risk.root), orders.root);

    void fill(stock.body, async () => {
      const select = el("select", { id: "stock-level", "aria-label": t("col.level") });
      for (const l of LEVELS) select.append(el("option", { value: l, selected: l === level }, t(`level.${l}` as any)));
      select.addEventListener("change", () => {
        const q = new URLSearchParams(route.query);
        q.set("level", select.value);
        navigate(`#/product/${encodeURIComponent(code)}?${q}`);
      });
      const p = await api.all<api.StockRow>("/api/v1/stock", { item: items.join(","), level });
      return [
        el("div", { class: "controls" }, el("label", {}, t("col.level"), " ", select), el("span", {}, t("location.as_of", date(p.as_of)))),
        dataTable({
          id: "product-stock",
          columns: [
            { label: t("col.place"), value: (r) => place(r.location, r.location_name), href: (r) => `#/location/${encodeURIComponent(r.location)}` },
            { label: t("col.code"), value: (r) => r.location },
            ...stockFigures(),
          ],
          rows: p.rows,
          sort: [4, "asc"],
        }),
      ];
    });

    void fill(avail.body, async () => {
      const p = await api.all<api.AvailabilityRow>("/api/v1/availability", { item: items.join(","), by: "country", months: 12 });
      if (p.rows.length === 0) return message(t("product.no_stock"));
      const byArea = groupBy(p.rows, (r) => place(r.area, r.area_name));
      const dates = [...new Set(p.rows.map((r) => r.date))].sort();
      const node = chart("product-availability", {
        tooltip: { trigger: "axis", valueFormatter: (v: number) => pct(v) },
        legend: { top: 0 },
        grid: { left: 50, right: 20, top: 30, bottom: 30 },
        xAxis: { type: "category", data: dates.map((d) => month(d.slice(0, 7))) },
        yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: (v: number) => pct(v, 0) } },
        series: [...byArea].map(([name, rows]) => ({
          type: "line",
          name,
          data: dates.map((d) => rows.find((r) => r.date === d)?.availability ?? null),
        })),
      });
      return node;
    });

    void fill(risk.body, async () => {
      const p = await api.optional(() => api.all<api.RiskRow>("/api/v1/risk", { item: items.join(","), level: "country" }));
      if (!p || p.rows.length === 0) return message(t("product.no_stock"));
      const months = p.rows[0].months;
      const node = chart("product-risk", {
        tooltip: { trigger: "axis", valueFormatter: (v: number) => pct(v) },
        grid: { left: 50, right: 20, top: 20, bottom: 30 },
        xAxis: { type: "category", data: months.map(month) },
        yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: (v: number) => pct(v, 0) } },
        series: p.rows.map((r) => ({ type: "bar", name: place(r.area, r.area_name), data: r.probability })),
      });
      // The model of each place's series (docs/formulas.md 4.4 chooses it), named and explained;
      // where the forecast is the median of several, every one of them.
      const combos = [...new Map(p.rows.map((r) => {
        const codes = r.combined?.length ? r.combined : [r.method];
        return [codes.join("+"), codes] as const;
      })).values()];
      const models = combos.map((codes) => {
        if (codes.length === 1) {
          const code = codes[0];
          const m = method(code);
          return el(
            "p",
            { class: "note", "data-method": code },
            t("product.model", ""),
            el("abbr", { title: code }, m.name),
            ` (${code})`,
            m.explain ? ` – ${m.explain}` : "",
            " ",
            docLink("4.2", m.name),
          );
        }
        const named = codes.flatMap((code, i) => [
          i === 0 ? "" : i === codes.length - 1 ? t("product.models_and") : ", ",
          el("span", { "data-method": code }, el("abbr", { title: code }, method(code).name), ` (${code})`),
        ]);
        return el(
          "p",
          { class: "note", "data-methods": codes.join("+") },
          t("product.models"),
          ...named,
          " ",
          docLink("4.4", t("product.models_doc")),
        );
      });
      return [node, message(t("product.risk6", pct(Math.max(...p.rows.map((r) => r.max_6))))), ...models];
    });
    void fill(orders.body, async () => {
      // By default the stores' plans (each for the area it serves, 4.1);
      // where no store holds the product (a country reporting from its
      // facilities only), the country's.
      const stores = asked ? null : await api.get<api.Page<api.StockRow>>("/api/v1/stock", { item: items.join(","), level: "warehouse", limit: 1 });
      const planLevel = asked ?? (stores && stores.total > 0 ? "warehouse" : "country");
      const select = el("select", { id: "plan-level", "aria-label": t("col.level") });
      for (const l of PLAN_LEVELS) select.append(el("option", { value: l, selected: l === planLevel }, t(`level.${l}` as any)));
      select.addEventListener("change", () => {
        const q = new URLSearchParams(route.query);
        q.set("plan", select.value);
        navigate(`#/product/${encodeURIComponent(code)}?${q}`);
      });
      const controls = el("div", { class: "controls" }, el("label", {}, t("col.level"), " ", select));
      // The suppliers whose imported lead times apply to this product
      // (4.7): without a choice, each item takes the shortest.
      const leads = await api.optional(() => api.all<api.LeadTimeRow>("/api/v1/plan/lead-times", { item: items.join(",") }));
      const suppliers = [...new Set((leads?.rows ?? []).map((r) => r.supplier))].sort((a, b) => a.localeCompare(b));
      const supplier = suppliers.includes(route.query.get("supplier") ?? "") ? route.query.get("supplier")! : null;
      if (suppliers.length > 0) {
        const pick = el("select", { id: "plan-supplier", "aria-label": t("col.supplier") });
        pick.append(el("option", { value: "", selected: supplier === null }, t("plan.shortest")));
        for (const s of suppliers) {
          const own = leads!.rows.filter((r) => r.supplier === s);
          const months = Math.min(...own.map((r) => r.months));
          pick.append(el("option", { value: s, selected: s === supplier }, t("plan.supplier_months", s, num(months))));
        }
        pick.addEventListener("change", () => {
          const q = new URLSearchParams(route.query);
          if (pick.value) q.set("supplier", pick.value);
          else q.delete("supplier");
          navigate(`#/product/${encodeURIComponent(code)}?${q}`);
        });
        controls.append(" ", el("label", {}, t("col.supplier"), " ", pick));
      }
      const p = await api.optional(() =>
        api.all<api.PlanRow>("/api/v1/plan", { item: items.join(","), level: planLevel, horizon: 18, supplier: supplier ?? undefined }),
      );
      if (!p || p.rows.length === 0) return [controls, message(t("product.orders_none"))];
      const first = (r: api.PlanRow) => r.orders[0];
      return [
        controls,
        dataTable({
          id: "product-orders",
          columns: [
            { label: t("col.place"), value: (r) => place(r.area, r.area_name), href: (r) => `#/location/${encodeURIComponent(r.area)}` },
            { label: t("col.planned_for"), value: (r) => r.served ?? "", href: (r) => (r.served ? `#/location/${encodeURIComponent(r.served)}` : null) },
            { label: t("col.stock_on_hand"), value: (r) => r.stock_on_hand, format: (r) => num(r.stock_on_hand), numeric: true },
            { label: t("col.min_max"), value: (r) => r.min_months, format: (r) => `${num(r.min_months, 1)}–${num(r.max_months, 1)}`, numeric: true },
            { label: t("col.lead_months"), value: (r) => r.lead_time, format: (r) => num(r.lead_time), numeric: true },
            { label: t("col.next_order"), value: (r) => first(r)?.order ?? "9999", format: (r) => (first(r) ? month(first(r)!.order) : t("orders.none")) },
            { label: t("col.arrives"), value: (r) => first(r)?.arrival ?? "", format: (r) => (first(r) ? month(first(r)!.arrival) : "–") },
            { label: t("col.quantity"), value: (r) => first(r)?.quantity ?? 0, format: (r) => num(first(r)?.quantity), numeric: true },
            { label: t("col.late"), value: (r) => (first(r)?.late ? 1 : 0), format: (r) => (first(r) ? t(first(r)!.late ? "yes" : "no") : "–") },
            { label: t("col.orders"), value: (r) => r.orders.length, format: (r) => num(r.orders.length), numeric: true },
            { label: t("col.ordered"), value: (r) => r.orders.reduce((s, o) => s + o.quantity, 0), format: (r) => num(r.orders.reduce((s, o) => s + o.quantity, 0)), numeric: true },
          ],
          rows: p.rows,
          sort: [5, "asc"],
        }),
        el("p", { class: "note" }, t("product.orders_how"), " ", docLink("4.7", t("product.orders"))),
      ];
    });
  }

  if (names.market.has(product)) {
    const prices = section("prices", t("product.prices"), "2.5");
    const suppliers = section("suppliers", t("product.suppliers"), "2.2");
    const delivery = section("delivery", t("product.delivery"), "2.9");
    const concentration = section("concentration", t("product.concentration"), "2.8");
    root.append(prices.root, el("div", { class: "two" }, suppliers.root, delivery.root), concentration.root);

    void fill(prices.body, async () => {
      const p = await api.optional(() => api.all<api.PriceRow>("/api/v1/market/prices", { product, by: "year" }));
      if (!p || p.rows.length === 0) return message(t("product.no_market"));
      const rows = p.rows.filter((r) => r.unit_price).sort((a, b) => a.key[0].localeCompare(b.key[0]));
      const usd = (v: number) => num(v, 4);
      const node = chart("product-prices", {
        tooltip: {
          trigger: "item",
          formatter: (x: any) => {
            const [min, p25, median, p75, max] = (x.value as number[]).slice(-5);
            return [
              `<b>${x.name}</b> (${t("usd.axis")})`,
              t("stat.max") + colon() + usd(max),
              t("col.p75") + colon() + usd(p75),
              t("stat.median") + colon() + usd(median),
              t("col.p25") + colon() + usd(p25),
              t("stat.min") + colon() + usd(min),
            ].join("<br>");
          },
        },
        grid: { left: 60, right: 20, top: 30, bottom: 30 },
        xAxis: { type: "category", data: rows.map((r) => r.key[0]) },
        yAxis: { type: "value", name: t("usd.axis"), scale: true },
        series: [
          {
            type: "boxplot",
            name: t("col.median_price"),
            data: rows.map((r) => {
              const s = r.unit_price!;
              return [s.min, s.p25, s.median, s.p75, s.max];
            }),
          },
        ],
      });
      return [
        node,
        dataTable({
          id: "product-prices",
          columns: [
            { label: t("col.year"), value: (r) => r.key[0] },
            { label: t("col.lines"), value: (r) => r.lines, format: (r) => num(r.lines), numeric: true },
            { label: t("col.p25"), value: (r) => r.unit_price?.p25, format: (r) => num(r.unit_price?.p25, 4), numeric: true },
            { label: t("col.median_price"), value: (r) => r.unit_price?.median, format: (r) => num(r.unit_price?.median, 4), numeric: true },
            { label: t("col.p75"), value: (r) => r.unit_price?.p75, format: (r) => num(r.unit_price?.p75, 4), numeric: true },
            { label: t("col.weighted_price"), value: (r) => r.weighted_unit_price, format: (r) => num(r.weighted_unit_price, 4), numeric: true },
          ],
          rows,
          sort: [0, "asc"],
        }),
      ];
    });

    void fill(suppliers.body, async () => {
      const p = await api.optional(() => api.all<api.PriceRow>("/api/v1/market/prices", { product, by: "supplier" }));
      if (!p || p.rows.length === 0) return message(t("product.no_market"));
      const total = p.rows.reduce((s, r) => s + r.value_usd, 0);
      const rows = p.rows.map((r) => ({ supplier: api.label(p, "supplier", r.key[0]), value: r.value_usd, share: total > 0 ? r.value_usd / total : null, lines: r.lines }));
      // Small slices are left unlabelled (their share is in the tooltip and
      // the table) and labels that would overlap are hidden.
      const node = chart(
        "product-suppliers",
        {
          tooltip: { trigger: "item", valueFormatter: (v: number) => t("usd", num(v)) },
          series: [
            {
              type: "pie",
              radius: ["35%", "62%"],
              minShowLabelAngle: 8,
              avoidLabelOverlap: true,
              label: { width: 150, overflow: "truncate" },
              labelLayout: { hideOverlap: true },
              data: rows.map((r) => ({ name: r.supplier, value: r.value })),
            },
          ],
        },
        280,
      );
      return [
        node,
        dataTable({
          id: "product-suppliers",
          columns: [
            { label: t("col.supplier"), value: (r) => r.supplier },
            { label: t("col.value_usd"), value: (r) => r.value, format: (r) => num(r.value), numeric: true },
            { label: t("col.share"), value: (r) => r.share, format: (r) => pct(r.share), numeric: true },
            { label: t("col.lines"), value: (r) => r.lines, format: (r) => num(r.lines), numeric: true },
          ],
          rows,
          sort: [2, "desc"],
        }),
      ];
    });

    // The HHI of the product's procurement value across suppliers, sites and
    // manufacturing countries, each with the share of value whose site or
    // country is unknown (left out of the HHI and shares, formulas 2.8).
    void fill(concentration.body, async () => {
      const answers = await Promise.all(
        CONCENTRATION_BY.map((by) => api.optional(() => api.all<api.ConcentrationRow>("/api/v1/market/concentration", { product, by }))),
      );
      const rows = answers.flatMap((p) => (p?.rows ?? []).map((r) => ({ ...r, topName: api.label(p!, r.by, r.top) })));
      if (rows.length === 0) return message(t("product.no_market"));
      return [
        dataTable({
          id: "product-concentration",
          columns: [
            { label: t("col.shares_of"), value: (r) => r.by, format: (r) => t(`by.${r.by}` as any) },
            { label: t("col.groups"), value: (r) => r.groups, format: (r) => num(r.groups), numeric: true },
            { label: t("col.hhi"), value: (r) => r.hhi, format: (r) => num(r.hhi), numeric: true },
            { label: t("col.effective_number"), value: (r) => r.effective_number, format: (r) => num(r.effective_number, 2), numeric: true },
            { label: t("col.band"), value: (r) => r.band, format: (r) => band(r.band), title: (r) => r.band },
            { label: t("col.largest"), value: (r) => r.topName },
            { label: t("col.top_share"), value: (r) => r.top_share, format: (r) => pct(r.top_share), numeric: true },
            { label: t("col.unknown_origin"), value: (r) => r.unknown_share, format: (r) => pct(r.unknown_share), numeric: true },
          ],
          rows,
        }),
        el("p", { class: "note" }, t("product.unknown_share_how")),
      ];
    });

    void fill(delivery.body, async () => {
      const p = await api.optional(() => api.all<api.DeliveryRow>("/api/v1/market/delivery", { product, by: "year" }));
      if (!p || p.rows.length === 0) return message(t("product.no_market"));
      return dataTable({
        id: "product-delivery",
        columns: [
          { label: t("col.year"), value: (r) => r.key[0] },
          { label: t("col.lines"), value: (r) => r.lines, format: (r) => num(r.lines), numeric: true },
          { label: t("col.on_time"), value: (r) => r.on_time_share, format: (r) => pct(r.on_time_share), numeric: true },
          { label: t("col.median_delay"), value: (r) => r.delay_days?.median, format: (r) => num(r.delay_days?.median), numeric: true },
          { label: t("col.lead_time"), value: (r) => r.lead_time_days?.median, format: (r) => num(r.lead_time_days?.median), numeric: true },
        ],
        rows: p.rows,
        sort: [0, "asc"],
      });
    });
  }
  return root;
}
