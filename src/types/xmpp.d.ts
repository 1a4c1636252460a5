// Type declarations for the parts of @xmpp/xml and @xmpp/jid that Palaver uses (they ship no types).
declare module "@xmpp/xml" {
  import { Element } from "ltx";
  type Child = Element | string | number | null | undefined | false | Child[];
  export function xml(name: string, attrs?: Record<string, string | number | undefined | null> | null, ...children: Child[]): Element;
  export { Element };
  export function escapeXML(s: string): string;
  export function escapeXMLText(s: string): string;
  export default xml;
}

declare module "@xmpp/jid" {
  export class JID {
    constructor(local: string | undefined, domain: string, resource?: string);
    local: string;
    domain: string;
    resource: string;
  }
  export function parse(s: string): JID;
  export function escapeLocal(s: string): string;
  export function unescapeLocal(s: string): string;
}
