/** Namespaces and well-known values the conference service speaks (XEP-0045 §19.1 and the XEPs it combines with). */
export const NS_MUC = "http://jabber.org/protocol/muc";
export const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
export const NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin";
export const NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner";
export const NS_ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig";
export const NS_ROOMINFO = "http://jabber.org/protocol/muc#roominfo";
export const NS_REQUEST = "http://jabber.org/protocol/muc#request";
export const NS_STABLE_ID = "http://jabber.org/protocol/muc#stable_id";
/** XEP-0410 §3.3: the room answers a self-ping itself. */
export const NS_SELF_PING = "http://jabber.org/protocol/muc#self-ping-optimization";
/** XEP-0045 §6.7: the disco node for the user's reserved nickname. */
export const NODE_ROOMUSER = "x-roomuser-item";

export const NS_DATA = "jabber:x:data";
export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
export const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
export const NS_RSM = "http://jabber.org/protocol/rsm";
export const NS_MAM = "urn:xmpp:mam:2";
export const NS_MAM_EXTENDED = "urn:xmpp:mam:2#extended";
export const NS_FORWARD = "urn:xmpp:forward:0";
export const NS_OCCUPANT_ID = "urn:xmpp:occupant-id:0";
/** XEP-0249 direct invitations. */
export const NS_CONFERENCE = "jabber:x:conference";
export const NS_PING = "urn:xmpp:ping";
export const NS_VCARD = "vcard-temp";
export const NS_VCARD_UPDATE = "vcard-temp:x:update";
/** XEP-0425 Moderated Message Retraction (0.3) over XEP-0424 Message Retraction (0.4). */
export const NS_MODERATE = "urn:xmpp:message-moderate:1";
export const NS_RETRACT = "urn:xmpp:message-retract:1";
export const NS_HINTS = "urn:xmpp:hints";
export const NS_CHATSTATES = "http://jabber.org/protocol/chatstates";
export const NS_REGISTER = "jabber:iq:register";
