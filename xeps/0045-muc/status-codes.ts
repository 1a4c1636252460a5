/**
 * Which XEP-0045 status codes (§15.2 registry) a room puts in a presence or notification message, as pure
 * functions of what happened.
 */
import type { RoomConfig } from "./room-config.js";

/** Why the room sends an occupant's presence. */
export type PresenceEvent =
  /** §7.2.3: the occupant entered. */
  | "join"
  /** §7.7 availability change, §8/§9 role or affiliation change while in the room. */
  | "update"
  /** §7.14: the occupant left. */
  | "leave"
  /** §7.6: the unavailable presence of the old nickname, and the available one of the new nickname. */
  | "nick-old"
  | "nick-new"
  /** Removal (§8.2 kick 307, §9.1 ban 301, §9.4 affiliation change 321, §10.2 members-only 322, §11.2 shutdown 332, §11.1 error 333). */
  | "kick"
  | "ban"
  | "removed-affiliation"
  | "removed-members-only"
  | "shutdown"
  | "removed-error"
  /** §7.2.23: presence without the MUC <x/> from someone who is not in the room. */
  | "not-in-room";

export interface PresenceCodeContext {
  event: PresenceEvent;
  /** The presence goes to the occupant it is about (self-presence, code 110). */
  self: boolean;
  /** The room is non-anonymous (muc#roomconfig_whois = anyone). */
  nonAnonymous: boolean;
  /** The room is logged (muc#roomconfig_enablelogging). */
  logging: boolean;
  /** The room was created by this join (§10.1.1). */
  created: boolean;
  /** The service assigned or changed the nickname (§7.2.3, §7.6). */
  nickModified: boolean;
}

const REMOVAL: Partial<Record<PresenceEvent, number>> = {
  kick: 307, ban: 301, "removed-affiliation": 321, "removed-members-only": 322, shutdown: 332, "removed-error": 333,
};

export function presenceStatusCodes(c: PresenceCodeContext): number[] {
  const codes: number[] = [];
  if (c.self) codes.push(110);
  switch (c.event) {
    case "join":
      // §7.2.4 (100), §7.2.12 (170), §10.1.1 (201), §7.2.3 (210): all told to the new occupant only.
      if (c.self) {
        if (c.nonAnonymous) codes.push(100);
        if (c.logging) codes.push(170);
        if (c.created) codes.push(201);
        if (c.nickModified) codes.push(210);
      }
      break;
    case "nick-old":
      codes.push(303);
      break;
    case "nick-new":
      if (c.self && c.nickModified) codes.push(210);
      break;
    case "not-in-room":
      codes.push(307, 333);
      break;
    default: {
      const code = REMOVAL[c.event];
      if (code !== undefined) codes.push(code);
    }
  }
  return codes.sort((a, b) => a - b);
}

/** The fields whose change alters the room's privacy (§10.2.1), the others being "any other configuration change". */
const PRIVACY_FIELDS: readonly (keyof RoomConfig)[] = ["logging", "whois"];

/**
 * §10.2.1: the status codes of the message that tells occupants of a configuration change: 170/171 logging
 * on/off, 172/173 now non-anonymous/semi-anonymous, and 104 when anything else changed. Empty when nothing did.
 */
export function configChangeCodes(before: RoomConfig, after: RoomConfig): number[] {
  const codes: number[] = [];
  if (before.logging !== after.logging) codes.push(after.logging ? 170 : 171);
  if (before.whois !== after.whois) codes.push(after.whois === "anyone" ? 172 : 173);
  const other = (Object.keys(after) as (keyof RoomConfig)[]).some((k) =>
    !PRIVACY_FIELDS.includes(k) && JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  if (other) codes.push(104);
  return codes;
}
