// Browser test of the Supply security page (issue 20) in both languages,
// against a running `equitas serve` on the demo data (EQUITAS_URL): what
// the page shows is checked against the API's own answers.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, newPage, settled, BASE } from "./browser.mjs";

let browser, close;
before(async () => {
  ({ browser, close } = await launch());
});
after(async () => {
  await close?.();
});

async function tableRows(page, id) {
  return page.$$eval(`table[data-table="${id}"] tbody tr`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())),
  );
}

async function all(path) {
  const r = await fetch(`${BASE}${path}${path.includes("?") ? "&" : "?"}limit=1000`);
  return { status: r.status, body: await r.json() };
}

const fmt = (locale, digits, style) => (v) =>
  new Intl.NumberFormat(locale, { style, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);

for (const [lang, locale, words] of [
  ["en", "en-GB", { title: "Supply security", yes: "yes", country: "Producing country", high: "Highly concentrated", countries: "countries", ctap: "COVID-19 Technology Access Pool (C-TAP)" }],
  ["fr", "fr-FR", { title: "Sécurité d’approvisionnement", yes: "oui", country: "Pays producteur", high: "Très concentré", countries: "pays", ctap: "Groupement d’accès aux technologies contre la COVID-19 (C-TAP)" }],
]) {
  test(`the supply security page shows the API's tiers, regions and regulators (${lang})`, async () => {
    const page = await newPage(browser, { locale });
    await page.goto(`${BASE}/#/supply`);
    await settled(page);
    // The language of the locale, or the one chosen with the switch.
    if ((await page.getAttribute("html", "lang")) !== lang) {
      await page.click(`.lang button[data-lang="${lang}"]`);
      await settled(page);
    }
    assert.equal(await page.textContent("h1"), words.title);
    await page.waitForSelector('table[data-table="supply-tiers"]');
    await page.waitForSelector('section[data-section="regional"] table, section[data-section="regional"] p.note');
    await page.waitForSelector('section[data-section="single"] table, section[data-section="single"] p.note');
    await page.waitForSelector('section[data-section="regulators"] table');

    const tiers = await all("/api/v1/supply/concentration");
    assert.equal(tiers.status, 200);
    const c = tiers.body;
    assert.equal(await page.textContent('[data-figure="products"]'), fmt(locale, 0)(c.total));
    const singleCountry = c.rows.filter((r) => r.single_country).length;
    assert.equal(await page.textContent('[data-figure="single-country"]'), fmt(locale, 0)(singleCountry));
    // The table shows every product; the first (most concentrated by
    // country) row is the API's row for that product, in the page's words.
    const rows = await tableRows(page, "supply-tiers");
    assert.ok(rows.length > 0);
    for (const shown of rows.slice(0, 10)) {
      const r = c.rows.find((x) => (c.labels.product[x.key[0]] ?? x.key[0]) === shown[0]);
      assert.ok(r, `product ${shown[0]} is in the API's answer`);
      const hhi = r.tiers.find((x) => x.tier === "country")?.hhi;
      assert.equal(shown[3], hhi === undefined ? "–" : fmt(locale, 0)(hhi));
      if (r.weakest === "country") assert.equal(shown[4], words.country);
      if (r.band === "highly concentrated") assert.equal(shown[5], words.high);
      if (r.single_country) assert.equal(shown[6], words.yes);
    }

    const regional = (await all("/api/v1/supply/regional")).body;
    const regRows = await tableRows(page, "supply-regional");
    assert.equal(regRows.length, regional.rows.length);
    for (const r of regional.rows) {
      const shown = regRows.find((x) => x[0] === r.region);
      assert.ok(shown, r.region);
      assert.equal(shown[1], r.share_in_region === null ? "–" : fmt(locale, 1, "percent")(r.share_in_region));
    }
    // The map colours each buying country by its region's share: every
    // country of a region carries that region's value.
    await page.waitForFunction(() => window.__equitasCharts?.["supply-regional-map"], undefined, { timeout: 10000 });
    // Shapes are named "Name#numeric" (ISO 3166-1 numeric).
    const mapped = await page.evaluate(() =>
      window.__equitasCharts["supply-regional-map"].getOption().series[0].data.map((d) => [d.name, d.value]),
    );
    const byNumeric = new Map((await all("/api/v1/countries")).body.rows.map((c) => [c.numeric, c.iso3]));
    assert.ok(mapped.length > 0, "countries on the in-region map");
    // ECharts lists every shape of the map; those without a value are not ours.
    const coloured = mapped.filter(([, v]) => typeof v === "number" && !Number.isNaN(v));
    assert.ok(coloured.length > 0, "countries coloured on the in-region map");
    for (const [shape, value] of coloured) {
      const code = byNumeric.get(Number(shape.split("#")[1]));
      const r = regional.rows.find((x) => x.countries.includes(code));
      assert.ok(r, `${code} belongs to a region of the answer`);
      assert.equal(value, r.share_in_region, code);
    }

    const match = (await all("/api/v1/supply/match")).body;
    await page.waitForSelector('table[data-table="supply-match"]');
    const matchRows = await tableRows(page, "supply-match");
    assert.ok(matchRows.length > 0 && matchRows.length <= match.total);
    // In the API's rank order: the first row is the API's first.
    assert.equal(matchRows[0][0], match.rows[0].region);
    assert.equal(matchRows[0][2], fmt(locale, 0)(match.rows[0].uncovered));

    // The WHO PQ list is not shipped: without it the page says what to import.
    const single = await all("/api/v1/supply/single-source");
    if (single.status === 409) {
      const note = await page.textContent('section[data-section="single"] p.note');
      assert.match(note, /equitas import who-pq-vaccines/);
    } else {
      assert.equal((await tableRows(page, "supply-single")).length, single.body.total);
    }

    const regs = (await all("/api/v1/supply/regulators")).body;
    const regRowsShown = await tableRows(page, "supply-regulators");
    assert.equal(regRowsShown.length, regs.total);
    const href = await page.getAttribute('table[data-table="supply-regulators"] tbody tr a', "href");
    assert.match(href, /^https:\/\//);
    // The licences register: every row, programmes by name, a long
    // territory counted in the page's language.
    const lics = (await all("/api/v1/supply/licences")).body;
    await page.waitForSelector('table[data-table="supply-licences"]');
    const licRows = await tableRows(page, "supply-licences");
    assert.equal(licRows.length, Math.min(lics.total, 20));
    for (const r of lics.rows.filter((x) => x.programme === "c-tap")) {
      const shown = licRows.find((x) => x[1] === r.licensor && x[2] === r.licensee);
      assert.ok(shown, `${r.licensor} → ${r.licensee} shown`);
      assert.equal(shown[0], words.ctap);
      assert.equal(shown[4], `${fmt(locale, 0)(r.territory.length)} ${words.countries}`);
    }
    // The supply map of the largest product (by total) is drawn: its
    // links join producing countries, manufacturers and buying countries.
    const largest = c.rows.reduce((a, r) => (a && a.total >= r.total ? a : r), null);
    const map = (await all(`/api/v1/supply/map?product=${largest.key[0]}&by_country=true`)).body;
    await page.waitForFunction(() => window.__equitasCharts?.["supply-map"], undefined, { timeout: 10000 });
    const nodes = await page.evaluate(() => {
      const o = window.__equitasCharts?.["supply-map"]?.getOption();
      return o ? o.series[0].data.map((d) => d.name) : null;
    });
    assert.ok(nodes, "the map is drawn");
    const expected = new Set();
    for (const r of map.rows) {
      expected.add(`c:${r.country ?? ""}`);
      expected.add(`m:${r.manufacturer ?? ""}`);
      expected.add(`b:${r.key[1]}`);
    }
    assert.deepEqual(new Set(nodes), expected);
    // Clicking a product in the table draws its map.
    const second = rows[1][0];
    await page.click(`table[data-table="supply-tiers"] tbody tr:nth-child(2) td:first-child`);
    await settled(page);
    assert.match(await page.textContent('section[data-section="map"] h2'), new RegExp(second.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    // The definitions are linked.
    // (in the page's language: the French translation in French).
    assert.equal(
      await page.getAttribute('section[data-section="tiers"] a.doc', "href"),
      lang === "fr" ? "/docs/formulas/fr#s6-1" : "/docs/formulas#s6-1",
    );
    // The single-source list's 409 (list not loaded) is the only error allowed.
    assert.deepEqual(
      page.errors.filter((e) => !(single.status === 409 && /status of 409/.test(e))),
      [],
    );
  });
}
