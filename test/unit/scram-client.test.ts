import test from "ava";
import ScramSha1 from "sasl-scram-sha-1";
import { scramMechanism } from "../../src/sasl/scram.js";
import { context, credentials } from "./sasl-helpers.js";

// Cross-check with an independent client implementation (npm sasl-scram-sha-1).
async function login(username: string, password: string, authzid?: string) {
  const stored = await credentials("pencil with spaces, commas = and é");
  const ex = scramMechanism("SHA-1", false).start(context({ "jüliet,=x": stored, "ro,me=o": stored }));
  const client = new ScramSha1();
  const cred = { username, password, ...(authzid ? { authzid } : {}) };
  const first = await ex.step(Buffer.from(await client.response(cred)));
  if (first.kind !== "challenge") return { result: first, client };
  client.challenge(first.data.toString("utf8"));
  const result = await ex.step(Buffer.from(await client.response(cred)));
  return { result, client };
}

test("sasl-scram-sha-1 client authenticates, and the server signature is the one it expects", async (t) => {
  const { result, client } = await login("jüliet,=x", "pencil with spaces, commas = and é");
  t.is(result.kind, "success");
  if (result.kind !== "success") return;
  t.is(result.username, "jüliet,=x");
  t.is(result.data?.toString(), `v=${Buffer.from(client._serverSignature!).toString("base64")}`);
});

test("the username is prepared (UsernameCaseMapped): upper case logs in to the same account", async (t) => {
  const { result } = await login("JÜLIET,=X", "pencil with spaces, commas = and é");
  t.like(result, { kind: "success", username: "jüliet,=x" });
});

test("sasl-scram-sha-1 client with a wrong password is refused", async (t) => {
  const { result } = await login("jüliet,=x", "pencil with spaces, commas = and e");
  t.like(result, { kind: "failure", condition: "not-authorized", username: "jüliet,=x" });
});

test("sasl-scram-sha-1 client with its own bare JID as authzid succeeds, another JID is invalid-authzid", async (t) => {
  // ASCII only: the client base64-encodes its GS2 header with btoa, i.e. as Latin-1 rather than UTF-8.
  const password = "pencil with spaces, commas = and é";
  const own = await login("ro,me=o", password, "RO,ME=O@EXAMPLE.com");
  t.like(own.result, { kind: "success", username: "ro,me=o" });
  const other = await login("ro,me=o", password, "romeo@example.com");
  t.like(other.result, { kind: "failure", condition: "invalid-authzid", username: "ro,me=o" });
  const full = await login("ro,me=o", password, "ro,me=o@example.com/res");
  t.like(full.result, { kind: "failure", condition: "invalid-authzid" });
  const otherHost = await login("ro,me=o", password, "ro,me=o@example.net");
  t.like(otherHost.result, { kind: "failure", condition: "invalid-authzid" });
});
