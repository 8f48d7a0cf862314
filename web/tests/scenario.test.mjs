// Browser test of the Disruption scenarios page (issue 21) in both
// languages, against a running `equitas serve` on the demo data
// (EQUITAS_URL): what the page shows is checked against the API's answers.

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

async function all(path, lang = "en") {
  const r = await fetch(`${BASE}${path}${path.includes("?") ? "&" : "?"}limit=1000`, { headers: { "Accept-Language": lang } });
  return { status: r.status, body: await r.json() };
}

const fmt = (locale, digits, style) => (v) =>
  v === null
    ? "–"
    : new Intl.NumberFormat(locale, { style, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);

for (const [lang, locale, words] of [
  ["en", "en-GB", { title: "Disruption scenarios", never: "none", country: "Producing country", safety: "Safety stock", national: "National store", low: "Low income" }],
  ["fr", "fr-FR", { title: "Scénarios de rupture", never: "aucune", country: "Pays producteur", safety: "Stock de sécurité", national: "Magasin central", low: "Faible revenu" }],
]) {
  test(`the scenario page shows the API's impacts, mitigations, allocation and nodes (${lang})`, async () => {
    const page = await newPage(browser, { locale });
    await page.goto(`${BASE}/#/scenario`);
    await settled(page);
    if ((await page.getAttribute("html", "lang")) !== lang) {
      await page.click(`.lang button[data-lang="${lang}"]`);
      await settled(page);
    }
    assert.equal(await page.textContent("h1"), words.title);
    for (const id of ["scenario-impact", "scenario-mitigations", "scenario-allocation", "scenario-nodes"]) {
      await page.waitForSelector(`table[data-table="${id}"]`, { timeout: 20000 });
    }

    const run = (await all("/api/v1/scenario/run")).body;
    assert.ok(run.total > 0);
    assert.equal(await page.textContent('[data-figure="pairs"]'), fmt(locale, 0)(run.total));
    const short = run.rows.filter((r) => r.unmet > 0).length;
    assert.equal(await page.textContent('[data-figure="short"]'), fmt(locale, 0)(short));
    assert.match(await page.textContent('[data-figure="scenario"]'), /largest producing country/);
    // The assumptions the API states are shown.
    assert.ok((await page.textContent('[data-figure="assumptions"]')).includes(run.assumptions[0]));
    // The first rows are the API's first rows (most unmet demand first),
    // countries and products by name in the page's language.
    const countryNames = new Map(
      (await all("/api/v1/countries")).body.rows.map((c) => [c.iso3, (lang === "fr" && c.name_fr) || c.name_en]),
    );
    const productNames = new Map((await all("/api/v1/market/products")).body.rows.map((p) => [p.product, p.name ?? p.product]));
    const rows = await tableRows(page, "scenario-impact");
    assert.equal(rows.length, Math.min(20, run.total));
    for (const [i, shown] of rows.slice(0, 5).entries()) {
      const r = run.rows[i];
      assert.deepEqual([shown[0], shown[1]], [countryNames.get(r.country), productNames.get(r.product)]);
      assert.equal(shown[2], fmt(locale, 1, "percent")(r.exposure));
      assert.equal(shown[3], fmt(locale, 1)(r.time_to_survive_months));
      if (r.alternative === "never") assert.equal(shown[5], words.never);
      assert.equal(shown[8], fmt(locale, 0)(r.unmet));
      assert.equal(shown[9], fmt(locale, 1, "percent")(r.probability_of_stockout));
    }

    // The map colours each buying country the API names by its largest gap.
    const byCountry = (await all("/api/v1/scenario/countries")).body;
    await page.waitForFunction(() => window.__equitasCharts?.["scenario-map"], undefined, { timeout: 10000 });
    const drawn = await page.evaluate(() =>
      window.__equitasCharts["scenario-map"].getOption().series[0].data.filter((d) => d.code).map((d) => [d.code, d.value]),
    );
    assert.ok(drawn.length > 0 && drawn.length <= byCountry.total, `${drawn.length} of ${byCountry.total}`);
    for (const [code, value] of drawn) {
      assert.equal(value, byCountry.rows.find((r) => r.country === code).max_gap_months, code);
    }

    // The projection of the pair with the most unmet demand is drawn.
    const proj = (await all("/api/v1/scenario/projection")).body;
    await page.waitForFunction(() => window.__equitasCharts?.["scenario-projection"], undefined, { timeout: 10000 });
    const series = await page.evaluate(() =>
      window.__equitasCharts["scenario-projection"].getOption().series.map((s) => s.data),
    );
    assert.deepEqual(series[0], proj.rows.map((m) => m.stock));
    assert.deepEqual(series[1], proj.rows.map((m) => m.stock_without));
    assert.deepEqual(series[3], proj.rows.map((m) => m.unmet));
    assert.match(await page.textContent('[data-figure="pair"]'), new RegExp(proj.country));

    const cmp = (await all("/api/v1/scenario/compare")).body;
    const m = await tableRows(page, "scenario-mitigations");
    assert.equal(m.length, cmp.total);
    assert.equal(m[0][1], words.safety);
    assert.equal(m[0][2], fmt(locale, 0)(cmp.rows[0].unmet_without));
    assert.equal(m[0][4], fmt(locale, 1, "percent")(cmp.rows[0].reduction_share));
    // A cost over part of the products is shown as a lower bound.
    const partial = cmp.rows.find((r) => r.cost !== null && r.unpriced > 0);
    assert.ok(partial, "the demo's safety stock leaves its synthetic products unpriced");
    const shown = m.find((r) => r[0] === partial.mitigation);
    assert.equal(shown[6], `≥ ${fmt(locale, 0)(partial.cost)}`);

    const alloc = (await all("/api/v1/scenario/allocation")).body;
    const a = await tableRows(page, "scenario-allocation");
    assert.equal(a.length, alloc.total);
    assert.equal(a[0][3], fmt(locale, 1, "percent")(alloc.rows[0].unmet_share));
    // Income groups in the page's language (the API gives the World Bank's English).
    const shownGroups = a.map((r) => r[1]);
    assert.ok(shownGroups.includes(words.low), `${shownGroups}`);

    // Nodes by name, as the API's labels name them in the page's language.
    const nodes = (await all("/api/v1/scenario/nodes", lang)).body;
    const n = await tableRows(page, "scenario-nodes");
    const dim = nodes.rows[0].kind === "producing-country" ? "country" : nodes.rows[0].kind;
    assert.equal(n[0][2], nodes.labels?.[dim]?.[nodes.rows[0].node] ?? nodes.rows[0].node);
    if (dim === "country") assert.notEqual(n[0][2], nodes.rows[0].node);
    if (nodes.rows[0].kind === "producing-country") assert.equal(n[0][1], words.country);
    assert.equal(n[0][4], fmt(locale, 0)(nodes.rows[0].unmet));

    // A pair of the synthetic country expands into its levels, as the API gives them (7.8).
    const withLevels = run.rows.find((r) => r.levels.length > 0);
    assert.ok(withLevels, "the demo scenario touches a pair whose stock the ledger holds per level");
    const impactWrap = 'div[data-table-wrap="scenario-impact"]';
    await page.fill(`${impactWrap} input[data-role="filter"]`, countryNames.get(withLevels.country) ?? withLevels.country);
    const expand = `${impactWrap} table[data-table="scenario-impact"] button[data-role="expand"]`;
    await page.waitForSelector(expand, { timeout: 10000 });
    const [expandCountry, expandProduct] = await page.$eval(expand, (b) =>
      [...b.closest("tr").querySelectorAll("td")].slice(0, 2).map((td) => td.getAttribute("title")),
    );
    const expanded = run.rows.find((r) => r.country === expandCountry && r.product === expandProduct);
    assert.ok(expanded.levels.length > 0);
    assert.equal(await page.getAttribute(expand, "aria-expanded"), "false");
    await page.click(expand);
    await page.waitForSelector('table[data-table="scenario-levels"]', { timeout: 10000 });
    assert.equal(await page.getAttribute(expand, "aria-expanded"), "true");
    const lv = await tableRows(page, "scenario-levels");
    assert.equal(lv.length, expanded.levels.length);
    for (const [i, l] of expanded.levels.entries()) {
      assert.equal(lv[i][1], fmt(locale, 1, "percent")(l.share_of_demand));
      assert.equal(lv[i][2], fmt(locale, 0)(l.stock));
      assert.equal(lv[i][3], fmt(locale, 1)(l.time_to_survive_months));
      assert.equal(lv[i][5], fmt(locale, 0)(l.unmet));
      // Each level's Monte Carlo figures on the country's paths.
      assert.equal(lv[i][6], fmt(locale, 1, "percent")(l.probability_of_stockout));
      assert.equal(lv[i][7], fmt(locale, 0)(l.expected_unmet));
      assert.equal(lv[i][8], fmt(locale, 0)(l.unmet_p95));
    }
    if (expanded.levels[0].level === "national store") assert.equal(lv[0][0], words.national);
    await page.click(expand);
    assert.equal(await page.$('table[data-table="scenario-levels"]'), null);
    await page.fill(`${impactWrap} input[data-role="filter"]`, "");

    // A click on another row draws that pair.
    await page.click('table[data-table="scenario-impact"] tbody tr:nth-child(2) td:first-child');
    await settled(page);
    const second = run.rows[1];
    await page.waitForFunction(
      (p) => document.querySelector('[data-figure="pair"]')?.textContent.includes(p),
      `${second.country} × ${second.product}`,
      { timeout: 20000 },
    );
    assert.equal(
      await page.getAttribute('section[data-section="impact"] a.doc', "href"),
      lang === "fr" ? "/docs/formulas/fr#s7-2" : "/docs/formulas#s7-2",
    );
    assert.deepEqual(page.errors, []);
  });
}
