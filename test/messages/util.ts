/** Small helpers shared by the message integration tests (offline, carbons, stanza ids, multicast, payloads). */
import type { Element } from "ltx";
import { RawClient } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";

let seq = 0;
const clients = new Map<TestServer, RawClient[]>();

/** Log `user` in as `resource` on the plaintext listener (bound, no presence yet). */
export async function connect(srv: TestServer, user: string, resource: string, password = "pw"): Promise<RawClient> {
  const c = await RawClient.connect(srv.ports.plain);
  clients.set(srv, [...(clients.get(srv) ?? []), c]);
  await c.login(user, password, resource);
  return c;
}

/** Drop every client `connect` opened on the server (the server only stops once its connections are gone), then stop it. */
export async function stop(srv: TestServer): Promise<void> {
  for (const c of clients.get(srv) ?? []) c.destroy();
  clients.delete(srv);
  await srv.stop();
}

/** An IQ round trip to the server: everything the client sent before has been routed when it returns. */
export async function barrier(c: RawClient): Promise<void> {
  const id = `barrier-${++seq}`;
  c.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
  const r = await c.until((el) => el.name === "iq" && el.attrs.id === id);
  if (r.attrs.type !== "result") throw new Error(`ping failed: ${r.toString()}`);
}

/** Send an IQ and return the reply. */
export async function iq(c: RawClient, type: "get" | "set", payload: string, to?: string): Promise<Element> {
  const id = `iq-${++seq}`;
  c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ""}>${payload}</iq>`);
  return c.until((el) => el.name === "iq" && el.attrs.id === id);
}

/** The next <message/> (presence and other stanzas in between are skipped). */
export const nextMessage = (c: RawClient): Promise<Element> => c.until((el) => el.name === "message");

/** The server's disco#info features (or an account's, with `to`). */
export async function features(c: RawClient, to = "localhost"): Promise<string[]> {
  const r = await iq(c, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", to);
  return r.getChild("query")!.getChildren("feature").map((f) => f.attrs.var as string);
}

/** The children of an element as serialised strings, for element-wise comparisons. */
export const childrenXml = (el: Element): string[] => el.getChildElements().map((c) => c.toString());
