/**
 * A strict, streaming XML parser for XMPP streams (RFC 6120 §11): it reads the stream header, then emits
 * one element per top-level child (stanza or nonza) as soon as it is complete.
 *
 * Restricted XML (§11.1) is enforced: a comment, processing instruction (other than the XML declaration
 * at the very start), DTD or reference to any entity other than the five predefined ones is a
 * `restricted-xml` error; no entity is ever expanded. Limits are enforced while parsing, before anything
 * is buffered past them: an oversized stanza or tag is refused as soon as it crosses the limit.
 *
 * In "framed" mode (RFC 7395 WebSocket framing) there is no enclosing stream element: every top-level
 * element (<open/>, <close/>, stanzas) is emitted through `element`.
 */
import { Element } from "@xmpp/xml";
import type { StreamErrorCondition } from "../stream/errors.js";
import { Utf8Stream } from "./utf8-stream.js";

export interface ParserLimits {
  /** Largest top-level element, in characters of decoded text (the same as bytes for ASCII). */
  maxStanzaBytes: number;
  /** Deepest nesting inside a top-level element. */
  maxDepth: number;
  /** Most attributes on one element. */
  maxAttributes: number;
}

export type ParseErrorCondition = Extract<
  StreamErrorCondition,
  "not-well-formed" | "restricted-xml" | "policy-violation" | "bad-format" | "bad-namespace-prefix" | "unsupported-encoding"
>;

export interface ParserEvents {
  /** The stream header (stream mode only); attributes as sent, `name` with its prefix. */
  streamOpen(name: string, attrs: Record<string, string>): void;
  /** A complete top-level element and its resolved namespace ("" when it has none). */
  element(el: Element, ns: string): void;
  /** The stream's closing tag (stream mode only). */
  streamClose(): void;
  /** Fatal: the parser stops after reporting it. */
  error(condition: ParseErrorCondition, text: string): void;
}

const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
// XML 1.0 §2.2 Char, excluding what a UTF-8 decoder cannot produce: controls other than TAB, LF, CR, and
// the non-characters U+FFFE/U+FFFF.
const INVALID_CHAR = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const NAME = /^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*)?$/;
const WHITESPACE_ONLY = /^[ \t\r\n]*$/;

class ParseError extends Error {
  constructor(readonly condition: ParseErrorCondition, message: string) { super(message); }
}

/** Replace the predefined entities and character references; anything else is refused. */
export function unescapeXml(s: string): string {
  if (s.indexOf("&") === -1) return s;
  let out = "";
  let i = 0;
  for (;;) {
    const amp = s.indexOf("&", i);
    if (amp === -1) return out + s.slice(i);
    const semi = s.indexOf(";", amp);
    if (semi === -1) throw new ParseError("not-well-formed", "unterminated entity reference");
    out += s.slice(i, amp);
    const ref = s.slice(amp + 1, semi);
    if (ref.charCodeAt(0) === 35 /* # */) {
      const code = ref.charCodeAt(1) === 120 /* x */ ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      const valid = /^#(x[0-9a-fA-F]{1,6}|[0-9]{1,7})$/.test(ref) && code <= 0x10ffff &&
        (code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) ||
         (code >= 0xe000 && code <= 0xfffd) || code >= 0x10000);
      if (!valid) throw new ParseError("not-well-formed", `invalid character reference &${ref};`);
      out += String.fromCodePoint(code);
    } else {
      const ch = PREDEFINED[ref];
      if (ch === undefined) {
        // RFC 6120 §11.1: entity references other than the predefined ones are restricted.
        if (/^[A-Za-z_][\w.\-]*$/.test(ref)) throw new ParseError("restricted-xml", `entity reference &${ref}; is not allowed`);
        throw new ParseError("not-well-formed", "malformed entity reference");
      }
      out += ch;
    }
    i = semi + 1;
  }
}

const enum State { Text, Tag, Cdata, Declaration }

export class StreamParser {
  private readonly utf8 = new Utf8Stream();
  private buf = "";
  /** Where scanning resumes inside `buf` for an incomplete tag or CDATA section (avoids rescanning). */
  private scan = 0;
  private quote = 0;
  private state = State.Text;
  private failed = false;
  private streamOpened = false;
  private sawAnything = false;
  private streamAttrs: Record<string, string> = {};
  /** The header's qualified name, so the closing tag is matched whatever prefix the peer chose. */
  private streamHeaderName = "";
  /** Open elements of the current top-level element, innermost last. */
  private stack: Element[] = [];
  /** Characters consumed for the current top-level element. */
  private size = 0;
  private text = "";

  constructor(
    private readonly events: ParserEvents,
    private readonly limits: ParserLimits,
    private readonly mode: "stream" | "framed" = "stream",
  ) {}

  /** True while a top-level element is partly received (used by framing checks). */
  get inElement(): boolean { return this.stack.length > 0 || this.buf.length > 0 && this.state !== State.Text; }

  write(chunk: Buffer | string): void {
    if (this.failed) return;
    const s = typeof chunk === "string" ? chunk : this.utf8.decode(chunk);
    if (s === null) return this.fail(new ParseError("not-well-formed", "invalid UTF-8"));
    this.buf = this.buf.length ? this.buf + s : s;
    try {
      this.run();
    } catch (err) {
      if (err instanceof ParseError) return this.fail(err);
      throw err;
    }
  }

  private fail(err: ParseError): void {
    this.failed = true;
    this.buf = "";
    this.stack = [];
    this.events.error(err.condition, err.message);
  }

  private checkSize(extra: number): void {
    if (this.size + extra > this.limits.maxStanzaBytes) {
      throw new ParseError("policy-violation", `element larger than ${this.limits.maxStanzaBytes} bytes`);
    }
  }

  private run(): void {
    let buf = this.buf;
    let pos = 0;
    while (pos < buf.length && !this.failed) {
      if (this.state === State.Text) {
        const lt = buf.indexOf("<", pos);
        const end = lt === -1 ? buf.length : lt;
        if (end > pos) {
          let chunk = buf.slice(pos, end);
          // Keep a trailing, unterminated entity reference for the next write.
          if (lt === -1) {
            const amp = chunk.lastIndexOf("&");
            if (amp !== -1 && chunk.indexOf(";", amp) === -1) {
              if (chunk.length - amp > 12) throw new ParseError("not-well-formed", "unterminated entity reference");
              chunk = chunk.slice(0, amp);
            }
          }
          this.characters(chunk);
          pos += chunk.length;
          if (lt === -1) break;
        }
        this.state = State.Tag;
        this.scan = pos + 1;
        this.quote = 0;
        continue;
      }
      // pos is at '<' of an unfinished construct.
      if (this.state === State.Tag) {
        const second = buf.charCodeAt(pos + 1);
        if (second === 33 /* ! */) {
          if (buf.length < pos + 3) break;
          if (buf.charCodeAt(pos + 2) !== 91 /* [ */) {
            throw new ParseError("restricted-xml", buf.charCodeAt(pos + 2) === 45 ? "comments are not allowed" : "DTDs are not allowed");
          }
          if (buf.length < pos + 9) break;
          if (buf.slice(pos, pos + 9) !== "<![CDATA[") throw new ParseError("not-well-formed", "malformed markup declaration");
          if (this.stack.length === 0) throw new ParseError("bad-format", "character data outside any element");
          this.state = State.Cdata;
          this.scan = pos + 9;
          continue;
        }
        if (second === 63 /* ? */) {
          if (this.sawAnything || this.mode === "framed") throw new ParseError("restricted-xml", "processing instructions are not allowed");
          if (buf.length < pos + 6) break;
          if (!/^<\?xml[ \t\r\n]/.test(buf.slice(pos, pos + 6))) throw new ParseError("restricted-xml", "processing instructions are not allowed");
          this.state = State.Declaration;
          this.scan = pos + 6;
          continue;
        }
        const close = this.findTagEnd(buf, pos);
        if (close === -1) {
          this.checkSize(buf.length - pos);
          break;
        }
        const tag = buf.slice(pos, close + 1);
        this.checkSize(tag.length);
        pos = close + 1;
        this.state = State.Text;
        this.sawAnything = true;
        this.tag(tag);
        continue;
      }
      if (this.state === State.Cdata) {
        const end = buf.indexOf("]]>", this.scan);
        if (end === -1) {
          this.scan = Math.max(pos + 9, buf.length - 2);
          this.checkSize(buf.length - pos);
          break;
        }
        const data = buf.slice(pos + 9, end);
        this.checkSize(end + 3 - pos);
        if (INVALID_CHAR.test(data)) throw new ParseError("not-well-formed", "invalid character");
        this.size += end + 3 - pos;
        this.text += data;
        pos = end + 3;
        this.state = State.Text;
        continue;
      }
      // State.Declaration: the XML declaration at the start of the stream; skipped.
      const end = buf.indexOf("?>", this.scan);
      if (end === -1) {
        if (buf.length - pos > 256) throw new ParseError("not-well-formed", "XML declaration too long");
        this.scan = Math.max(pos + 6, buf.length - 1);
        break;
      }
      const decl = buf.slice(pos, end + 2);
      const enc = /encoding=["']([^"']*)["']/.exec(decl);
      if (enc && enc[1]!.toLowerCase() !== "utf-8") throw new ParseError("unsupported-encoding", "only UTF-8 is supported");
      pos = end + 2;
      this.sawAnything = true;
      this.state = State.Text;
    }
    this.buf = this.failed ? "" : buf.slice(pos);
    if (this.state !== State.Text) this.scan -= pos;
  }

  /** Find the '>' that closes the tag starting at `start`, outside quoted attribute values. Resumable. */
  private findTagEnd(buf: string, start: number): number {
    let i = Math.max(this.scan, start + 1);
    let quote = this.quote;
    for (;;) {
      if (quote !== 0) {
        const q = buf.indexOf(quote === 34 ? '"' : "'", i);
        if (q === -1) { this.scan = buf.length; this.quote = quote; return -1; }
        i = q + 1;
        quote = 0;
        continue;
      }
      // Next of: quote characters or '>'
      let j = i;
      for (; j < buf.length; j++) {
        const c = buf.charCodeAt(j);
        if (c === 62 /* > */) { this.quote = 0; return j; }
        if (c === 34 || c === 39) { quote = c; break; }
        if (c === 60 /* < */) throw new ParseError("not-well-formed", "'<' inside a tag");
      }
      if (j >= buf.length) { this.scan = buf.length; this.quote = 0; return -1; }
      i = j + 1;
    }
  }

  private characters(chunk: string): void {
    if (this.stack.length === 0) {
      // Between top-level elements only whitespace is allowed (RFC 6120 §11.7, whitespace keepalives).
      if (!WHITESPACE_ONLY.test(chunk)) {
        throw new ParseError(this.streamOpened || this.mode === "framed" ? "bad-format" : "not-well-formed", "text outside any element");
      }
      return;
    }
    this.checkSize(chunk.length);
    this.size += chunk.length;
    if (INVALID_CHAR.test(chunk)) throw new ParseError("not-well-formed", "invalid character");
    this.text += unescapeXml(chunk);
  }

  private flushText(): void {
    if (this.text) {
      const parent = this.stack[this.stack.length - 1]!;
      parent.children.push(this.text);
      this.text = "";
    }
  }

  private tag(tag: string): void {
    this.size += tag.length;
    if (tag.charCodeAt(1) === 47 /* / */) return this.endTag(tag.slice(2, -1).trimEnd());
    const selfClosing = tag.charCodeAt(tag.length - 2) === 47;
    const inner = tag.slice(1, selfClosing ? -2 : -1);
    let i = 0;
    while (i < inner.length && !isSpace(inner.charCodeAt(i))) i++;
    const name = inner.slice(0, i);
    if (!NAME.test(name)) throw new ParseError("not-well-formed", `invalid element name "${name.slice(0, 40)}"`);
    const attrs = this.attributes(inner, i);

    const atStreamLevel = this.stack.length === 0;
    if (atStreamLevel && this.mode === "stream" && !this.streamOpened) {
      if (selfClosing) throw new ParseError("not-well-formed", "the stream header cannot be self-closing");
      this.streamOpened = true;
      this.streamAttrs = attrs;
      this.streamHeaderName = name;
      this.size = 0;
      this.events.streamOpen(name, attrs);
      return;
    }
    if (this.stack.length >= this.limits.maxDepth) throw new ParseError("policy-violation", "elements nested too deeply");
    this.checkPrefixes(name, attrs);
    // The attributes object is this element's own: handed over as it is rather than copied by the constructor.
    const el = new Element(name);
    el.attrs = attrs;
    if (!atStreamLevel) {
      this.flushText();
      const parent = this.stack[this.stack.length - 1]!;
      el.parent = parent;
      parent.children.push(el);
    }
    if (selfClosing) {
      if (atStreamLevel) this.emit(el);
      return;
    }
    this.stack.push(el);
  }

  private endTag(name: string): void {
    if (this.stack.length === 0) {
      if (this.mode === "stream" && this.streamOpened) {
        if (name !== this.streamHeaderName) throw new ParseError("not-well-formed", `closing tag </${name}> does not match the stream`);
        this.failed = true; // nothing may follow the stream's end
        this.events.streamClose();
        return;
      }
      throw new ParseError("not-well-formed", `unexpected closing tag </${name}>`);
    }
    const el = this.stack.pop()!;
    if (el.name !== name) throw new ParseError("not-well-formed", `closing tag </${name}> does not match <${el.name}>`);
    if (this.text) {
      el.children.push(this.text);
      this.text = "";
    }
    if (this.stack.length === 0) this.emit(el);
  }

  private emit(el: Element): void {
    this.size = 0;
    this.events.element(el, this.namespaceOf(el));
  }

  private attributes(inner: string, from: number): Record<string, string> {
    const attrs: Record<string, string> = {};
    let count = 0;
    let i = from;
    const n = inner.length;
    for (;;) {
      while (i < n && isSpace(inner.charCodeAt(i))) i++;
      if (i >= n) return attrs;
      const eq = inner.indexOf("=", i);
      if (eq === -1) throw new ParseError("not-well-formed", "attribute without a value");
      const name = inner.slice(i, eq).trimEnd();
      if (!NAME.test(name)) throw new ParseError("not-well-formed", "invalid attribute name");
      i = eq + 1;
      while (i < n && isSpace(inner.charCodeAt(i))) i++;
      const q = inner.charCodeAt(i);
      if (q !== 34 && q !== 39) throw new ParseError("not-well-formed", "attribute value not quoted");
      const end = inner.indexOf(q === 34 ? '"' : "'", i + 1);
      if (end === -1) throw new ParseError("not-well-formed", "unterminated attribute value");
      const raw = inner.slice(i + 1, end);
      if (raw.indexOf("<") !== -1) throw new ParseError("not-well-formed", "'<' in an attribute value");
      if (INVALID_CHAR.test(raw)) throw new ParseError("not-well-formed", "invalid character");
      if (Object.prototype.hasOwnProperty.call(attrs, name)) throw new ParseError("not-well-formed", `duplicate attribute "${name}"`);
      if (++count > this.limits.maxAttributes) throw new ParseError("policy-violation", "too many attributes");
      attrs[name] = unescapeXml(raw);
      i = end + 1;
      if (i < n && !isSpace(inner.charCodeAt(i))) throw new ParseError("not-well-formed", "attributes must be separated by white space");
    }
  }

  /** XML Namespaces §5: every prefix used must be declared (xml: is predeclared). */
  private checkPrefixes(name: string, attrs: Record<string, string>): void {
    const colon = name.indexOf(":");
    if (colon !== -1 && this.lookupPrefix(name.slice(0, colon), attrs) === undefined) {
      throw new ParseError("bad-namespace-prefix", `undeclared prefix "${name.slice(0, colon)}"`);
    }
    for (const a in attrs) {
      const c = a.indexOf(":");
      if (c === -1) continue;
      const prefix = a.slice(0, c);
      if (prefix === "xmlns" || prefix === "xml") continue;
      if (this.lookupPrefix(prefix, attrs) === undefined) throw new ParseError("bad-namespace-prefix", `undeclared prefix "${prefix}"`);
    }
  }

  private lookupPrefix(prefix: string, own: Record<string, string>): string | undefined {
    const key = `xmlns:${prefix}`;
    if (own[key] !== undefined) return own[key];
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const v = this.stack[i]!.attrs[key];
      if (v !== undefined) return v;
    }
    return this.streamAttrs[key];
  }

  private namespaceOf(el: Element): string {
    const colon = el.name.indexOf(":");
    if (colon !== -1) return this.lookupPrefix(el.name.slice(0, colon), el.attrs) ?? "";
    return el.attrs.xmlns ?? this.streamAttrs.xmlns ?? "";
  }

}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
