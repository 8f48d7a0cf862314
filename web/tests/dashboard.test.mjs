// Browser tests of the dashboard in headless Debian Chromium, against a
// running `equitas serve` on the demo data (EQUITAS_URL). What each page
// shows is checked against the API's own answers.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launch, newPage, settled, api, clickChart, BASE } from "./browser.mjs";

let browser, close;
before(async () => {
  ({ browser, close } = await launch());
});
after(async () => {
  await close?.();
});

const pctEn = (v) => new Intl.NumberFormat("en-GB", { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v);
const pctFr = (v) => new Intl.NumberFormat("fr-FR", { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v);

async function tableRows(page, id) {
  return page.$$eval(`table[data-table="${id}"] tbody tr`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())),
  );
}

async function open(page, hash) {
  await page.goto(`${BASE}/${hash}`);
  await settled(page);
}

test("the overview ranks the regions by availability as the API computes it", async () => {
  const page = await newPage(browser);
  await open(page, "#/?ind=availability&level=region");
  const expected = await api("/api/v1/availability?by=region&basket=true&limit=1000");
  const rows = await tableRows(page, "areas");
  assert.equal(rows.length, expected.total);
  for (const r of expected.rows) {
    const shown = rows.find((row) => row[1] === r.area);
    assert.ok(shown, `region ${r.area} is listed`);
    assert.equal(shown[0], r.area_name);
    assert.equal(shown[2], pctEn(r.availability));
  }
  // The figure links to its definition, and the definition is there.
  const href = await page.getAttribute('section[data-section="places"] a.doc', "href");
  assert.equal(href, "/docs/formulas#s3-9");
  const doc = await (await fetch(BASE + "/docs/formulas")).text();
  assert.match(doc, /id="s3-9"/);
  assert.deepEqual(page.errors, []);
});

test("a region's months of stock and stockout risk combine its products as docs/formulas.md 5.1 says", async () => {
  const page = await newPage(browser);
  const median = (xs) => {
    const v = xs.slice().sort((a, b) => a - b);
    const m = v.length >> 1;
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  };
  const one = (v) => new Intl.NumberFormat("en-GB", { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v);
  await open(page, "#/?ind=months_of_stock&level=region");
  const stock = await api("/api/v1/stock?level=region&limit=1000");
  let rows = await tableRows(page, "areas");
  for (const code of new Set(stock.rows.map((r) => r.location))) {
    const mos = stock.rows.filter((r) => r.location === code && r.months_of_stock !== null).map((r) => r.months_of_stock);
    assert.equal(rows.find((r) => r[1] === code)[2], one(median(mos)), `region ${code}`);
  }
  await open(page, "#/?ind=risk&level=region");
  const risk = await api("/api/v1/risk?level=region&limit=1000");
  rows = await tableRows(page, "areas");
  for (const code of new Set(risk.rows.map((r) => r.area))) {
    const worst = Math.max(...risk.rows.filter((r) => r.area === code).map((r) => r.max_6));
    assert.equal(rows.find((r) => r[1] === code)[2], pctEn(worst), `region ${code}`);
  }
  assert.deepEqual(page.errors, []);
});

test("switching to French translates the page and formats numbers the French way", async () => {
  const page = await newPage(browser);
  await open(page, "#/?ind=availability&level=region");
  await page.click('button[data-lang="fr"]');
  await settled(page);
  assert.equal(await page.textContent("h1"), "Vue d’ensemble");
  assert.equal(await page.getAttribute("html", "lang"), "fr");
  const expected = await api("/api/v1/availability?by=region&basket=true&limit=1000");
  const rows = await tableRows(page, "areas");
  const r = expected.rows[0];
  assert.equal(rows.find((row) => row[1] === r.area)[2], pctFr(r.availability));
  assert.equal(await page.textContent('button[data-role="csv"]'), "Exporter en CSV");
  // The choice is kept.
  await page.reload();
  await settled(page);
  assert.equal(await page.textContent("h1"), "Vue d’ensemble");
  await page.click('button[data-lang="en"]');
  await settled(page);
  assert.equal(await page.textContent("h1"), "Overview");
  assert.deepEqual(page.errors, []);
});

test("click through: a region in the chart, then a product, then a facility", async () => {
  const page = await newPage(browser, { width: 1920, height: 1080 });
  await open(page, "#/?ind=availability&level=region");
  await page.waitForFunction(() => window.__equitasCharts?.["overview-bars"]);
  const regions = await api("/api/v1/availability?by=region&basket=true&limit=1000");
  // The chart ranks from the lowest availability (drawn first, at the bottom).
  const lowest = regions.rows.slice().sort((a, b) => a.availability - b.availability)[0];
  await clickChart(page, "overview-bars", { seriesIndex: 0 }, [lowest.availability / 2, 0]);
  await page.waitForFunction((code) => location.hash.includes(`area=${code}`), lowest.area);
  await settled(page);

  // The region's products, as the API gives them.
  const perItem = await api("/api/v1/availability?by=region&limit=1000");
  const mine = perItem.rows.filter((r) => r.area === lowest.area);
  const products = await tableRows(page, "area-products");
  assert.equal(products.length, mine.length);
  const items = await api("/api/v1/items?limit=1000");
  const worst = mine.slice().sort((a, b) => a.availability - b.availability)[0];
  const item = items.rows.find((i) => i.item === worst.item);
  const row = products.find((p) => p[1] === worst.item);
  assert.equal(row[0], item.name);
  assert.equal(row[3], pctEn(worst.availability));

  // To the product page.
  await page.click(`table[data-table="area-products"] a:text-is("${item.name}")`);
  await page.waitForFunction((p) => location.hash === `#/product/${p}`, item.product);
  await settled(page);
  assert.equal(await page.textContent("h1"), item.name);
  const stock = await api(`/api/v1/stock?item=${item.item}&level=facility&limit=1000`);
  const stockRows = await tableRows(page, "product-stock");
  assert.equal(stockRows.length, stock.total);
  const out = stock.rows.find((r) => r.status === "stocked_out") ?? stock.rows[0];
  const shown = stockRows.find((r) => r[1] === out.location);
  assert.equal(shown[0], out.location_name);
  assert.equal(shown[2], new Intl.NumberFormat("en-GB").format(out.stock_on_hand));
  await page.waitForFunction(() => window.__equitasCharts?.["product-availability"] && window.__equitasCharts?.["product-risk"]);

  // To the facility.
  await page.click(`table[data-table="product-stock"] a:text-is("${out.location_name}")`);
  await page.waitForFunction((c) => location.hash === `#/location/${c}`, out.location);
  await settled(page);
  assert.equal(await page.textContent("h1"), out.location_name);
  const here = await api(`/api/v1/stock?within=${out.location}&level=facility&limit=1000`);
  const hereRows = await tableRows(page, "location-stock");
  assert.equal(hereRows.length, here.rows.filter((r) => r.location === out.location).length);
  const again = hereRows.find((r) => r[1] === item.item);
  assert.equal(again[0], item.name);
  // The breadcrumb leads back up the hierarchy.
  assert.ok((await page.$$(".crumbs a")).length >= 2);
  assert.deepEqual(page.errors, []);
});

test("a product's suggested orders are the API's plans, each store's, then each country's", async () => {
  const page = await newPage(browser);
  const numEn = (v) => new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 }).format(v);
  const monthEn = (m) => new Intl.DateTimeFormat("en-GB", { month: "short", year: "numeric", timeZone: "UTC" }).format(new Date(m + "-01T00:00:00Z"));
  const check = async (level) => {
    const expected = await api(`/api/v1/plan?item=SYN-003&level=${level}&horizon=18&limit=1000`);
    assert.ok(expected.total > 0, level);
    // Something to check: orders suggested, some of them late.
    assert.ok(expected.rows.some((r) => r.orders.length > 0), level);
    const rows = await tableRows(page, "product-orders");
    assert.equal(rows.length, expected.total, level);
    for (const r of expected.rows) {
      const shown = rows.find((row) => row[0] === r.area_name);
      assert.ok(shown, `${level}: ${r.area} is listed`);
      assert.equal(shown[1], r.served ?? "");
      assert.equal(shown[2], numEn(r.stock_on_hand));
      const one = (v) => new Intl.NumberFormat("en-GB", { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v);
      assert.equal(shown[3], `${one(r.min_months)}–${one(r.max_months)}`);
      assert.equal(shown[4], String(r.lead_time));
      const o = r.orders[0];
      assert.equal(shown[5], o ? monthEn(o.order) : "none");
      assert.equal(shown[6], o ? monthEn(o.arrival) : "–");
      assert.equal(shown[7], o ? numEn(o.quantity) : "–");
      assert.equal(shown[8], o ? (o.late ? "yes" : "no") : "–");
      assert.equal(shown[9], String(r.orders.length));
      assert.equal(shown[10], numEn(r.orders.reduce((s, x) => s + x.quantity, 0)));
    }
    return expected;
  };
  await open(page, "#/product/SYN-003");
  await page.waitForSelector('table[data-table="product-orders"]');
  // The stores: the central one planned for the country (its echelon, 4.1).
  const stores = await check("warehouse");
  assert.ok(stores.rows.some((r) => r.area === "CMS" && r.served === "XSY"));
  await page.selectOption("#plan-level", "country");
  await page.waitForFunction(() => location.hash.includes("plan=country"));
  await settled(page);
  await page.waitForSelector('table[data-table="product-orders"]');
  await check("country");
  // Lead times imported (4.7): the suppliers whose rows apply to the
  // product are offered, and one chosen plans with its lead times.
  const leads = (body) =>
    fetch(`${BASE}/api/v1/imports/lead-times`, { method: "POST", headers: { "content-type": "text/csv" }, body }).then((r) => {
      assert.equal(r.status, 200);
    });
  const header = "item,supplier,order_months,production_months,transport_months,receipt_months\n";
  // Supplier A's own row for SYN-003 (6 months) applies, not its row for
  // every item (3); Supplier C has none for it.
  await leads(header + ",Supplier A,1,1,0.5,0\nSYN-003,Supplier A,1,4,1,0\nSYN-003,Supplier B,0,4,1,0\nSYN-001,Supplier C,0,1,0,0\n");
  try {
    await page.reload();
    await settled(page);
    await page.waitForSelector("#plan-supplier");
    const offered = await page.$$eval("#plan-supplier option", (os) => os.map((o) => [o.value, o.textContent]));
    assert.deepEqual(offered, [
      ["", "Shortest lead time of any supplier"],
      ["Supplier A", "Supplier A (at least 6 months)"],
      ["Supplier B", "Supplier B (at least 5 months)"],
    ]);
    // Without a choice, the shortest: Supplier B's 5 months.
    const shortest = await check("country");
    assert.ok(shortest.rows.every((r) => r.lead_time === 5));
    await page.selectOption("#plan-supplier", "Supplier A");
    await page.waitForFunction(() => location.hash.includes("supplier=Supplier"));
    await settled(page);
    await page.waitForSelector('table[data-table="product-orders"]');
    const rows = await tableRows(page, "product-orders");
    const expected = await api(`/api/v1/plan?item=SYN-003&level=country&horizon=18&supplier=${encodeURIComponent("Supplier A")}&limit=1000`);
    assert.ok(expected.rows.every((r) => r.lead_time === 6));
    assert.deepEqual(
      rows.map((r) => r[4]),
      expected.rows.map((r) => String(r.lead_time)),
    );
  } finally {
    await leads(header);
  }
  // No lead times imported: no choice, and a supplier left in the address
  // is no filter.
  assert.equal((await api("/api/v1/plan/lead-times")).total, 0);
  await open(page, "#/product/SYN-003?plan=country&supplier=Supplier%20A");
  await page.reload();
  await settled(page);
  await page.waitForSelector('table[data-table="product-orders"]');
  assert.equal(await page.$("#plan-supplier"), null);
  await check("country");
  assert.deepEqual(page.errors, []);
});

test("the world map colours countries by supplier concentration, and a click lists their products", async () => {
  const page = await newPage(browser, { width: 1920, height: 1080 });
  await open(page, "#/?ind=concentration");
  await page.waitForFunction(() => window.__equitasCharts?.["overview-map"]);
  const per = await api("/api/v1/market/concentration?per=country&limit=1000");
  const rows = await tableRows(page, "areas");
  assert.equal(rows.length, per.total);
  // Click South Africa on the map (a large country, easy to hit).
  const zaf = per.rows.find((r) => r.key[0] === "ZAF");
  assert.ok(zaf, "the demo data has South Africa");
  const name = await page.evaluate(() => {
    const c = window.__equitasCharts["overview-map"];
    return c.getOption().series[0].data.find((d) => d.code === "ZAF").name;
  });
  await clickChart(page, "overview-map", { seriesIndex: 0 }, name);
  await page.waitForFunction(() => location.hash.includes("area=ZAF"));
  await settled(page);
  const products = await api("/api/v1/market/concentration?country=ZAF&limit=1000");
  assert.equal((await tableRows(page, "area-products")).length, products.total);
  // A product of it has its market sections.
  const first = products.rows[0].key[0];
  await open(page, `#/product/${first}`);
  await page.waitForFunction(() => window.__equitasCharts?.["product-prices"] && window.__equitasCharts?.["product-suppliers"]);
  const suppliers = await api(`/api/v1/market/prices?product=${first}&by=supplier&limit=1000`);
  const shown = await tableRows(page, "product-suppliers");
  assert.equal(shown.length, suppliers.total);
  // Suppliers by their names (the answer's labels), not their codes.
  const names = Object.values(suppliers.labels.supplier ?? {});
  assert.ok(names.length > 0, "the API names the suppliers");
  for (const row of shown) {
    assert.ok(names.includes(row[0]), `supplier shown by its name: ${row[0]}`);
  }
  assert.ok((await tableRows(page, "product-delivery")).length > 0);
  assert.deepEqual(page.errors, []);
});

test("tables sort, filter and export what they show to CSV", async () => {
  const page = await newPage(browser);
  await open(page, "#/location/R01");
  const table = 'table[data-table="location-stock"]';
  const wrap = '[data-table-wrap="location-stock"]';
  const before = await tableRows(page, "location-stock");
  assert.ok(before.length > 1);
  // Sort by stock on hand, descending then ascending.
  await page.click(`${table} th button[data-col="2"]`);
  const num = (s) => Number(s.replace(/[^\d.]/g, ""));
  const desc = (await tableRows(page, "location-stock")).map((r) => num(r[2]));
  assert.deepEqual(desc, desc.slice().sort((a, b) => b - a));
  await page.click(`${table} th button[data-col="2"]`);
  const asc = (await tableRows(page, "location-stock")).map((r) => num(r[2]));
  assert.deepEqual(asc, asc.slice().sort((a, b) => a - b));
  // Filter.
  const target = before[0][1];
  await page.fill(`${wrap} input[data-role="filter"]`, target);
  const filtered = await tableRows(page, "location-stock");
  assert.equal(filtered.length, 1);
  assert.equal(filtered[0][1], target);
  // CSV of what is shown, raw values.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(`${wrap} button[data-role="csv"]`)]);
  const csv = readFileSync(await download.path(), "utf8").trim().split(/\r\n/);
  assert.equal(csv.length, 2);
  assert.match(csv[0], /^Product,Item,Stock on hand,/);
  assert.ok(csv[1].includes(target));
  assert.deepEqual(page.errors, []);
});

test("stock tables show the expired quantity still held (formulas 3.8), as the API gives it, in English and in French", async () => {
  for (const [locale, label] of [["en-GB", "Expired"], ["fr-FR", "Périmé"]]) {
    const page = await newPage(browser, { locale });
    const fmt = (v) => new Intl.NumberFormat(locale).format(v);
    // The product page, stock by level (facilities).
    await open(page, "#/product/SYN-003");
    const heads = await page.$$eval('table[data-table="product-stock"] thead th', (ths) => ths.map((th) => th.textContent.trim()));
    const col = heads.indexOf(label);
    assert.ok(col >= 0, `${locale}: product stock has a column ${label}: ${heads}`);
    const stock = await api("/api/v1/stock?item=SYN-003&level=facility&limit=1000");
    const rows = await tableRows(page, "product-stock");
    assert.equal(rows.length, stock.total);
    for (const r of stock.rows) {
      assert.equal(typeof r.expired, "number", "the API gives expired");
      assert.equal(rows.find((row) => row[1] === r.location)[col], fmt(r.expired), `${locale} ${r.location}`);
    }
    // The location page, every product there.
    await open(page, "#/location/R01");
    const here = await page.$$eval('table[data-table="location-stock"] thead th', (ths) => ths.map((th) => th.textContent.trim()));
    const at = here.indexOf(label);
    assert.ok(at >= 0, `${locale}: location stock has a column ${label}`);
    const region = await api("/api/v1/stock?within=R01&level=region&limit=1000");
    const shown = await tableRows(page, "location-stock");
    for (const r of region.rows.filter((x) => x.location === "R01")) {
      assert.equal(shown.find((row) => row[1] === r.item)[at], fmt(r.expired), `${locale} R01 ${r.item}`);
    }
    assert.deepEqual(page.errors, []);
  }
});

test("an AMC averaged without months in which nothing was recorded says so on its cell (formulas 3.5), in English and in French", async () => {
  // The French guide's files (docs/guide.fr.md), imported as a user would:
  // one health post sent no report for October, of any product. The
  // demo's own facilities count every product every month: none of their
  // months is a reporting gap (an item that did not move while its place
  // reported was not used, 3.5).
  for (const [kind, file] of [["locations", "lieux"], ["products", "produits"], ["stock-reports", "rapports"]]) {
    const body = readFileSync(new URL(`../../data/examples/fr/${file}.csv`, import.meta.url));
    const r = await fetch(`${BASE}/api/v1/imports/${kind}`, { method: "POST", headers: { "content-type": "text/csv" }, body });
    assert.equal(r.status, 200, `${kind}: ${await r.text()}`);
  }
  const all = await api("/api/v1/stock?level=facility&limit=1000");
  const gaps = all.rows.filter((r) => r.months_unreported > 0);
  assert.deepEqual(
    gaps.map((r) => [r.location, r.item, r.months_unreported]).sort(),
    [["SN-DK-PK-02", "amox-500", 1], ["SN-DK-PK-02", "sro-sachet", 1]],
  );
  const gap = gaps.find((r) => r.item === "amox-500");
  for (const [locale, label, words] of [["en-GB", "AMC", "nothing was recorded"], ["fr-FR", "CMM", "rien n'a été enregistré"]]) {
    const page = await newPage(browser, { locale });
    await open(page, `#/product/${gap.item}`);
    const cells = await page.$$eval('table[data-table="product-stock"] tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td, th")].map((c) => ({ text: c.textContent.trim(), cls: c.className, title: c.getAttribute("title") ?? "" }))),
    );
    const col = cells[0].findIndex((c) => c.text.startsWith(label));
    assert.ok(col >= 0, `${locale}: a column ${label}`);
    const row = cells.find((r) => r[1]?.text === gap.location);
    assert.ok(row, `${locale}: ${gap.location} is listed`);
    assert.match(row[col].cls, /unreported/);
    assert.ok(row[col].title.includes(words) && row[col].title.includes(String(gap.months_unreported)), `${locale}: ${row[col].title}`);
    // A row whose AMC left nothing out has no such mark.
    const whole = all.rows.find((r) => r.item === gap.item && r.months_unreported === 0 && r.amc !== null);
    const plain = cells.find((r) => r[1]?.text === whole.location);
    assert.doesNotMatch(plain[col].cls, /unreported/);
    // A region's AMC adds up its locations': its tooltip says the months are theirs.
    const regions = await api(`/api/v1/stock?level=region&item=${gap.item}&limit=1000`);
    const region = regions.rows.find((r) => r.months_unreported > 0);
    assert.ok(region, "the facility's region counts its month");
    await open(page, `#/location/${region.location}`);
    const here = await page.$$eval('table[data-table="location-stock"] tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td, th")].map((c) => ({ text: c.textContent.trim(), title: c.getAttribute("title") ?? "" }))),
    );
    const at = here[0].findIndex((c) => c.text.startsWith(label));
    const row2 = here.find((r) => r[1]?.text === gap.item);
    assert.ok(row2, `${locale}: ${gap.item} at ${region.location}`);
    assert.match(row2[at].title, locale === "fr-FR" ? /ses lieux/ : /its locations/, `${locale}: ${row2[at].title}`);
    assert.deepEqual(page.errors, []);
  }
});

test("a product's concentration shows the share of value of unknown origin (formulas 2.8), by supplier, site and country", async () => {
  // A test kit whose manufacturing site is unknown for part of its value.
  const all = await api("/api/v1/market/concentration?by=site-country&limit=1000");
  const product = all.rows.filter((r) => r.unknown_share > 0.1).sort((a, b) => b.unknown_share - a.unknown_share)[0]?.key[0];
  assert.ok(product, "the demo data has a product of partly unknown origin");
  for (const [locale, words] of [
    ["en-GB", { head: "Origin unknown", supplier: "Suppliers", site: "Manufacturing sites", "site-country": "Manufacturing countries" }],
    ["fr-FR", { head: "Origine inconnue", supplier: "Fournisseurs", site: "Sites de fabrication", "site-country": "Pays de fabrication" }],
  ]) {
    const page = await newPage(browser, { locale });
    const pct = (v) => new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v);
    const int = (v) => new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(v);
    await open(page, `#/product/${encodeURIComponent(product)}`);
    await page.waitForSelector('table[data-table="product-concentration"]');
    const heads = await page.$$eval('table[data-table="product-concentration"] thead th', (ths) => ths.map((th) => th.textContent.trim()));
    const col = heads.indexOf(words.head);
    assert.ok(col >= 0, `${locale}: a column ${words.head}: ${heads}`);
    const rows = await tableRows(page, "product-concentration");
    for (const by of ["supplier", "site", "site-country"]) {
      const a = await api(`/api/v1/market/concentration?product=${encodeURIComponent(product)}&by=${by}&limit=1000`);
      const shown = rows.find((r) => r[0] === words[by]);
      assert.equal(Boolean(shown), a.total > 0, `${locale}: ${by} shown as the API has it`);
      if (!shown) continue;
      assert.equal(shown[col], pct(a.rows[0].unknown_share), `${locale} ${by}`);
      assert.equal(shown[2], int(a.rows[0].hhi), `${locale} ${by} HHI`);
    }
    const country = rows.find((r) => r[0] === words["site-country"]);
    assert.notEqual(country[col], pct(0), "the unknown share is not 0");
    assert.deepEqual(page.errors, []);
  }
});

test("in French, a country's place is named in French, as the market pages name countries; in English by its own name", async () => {
  const countries = await api("/api/v1/countries?limit=1000");
  const xsy = countries.rows.find((c) => c.iso3 === "XSY");
  assert.ok(xsy?.name_fr, "the demo's country has a French name");
  const places = await api("/api/v1/locations?limit=1000");
  const own = places.rows.find((p) => p.code === "XSY").name;
  assert.notEqual(own, xsy.name_fr);
  for (const [locale, name] of [["fr-FR", xsy.name_fr], ["en-GB", own]]) {
    const page = await newPage(browser, { locale });
    // The overview's places at country level.
    await open(page, "#/?ind=months_of_stock&level=country");
    const areas = await tableRows(page, "areas");
    assert.equal(areas.find((r) => r[1] === "XSY")[0], name, locale);
    // A region's breadcrumb, and the country's own page.
    await open(page, "#/location/R01");
    assert.equal(await page.textContent(".crumbs a"), name, locale);
    await open(page, "#/location/XSY");
    assert.equal(await page.textContent("h1"), name, locale);
    // A product's charts by country.
    await open(page, "#/product/SYN-003");
    await page.waitForFunction(() => window.__equitasCharts?.["product-availability"] && window.__equitasCharts?.["product-risk"]);
    const series = await page.evaluate(() =>
      ["product-availability", "product-risk"].map((c) => window.__equitasCharts[c].getOption().series.map((x) => x.name)),
    );
    assert.deepEqual(series, [[name], [name]], locale);
    assert.deepEqual(page.errors, []);
  }
});

test("a table's count of rows reads right in French for one row as for many", async () => {
  const page = await newPage(browser, { locale: "fr-FR" });
  await open(page, "#/location/R01");
  const wrap = '[data-table-wrap="location-stock"]';
  const total = (await tableRows(page, "location-stock")).length;
  assert.equal(await page.textContent(`${wrap} [data-role="count"]`), `Lignes\u00a0: ${total} sur ${total}`);
  await page.fill(`${wrap} input[data-role="filter"]`, "SYN-003");
  assert.equal(await page.textContent(`${wrap} [data-role="count"]`), `Lignes\u00a0: 1 sur ${total}`);
  assert.deepEqual(page.errors, []);
});

test("in French, a table's CSV export is as a spreadsheet set to French opens it: semicolons, decimal commas, UTF-8 with a byte order mark", async () => {
  const page = await newPage(browser, { locale: "fr-FR" });
  await open(page, "#/location/R01");
  const wrap = '[data-table-wrap="location-stock"]';
  await page.fill(`${wrap} input[data-role="filter"]`, "SYN-003");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(`${wrap} button[data-role="csv"]`)]);
  const bytes = readFileSync(await download.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "a UTF-8 byte order mark");
  const lines = bytes.toString("utf8").slice(1).split("\r\n");
  assert.match(lines[0], /^Produit;Article;Stock disponible;CMM;Mois de stock;État;/);
  const stock = await api("/api/v1/stock?within=R01&level=region&item=SYN-003&limit=10");
  const r = stock.rows.find((x) => x.location === "R01");
  const cells = lines[1].split(";");
  assert.equal(cells[1], "SYN-003");
  assert.equal(cells[2], String(r.stock_on_hand).replace(".", ","));
  assert.equal(cells[3], String(r.amc).replace(".", ","));
  assert.ok(!Number.isInteger(r.amc), "an AMC with decimals, to check the decimal comma");
  assert.deepEqual(page.errors, []);
});

test("the capture page shows what the repository holds", async () => {
  const page = await newPage(browser);
  await open(page, "#/capture");
  const s = await api("/api/v1/epcis/summary");
  assert.equal(await page.textContent('[data-figure="events"]'), new Intl.NumberFormat("en-GB").format(s.events));
  const steps = await tableRows(page, "capture-steps");
  assert.equal(steps.length, s.by_type_and_step.length);
  const jobs = await api("/api/v1/epcis/captures?limit=1000");
  const shown = await tableRows(page, "capture-jobs");
  assert.equal(shown.length, jobs.total);
  assert.equal(shown[0][0], String(jobs.rows[0].captureID));
  assert.deepEqual(page.errors, []);
});

test("median price ratios without reference prices say what to load", async () => {
  const page = await newPage(browser);
  await open(page, "#/?ind=mpr");
  const r = await fetch(BASE + "/api/v1/market/mpr?by_country=true");
  const text = await page.textContent('section[data-section="places"]');
  if (r.status === 409) {
    assert.match(text, /reference-prices/);
    // The browser logs the 409 it was answered; nothing else may fail.
    assert.deepEqual(page.errors.filter((e) => !e.includes("409")), []);
  } else {
    assert.equal(r.status, 200);
    assert.ok((await tableRows(page, "areas")).length > 0);
    // The page says what the ratios are measured against.
    const basis = await page.textContent('[data-role="basis"]');
    for (const source of new Set((await r.json()).rows.map((x) => x.reference_source))) {
      assert.ok(basis.includes(source), `${source} named in: ${basis}`);
    }
    assert.deepEqual(page.errors, []);
  }
});

test("an unknown product or location says so", async () => {
  const page = await newPage(browser);
  await open(page, "#/product/NO-SUCH-PRODUCT");
  assert.match(await page.textContent("main"), /NO-SUCH-PRODUCT/);
  await open(page, "#/location/NO-SUCH-PLACE");
  assert.match(await page.textContent("main"), /No location NO-SUCH-PLACE/);
  assert.deepEqual(page.errors, []);
});

// ------------------------------------------------------------- issue 19

const dateEn = (d) => new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" }).format(new Date(d + "T00:00:00Z"));

test("the world map draws no edge across the 180th meridian, keeps the countries on both sides of it, and is as wide as its card", async () => {
  const page = await newPage(browser);
  await open(page, "#/?ind=concentration");
  await page.waitForFunction(() => window.__equitasCharts?.["overview-map"] && window.__equitasWorld);
  const found = await page.evaluate(() => {
    const across = [];
    const sides = {};
    for (const f of window.__equitasWorld.features) {
      const g = f.geometry;
      const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (const ring of polygons.flat()) {
        for (let i = 1; i < ring.length; i++) {
          if (Math.abs(ring[i][0] - ring[i - 1][0]) > 180) across.push(f.properties.name);
        }
        for (const [x] of ring) {
          const s = (sides[f.id] ??= { east: false, west: false });
          if (x > 170) s.east = true;
          if (x < -170) s.west = true;
        }
      }
    }
    const c = window.__equitasCharts["overview-map"];
    const west = c.convertToPixel({ seriesIndex: 0 }, [-180, 0]);
    const east = c.convertToPixel({ seriesIndex: 0 }, [180, 0]);
    return { across: [...new Set(across)], sides, drawn: east[0] - west[0], width: c.getWidth() };
  });
  assert.deepEqual(found.across, [], "shapes with an edge of more than 180° of longitude");
  // Russia (643) and Fiji (242) straddle the meridian: both their sides are drawn.
  for (const id of ["643", "242"]) assert.deepEqual(found.sides[id], { east: true, west: true }, `country ${id}`);
  assert.ok(found.drawn >= 0.95 * found.width, `the map is ${found.drawn} px wide in a chart of ${found.width} px`);
  assert.deepEqual(page.errors, []);
});

test("the ranked bars run in the table's order, and the overview says what date its data are of", async () => {
  const page = await newPage(browser);
  await open(page, "#/?ind=availability&level=region");
  await page.waitForFunction(() => window.__equitasCharts?.["overview-bars"]);
  const table = (await tableRows(page, "areas")).map((r) => r[0]);
  const drawn = await page.evaluate(() => {
    const c = window.__equitasCharts["overview-bars"];
    const names = c.getOption().yAxis[0].data;
    return names
      .map((n) => [n, c.convertToPixel({ yAxisIndex: 0 }, n)])
      .sort((a, b) => a[1] - b[1])
      .map(([n]) => n);
  });
  assert.deepEqual(drawn, table, "top to bottom");
  const stock = await api("/api/v1/availability?by=region&basket=true&limit=1");
  assert.equal(await page.textContent('[data-role="as-of"]'), `Stock data as of ${dateEn(stock.as_of)}`);
  await open(page, "#/?ind=concentration");
  const market = await api("/api/v1/market/concentration?per=country&limit=1");
  assert.equal(
    await page.textContent('[data-role="as-of"]'),
    `Procurement lines delivered from ${dateEn(market.period.from)} to ${dateEn(market.period.to)}`,
  );
  assert.deepEqual(page.errors, []);
});

test("every table fits its card at laptop size, in English and in French", async () => {
  for (const locale of ["en-GB", "fr-FR"]) {
    const page = await newPage(browser, { width: 1366, height: 768, locale });
    for (const hash of ["#/?ind=availability&level=region&area=R03", "#/product/SYN-003", "#/product/efavirenz-600mg-tablet", "#/location/R01", "#/capture"]) {
      await open(page, hash);
      await page.waitForFunction(() => !document.querySelector("#app .body .loading"));
      const cut = await page.$$eval(".table-wrap .scroll", (all) =>
        all.filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => `${s.querySelector("table").dataset.table}: ${s.scrollWidth} > ${s.clientWidth}`),
      );
      assert.deepEqual(cut, [], `${locale} ${hash}`);
    }
    assert.deepEqual(page.errors, []);
  }
});

test("the suppliers' donut draws no label over another", async () => {
  const page = await newPage(browser);
  await open(page, "#/product/efavirenz-600mg-tablet");
  await page.waitForFunction(() => window.__equitasCharts?.["product-suppliers"]);
  const labels = await page.evaluate(() => {
    const c = window.__equitasCharts["product-suppliers"];
    return c
      .getZr()
      .storage.getDisplayList(true)
      .filter((e) => typeof e.style?.text === "string" && e.style.text !== "" && !e.ignore && !e.invisible)
      .map((e) => {
        const r = e.getBoundingRect();
        const [x, y] = [e.transform?.[4] ?? 0, e.transform?.[5] ?? 0];
        // Text is drawn centred on its line: a line is the font size high.
        const h = e.style.fontSize ?? 12;
        const mid = y + r.y + r.height / 2;
        return { text: e.style.text, x0: x + r.x, x1: x + r.x + r.width, y0: mid - h / 2, y1: mid + h / 2 };
      });
  });
  assert.ok(labels.length >= 2, "the main suppliers are labelled");
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const [a, b] = [labels[i], labels[j]];
      const overlap = a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
      assert.ok(!overlap, `"${a.text}" and "${b.text}" overlap`);
    }
  }
  assert.deepEqual(page.errors, []);
});

test("the server has a favicon, and the API page leads back to the dashboard", async () => {
  const icon = await fetch(BASE + "/favicon.ico");
  assert.equal(icon.status, 200);
  assert.match(icon.headers.get("content-type") ?? "", /^image\//);
  const page = await newPage(browser);
  await open(page, "#/");
  assert.equal(await page.getAttribute('link[rel="icon"]', "href"), "/favicon.ico");
  await page.goto(`${BASE}/api/docs`);
  await page.click('a[href="/"]');
  await page.waitForSelector("#app[data-rendered]");
  await settled(page);
  assert.equal(await page.textContent("h1"), "Overview");
  assert.deepEqual(page.errors, []);
});

test("codes are shown as names, in English and in French, with the code in the tooltip", async () => {
  const problems = await api("/api/v1/stock/problems?within=R01&limit=1000");
  const kind = problems.rows[0].kind;
  const risk = await api("/api/v1/risk?item=09520000000035&level=country&limit=1000");
  const model = risk.rows[0].method;
  const words = {
    en: { count_mismatch: "Count mismatch", rollback: "Reject the whole document", cycle_counting: "Cycle counting (stock count)", ObjectEvent: "Object event", ses: "Simple exponential smoothing", croston_optimized: "Croston, optimised" },
    fr: { count_mismatch: "Écart d’inventaire", rollback: "Rejeter tout le document", cycle_counting: "Inventaire tournant", ObjectEvent: "Événement d’objet", ses: "Lissage exponentiel simple", croston_optimized: "Croston optimisé" },
  };
  for (const [lang, locale] of [["en", "en-GB"], ["fr", "fr-FR"]]) {
    const page = await newPage(browser, { locale });
    await open(page, "#/location/R01");
    const cell = page.locator('table[data-table="location-problems"] tbody tr').first().locator("td").nth(3);
    assert.equal(await cell.getAttribute("title"), kind);
    if (words[lang][kind]) assert.equal(await cell.textContent(), words[lang][kind]);
    assert.notEqual(await cell.textContent(), kind);
    // Its sources by name (an event's ID, a report's month), in the page's language.
    const sources = page.locator('table[data-table="location-problems"] tbody tr').first().locator("td").nth(5);
    const [word, name] = (await sources.textContent()).split(" ");
    assert.ok({ en: ["event", "report"], fr: ["événement", "rapport"] }[lang].includes(word), word);
    const names = problems.rows.flatMap((r) => r.sources.map((x) => x.name));
    assert.ok(names.includes(name), `${lang}: ${name} is a source's name`);
    assert.ok((await sources.getAttribute("title")).includes(name));

    await open(page, "#/capture");
    const steps = await tableRows(page, "capture-steps");
    const counting = steps.find((r) => r[1] === words[lang].cycle_counting);
    assert.ok(counting, `${lang}: cycle counting is named`);
    assert.equal(counting[0], words[lang].ObjectEvent);
    assert.equal(await page.getAttribute(`table[data-table="capture-steps"] td[title="cycle_counting"]`, "title"), "cycle_counting");
    const jobs = await tableRows(page, "capture-jobs");
    assert.equal(jobs[0][3], words[lang].rollback);

    await open(page, "#/product/SYN-003");
    await page.waitForSelector(`[data-method="${model}"]`);
    const shown = await page.textContent(`[data-method="${model}"] abbr`);
    if (words[lang][model]) assert.equal(shown, words[lang][model]);
    assert.notEqual(shown, model);
    assert.equal(await page.getAttribute(`[data-method="${model}"] abbr`, "title"), model);
    assert.deepEqual(page.errors, []);
  }
});

test("in French, no page shows the dashboard's English words, and chart numbers are French", async () => {
  const page = await newPage(browser, { width: 1366, height: 768, locale: "fr-FR" });
  // Words of the English dashboard (data such as place names are the data's own).
  const english = [
    /\bLoading\b/, /\bFilter\b/, /Export CSV/, /\brows\b/, /Stock on hand/, /\bExpiring\b/, /Expirant/, /\bAs of\b/,
    /\brollback\b/, /count_mismatch/, /cycle_counting/, /ObjectEvent/, /US\$/, /Forecasting/, /Could not load/,
    /\bbelow minimum\b/, /\bavailability\b/i, /\bMedian\b/, /\bSuppliers\b/,
  ];
  for (const hash of [
    "#/?ind=availability&level=region&area=R03",
    "#/?ind=concentration&area=ZAF",
    "#/?ind=on_time",
    "#/product/SYN-003",
    "#/product/efavirenz-600mg-tablet",
    "#/location/R01",
    "#/capture",
  ]) {
    await open(page, hash);
    await page.waitForFunction(() => !document.querySelector("#app .body .loading"));
    const text = await page.evaluate(() => document.body.innerText);
    for (const w of english) assert.doesNotMatch(text, w, `${hash} shows ${w}`);
  }
  // The capture chart's axis: 3 000, not 3,000.
  const label = await page.evaluate(() => window.__equitasCharts["capture-steps"].getOption().xAxis[0].axisLabel.formatter(3000));
  assert.equal(label, new Intl.NumberFormat("fr-FR").format(3000));
  // What a screen reader reads of it.
  assert.match(await page.getAttribute('[data-chart="capture-steps"]', "aria-label"), /^Un graphique\. Il montre Événements\./);
  assert.deepEqual(page.errors, []);
});

test("an API problem is worded from its type in the page's language, the server's English words in the tooltip", async () => {
  const page = await newPage(browser, { locale: "fr-FR" });
  const detail = "no stock data: capture EPCIS events (POST /capture) or import stock reports";
  await page.route("**/api/v1/availability?**", (route) =>
    route.fulfill({
      status: 409,
      contentType: "application/problem+json",
      body: JSON.stringify({ type: "/problems/missing-data", title: "The data this needs is not loaded", status: 409, detail }),
    }),
  );
  await open(page, "#/?ind=availability&level=region");
  const p = page.locator('section[data-section="places"] [data-problem]');
  assert.match(await p.textContent(), /^Aucune donnée de stock/);
  assert.equal(await p.getAttribute("title"), `Message du serveur (en anglais) : ${detail}`);
  assert.deepEqual(page.errors.filter((e) => !e.includes("409")), []);
});
