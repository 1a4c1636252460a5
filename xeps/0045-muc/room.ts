/**
 * A room's state (XEP-0045 §4: room JID, occupants by nick, affiliations by bare JID, configuration, subject,
 * discussion history) and what is derived from it. Rooms are kept in memory; a persistent room's record
 * (configuration, affiliations, subject, avatar) is written through to the service's store after each
 * change, in order. The protocol handlers (presence.ts, messages.ts, admin.ts, owner.ts, ...) change it.
 */
import type { Element } from "ltx";
import type { StanzaEvent } from "../../src/hooks.js";
import type { Json } from "../../src/storage/types.js";
import type { Recipient } from "./fanout.js";
import { HistoryBuffer } from "./history.js";
import { rank, type Affiliation, type Role } from "./permissions.js";
import { roomConfigSchema, type RoomConfig } from "./room-config.js";

/** One client session of an occupant (several when the same user joins with the same nick, §7.2.9). */
export interface OccupantSession extends Recipient {
  /** The last presence this session sent to the room, without MUC extensions (§17.3 rule 6). */
  presence: Element;
}

export class Occupant {
  readonly sessions = new Map<string, OccupantSession>();
  /** The session whose presence the room shows (the one that last joined or changed presence). */
  primary!: OccupantSession;
  constructor(
    public nick: string,
    /** The occupant JID, room@service/nick. */
    public jid: string,
    /** The real bare JID. */
    readonly bare: string,
    public role: Role,
    /** XEP-0421 occupant id. */
    readonly occupantId: string,
  ) {}
}

export type StoredAffiliation = Exclude<Affiliation, "none">;

export interface AffiliationEntry {
  affiliation: StoredAffiliation;
  /** A reserved nickname (§9.5 "if a nick is provided, that nick becomes the user's default nick"). */
  nick?: string;
  reason?: string;
}

export interface Subject {
  text: string;
  /** The address the subject came from: the occupant JID of whoever set it, or the room. */
  from: string;
  /** The XEP-0421 occupant id of whoever set it. */
  occupantId?: string;
  at: number;
}

/** A message kept for discussion history: the groupchat message as broadcast (no `to`). */
export interface HistoryEntry {
  id: string;
  when: number;
  el: Element;
  /** The sender's real full JID. */
  jid: string;
}

/** A room's avatar (XEP-0153 for rooms): its vCard and the SHA-1 of the photo ("" without one). */
export interface RoomVcard { xml: string; hash: string }

/** What a persistent room keeps in storage. */
export interface RoomRecord {
  config: RoomConfig;
  affiliations: Record<string, AffiliationEntry>;
  subject: Subject | null;
  vcard: RoomVcard | null;
  createdAt: number;
}

export class Room {
  readonly occupants = new Map<string, Occupant>();
  /** Occupants by the real full JID of each of their sessions. */
  readonly bySession = new Map<string, Occupant>();
  subject: Subject | null = null;
  vcard: RoomVcard | null = null;
  readonly history: HistoryBuffer<HistoryEntry>;
  /** False while a persistent, logged room's recent history has not been read back from its archive. */
  historyLoaded = true;
  /** Stanzas that arrived while the history was loading, handled in order once it is there. */
  waiting: StanzaEvent[] | null = null;
  /** Set when the room is gone (destroyed, or a temporary room that emptied): late callbacks do nothing. */
  destroyed = false;
  lockTimer: NodeJS.Timeout | null = null;
  /** Archive writes, chained so the archive has the order of the broadcasts. */
  archiveTail: Promise<unknown> = Promise.resolve();
  private writing: Promise<void> | null = null;
  private dirty = false;

  constructor(
    /** The room's bare JID. */
    readonly jid: string,
    readonly local: string,
    public config: RoomConfig,
    /** §10.1.1: a new room is locked until its owner configures it (or accepts the defaults). */
    public locked: boolean,
    readonly affiliations: Map<string, AffiliationEntry>,
    /** Server admins of the service's host: owners of every room (not stored). */
    private readonly serverAdmins: ReadonlySet<string>,
    readonly createdAt: number,
    historyCapacity: number,
  ) {
    this.history = new HistoryBuffer(historyCapacity);
  }

  static fromRecord(jid: string, local: string, value: Json, serverAdmins: ReadonlySet<string>, defaults: RoomConfig, historyCapacity: number): Room {
    const rec = value as unknown as RoomRecord;
    const config = roomConfigSchema.parse({ ...defaults, ...rec.config });
    const room = new Room(jid, local, config, false, new Map(Object.entries(rec.affiliations ?? {})), serverAdmins, rec.createdAt ?? Date.now(), historyCapacity);
    room.subject = rec.subject ?? null;
    room.vcard = rec.vcard ?? null;
    return room;
  }

  toRecord(): RoomRecord {
    return {
      config: this.config,
      affiliations: Object.fromEntries(this.affiliations),
      subject: this.subject,
      vcard: this.vcard,
      createdAt: this.createdAt,
    };
  }

  /**
   * A user's affiliation (§5.2): their own entry, else their domain's (§9.2 ban matching order: user@domain,
   * then domain), else owner for a server admin, else none.
   */
  affiliationOf(bare: string): Affiliation {
    const own = this.affiliations.get(bare);
    if (own) return own.affiliation;
    if (this.serverAdmins.has(bare)) return "owner";
    const at = bare.indexOf("@");
    if (at !== -1) {
      const domain = this.affiliations.get(bare.slice(at + 1));
      if (domain) return domain.affiliation;
    }
    return "none";
  }

  /** The role of whoever sent from `full` ("none" when that session is not in the room). */
  roleOf(full: string): Role {
    return this.bySession.get(full)?.role ?? "none";
  }

  /** Bare JIDs with the given stored affiliation. */
  withAffiliation(a: StoredAffiliation): string[] {
    const out: string[] = [];
    for (const [jid, e] of this.affiliations) if (e.affiliation === a) out.push(jid);
    return out.sort();
  }

  /** Owners, server admins excluded (they are owners without being listed). */
  ownerCount(): number {
    let n = 0;
    for (const e of this.affiliations.values()) if (e.affiliation === "owner") n++;
    return n;
  }

  /** The user whose reserved nickname `nick` is (§7.2.9, §9.5), if any. */
  reservedBy(nick: string): string | undefined {
    for (const [jid, e] of this.affiliations) if (e.nick === nick && e.affiliation !== "outcast") return jid;
    return undefined;
  }

  get nonAnonymous(): boolean { return this.config.whois === "anyone"; }

  /** Whether real JIDs are shown to an occupant with this role (§7.2.4, §7.2.5). */
  showsJidsTo(role: Role): boolean {
    return this.nonAnonymous || role === "moderator";
  }

  isAdminOrOwner(bare: string): boolean {
    return rank(this.affiliationOf(bare)) >= rank("admin");
  }

  /** Every session of every occupant, once. */
  *recipients(): Iterable<OccupantSession> {
    for (const o of this.occupants.values()) yield* o.sessions.values();
  }

  /**
   * Write the record (persistent rooms): the snapshot is taken when the write starts, writes never overlap,
   * and a change made during a write is written right after it. Resolves once the change is durable.
   */
  persist(write: (record: RoomRecord) => Promise<void>): Promise<void> {
    this.dirty = true;
    this.writing ??= (async () => {
      try {
        while (this.dirty) {
          this.dirty = false;
          await write(this.toRecord());
        }
      } finally {
        this.writing = null;
      }
    })();
    return this.writing;
  }

  /** Resolves when every write started so far is done. */
  async settled(): Promise<void> {
    await Promise.allSettled([this.writing, this.archiveTail]);
  }
}
