// Screenshots of each page at desktop (1920x1080) and laptop (1366x768)
// sizes, in English (NAME-SIZE.png) and French (NAME-SIZE-fr.png), for
// docs/screenshots and the README:
//   equitas demo && equitas serve &
//   cd web && EQUITAS_URL=http://127.0.0.1:8080 node tests/screenshots.mjs
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launch, newPage, settled, BASE } from "./browser.mjs";

const out = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
mkdirSync(out, { recursive: true });

const pages = [
  ["overview", "#/?ind=availability&level=region&area=R03"],
  ["map", "#/?ind=concentration&area=ZAF"],
  ["product", "#/product/SYN-003"],
  ["market-product", "#/product/efavirenz-600mg-tablet"],
  ["location", "#/location/R01"],
  ["capture", "#/capture"],
  ["supply", "#/supply"],
  ["scenario", "#/scenario"],
];
const sizes = [
  ["desktop", 1920, 1080],
  ["laptop", 1366, 768],
];
// The browser's language chooses the dashboard's on a first visit.
const languages = [
  ["", "en-GB"],
  ["-fr", "fr-FR"],
];

const { browser, close } = await launch();
try {
  for (const [suffix, locale] of languages) {
    for (const [size, width, height] of sizes) {
      const page = await newPage(browser, { width, height, locale });
      for (const [name, hash] of pages) {
        await page.goto(`${BASE}/${hash}`);
        await settled(page);
        await page.waitForTimeout(300);
        const file = `${out}${name}-${size}${suffix}.png`;
        await page.screenshot({ path: file });
        console.log(file);
      }
      // A 409 is data not loaded (the WHO PQ list, which is not shipped), which
      // the page shows as a note; anything else is an error.
      const errors = page.errors.filter((e) => !/status of 409/.test(e));
      if (errors.length) throw new Error(errors.join("\n"));
    }
  }
} finally {
  await close();
}
