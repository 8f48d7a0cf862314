// Login, logout and a scoped view in headless Debian Chromium, in English
// and French, against a server WITH accounts that this test starts itself
// (the other browser tests use EQUITAS_URL, a server without accounts):
// the binary is EQUITAS_BIN, else target/debug/equitas; without it the test
// is reported skipped, never passed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch, newPage, settled } from "./browser.mjs";

const BIN = process.env.EQUITAS_BIN ?? fileURLToPath(new URL("../../target/debug/equitas", import.meta.url));
const PASSWORD = "correct horse battery";
const skip = existsSync(BIN) ? false : `no equitas binary at ${BIN} (build it, or set EQUITAS_BIN)`;

let dir, server, base, adminToken, browser, close;

function equitas(args, input = "") {
  const r = spawnSync(BIN, ["--data-dir", dir, ...args], { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`equitas ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "equitas-login-"));
  equitas(["demo"]);
  equitas(["users", "add", "amina"], `${PASSWORD}\n`);
  equitas(["users", "grant", "amina", "viewer", "--location", "R01"]);
  equitas(["users", "add", "root"], `${PASSWORD}\n`);
  equitas(["users", "grant", "root", "administrator"]);
  adminToken = equitas(["tokens", "create", "--user", "root", "--expires", "1d"]).trim();
  server = spawn(BIN, ["--data-dir", dir, "serve", "--addr", "127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"] });
  base = await new Promise((resolve, reject) => {
    let err = "";
    server.stderr.on("data", (d) => {
      err += d;
      const m = err.match(/dashboard on (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) resolve(m[1]);
    });
    server.on("exit", (c) => reject(new Error(`equitas serve exited ${c}: ${err}`)));
  });
  ({ browser, close } = await launch());
});

after(async () => {
  await close?.();
  server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Console errors but the 401s a page without a session meets on purpose. */
function unexpected(page) {
  return page.errors.filter((e) => !/401|Unauthorized/.test(e));
}

async function rows(page, id) {
  return page.$$eval(`table[data-table="${id}"] tbody tr`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())),
  );
}

async function regionsAsAdmin() {
  const r = await fetch(`${base}/api/v1/availability?by=region&basket=true&limit=1000`, {
    headers: { Authorization: `Bearer ${adminToken}` },
  });
  assert.equal(r.status, 200);
  return (await r.json()).rows.map((x) => x.area);
}

for (const [lang, words] of [
  ["en", { title: "Log in", failed: "Wrong user name or password.", logout: "Log out (amina)" }],
  ["fr", { title: "Connexion", failed: "Nom d’utilisateur ou mot de passe incorrect.", logout: "Se déconnecter (amina)" }],
]) {
  test(`log in, a scoped view, log out (${lang})`, { skip }, async () => {
    const page = await newPage(browser, { locale: lang === "fr" ? "fr-FR" : "en-GB" });
    // The page's first question, whether a session is needed, is held back
    // until the language button has been clicked: the render that click
    // starts must wait for the answer too (it once showed the overview's
    // panels, each saying "log in", in place of the form).
    let release;
    const held = new Promise((r) => (release = r));
    await page.route("**/api/v1/session", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${base}/#/?ind=availability&level=region`);
    await page.click(`button[data-lang="${lang}"]`);
    release();
    // Without a session, the page asked for is replaced by the login form.
    await page.waitForSelector("form.login");
    assert.equal(await page.textContent("#app h1"), words.title);
    await page.fill("#login-user", "amina");
    await page.fill("#login-password", "not the password");
    await page.click('form.login button[type="submit"]');
    await page.waitForSelector("form.login .error:not([hidden])");
    assert.equal((await page.textContent("form.login .error")).trim(), words.failed);
    await page.fill("#login-password", PASSWORD);
    await page.click('form.login button[type="submit"]');
    await page.waitForSelector('table[data-table="areas"]', { timeout: 30000 });
    await settled(page);
    // The session cookie is out of the page's reach (HttpOnly).
    assert.ok(!(await page.evaluate(() => document.cookie)).includes("equitas_session"));
    // A scoped view: the regions the viewer of R01 sees are R01 only,
    // where an administrator sees them all.
    const shown = (await rows(page, "areas")).map((r) => r[1]);
    assert.deepEqual(shown, ["R01"]);
    assert.ok((await regionsAsAdmin()).length > 1);
    const out = page.locator("nav button.logout");
    assert.equal((await out.textContent()).trim(), words.logout);
    await out.click();
    await page.waitForSelector("form.login");
    const status = await page.evaluate(() => fetch("/api/v1/session").then((r) => r.status));
    assert.equal(status, 401);
    assert.deepEqual(unexpected(page), []);
    await page.context().close();
  });
}
