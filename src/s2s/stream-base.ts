/**
 * What server-to-server and component streams share (RFC 6120 §4): the stream header with its namespace
 * checks (§4.8), one element at a time from the strict parser (with the core's limits), restarts after TLS and
 * SASL (§4.3.3), stream errors (§4.9) and closing. Subclasses decide what each element means.
 */
import type { Element } from "ltx";
import { escapeXML } from "@xmpp/xml";
import { randomBytes } from "node:crypto";
import type { Logger } from "../log.js";
import { NS_STREAMS, streamErrorElement, type StreamErrorCondition } from "../stream/errors.js";
import { StreamParser, type ParserLimits } from "../xml/parser.js";
import type { S2sTransport } from "./transport.js";

export const NS_SERVER = "jabber:server";
export const NS_DIALBACK = "jabber:server:dialback";
export const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
export const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

export const randomId = (): string => randomBytes(12).toString("base64url");

/** The local name of a possibly prefixed element name ("db:result" -> "result"). */
export const localName = (name: string): string => name.slice(name.indexOf(":") + 1);

/**
 * Serialise a stanza for a stream whose default namespace qualifies it (jabber:server, jabber:component:accept).
 * A top-level `xmlns` of jabber:client or jabber:server (left on stored stanzas) is dropped, so the stanza takes
 * the stream's namespace; nested elements keep theirs (a forwarded <message xmlns='jabber:client'/> stays so).
 */
export function serialiseStanza(el: Element): string {
  const ns = el.attrs.xmlns;
  if (ns !== "jabber:client" && ns !== NS_SERVER) return el.toString();
  delete el.attrs.xmlns;
  try {
    return el.toString();
  } finally {
    el.attrs.xmlns = ns;
  }
}

export abstract class StreamBase {
  /** Names the connection in logs. */
  readonly id = randomId();
  readonly log: Logger;
  readonly connectedAt = Date.now();
  lastActivity = Date.now();
  protected parser!: StreamParser;
  protected headerSent = false;
  protected closing = false;
  private finished = false;
  /** Elements that arrive while the transport is between protocols (STARTTLS): never processed. */
  protected holding = false;
  /** Elements that arrive while an asynchronous step (SASL) runs: processed, in order, once it is over. */
  private deferred: Array<[Element, string]> | null = null;

  constructor(
    protected readonly transport: S2sTransport,
    private readonly limits: ParserLimits,
    log: Logger,
    /** The stream's default namespace: jabber:server, or jabber:component:accept. */
    protected readonly contentNs: string,
  ) {
    this.log = log.child({ stream: this.id, ip: transport.ip });
    this.newParser();
    transport.attach({
      data: (chunk) => {
        this.lastActivity = Date.now();
        try {
          this.parser.write(chunk);
        } catch (err) {
          // A bug reached by one peer's input ends that peer's stream, never the server.
          this.log.error("unexpected error while processing input", { err });
          this.close("internal-server-error");
        }
      },
      closed: (reason) => this.finish(reason),
    });
  }

  get ip(): string { return this.transport.ip; }
  get secure(): boolean { return this.transport.secure; }
  get isClosed(): boolean { return this.finished || this.closing; }

  protected newParser(): void {
    this.parser = new StreamParser({
      streamOpen: (name, attrs) => this.onStreamOpen(name, attrs),
      element: (el, ns) => {
        if (this.holding || this.isClosed) return;
        if (this.deferred) { this.deferred.push([el, ns]); return; }
        this.onElement(el, ns);
      },
      streamClose: () => this.onStreamClose(),
      error: (condition, text) => this.close(condition, text),
    }, this.limits, "stream");
  }

  private onStreamOpen(name: string, attrs: Record<string, string>): void {
    if (this.isClosed) return;
    const colon = name.indexOf(":");
    const local = colon === -1 ? name : name.slice(colon + 1);
    const ns = colon === -1 ? attrs.xmlns : attrs[`xmlns:${name.slice(0, colon)}`];
    if (local !== "stream" || ns !== NS_STREAMS) return this.close("invalid-namespace", "the stream element must be stream:stream");
    if (attrs.xmlns !== this.contentNs) return this.close("invalid-namespace", `the default namespace must be ${this.contentNs}`);
    this.onHeader(attrs);
  }

  /** A peer's stream header, its namespaces checked. */
  protected abstract onHeader(attrs: Record<string, string>): void;
  /** One top-level element, with its namespace. */
  protected abstract onElement(el: Element, ns: string): void;
  /** The stream is over (once), whatever ended it. */
  protected abstract onEnded(reason: string): void;

  /** Write our stream header (once per stream; again after each restart). */
  protected writeHeader(attrs: Record<string, string | undefined>): void {
    if (this.headerSent) return;
    this.headerSent = true;
    const dialback = this.contentNs === NS_SERVER ? ` xmlns:db='${NS_DIALBACK}'` : "";
    let s = `<?xml version='1.0'?><stream:stream xmlns='${this.contentNs}'${dialback} xmlns:stream='${NS_STREAMS}'`;
    for (const k in attrs) if (attrs[k] !== undefined) s += ` ${k}='${escapeXML(attrs[k]!)}'`;
    this.transport.write(`${s}>`);
  }

  /** Keep elements for later while an asynchronous step runs. */
  protected defer(): void {
    this.deferred ??= [];
  }

  /** The step is over: process what arrived meanwhile (unless the stream restarted: those belonged to the old one). */
  protected resume(restarted: boolean): void {
    const pending = this.deferred;
    this.deferred = null;
    if (!pending || restarted) return;
    for (const [el, ns] of pending) {
      if (this.isClosed) return;
      if (this.deferred) { (this.deferred as Array<[Element, string]>).push([el, ns]); continue; }
      this.onElement(el, ns);
    }
  }

  /** A new stream on the same connection (RFC 6120 §4.3.3): both sides send new headers; a new parser. */
  protected restart(): void {
    this.headerSent = false;
    this.newParser();
  }

  send(el: Element): void {
    this.writeRaw(el.toString());
  }

  writeRaw(data: string): void {
    if (this.isClosed) return;
    this.lastActivity = Date.now();
    this.transport.write(data);
  }

  /** Header attributes for a stream error sent before any header of ours (§4.9.1.1: open, then fail). */
  protected abstract errorHeader(): Record<string, string | undefined>;

  private onStreamClose(): void {
    if (this.isClosed) return;
    this.closing = true;
    this.transport.write("</stream:stream>");
    this.transport.end();
    this.finish("stream closed by peer");
  }

  /** Close the stream, with a stream error when a condition is given (RFC 6120 §4.9.1.1). */
  close(error?: StreamErrorCondition, text?: string): void {
    if (this.isClosed) return;
    if (error) {
      this.writeHeader(this.errorHeader());
      const el = streamErrorElement(error, text);
      this.transport.write(el.toString());
      this.log.info("stream error sent", { condition: error, text });
    }
    this.closing = true;
    this.transport.write("</stream:stream>");
    this.transport.end();
    this.finish(error ? `stream error: ${error}` : "closed by server");
  }

  /** Drop the connection without waiting for the peer. */
  abort(): void {
    this.transport.destroy();
  }

  /** A stream error the peer sent us (§4.9): logged; the stream ends. */
  protected peerStreamError(el: Element): void {
    const condition = el.getChildElements().find((c) => c.name !== "text")?.name ?? "undefined-condition";
    const text = el.getChildText("text") ?? undefined;
    this.log.warn("stream error from peer", { condition, text });
    this.closing = true;
    this.transport.write("</stream:stream>");
    this.transport.end();
    this.finish(`peer stream error: ${condition}`);
  }

  private finish(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.closing = true;
    this.onEnded(reason);
  }
}
