/**
 * The session object the router and modules see for a server-to-server stream: the origin of what the remote
 * server sent. Replies sent to it go back to the remote domain through the manager (over this stream when it is
 * the one carrying that domain pair, else over the connection that does).
 */
import type { Element } from "ltx";
import type { Logger } from "../log.js";
import type { ServerSession } from "../session/types.js";
import type { StreamErrorCondition } from "../stream/errors.js";
import type { Mechanism } from "./context.js";

export interface SessionOwner {
  readonly id: string;
  readonly ip: string;
  readonly secure: boolean;
  readonly log: Logger;
  close(error?: StreamErrorCondition, text?: string): void;
}

export class S2sSession implements ServerSession {
  readonly kind = "s2s" as const;
  private readonly mechanisms = new Map<string, Mechanism>();

  constructor(
    private readonly owner: SessionOwner,
    readonly direction: "in" | "out",
    private readonly reply: (stanza: Element) => void,
  ) {}

  get id(): string { return this.owner.id; }
  get ip(): string { return this.owner.ip; }
  get secure(): boolean { return this.owner.secure; }
  get log(): Logger { return this.owner.log; }
  get remoteDomains(): ReadonlySet<string> { return new Set(this.mechanisms.keys()); }

  mechanism(remote: string): Mechanism | undefined { return this.mechanisms.get(remote); }

  /** Record that the peer is authenticated as `remote`. */
  authenticate(remote: string, mechanism: Mechanism): void {
    this.mechanisms.set(remote, mechanism);
  }

  isAuthenticated(remote: string): boolean { return this.mechanisms.has(remote); }
  get anyAuthenticated(): boolean { return this.mechanisms.size > 0; }

  send(stanza: Element): void { this.reply(stanza); }

  close(error?: StreamErrorCondition, text?: string): void { this.owner.close(error, text); }
}
