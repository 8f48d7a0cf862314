// How long the first page takes to be usable: from navigation to the
// overview's table of places drawn (chart and table), in a fresh browser
// context each time (nothing cached). Benchmark, not a test:
//   cd web && EQUITAS_URL=http://127.0.0.1:8080 node tests/first-page.mjs [RUNS]
import { launch, newPage, BASE } from "./browser.mjs";

const runs = Number(process.argv[2] ?? 10);
const { browser, close } = await launch();
const times = [];
try {
  for (let i = 0; i < runs; i++) {
    const page = await newPage(browser, { width: 1366, height: 768 });
    await page.goto(`${BASE}/#/?ind=availability&level=region`);
    await page.waitForSelector('table[data-table="areas"] tbody tr');
    await page.waitForFunction(() => window.__equitasCharts?.["overview-bars"] || window.__equitasCharts?.["overview-map"]);
    times.push(await page.evaluate(() => performance.now()));
    if (page.errors.length) throw new Error(page.errors.join("\n"));
    await page.context().close();
  }
} finally {
  await close();
}
times.sort((a, b) => a - b);
const ms = (v) => `${v.toFixed(0)} ms`;
console.log(`first page usable (${runs} fresh loads): median ${ms(times[times.length >> 1])}, slowest ${ms(times[times.length - 1])}, fastest ${ms(times[0])}`);
