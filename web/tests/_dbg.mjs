import { launch, newPage } from "/work/main/web/tests/browser.mjs";
const { browser, close } = await launch();
const page = await newPage(browser, { width: 1366, height: 900 });
page.on("console", (m) => console.log("console:", m.text(), m.location().url));
await page.goto(process.env.EQUITAS_URL + "/#/?ind=concentration");
await page.waitForTimeout(4000);
await page.screenshot({ path: `/tmp/dbg.png` });
await close();
