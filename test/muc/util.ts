/** Helpers for the conference integration tests: logins, joining, configuring, reading what the room sends. */
import type { Element } from "ltx";
import { RawClient } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";

export const MUC = "conference.localhost";
export const NS_MUC = "http://jabber.org/protocol/muc";
export const NS_USER = "http://jabber.org/protocol/muc#user";
export const NS_ADMIN = "http://jabber.org/protocol/muc#admin";
export const NS_OWNER = "http://jabber.org/protocol/muc#owner";

let seq = 0;
const opened = new Map<TestServer, RawClient[]>();

/** Log `user` in on the plaintext listener (bound; no presence sent). */
export async function connect(srv: TestServer, user: string, resource = "r", password = "pw"): Promise<RawClient> {
  const c = await RawClient.connect(srv.ports.plain);
  opened.set(srv, [...(opened.get(srv) ?? []), c]);
  await c.login(user, password, resource);
  return c;
}

/** Drop every client `connect` opened on the server. */
export function dropClients(srv: TestServer): void {
  for (const c of opened.get(srv) ?? []) c.destroy();
  opened.delete(srv);
}

export async function stop(srv: TestServer): Promise<void> {
  dropClients(srv);
  await srv.stop();
}

/** Send an IQ and return the reply. */
export async function iq(c: RawClient, type: "get" | "set", to: string, payload: string): Promise<Element> {
  const id = `iq-${++seq}`;
  c.send(`<iq type='${type}' id='${id}' to='${to}'>${payload}</iq>`);
  return c.until((el) => el.name === "iq" && el.attrs.id === id);
}

/** The condition of an error stanza, or "" when it is not one. */
export const condition = (el: Element): string => el.attrs.type === "error" ? el.getChild("error")?.getChildElements()[0]?.name ?? "?" : "";

/** Status codes of a MUC presence or message. */
export const codes = (el: Element): number[] => (el.getChild("x", NS_USER)?.getChildren("status") ?? []).map((s) => Number(s.attrs.code));

export const item = (el: Element): Record<string, string | undefined> => (el.getChild("x", NS_USER)?.getChild("item")?.attrs ?? {}) as Record<string, string>;

/**
 * Enter a room: the answer is the self-presence (or an error presence). Everything before it is returned too
 * (other occupants' presence); history and subject follow and are read with `untilSubject`.
 */
export async function join(c: RawClient, room: string, nick: string, extra = ""): Promise<{ self: Element; before: Element[] }> {
  c.send(`<presence to='${room}/${nick}'><x xmlns='${NS_MUC}'>${extra}</x></presence>`);
  const before: Element[] = [];
  for (;;) {
    const el = await c.until((e) => e.name === "presence");
    if (el.attrs.type === "error" || codes(el).includes(110)) return { self: el, before };
    before.push(el);
  }
}

/** Read until the room subject (§7.2.15, the end of what entering sends); returns the messages before it (history). */
export async function untilSubject(c: RawClient): Promise<{ history: Element[]; subject: Element }> {
  const history: Element[] = [];
  for (;;) {
    const el = await c.until((e) => e.name === "message");
    if (el.getChild("subject") && !el.getChild("body")) return { history, subject: el };
    history.push(el);
  }
}

/** Create a room and accept the default configuration (an instant room, §10.1.2); returns after the subject. */
export async function createInstant(c: RawClient, room: string, nick: string): Promise<void> {
  const { self } = await join(c, room, nick);
  if (!codes(self).includes(201)) throw new Error(`room not created: ${self.toString()}`);
  await untilSubject(c);
  const r = await iq(c, "set", room, `<query xmlns='${NS_OWNER}'><x xmlns='jabber:x:data' type='submit'/></query>`);
  if (r.attrs.type !== "result") throw new Error(`instant room refused: ${r.toString()}`);
}

/** Submit a muc#roomconfig form with these fields (var → values). */
export function configure(c: RawClient, room: string, fields: Record<string, string | string[]>): Promise<Element> {
  const f = Object.entries(fields).map(([v, values]) => `<field var='${v}'>${(Array.isArray(values) ? values : [values]).map((x) => `<value>${x}</value>`).join("")}</field>`).join("");
  return iq(c, "set", room, `<query xmlns='${NS_OWNER}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>${f}</x></query>`);
}

export const groupchat = (c: RawClient, room: string, body: string, id?: string): void =>
  c.send(`<message to='${room}' type='groupchat'${id ? ` id='${id}'` : ""}><body>${body}</body></message>`);

/** The next groupchat message with a body. */
export const nextGroupchat = (c: RawClient): Promise<Element> => c.until((e) => e.name === "message" && e.attrs.type === "groupchat" && e.getChild("body") !== undefined);

/** An IQ round trip to the server: everything sent before has been handled. */
export async function barrier(c: RawClient): Promise<void> {
  const r = await iq(c, "get", "localhost", "<ping xmlns='urn:xmpp:ping'/>");
  if (r.attrs.type !== "result") throw new Error(`ping failed: ${r.toString()}`);
}
