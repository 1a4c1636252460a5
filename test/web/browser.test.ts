/**
 * The web chat as a person uses it: headless Chromium (Debian's, driven by playwright-core) opens the page the
 * HTTP listener serves, logs in through Converse.js's own form, opens a chat with a user connected over TCP, and
 * they exchange a message each way. A screenshot of the conversation is saved in test-artifacts/.
 */
import test from "ava";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";
import { RawClient } from "../helpers/raw-client.js";
import { Inbox, request, startWebServer, type WebTestServer } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../../test-artifacts/", import.meta.url));

let srv: WebTestServer;
let bob: RawClient;
let inbox: Inbox;
let profile: string;
let browser: BrowserContext | null = null;

test.before(async () => {
  srv = await startWebServer();
  await srv.addUser("alice@localhost", "wonderland");
  await srv.addUser("bob@localhost", "builder");
  bob = await RawClient.connect(srv.ports.plain);
  await bob.login("bob", "builder", "tcp");
  bob.send("<presence/>");
  inbox = new Inbox(bob);
  profile = mkdtempSync(join(tmpdir(), "palaver-chromium-"));
});

test.after.always(async () => {
  await browser?.close();
  bob?.destroy();
  await srv?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test("Converse.js from the HTTP listener: log in with the form, chat with a TCP user both ways", async (t) => {
  if (!existsSync(CHROMIUM)) return t.fail("Chromium is not installed (.ci/run installs Debian's chromium)");
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1100, height: 700 },
  });
  const page = browser.pages()[0] ?? await browser.newPage();
  const failed: string[] = [];
  page.on("response", (r) => { if (r.status() >= 400 && new URL(r.url()).port === String(srv.http)) failed.push(`${r.status()} ${r.url()}`); });

  await page.goto(`http://127.0.0.1:${srv.http}/`);
  // The login form Converse renders; "alice" alone works: the page sets the default domain.
  await page.fill("#converse-login-jid", "alice", { timeout: 15_000 });
  await page.fill("#converse-login-password", "wonderland");
  await page.click("#converse-login button[type=submit]");
  await page.waitForSelector("converse-roster", { timeout: 15_000 });

  // Open a chat with bob (Converse's own route for it) and say hello.
  await page.evaluate(() => { location.hash = "#converse/chat?jid=bob@localhost"; });
  await page.fill("textarea.chat-textarea", "Hello Bob, from the browser", { timeout: 15_000 });
  await page.press("textarea.chat-textarea", "Enter");
  const hello = await inbox.wait((el) => el.name === "message" && el.getChildText("body") === "Hello Bob, from the browser");
  t.regex(hello.attrs.from ?? "", /^alice@localhost\//);

  bob.send(`<message to='${hello.attrs.from}' type='chat'><body>Hi Alice, Bob here on TCP</body></message>`);
  await page.waitForSelector("text=Hi Alice, Bob here on TCP", { timeout: 15_000 });
  t.true(await page.isVisible("text=Hello Bob, from the browser"));

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "converse-chat.png") });
  t.deepEqual(failed, [], "every file the page asked this server for was found");
});

test("the page is configured for this server: WebSocket first, BOSH as the fallback, the host as the domain", async (t) => {
  const r = await request(`http://127.0.0.1:${srv.http}/`, { headers: { Host: `localhost:${srv.http}` } });
  t.is(r.status, 200);
  t.is(r.headers["content-type"], "text/html; charset=utf-8");
  const json = /converse\.initialize\((\{.*\})\);/.exec(r.text)?.[1];
  const settings = JSON.parse(json ?? "{}") as Record<string, unknown>;
  t.is(settings.websocket_url, `ws://localhost:${srv.http}/xmpp-websocket`);
  t.is(settings.bosh_service_url, `http://localhost:${srv.http}/http-bind`);
  t.is(settings.default_domain, "localhost");
  t.is(settings.discover_connection_methods, false);
  const tls = await request(`https://127.0.0.1:${srv.https}/`, { headers: { Host: `localhost:${srv.https}` } });
  t.regex(tls.text, new RegExp(`"websocket_url":"wss://localhost:${srv.https}/xmpp-websocket"`));
});
