/**
 * Entity capabilities of clients (XEP-0115), for XEP-0163 filtered notifications (§4.2): the <c/> in a client's
 * presence names a verification string; the server asks the client for the disco#info it stands for, checks
 * the hash (§5.4) and caches verified answers by hash and ver for every client that advertises the same value.
 * What PEP keeps of an answer is the set of nodes with a "<node>+notify" feature (XEP-0060 §9.2).
 */
import { createHash } from "node:crypto";
import type { Element } from "ltx";
import { capsForms, verificationString, type CapsIdentity } from "../0115-caps/ver.js";

export const NS_CAPS = "http://jabber.org/protocol/caps";
const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const NS_DATA = "jabber:x:data";
const NOTIFY = "+notify";

export interface ClientCaps {
  node: string;
  ver: string;
  /** The hash function's IANA name ("sha-1"); absent in the legacy format (§1.2), which cannot be verified. */
  hash?: string;
}

/** The <c/> of a presence stanza (§4), if it has one with a node and a ver. */
export function readCaps(presence: Element): ClientCaps | undefined {
  const c = presence.getChild("c", NS_CAPS);
  if (!c || !c.attrs.node || !c.attrs.ver) return undefined;
  return { node: c.attrs.node, ver: c.attrs.ver, hash: c.attrs.hash || undefined };
}

/** The key under which a verified answer is shared: hash and ver (§5.4 "globally cache"). */
export const capsKey = (caps: ClientCaps): string => (caps.hash ? `${caps.hash} ${caps.ver}` : `legacy ${caps.node}#${caps.ver}`);

/** §5.1: hash functions from the IANA registry that this server computes (MD5 is not accepted). */
const HASHES: Record<string, string> = { "sha-1": "sha1", "sha-224": "sha224", "sha-256": "sha256", "sha-384": "sha384", "sha-512": "sha512" };

export const supportedHash = (name: string | undefined): boolean => name !== undefined && name in HASHES;

/** The nodes a feature list asks notifications for: "urn:xmpp:avatar:metadata+notify" -> "urn:xmpp:avatar:metadata". */
export function notifyNodes(features: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const f of features) if (f.endsWith(NOTIFY) && f.length > NOTIFY.length) out.add(f.slice(0, -NOTIFY.length));
  return out;
}

export interface DiscoCheck {
  features: string[];
  /** §5.4 steps 3.3-3.5: no duplicate identities, features or form types. */
  wellFormed: boolean;
  /** The response hashes to the advertised ver with the advertised hash function (§5.4 steps 3.7-3.8). */
  verified: boolean;
}

/** §5.4 step 3: check a disco#info <query/> against the caps that announced it. */
export function checkDiscoInfo(query: Element, caps: ClientCaps): DiscoCheck {
  const identities: CapsIdentity[] = query.getChildren("identity").map((i) => ({
    category: i.attrs.category ?? "", type: i.attrs.type ?? "", lang: i.attrs["xml:lang"] || undefined, name: i.attrs.name || undefined,
  }));
  const features = query.getChildren("feature").map((f) => f.attrs.var).filter((v): v is string => typeof v === "string");
  const forms = query.getChildElements().filter((x) => x.getName() === "x" && x.getNS() === NS_DATA);
  const identityKeys = identities.map((i) => `${i.category}/${i.type}/${i.lang ?? ""}/${i.name ?? ""}`);
  let wellFormed = new Set(identityKeys).size === identityKeys.length && new Set(features).size === features.length;
  // Step 3.5: one form per FORM_TYPE, and a FORM_TYPE field with one distinct value.
  const formTypes: string[] = [];
  for (const x of forms) {
    const ft = x.getChildren("field").find((f) => f.attrs.var === "FORM_TYPE");
    if (!ft || ft.attrs.type !== "hidden") continue; // step 3.6: ignored
    const values = new Set(ft.getChildren("value").map((v) => v.getText()));
    if (values.size > 1) wellFormed = false;
    formTypes.push([...values][0] ?? "");
  }
  if (new Set(formTypes).size !== formTypes.length) wellFormed = false;
  const algorithm = caps.hash ? HASHES[caps.hash] : undefined;
  const verified = wellFormed && algorithm !== undefined &&
    createHash(algorithm).update(verificationString(identities, features, capsForms(forms)), "utf8").digest("base64") === caps.ver;
  return { features, wellFormed, verified };
}

/**
 * Ask `to` for its disco#info at `node`, from `from` (the account whose service heard the caps); resolves with
 * the <query/> of the result, or null (an error, or no answer).
 */
export type DiscoQuery = (from: string, to: string, node: string) => Promise<Element | null>;

/**
 * Learns which nodes each client wants notifications for. Verified answers are shared by every client with the
 * same hash and ver; one question is asked at a time per ver. An answer that cannot be verified (legacy format,
 * unsupported hash, mismatch) is used for the client that gave it only (§5.4 step 3.2 and 3.8).
 */
export class CapsResolver {
  private readonly verified = new Map<string, ReadonlySet<string>>();
  private readonly asking = new Map<string, Promise<{ notify: ReadonlySet<string>; verified: boolean } | null>>();

  constructor(private readonly query: DiscoQuery, private readonly maxEntries = 10_000) {}

  /** Already known (verified) without asking. */
  cached(caps: ClientCaps): ReadonlySet<string> | undefined {
    return caps.hash ? this.verified.get(capsKey(caps)) : undefined;
  }

  /** The +notify nodes of the client `jid` that advertised `caps` to `asker` (empty when they cannot be learnt). */
  async notifyOf(asker: string, jid: string, caps: ClientCaps): Promise<ReadonlySet<string>> {
    const known = this.cached(caps);
    if (known) return known;
    if (caps.hash && supportedHash(caps.hash)) {
      const key = capsKey(caps);
      let pending = this.asking.get(key);
      const mine = !pending;
      if (!pending) {
        pending = this.ask(asker, jid, caps);
        this.asking.set(key, pending);
        void pending.finally(() => { if (this.asking.get(key) === pending) this.asking.delete(key); });
      }
      const answer = await pending;
      if (answer?.verified) return answer.notify;
      if (mine) return answer?.notify ?? new Set();
    }
    // Unverifiable, or another client's answer did not verify (§5.4 step 3.8: check another entity): this
    // client's own answer, for it alone.
    return (await this.ask(asker, jid, caps))?.notify ?? new Set();
  }

  private async ask(asker: string, jid: string, caps: ClientCaps): Promise<{ notify: ReadonlySet<string>; verified: boolean } | null> {
    const query = await this.query(asker, jid, `${caps.node}#${caps.ver}`);
    if (!query) return null;
    const check = checkDiscoInfo(query, caps);
    if (!check.wellFormed) return null;
    const notify = notifyNodes(check.features);
    if (check.verified) this.remember(capsKey(caps), notify);
    return { notify, verified: check.verified };
  }

  private remember(key: string, notify: ReadonlySet<string>): void {
    if (this.verified.size >= this.maxEntries) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(key, notify);
  }
}

/** disco#info <query/> of an IQ result, if it is one. */
export function discoInfoOf(iq: Element): Element | null {
  return iq.attrs.type === "result" ? iq.getChild("query", NS_DISCO_INFO) ?? null : null;
}
