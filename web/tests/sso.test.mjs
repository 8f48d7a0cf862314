// Single sign-on with OpenID Connect, end to end in headless Debian
// Chromium: a REAL provider (the `oidc-provider` package, oidc-provider.mjs)
// and `equitas serve --sso-issuer ...`, both started here on loopback. The
// authorisation code flow with PKCE maps the provider's subject to the
// local user it is linked to, with that user's roles; an unmapped subject,
// a wrong state, a changed nonce or PKCE challenge, a forged code and a
// replayed answer are refused, back on the login page saying why (English
// and French), and audited (the changes are made by an HTTP client with a
// cookie jar between the browser's steps, as an attacker would). Without the equitas binary or the provider package the test is
// reported skipped (also in EQUITAS_SKIP_LOG for scripts/test.sh), never
// passed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch, newPage, settled } from "./browser.mjs";

const BIN = process.env.EQUITAS_BIN ?? fileURLToPath(new URL("../../target/debug/equitas", import.meta.url));
const PASSWORD = "correct horse battery";

let startProvider = null;
let importError = "";
try {
  ({ startProvider } = await import("./oidc-provider.mjs"));
} catch (e) {
  importError = String(e);
}
const skip = !existsSync(BIN)
  ? `no equitas binary at ${BIN} (build it, or set EQUITAS_BIN)`
  : !startProvider
    ? `the oidc-provider package cannot be loaded (npm install in web/): ${importError}`
    : !existsSync(process.env.CHROMIUM ?? "/usr/bin/chromium")
      ? "no Chromium (apt-get install chromium)"
      : false;
if (skip && process.env.EQUITAS_SKIP_LOG) {
  appendFileSync(process.env.EQUITAS_SKIP_LOG, `web/tests/sso.test.mjs (single sign-on): ${skip}\n`);
}

let dir, server, base, op, adminToken, browser, close;

function equitas(args, input = "") {
  const r = spawnSync(BIN, ["--data-dir", dir, ...args], { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`equitas ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function freePort() {
  const s = createServer();
  await new Promise((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = s.address().port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "equitas-sso-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  op = await startProvider({ redirectUri: `${base}/api/v1/sso/callback` });
  equitas(["demo"]);
  equitas(["users", "add", "amina"], `${PASSWORD}\n`);
  equitas(["users", "grant", "amina", "viewer", "--location", "R01"]);
  equitas(["users", "link", "--user", "amina", "--issuer", op.issuer, "--subject", "amina-at-idp"]);
  equitas(["users", "add", "root"], `${PASSWORD}\n`);
  equitas(["users", "grant", "root", "administrator"]);
  adminToken = equitas(["tokens", "create", "--user", "root", "--expires", "1d"]).trim();
  const secretFile = join(dir, "client-secret");
  writeFileSync(secretFile, `${op.clientSecret}\n`, { mode: 0o600 });
  server = spawn(
    BIN,
    [
      "--data-dir", dir, "serve", "--addr", `127.0.0.1:${port}`,
      "--sso-issuer", op.issuer, "--sso-client-id", op.clientId,
      "--sso-client-secret-file", secretFile,
      "--sso-redirect-url", `${base}/api/v1/sso/callback`, "--sso-name", "Test IdP",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  await new Promise((resolve, reject) => {
    let err = "";
    server.stderr.on("data", (d) => {
      err += d;
      if (/dashboard on http:\/\/127\.0\.0\.1:\d+\//.test(err)) resolve();
    });
    server.on("exit", (c) => reject(new Error(`equitas serve exited ${c}: ${err}`)));
  });
  ({ browser, close } = await launch());
});

after(async () => {
  await close?.();
  server?.kill();
  await op?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Console errors but the 401s a page without a session meets on purpose. */
function unexpected(page) {
  return page.errors.filter((e) => !/401|Unauthorized/.test(e));
}

/** From the dashboard's login page through the provider's sign-in as `login`. */
async function signIn(page, login, words) {
  await page.goto(`${base}/#/login`);
  const button = page.locator("a.sso-login");
  await button.waitFor({ timeout: 30000 });
  assert.equal((await button.textContent()).trim(), words.button);
  await button.click();
  await page.waitForURL((u) => u.href.startsWith(`${op.issuer}/interaction/`), { timeout: 30000 });
  await page.fill("#idp-login", login);
  await page.fill("#idp-password", "anything");
  await page.click("#idp-submit");
  await page.waitForURL((u) => u.href.startsWith(`${base}/#/`), { timeout: 30000 });
}

async function refusedWith(page, reason, text) {
  await page.waitForURL((u) => u.hash === `#/login?sso_error=${reason}`, { timeout: 30000 });
  const p = page.locator(`[data-sso-error="${reason}"]`);
  await p.waitFor({ timeout: 30000 });
  assert.match(await p.textContent(), text);
}

async function audit() {
  const r = await fetch(`${base}/api/v1/audit?limit=1000`, { headers: { Authorization: `Bearer ${adminToken}` } });
  assert.equal(r.status, 200);
  return (await r.json()).rows;
}

const WORDS = {
  en: {
    button: "Sign in with Test IdP",
    logout: "Log out (amina)",
    unmapped: /linked to no Equitas user/,
    state: /does not belong to the sign-in this browser started/,
    token: /could not be verified/,
    flow: /expired or was already used/,
  },
  fr: {
    button: "Se connecter avec Test IdP",
    logout: "Se déconnecter (amina)",
    unmapped: /n’est lié à aucun utilisateur Equitas/,
    state: /n’appartient pas à la connexion commencée/,
    token: /n’a pas pu être vérifiée/,
    flow: /a expiré ou a déjà servi/,
  },
};

for (const lang of ["en", "fr"]) {
  const words = WORDS[lang];
  const locale = lang === "fr" ? "fr-FR" : "en-GB";

  test(`single sign-on maps the provider's subject to the local user and its roles (${lang})`, { skip }, async () => {
    const page = await newPage(browser, { locale });
    let callback = null;
    page.on("request", (r) => {
      if (r.url().startsWith(`${base}/api/v1/sso/callback`)) callback = r.url();
    });
    await signIn(page, "amina-at-idp", words);
    await settled(page);
    await page.locator("button.logout").waitFor({ timeout: 30000 });
    assert.equal((await page.textContent("button.logout")).trim(), words.logout);
    // The same session as a password login: amina, with her roles in Equitas.
    const s = await page.evaluate(async () => (await fetch("/api/v1/session")).json());
    assert.equal(s.user, "amina");
    assert.deepEqual(
      s.grants.map((g) => [g.role, g.scope.location]),
      [["viewer", "R01"]],
    );
    assert.ok(s.csrf_token, "the session has its CSRF token");
    const cookies = await page.context().cookies(base);
    const session = cookies.find((c) => c.name === "equitas_session");
    assert.ok(session?.httpOnly && session.sameSite === "Strict", JSON.stringify(cookies));
    assert.ok(!cookies.some((c) => c.name === "equitas_sso" && c.value), "the flow cookie is cleared");
    // The provider's answer replayed: the flow was used once, refused.
    assert.ok(callback, "the provider came back to the callback");
    await page.goto(callback);
    await refusedWith(page, "flow", words.flow);
    assert.deepEqual(unexpected(page), []);
    await page.context().close();
  });

  test(`an unmapped subject is refused, and says so (${lang})`, { skip }, async () => {
    const page = await newPage(browser, { locale });
    await page.goto(`${base}/#/login`);
    await page.locator("a.sso-login").click();
    await page.waitForURL((u) => u.href.startsWith(`${op.issuer}/interaction/`), { timeout: 30000 });
    await page.fill("#idp-login", `stranger-${lang}`);
    await page.click("#idp-submit");
    await refusedWith(page, "unmapped", words.unmapped);
    const s = await page.evaluate(async () => (await fetch("/api/v1/session")).status);
    assert.equal(s, 401, "no session");
    const rows = await audit();
    assert.ok(
      rows.some((r) => r.action === "sso-refused" && r.actor === `sso:${op.issuer}#stranger-${lang}` && /^unmapped/.test(r.detail)),
      JSON.stringify(rows.slice(0, 5)),
    );
    await page.context().close();
  });
}

/**
 * An HTTP client with a cookie jar (cookies by host, as the servers set and
 * clear them), following no redirect by itself.
 */
function client() {
  const jar = new Map();
  return async function request(url, init = {}) {
    const u = new URL(url);
    const cookies = jar.get(u.host) ?? new Map();
    const headers = { ...(init.headers ?? {}) };
    if (cookies.size) headers.Cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const r = await fetch(u, { ...init, headers, redirect: "manual" });
    for (const c of r.headers.getSetCookie()) {
      const [kv, ...attrs] = c.split(";");
      const i = kv.indexOf("=");
      const [k, v] = [kv.slice(0, i).trim(), kv.slice(i + 1).trim()];
      const gone = !v || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && new Date(a.split("=")[1]) < new Date()));
      if (gone) cookies.delete(k);
      else cookies.set(k, v);
    }
    jar.set(u.host, cookies);
    return r;
  };
}

/**
 * A sign-in through the provider by HTTP, whose authorisation request
 * (`stage` "auth") or answer to Equitas (`stage` "callback") has its query
 * changed by `rewrite` on the way, as an attacker would. Resolves to where
 * Equitas sends the browser at the end, and the session cookie if any.
 */
async function signInByHttp(stage, rewrite) {
  const request = client();
  const go = async (url, init) => {
    const r = await request(url, init);
    assert.equal(r.status, 303, `${url}: ${r.status} ${await r.text()}`);
    return new URL(r.headers.get("location"), url).toString();
  };
  const change = (url, at) => {
    if (stage !== at) return url;
    const u = new URL(url);
    rewrite(u.searchParams);
    return u.toString();
  };
  const started = await request(`${base}/api/v1/sso/login`);
  assert.equal(started.status, 303);
  const flow = started.headers.getSetCookie().find((c) => c.startsWith("equitas_sso="))?.split(";")[0];
  assert.ok(flow, "a flow cookie");
  let url = change(started.headers.get("location"), "auth");
  assert.ok(url.startsWith(`${op.issuer}/auth?`), url);
  assert.equal(new URL(url).searchParams.get("code_challenge_method"), "S256");
  url = await go(url);
  assert.ok(url.startsWith(`${op.issuer}/interaction/`), url);
  const page = await request(url);
  assert.equal(page.status, 200);
  url = await go(`${url}/login`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "login=amina-at-idp&password=anything",
  });
  url = await go(url);
  assert.ok(url.startsWith(`${base}/api/v1/sso/callback?`), url);
  const callback = change(url, "callback");
  const r = await request(callback);
  assert.equal(r.status, 303);
  const session = r.headers.getSetCookie().find((c) => c.startsWith("equitas_session=") && !c.startsWith("equitas_session=;"));
  return { location: r.headers.get("location"), session, callback, flow };
}

/** Refused with `reason`, no session, and audited with a detail matching `why`. */
async function refusedByHttp(stage, rewrite, reason, why) {
  const { location, session } = await signInByHttp(stage, rewrite);
  assert.equal(location, `/#/login?sso_error=${reason}`);
  assert.equal(session, undefined, "no session");
  const newest = (await audit()).find((r) => r.action === "sso-refused");
  assert.match(newest.detail, why);
}

test("the same sign-in by an HTTP client with a cookie jar, untouched, opens a session", { skip }, async () => {
  const { location, session, callback, flow } = await signInByHttp("none", () => {});
  assert.equal(location, "/#/");
  assert.ok(session, "a session cookie");
  const token = session.split(";")[0].split("=")[1];
  const s = await (await fetch(`${base}/api/v1/session`, { headers: { Cookie: `equitas_session=${token}` } })).json();
  assert.equal(s.user, "amina");
  // The provider's answer sent again, flow cookie and all: used once.
  const again = await fetch(callback, { headers: { Cookie: flow }, redirect: "manual" });
  assert.equal(again.headers.get("location"), "/#/login?sso_error=flow");
  const newest = (await audit()).find((r) => r.action === "sso-refused");
  assert.match(newest.detail, /^flow: the sign-in is unknown, used already/);
});

test("a wrong state is refused", { skip }, async () => {
  await refusedByHttp("callback", (q) => q.set("state", "forged-state"), "state", /^state: /);
});

test("a nonce changed on the way to the provider is refused (ID token verified)", { skip }, async () => {
  await refusedByHttp("auth", (q) => q.set("nonce", "not-the-one-sent"), "token", /nonce mismatch/);
});

test("a PKCE challenge changed on the way to the provider is refused (S256)", { skip }, async () => {
  // The provider refuses the code for the verifier Equitas holds.
  await refusedByHttp(
    "auth",
    (q) => q.set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    "token",
    /code exchange failed.*invalid_grant/,
  );
});

test("a forged code is refused", { skip }, async () => {
  await refusedByHttp("callback", (q) => q.set("code", "forged-code"), "token", /code exchange failed.*invalid_grant/);
});

test("single sign-on is audited: sign-ins and refusals with their reasons", { skip }, async () => {
  const rows = await audit();
  const logins = rows.filter((r) => r.action === "sso-login");
  assert.ok(logins.length >= 2 && logins.every((r) => r.actor === "user:amina"), JSON.stringify(logins));
  assert.ok(logins.every((r) => r.detail.includes(`${op.issuer} subject amina-at-idp`)));
  const refused = rows.filter((r) => r.action === "sso-refused");
  const reasons = new Set(refused.map((r) => r.detail.split(":")[0]));
  for (const r of ["unmapped", "state", "token", "flow"]) assert.ok(reasons.has(r), `${r} in ${[...reasons]}`);
});

test("without the flow cookie the callback is refused; /api/v1/sso names the provider", { skip }, async () => {
  const r = await fetch(`${base}/api/v1/sso/callback?code=x&state=y`, { redirect: "manual" });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get("location"), "/#/login?sso_error=flow");
  const info = await (await fetch(`${base}/api/v1/sso`)).json();
  assert.deepEqual(info, { enabled: true, label: "Test IdP", login: "/api/v1/sso/login" });
});
