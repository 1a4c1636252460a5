/** Namespaces of XEP-0313 Message Archive Management and of the specifications it builds on. */

export const NS_MAM = "urn:xmpp:mam:2";
/** §7 (Determining support): before-id, after-id, ids, flipped pages and the metadata query. */
export const NS_MAM_EXTENDED = "urn:xmpp:mam:2#extended";
/** §7: the server understands the `include-groupchat` field (it never stores groupchat in user archives). */
export const NS_MAM_GROUPCHAT_FIELD = "urn:xmpp:mam:2#groupchat-field";
/** XEP-0431 Full Text Search in MAM: the `{urn:xmpp:fulltext:0}fulltext` query field. */
export const NS_FULLTEXT = "urn:xmpp:fulltext:0";
export const FULLTEXT_FIELD = `{${NS_FULLTEXT}}fulltext`;

export const NS_RSM = "http://jabber.org/protocol/rsm";
export const NS_DATA = "jabber:x:data";
export const NS_XDATA_VALIDATE = "http://jabber.org/protocol/xdata-validate";
export const NS_FORWARD = "urn:xmpp:forward:0";
export const NS_DELAY = "urn:xmpp:delay";
export const NS_HINTS = "urn:xmpp:hints";
export const NS_CARBONS = "urn:xmpp:carbons:2";
