/**
 * The BOSH connection manager's HTTP side (XEP-0124 version 1.11.2, XEP-0206 version 1.4): POST requests with a
 * <body/> each, CORS for browser pages, session creation with the negotiated parameters (§7), and every other
 * request handed to its session (bosh-session.ts) by 'sid'. Sessions belong to the listener they were created on,
 * so a session made over HTTPS cannot be continued over plain HTTP.
 */
import { randomBytes } from "node:crypto";
import type { OutgoingHttpHeaders } from "node:http";
import type tls from "node:tls";
import type { BoshOptions } from "../config/schema.js";
import { readBody } from "../http/body.js";
import type { HttpContext } from "../http/context.js";
import type { Logger } from "../log.js";
import type { Framing } from "../stream/framing.js";
import type { ParserLimits } from "../xml/parser.js";
import { BoshSession, deliver, type BoshReply } from "./bosh-session.js";
import {
  BOSH_VERSION, LEGACY_HTTP_STATUS, intAttr, lowerVersion, parseBoshBody, terminalBody, type BoshRequest,
  type TerminalCondition,
} from "./bosh-wire.js";
import type { Transport } from "./types.js";

const DEFAULT_CONTENT_TYPE = "text/xml; charset=utf-8";
/** A 'content' attribute becomes a response header: printable ASCII only (§7.1). */
const CONTENT_TYPE = /^[\x20-\x7e]{1,200}$/;
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

export interface BoshEndpointOptions {
  config: BoshOptions;
  maxBodyBytes: number;
  /** The stream's limits: each payload is checked by the stream; the body as a whole by these plus one level. */
  limits: ParserLimits;
  log: Logger;
  /** Start the XMPP stream on a new transport; false when the server refuses it (it then destroys the transport). */
  accept(transport: Transport, allowPlaintext: boolean, framing: Framing): boolean;
}

export class BoshEndpoint {
  private readonly sessions = new Map<string, BoshSession>();
  private readonly bodyLimits: ParserLimits;

  constructor(private readonly o: BoshEndpointOptions) {
    this.bodyLimits = { ...o.limits, maxStanzaBytes: o.maxBodyBytes, maxDepth: o.limits.maxDepth + 1 };
  }

  get sessionCount(): number { return this.sessions.size; }

  /** CORS (Fetch standard): allowed pages get their origin echoed back, for this response only. */
  private cors(ctx: HttpContext): OutgoingHttpHeaders {
    return ctx.origin !== undefined ? { "Access-Control-Allow-Origin": ctx.origin, Vary: "Origin" } : {};
  }

  handle = async (ctx: HttpContext): Promise<void> => {
    const method = ctx.req.method;
    if (method === "OPTIONS") return this.preflight(ctx);
    if (!ctx.originAllowed) {
      ctx.log.info("BOSH request refused: origin not allowed", { ip: ctx.ip, origin: ctx.origin });
      return ctx.text(403, "pages from this origin may not connect here (see the listener's `origins`)");
    }
    const cors = this.cors(ctx);
    const body = await readBody(ctx.req, this.o.maxBodyBytes);
    if (!body.ok) {
      // Past the limit nothing of the body is read, so there is no session to tell: HTTP 413 (or 400), then close.
      return ctx.text(body.status, body.reason, { ...cors, Connection: "close" });
    }
    const parsed = parseBoshBody(body.body, this.bodyLimits);
    const reply: BoshReply = { res: ctx.res, headers: cors };
    const res = ctx.res!;
    res.once("close", () => { if (reply.res === res) reply.res = null; });
    if (!parsed.ok) {
      ctx.log.info("BOSH request refused: bad body", { ip: ctx.ip, why: parsed.text });
      return deliver(reply, terminalBody("bad-request"), DEFAULT_CONTENT_TYPE, 400);
    }
    const req = parsed.req;
    if (req.sid === null) return this.create(ctx, req, reply);
    const session = this.sessions.get(req.sid);
    if (!session) return deliver(reply, terminalBody("item-not-found"), DEFAULT_CONTENT_TYPE);
    session.receive(req, reply);
  };

  private preflight(ctx: HttpContext): void {
    if (!ctx.originAllowed) return ctx.text(403, "pages from this origin may not connect here");
    const requested = ctx.req.headers["access-control-request-headers"];
    const headers = typeof requested === "string" && HEADER_LIST.test(requested.trim()) ? requested.trim() : "Content-Type";
    ctx.send(204, "", {
      ...this.cors(ctx),
      "Access-Control-Allow-Methods": "POST, OPTIONS",
      "Access-Control-Allow-Headers": headers,
      "Access-Control-Max-Age": "86400",
    });
  }

  /** §7.1 and §7.2: negotiate the session's parameters, start its stream, answer with the features. */
  private create(ctx: HttpContext, req: BoshRequest, reply: BoshReply): void {
    const a = req.attrs;
    const c = this.o.config;
    const legacy = a.ver === undefined;
    const refuse = (condition: TerminalCondition, why: string, uri?: string) => {
      ctx.log.info("BOSH session refused", { ip: ctx.ip, condition, why });
      const status = legacy && !uri ? LEGACY_HTTP_STATUS[condition] : undefined;
      if (status) deliver(reply, "", DEFAULT_CONTENT_TYPE, status);
      else deliver(reply, terminalBody(condition, "", uri), DEFAULT_CONTENT_TYPE);
    };
    if (c.seeOtherUri) return refuse("see-other-uri", "sent to the configured endpoint", c.seeOtherUri);
    if (!ctx.secure && !ctx.plaintextAllowed) {
      // A login here would be unencrypted: send the client to HTTPS, or refuse.
      const secure = ctx.secureBaseUrl();
      if (secure) return refuse("see-other-uri", "plain HTTP from a remote address", `${secure}${ctx.path}`);
      return refuse("policy-violation", "plain HTTP from a remote address and no HTTPS listener");
    }
    const wait = intAttr(a.wait);
    const hold = intAttr(a.hold);
    if (Number.isNaN(wait) || Number.isNaN(hold)) return refuse("bad-request", "'wait' and 'hold' must be integers");
    const negotiatedHold = Math.min(hold ?? 1, c.maxHold);
    const negotiatedWait = Math.min(wait ?? c.maxWait, c.maxWait);
    const polling = negotiatedHold === 0 || negotiatedWait === 0;
    const ver = legacy ? null : lowerVersion(a.ver!, BOSH_VERSION);
    const content = a.content !== undefined && CONTENT_TYPE.test(a.content) ? a.content : DEFAULT_CONTENT_TYPE;
    const sid = randomBytes(18).toString("base64url");
    const session = new BoshSession({
      sid,
      ip: ctx.ip,
      secure: ctx.secure,
      sniName: ctx.info.directTls ? sniOf(ctx.req.socket as tls.TLSSocket) : null,
      wait: negotiatedWait,
      hold: negotiatedHold,
      requests: negotiatedHold + 1,
      // §13: a polling session gets a longer inactivity period than its polling interval.
      inactivity: polling ? c.inactivity + 2 * c.polling : c.inactivity,
      polling: c.polling,
      maxPause: c.maxPause,
      ver,
      contentType: content,
      acks: a.ack === "1",
      to: a.to ?? null,
      lang: a["xml:lang"] ?? null,
      log: ctx.log.child({ ip: ctx.ip, transport: "bosh" }),
    }, (s) => { if (this.sessions.get(s.sid) === s) this.sessions.delete(s.sid); });
    if (!this.o.accept(session, ctx.plaintextAllowed, session.framing)) {
      return refuse("policy-violation", "the server refused the connection");
    }
    this.sessions.set(sid, session);
    session.start(req, reply);
  }

  /** The server is stopping: sessions still here answer what they hold with system-shutdown. */
  close(): void {
    for (const s of [...this.sessions.values()]) s.shutdown();
    this.sessions.clear();
  }
}

function sniOf(socket: tls.TLSSocket): string | null {
  const name = (socket as tls.TLSSocket & { servername?: string | false }).servername;
  return typeof name === "string" && name ? name.toLowerCase() : null;
}
