import test from "ava";
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import {
  channelBindingFeature, channelBindingFor, EXPORTER_LABEL, offersChannelBinding,
} from "../../src/sasl/channel-binding.js";
import { scramMechanism } from "../../src/sasl/scram.js";
import { context, credentials, runScram, selfSignedCertificate, TestScramClient } from "./sasl-helpers.js";

const cert = selfSignedCertificate("sha256");

/** A real TLS connection on 127.0.0.1: both ends, after the handshake. */
async function tlsPair(version: "TLSv1.2" | "TLSv1.3") {
  const server = tls.createServer({ key: cert.keyPem, cert: cert.certPem, minVersion: version, maxVersion: version });
  const serverSide = new Promise<tls.TLSSocket>((resolve) => server.once("secureConnection", resolve));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const client = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, minVersion: version, maxVersion: version });
  await new Promise<void>((resolve, reject) => { client.once("secureConnect", resolve); client.once("error", reject); });
  const serverSocket = await serverSide;
  const close = () => { client.destroy(); serverSocket.destroy(); server.close(); };
  return { client, serverSocket, close };
}

test("TLS 1.3: server and client compute the same tls-exporter and tls-server-end-point data", async (t) => {
  const { client, serverSocket, close } = await tlsPair("TLSv1.3");
  try {
    const cb = channelBindingFor(serverSocket);
    t.deepEqual([...cb.types], ["tls-exporter", "tls-server-end-point"]);
    // The client side, computed independently: RFC 9266 §2 and RFC 5929 §4.1 (a sha256WithRSA certificate).
    const exporter = client.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0));
    const endPoint = createHash("sha256").update(client.getPeerCertificate().raw).digest();
    t.deepEqual(cb.data("tls-exporter"), exporter);
    t.deepEqual(cb.data("tls-server-end-point"), endPoint);
    t.deepEqual(endPoint, createHash("sha256").update(cert.der).digest());
    // Node: an omitted context is "no context" for OpenSSL; TLS 1.3 defines both to give the same bytes.
    const withoutContext = client.exportKeyingMaterial as (length: number, label: string) => Buffer; // typed as 3-ary
    t.deepEqual(withoutContext.call(client, 32, EXPORTER_LABEL), exporter);
    t.is(channelBindingFor(serverSocket), cb, "computed once per socket");
  } finally {
    close();
  }
});

test("TLS 1.2: tls-unique (the client's Finished, RFC 5929 §3.1) and tls-server-end-point; no tls-exporter", async (t) => {
  const { client, serverSocket, close } = await tlsPair("TLSv1.2");
  try {
    const cb = channelBindingFor(serverSocket);
    t.deepEqual([...cb.types].sort(), ["tls-server-end-point", "tls-unique"]);
    t.is(cb.data("tls-exporter"), null);
    // A full handshake: the first Finished is the client's, which the client itself knows as getFinished().
    t.deepEqual(cb.data("tls-unique"), client.getFinished());
    t.deepEqual(cb.data("tls-server-end-point"), createHash("sha256").update(cert.der).digest());
  } finally {
    close();
  }
});

test("SCRAM-SHA-256-PLUS over a real TLS 1.3 connection: right binding succeeds, wrong binding fails", async (t) => {
  const { client, serverSocket, close } = await tlsPair("TLSv1.3");
  try {
    const stored = await credentials("pencil");
    const ctx = context({ user: stored }, { channelBinding: channelBindingFor(serverSocket) });
    const plus = scramMechanism("SHA-256", true);
    t.true(plus.available(ctx, false));

    const exporter = client.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0));
    const good = new TestScramClient("sha256", "pencil", { username: "user", flag: "p=tls-exporter", cbData: exporter });
    const ok = await runScram(plus.start(ctx), good);
    t.like(ok, { kind: "success", username: "user" });
    t.is(ok.kind === "success" ? ok.data?.toString() : "", good.expectedServerFinal());

    const endPoint = createHash("sha256").update(client.getPeerCertificate().raw).digest();
    const viaEndPoint = new TestScramClient("sha256", "pencil", { username: "user", flag: "p=tls-server-end-point", cbData: endPoint });
    t.like(await runScram(plus.start(ctx), viaEndPoint), { kind: "success" });

    // A man in the middle has another TLS connection, hence other binding data.
    const forged = Buffer.from(exporter);
    forged[0]! ^= 1;
    const mitm = new TestScramClient("sha256", "pencil", { username: "user", flag: "p=tls-exporter", cbData: forged });
    t.like(await runScram(plus.start(ctx), mitm), { kind: "failure", condition: "not-authorized", username: "user" });

    const swapped = new TestScramClient("sha256", "pencil", { username: "user", flag: "p=tls-exporter", cbData: endPoint });
    t.like(await runScram(plus.start(ctx), swapped), { kind: "failure", condition: "not-authorized" });

    const unknownType = new TestScramClient("sha256", "pencil", { username: "user", flag: "p=tls-unique", cbData: exporter });
    t.like(await runScram(plus.start(ctx), unknownType), { kind: "failure", condition: "not-authorized" });

    // -PLUS requires the client to bind.
    const unbound = new TestScramClient("sha256", "pencil", { username: "user", flag: "n" });
    t.like(await runScram(plus.start(ctx), unbound), { kind: "failure", condition: "malformed-request" });
  } finally {
    close();
  }
});

test("downgrade: 'y' fails when the stream offers -PLUS, succeeds when it does not (RFC 5802 §6)", async (t) => {
  const { serverSocket, close } = await tlsPair("TLSv1.3");
  try {
    const stored = await credentials("pencil");
    const bare = scramMechanism("SHA-256", false);
    const offered = context({ user: stored }, { channelBinding: channelBindingFor(serverSocket) });
    const y = () => new TestScramClient("sha256", "pencil", { username: "user", flag: "y" });
    t.like(await runScram(bare.start(offered), y()), { kind: "failure", condition: "not-authorized", username: "user" });

    const notOffered = context({ user: stored }, { channelBinding: null });
    t.false(offersChannelBinding(notOffered));
    t.like(await runScram(bare.start(notOffered), y()), { kind: "success" });

    // The client that does not support binding at all is fine either way.
    const n = new TestScramClient("sha256", "pencil", { username: "user", flag: "n" });
    t.like(await runScram(bare.start(offered), n), { kind: "success" });
  } finally {
    close();
  }
});

test("XEP-0440 stream feature lists the connection's types, or is absent", (t) => {
  const el = channelBindingFeature({ types: ["tls-exporter", "tls-server-end-point"], data: () => null });
  t.is(el?.toString(),
    "<sasl-channel-binding xmlns=\"urn:xmpp:sasl-cb:0\"><channel-binding type=\"tls-exporter\"/>" +
    "<channel-binding type=\"tls-server-end-point\"/></sasl-channel-binding>");
  t.is(channelBindingFeature(null), null);
  t.is(channelBindingFeature({ types: [], data: () => null }), null);
});
