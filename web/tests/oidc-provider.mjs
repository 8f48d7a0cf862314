// A real OpenID Connect provider on loopback for the single sign-on test
// (sso.test.mjs): the `oidc-provider` package (a certified implementation),
// with one confidential client for Equitas that must use PKCE, RS256 keys
// made for the run, and any login name accepted as the account's subject.
// Its sign-in page is a minimal form of ours (its own development pages
// load fonts from the Internet): the protocol is entirely the package's.

import { createServer } from "node:http";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import Provider from "oidc-provider";

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title></head><body>${body}</body></html>`;
}

async function form(req) {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

/**
 * Starts the provider on 127.0.0.1 (a free port); `redirectUri` is the
 * Equitas callback registered for the client. Resolves to
 * { issuer, clientId, clientSecret, close() }.
 */
export async function startProvider({ redirectUri }) {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const clientId = "equitas";
  const clientSecret = randomBytes(24).toString("hex");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test-rs256", use: "sig", alg: "RS256" };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
        id_token_signed_response_alg: "RS256",
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // Any login name is an account whose subject it is.
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, email: `${sub}@example.org`, email_verified: true, name: sub };
        },
      };
    },
    // The client is trusted: the scopes it asks for are granted without
    // a consent page.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  server.on("request", async (req, res) => {
    const m = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
    if (!m) return callback(req, res);
    try {
      if (req.method === "GET") {
        const details = await provider.interactionDetails(req, res);
        res.setHeader("Content-Type", "text/html; charset=utf-8");
        res.end(
          page(
            "Test IdP",
            `<h1>Test IdP</h1><p>${details.prompt.name}</p>
             <form method="post" action="/interaction/${details.uid}/login">
               <input name="login" id="idp-login" required>
               <input name="password" id="idp-password" type="password">
               <button type="submit" id="idp-submit">Sign in</button>
             </form>`,
          ),
        );
        return;
      }
      const body = await form(req);
      await provider.interactionFinished(req, res, { login: { accountId: body.get("login") } }, { mergeWithLastSubmission: false });
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
  });
  return {
    issuer,
    clientId,
    clientSecret,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
