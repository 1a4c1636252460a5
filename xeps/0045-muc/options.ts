/** The conference module's options, and the service address each host gets. */
import { z } from "zod";
import { roomConfigSchema } from "./room-config.js";

export const mucOptionsSchema = z.strictObject({
  /** The service's address; "{host}" stands for each configured host. */
  domain: z.string().default("conference.{host}"),
  /** Per-host addresses that differ from `domain`; null: no conference service on that host. */
  hosts: z.record(z.string(), z.string().nullable()).default({}),
  /** The service's name in service discovery. */
  name: z.string().default("Chatrooms"),
  /**
   * Who may create rooms: "local" (accounts of this server), "anyone" (remote users too, once federation
   * exists), "admins" (the host's admins), or a list of bare JIDs and domains. Admins always may.
   */
  create: z.union([z.enum(["local", "anyone", "admins"]), z.array(z.string())]).default("local"),
  /** Longest room address localpart, in characters. */
  maxRoomNameLength: z.number().int().min(1).max(1023).default(64),
  /** Longest nickname, in characters. */
  maxNickLength: z.number().int().min(1).max(1023).default(64),
  /** Longest room name and description (configuration form), in characters. */
  maxTitleLength: z.number().int().min(1).default(100),
  maxDescriptionLength: z.number().int().min(1).default(1000),
  /** Most occupants any room may have (admins and owners may still enter a full room, §7.2.10). */
  maxOccupants: z.number().int().min(1).default(10000),
  /** Most messages of discussion history a room may keep and send on entering. */
  maxHistory: z.number().int().min(0).max(1000).default(50),
  /** §10.1.1: new rooms stay locked until their owner configures them (or accepts the defaults). */
  lockNewRooms: z.boolean().default(true),
  /** Seconds a new room may stay unconfigured before it is destroyed (0: forever). */
  lockTimeout: z.number().int().min(0).default(300),
  /** Largest room vCard (avatar included), in bytes. */
  maxVcardBytes: z.number().int().min(1024).default(64 * 1024),
  /** Room archive queries (XEP-0313): results per page when a client does not say, and the most per page. */
  archivePageSize: z.number().int().min(1).default(50),
  archiveMaxPageSize: z.number().int().min(1).default(250),
  /** Most public rooms listed in one disco#items answer without XEP-0059 paging. */
  maxDiscoItems: z.number().int().min(1).default(500),
  /** The configuration new rooms start with. */
  defaults: roomConfigSchema.default(roomConfigSchema.parse({})),
});

export type MucOptions = z.infer<typeof mucOptionsSchema>;

/** The conference service address of `host`, or null when the host has none. */
export function serviceDomain(options: Pick<MucOptions, "domain" | "hosts">, host: string): string | null {
  if (Object.prototype.hasOwnProperty.call(options.hosts, host)) return options.hosts[host] ?? null;
  return options.domain.split("{host}").join(host);
}
