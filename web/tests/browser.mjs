// Launching Debian's Chromium through playwright-core (never a downloaded
// browser), shared by the browser tests and the screenshot script.
import { chromium } from "playwright-core";

export const BASE = process.env.EQUITAS_URL ?? "http://127.0.0.1:8080";

/** Chromium headless; playwright gives it a fresh, empty profile each time. */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** A page that fails the test on any console error or failed request. */
export async function newPage(browser, { width = 1366, height = 768, locale = "en-GB" } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") page.errors.push(m.text());
  });
  page.on("requestfailed", (r) => page.errors.push(`request failed: ${r.url()}`));
  return page;
}

export async function api(path) {
  const r = await fetch(BASE + path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

/** Waits until the page has rendered the current route (no aria-busy, no
 * loading placeholders, and `#app` marked with the hash it shows: just after
 * a hash change the previous page is still there, not yet busy). */
export async function settled(page) {
  await page.waitForFunction(
    () =>
      !document.querySelector("#app[aria-busy]") &&
      !document.querySelector("#app .loading") &&
      document.querySelector("#app")?.dataset.rendered === location.hash,
    undefined,
    { timeout: 30000 },
  );
}

/** Clicks, with the mouse, where a chart draws a data item. */
export async function clickChart(page, chartName, finder, dataIndexOrName) {
  const xy = await page.evaluate(
    ([name, finder, key]) => {
      const c = window.__equitasCharts?.[name];
      if (!c) return null;
      const rect = c.getDom().getBoundingClientRect();
      const p = c.convertToPixel(finder, key);
      return p ? [rect.left + p[0], rect.top + p[1]] : null;
    },
    [chartName, finder, dataIndexOrName],
  );
  if (!xy) throw new Error(`no point for ${JSON.stringify(dataIndexOrName)} in chart ${chartName}`);
  await page.mouse.click(xy[0], xy[1]);
}
