/** What the server-to-server streams need from the manager that owns them (kept apart to avoid import cycles). */
import type { Element } from "ltx";
import type { Limits } from "../config/schema.js";
import type { Jid } from "../jid.js";
import type { Logger } from "../log.js";
import type { Router } from "../router.js";
import type { SaslMechanism } from "../sasl/types.js";
import type { ServerSession } from "../session/types.js";
import type { DialbackKeys } from "./dialback-key.js";
import type { DialbackErrorCondition, S2sPolicy } from "./policy.js";
import type { S2sTls } from "./trust.js";

export type Mechanism = "EXTERNAL" | "dialback";

/** The answer to a dialback verification request (XEP-0220 §2.1.2 step 3), or why there is none. */
export type VerifyOutcome = { type: "valid" | "invalid" } | { type: "error"; condition: DialbackErrorCondition; text: string };

export interface VerifyRequest { local: string; remote: string; streamId: string; key: string }

/** A stream that can carry stanzas from `local` to `remote` once authenticated (an outgoing link, or bidi). */
export interface Channel {
  readonly id: string;
  readonly isClosed: boolean;
  /** Whether stanzas from `local` to `remote` may be written on it now. */
  canSend(local: string, remote: string): boolean;
  sendStanza(stanza: Element): void;
}

export interface S2sContext {
  readonly log: Logger;
  readonly limits: Limits;
  readonly policy: S2sPolicy;
  readonly tls: S2sTls;
  readonly keys: DialbackKeys;
  readonly router: Router;
  readonly sasl: readonly SaslMechanism[];
  /** Domains stanzas may be addressed to here: hosts, components, service subdomains (`route:serves`). */
  isServed(domain: string): boolean;
  /** The first configured host, for headers of streams that fail before naming one. */
  defaultHost(): string;
  /** Ask the authoritative server of `remote` whether `key` is its key (we are the Receiving Server). */
  verifyDialback(request: VerifyRequest): Promise<VerifyOutcome>;
  /** A domain pair became usable on a stream; for bidi streams, stanzas from local to remote may use it. */
  authenticated(channel: Channel, local: string, remote: string, mechanism: Mechanism, direction: "in" | "out", bidi: boolean): void;
  /** Route a stanza a remote server sent, with its session as origin. */
  deliver(origin: ServerSession, stanza: Element, from: Jid, to: Jid): void;
  /** Send a stanza to a remote domain (replies of the router to an s2s origin). */
  sendRemote(stanza: Element): void;
  streamEnded(stream: { readonly id: string }): void;
}
