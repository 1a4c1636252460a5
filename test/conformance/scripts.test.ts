/**
 * Every scripted conversation of conformance/scripts/ against one live server, one test per script, so that
 * `npm test` fails when a script (and so a claimed feature's proof) fails. `npm run conformance` runs the same
 * scripts plus the real-client checks and prints the XEP-0479 report.
 */
import test from "ava";
import { scriptChecks, type CheckEnv } from "../../conformance/runner/checks.js";
import { runScript } from "../../conformance/runner/execute.js";
import { parseScript } from "../../conformance/runner/script.js";
import { startConformanceServer } from "../../conformance/runner/target.js";

let env: CheckEnv;

test.before(async () => {
  env = await startConformanceServer();
});

test.after.always(async () => {
  await env?.srv.stop();
});

for (const check of scriptChecks()) {
  // Serial: scripts reuse account names (each script recreates its accounts before it starts).
  test.serial(`${check.name}: ${check.title}`, async (t) => {
    const outcome = await check.run(env);
    if (outcome.status === "skip") {
      t.log(`skipped: ${outcome.reason}`);
      t.pass();
      return;
    }
    t.is(outcome.status, "pass", outcome.status === "fail" ? `${check.source}\n${outcome.message}` : "");
  });
}

// The runner must catch what goes wrong, not only pass: a few deliberately wrong scripts against the same server.
const wrong = (steps: string) => parseScript(`# wrong on purpose
# proves: XEP-0199 §4.2

[Client] Zed
\tjid: zed@localhost/test
\tpassword: wrong-on-purpose

Zed connects
${steps}
`, "wrong.scs");

const fast = { timeoutMs: 400, quietMs: 200 };

test.serial("the runner reports a mismatch with its line, the path, and both XML texts", async (t) => {
  const outcome = await runScript(wrong(`Zed sends:
\t<iq type='get' id='v' to='localhost'><query xmlns='jabber:iq:version'/></iq>
Zed receives:
\t<iq type='result' id='v'><query xmlns='jabber:iq:version'><name>Prosody</name></query></iq>`), env.target, fast);
  t.is(outcome.status, "fail");
  if (outcome.status !== "fail") return;
  t.is(outcome.line, 11);
  t.regex(outcome.message, /mismatch at iq\/query\/name\/text\(\): expected "Prosody", got "Palaver"/);
  t.regex(outcome.message, /expected:\n.*<name>Prosody<\/name>/);
  t.regex(outcome.message, /received:\n.*<name>Palaver<\/name>/);
});

test.serial("the runner fails a step when nothing comes within the bound, and on stanzas nobody expected", async (t) => {
  const silent = await runScript(wrong(`Zed sends:
\t<iq type='result' id='nobody-asked' to='localhost'/>
Zed receives:
\t<iq type='result' id='nobody-asked'/>`), env.target, fast);
  t.is(silent.status, "fail");
  if (silent.status === "fail") t.regex(silent.message, /nothing received within 0.4 s/);

  const unexpected = await runScript(wrong(`Zed sends:
\t<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
Zed receives nothing`), env.target, fast);
  t.is(unexpected.status, "fail");
  if (unexpected.status === "fail") t.regex(unexpected.message, /expected nothing, received:\n.*id="p"/);

  const leftover = await runScript(wrong(`Zed sends:
\t<iq type='get' id='p2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
Zed sends:
\t<iq type='get' id='p3' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
Zed receives:
\t<iq type='result' id='p2'/>`), env.target, fast);
  t.is(leftover.status, "fail");
  if (leftover.status === "fail") t.regex(leftover.message, /does not expect by the end of the script:\n.*id="p3"/);
});

test.serial("a script naming a module the server does not run is skipped", async (t) => {
  const s = wrong("Zed disconnects");
  const outcome = await runScript({ ...s, modules: ["no-such-module"] }, env.target, fast);
  t.deepEqual(outcome, { status: "skip", reason: "module not enabled: no-such-module" });
});
