import { randomBytes } from "node:crypto";
import { isAbsolute, join } from "node:path";
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { z } from "zod";
import type { StanzaEvent } from "../../src/hooks.js";
import { defineModule, type IqResult } from "../../src/modules.js";
import { errorReply, StanzaError } from "../../src/xml/stanza-error.js";
import { uploadHandler } from "./http.js";
import { checkRequest, NS, NS_PURPOSE, parseRequest, slotElement } from "./slot.js";
import { FileStore } from "./store.js";
import { signSlot } from "./token.js";

const NS_INFO = "http://jabber.org/protocol/disco#info";
const NS_ITEMS = "http://jabber.org/protocol/disco#items";
const NS_DATA = "jabber:x:data";
const NS_PING = "urn:xmpp:ping";
const MiB = 1024 * 1024;

const options = z.strictObject({
  /** The service is <subdomain>.<host> for every host (listed in the host's disco#items, §2). */
  subdomain: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/).default("upload"),
  /** Largest file, in bytes (announced in disco#info as max-file-size, §2). */
  maxFileSize: z.number().int().min(1).default(100 * MiB),
  /** Bytes one user may have stored at once; 0: no quota. */
  quota: z.number().int().min(0).default(1024 * MiB),
  /** Seconds a file is kept after its upload; 0: kept for ever. */
  expireAfter: z.number().int().min(0).default(30 * 24 * 3600),
  /** Seconds a slot's PUT URL stays valid (§7 recommends about 300). */
  slotLifetime: z.number().int().min(1).default(300),
  /** Seconds between sweeps for expired files. */
  cleanupInterval: z.number().int().min(1).default(3600),
  /** The base URL of upload and download links, e.g. behind a reverse proxy; default: the server's web listener. */
  publicUrl: z.string().regex(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/).optional(),
  /** The URL path files live under. */
  path: z.string().regex(/^\/([A-Za-z0-9._~-]+\/)+$/).default("/upload/"),
  /** Content types accepted ("image/*"); empty: all. */
  allowTypes: z.array(z.string()).default([]),
  /** Content types refused, even when allowed. */
  denyTypes: z.array(z.string()).default([]),
  /** Where files are stored: relative to the data directory. */
  directory: z.string().min(1).default("upload"),
  /** Key that signs slots (at least 16 characters); default: a random one kept in the database. */
  secret: z.string().min(16).optional(),
});

/**
 * XEP-0363 HTTP File Upload: a service at upload.<host> hands the server's own users upload slots, and the
 * server's HTTP(S) listeners take the uploads and serve the files. Slots are signed tokens (token.ts), files are
 * stored under the data directory by random id (store.ts), expire after a while and count against a per-user
 * quota. Works with XEP-0454 (OMEMO media sharing): clients upload ciphertext and share an aesgcm:// form of the
 * GET URL whose #fragment (the key) never reaches the server; the URL is served as it was handed out.
 */
export default defineModule({
  id: "upload",
  xeps: [{ xep: 363, version: "1.2.0", status: "complete", note: "purposes: message and ephemeral (§4.1, §4.3); others are kept as message" }],
  config: options,
  storage: { files: "map", usage: "map", expiry: "archive", secret: "keyval" },
  disco: {
    items: (host, config) => [{ jid: `${config.subdomain}.${host}`, name: "HTTP File Upload" }],
  },
  async setup(api) {
    const c = api.config;
    const root = isAbsolute(c.directory) ? c.directory : join(api.dataDir, c.directory);
    const store = new FileStore(root, api.map("files"), api.map("usage"), api.archive("expiry"), api.log);
    await store.init();

    let secret: Buffer;
    if (c.secret) {
      secret = Buffer.from(c.secret);
    } else {
      const keys = api.keyval("secret");
      const kept = await keys.get("*");
      if (typeof kept === "string") {
        secret = Buffer.from(kept, "base64");
      } else {
        secret = randomBytes(32);
        await keys.set("*", secret.toString("base64"));
      }
    }

    api.http.route({
      methods: ["PUT", "GET", "OPTIONS"],
      path: c.path,
      prefix: true,
      handler: uploadHandler({ store, secret, prefix: c.path, quota: c.quota, expireAfter: c.expireAfter, log: api.log }),
    });

    const info = (): Element => xml("query", { xmlns: NS_INFO },
      xml("identity", { category: "store", type: "file", name: "HTTP File Upload" }),
      [NS_INFO, NS_PING, NS, `${NS_PURPOSE}#message`, `${NS_PURPOSE}#ephemeral`].map((f) => xml("feature", { var: f })),
      // §2: the limit as an XEP-0128 form, so clients need not ask for a slot to learn it.
      xml("x", { xmlns: NS_DATA, type: "result" },
        xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, NS)),
        xml("field", { var: "max-file-size" }, xml("value", null, String(c.maxFileSize)))),
    );

    /** §4: a slot for a user of this server. */
    async function slot(event: StanzaEvent, payload: Element, host: string): Promise<IqResult> {
      const { from, origin } = event;
      if (origin?.kind !== "c2s" || !from.local || !api.server.isLocalHost(from.domain)) {
        return new StanzaError("forbidden", "only users of this server may upload files here");
      }
      const now = Date.now();
      const parsed = parseRequest(payload, now);
      if (!parsed.ok) return parsed.error;
      const r = parsed.request;
      const refused = checkRequest(r, c, await store.usageOf(from.bare));
      if (refused) return refused;
      const base = c.publicUrl?.replace(/\/+$/, "") ?? api.http.baseUrl(host);
      if (!base) return new StanzaError("internal-server-error", "the server has no HTTP listener for uploads");
      const id = randomBytes(24).toString("base64url");
      const url = `${base}${c.path}${id}/${encodeURIComponent(r.filename)}`;
      const token = signSlot(secret, { id, name: r.filename, size: r.size, type: r.type, sub: from.bare, exp: now + c.slotLifetime * 1000, until: r.until });
      api.log.debug("upload slot", { id, user: from.bare, size: r.size, type: r.type });
      return slotElement(url, url, token);
    }

    function dispatch(event: StanzaEvent, type: "get" | "set", payload: Element | undefined, host: string): IqResult | Promise<IqResult> {
      const key = payload ? `${type} ${payload.attrs.xmlns ?? ""} ${payload.name}` : "";
      switch (key) {
        case `get ${NS_INFO} query`: return payload!.attrs.node ? new StanzaError("item-not-found") : info();
        case `get ${NS_ITEMS} query`: return payload!.attrs.node ? new StanzaError("item-not-found") : xml("query", { xmlns: NS_ITEMS });
        case `get ${NS_PING} ping`: return null;
        case `get ${NS} request`: return slot(event, payload!, host);
        default: return new StanzaError("service-unavailable");
      }
    }

    for (const host of api.server.hosts) {
      const domain = `${c.subdomain}.${host}`;
      if (api.server.isLocalHost(domain)) {
        api.log.warn("no upload service for a host: its service address is one of the hosts", { host, domain });
        continue;
      }
      api.serveDomain(domain, (event) => {
        const { stanza } = event;
        const send = (el: Element) => (event.origin ? event.origin.send(el) : api.send(el));
        const type = stanza.attrs.type;
        if (stanza.name !== "iq") {
          if (stanza.name === "message") {
            const r = errorReply(stanza, new StanzaError("service-unavailable"));
            if (r) send(r);
          }
          return;
        }
        if (type !== "get" && type !== "set") return; // results and errors: nothing here waits for them
        const answer = (result: IqResult) => {
          if (result instanceof StanzaError) {
            const r = errorReply(stanza, result);
            if (r) send(r);
            return;
          }
          const reply = xml("iq", { type: "result", id: stanza.attrs.id, from: stanza.attrs.to, to: stanza.attrs.from });
          if (result) reply.cnode(result);
          send(reply);
        };
        let result: IqResult | Promise<IqResult>;
        try {
          result = dispatch(event, type, stanza.getChildElements()[0], host);
        } catch (err) {
          api.log.error("upload service failed", { err });
          result = new StanzaError("internal-server-error");
        }
        if (result instanceof Promise) {
          result.then(answer, (err) => {
            api.log.error("upload service failed", { err });
            answer(new StanzaError("internal-server-error"));
          });
        } else {
          answer(result);
        }
      });
    }

    const sweep = () => { store.expire(Date.now()).catch((err) => api.log.error("cannot remove expired uploads", { err })); };
    sweep();
    const timer = setInterval(sweep, c.cleanupInterval * 1000);
    timer.unref();
    api.onUnload(() => clearInterval(timer));

    api.hook("account:deleted", ({ jid }) => {
      store.removeUser(jid.bare).catch((err) => api.log.error("cannot remove a deleted account's uploads", { jid: jid.bare, err }));
    });
  },
});
