/**
 * One BOSH session (XEP-0124, XEP-0206): a Transport for the C2sStream and the Framing it writes with.
 *
 * The stream sees a framed XML stream, as over WebSocket: a session creation or restart request becomes an
 * <open/> element it reads, the payloads of each request are fed to it in rid order, and an empty request is the
 * keepalive it would get as whitespace over TCP (XEP-0124 §2 calls empty responses the same thing). What the
 * stream writes is queued and leaves in the next response: the header it writes through `framing.open()` is not
 * sent at all but gives the creation response its 'authid' and 'from' (XEP-0206 §5), its features go inside the
 * <body/>, and a stream error becomes a terminal binding condition (bosh-wire.ts).
 *
 * Requests (§11, §14): processed strictly in rid order within a window of `requests`; a request early for its
 * turn waits (and gets a recoverable error if the gap is not filled within 'wait'); a repeated rid gets the very
 * response it got before, or takes the place of the one still held; anything else outside the window ends the
 * session with item-not-found. At most 'hold' requests wait for data, each at most 'wait' seconds; data goes to
 * the oldest. With no request pending for 'inactivity' seconds (or a granted pause) the session ends.
 */
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { escapeXML } from "@xmpp/xml";
import type { Logger } from "../log.js";
import type { ChannelBinding } from "../sasl/types.js";
import { NS_FRAMING, qualifyStanza, type Framing } from "../stream/framing.js";
import {
  BOSH_VERSION, LEGACY_HTTP_STATUS, NS_XBOSH, recoverableBody, responseBody, terminalBody, terminalForStreamError,
  type BodyAttrs, type BoshRequest, type TerminalCondition,
} from "./bosh-wire.js";
import type { Transport, TransportEvents } from "./types.js";

/** Where one request's response goes: its HTTP response (null once the client hung up) and per-request headers. */
export interface BoshReply {
  res: ServerResponse | null;
  headers: OutgoingHttpHeaders;
}

export interface BoshSessionParams {
  sid: string;
  ip: string;
  secure: boolean;
  sniName: string | null;
  /** Negotiated 'wait' (seconds): 0 makes this a polling session. */
  wait: number;
  /** Negotiated 'hold': 0 makes this a polling session. */
  hold: number;
  /** The rid window and the most simultaneous requests (§7.2: hold + 1). */
  requests: number;
  inactivity: number;
  /** Shortest interval between empty polls (§13). */
  polling: number;
  /** 0: pauses are not offered (§10). */
  maxPause: number;
  /** The negotiated BOSH version, or null for a legacy client that sent none (HTTP error codes, §17.1). */
  ver: string | null;
  /** HTTP Content-Type of every response ('content', §7.1). */
  contentType: string;
  /** The client asked for acknowledgements (ack='1' at creation, §9). */
  acks: boolean;
  /** Stream header attributes for the <open/> fed to the stream at creation and restarts. */
  to: string | null;
  lang: string | null;
  log: Logger;
}

interface Held {
  rid: number;
  reply: BoshReply;
  timer: NodeJS.Timeout | null;
}

interface Waiting {
  req: BoshRequest;
  reply: BoshReply;
  timer: NodeJS.Timeout;
}

interface Sent {
  body: string;
  at: number;
  replays: number;
}

/** How often one rid may be asked for again before the client is taken to be abusing it (§14.3). */
const MAX_REPLAYS = 8;
/** How many responses are kept for retransmission when the client acknowledges them (§14.3). */
const MAX_UNACKED = 32;
/** A response the client says it lacks this long after it left is reported (§9.2). */
const REPORT_AFTER_MS = 2000;

export function deliver(reply: BoshReply, body: string, contentType: string, status = 200): void {
  const res = reply.res;
  reply.res = null;
  if (!res || res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    ...reply.headers,
  });
  res.end(body);
}

export class BoshSession implements Transport {
  readonly ip: string;
  readonly secure: boolean;
  readonly sniName: string | null;
  readonly canStartTls = false;
  readonly sid: string;
  readonly log: Logger;
  /** The framing the stream writes with: header and close leave nothing on the wire (see the file comment). */
  readonly framing: Framing;

  private events: TransportEvents | null = null;
  private readonly p: BoshSessionParams;
  /** The rid the next request in order will have. */
  private nextRid = 0;
  private readonly waiting = new Map<number, Waiting>();
  private held: Held[] = [];
  /** Responses kept for retransmission, oldest first (Map keeps insertion order, which is rid order). */
  private readonly sent = new Map<number, Sent>();
  private out: string[] = [];
  private outBytes = 0;
  private streamError: string | null = null;
  private streamAttrs: Record<string, string> = {};
  private flushQueued = false;
  private state: "open" | "ended" = "open";
  /** The terminate response kept for the client's next request when the session ended with none held. */
  private final: string | null = null;
  private creationPending = true;
  private inactivityTimer: NodeJS.Timeout | null = null;
  private pausedFor: number | null = null;
  private report: { rid: number; time: number } | null = null;
  private lastEmptyPollAt = 0;
  private lastAnswerEmpty = false;
  private goneFired = false;

  constructor(params: BoshSessionParams, private readonly onGone: (s: BoshSession) => void) {
    this.p = params;
    this.sid = params.sid;
    this.ip = params.ip;
    this.secure = params.secure;
    this.sniName = params.sniName;
    this.log = params.log;
    this.framing = {
      parserMode: "framed",
      open: (attrs) => { this.streamAttrs = attrs; return ""; },
      close: () => "",
    };
  }

  get polling(): boolean { return this.p.hold === 0 || this.p.wait === 0; }
  get ended(): boolean { return this.state === "ended"; }

  // ---- Transport ----

  attach(events: TransportEvents): void { this.events = events; }

  write(data: string): void {
    if (!data || this.state !== "open") return;
    if (data.startsWith("<stream:error")) {
      this.streamError = data;
      return;
    }
    const xml = qualifyStanza(data);
    this.out.push(xml);
    this.outBytes += xml.length;
    this.scheduleFlush();
  }

  startTls(): Promise<void> {
    return Promise.reject(new Error("BOSH negotiates TLS on its HTTP connections (XEP-0206 §5)"));
  }

  /** Each request may come on another connection: there is no one TLS channel to bind to. */
  channelBinding(): ChannelBinding | null { return null; }

  pendingBytes(): number { return this.outBytes; }

  /** The stream is closed (it wrote its last data, maybe a stream error): answer with the terminal response. */
  end(): void {
    if (this.state !== "open") return;
    const { condition, includeError } = terminalForStreamError(this.streamError);
    const payload = this.takeOut() + (includeError && this.streamError ? this.streamError : "");
    this.finish(responseBody({ type: "terminate", condition: condition ?? undefined }, payload), `stream closed${condition ? `: ${condition}` : ""}`);
  }

  /** Ended from the server's side without a stream error (the stream is refused or gone). */
  destroy(): void {
    if (this.state !== "open") return;
    this.finish(terminalBody("remote-connection-failed"), "destroyed by the server");
  }

  // ---- requests ----

  /** The session creation request (§7.1): held for the creation response, then the stream is opened. */
  start(req: BoshRequest, reply: BoshReply): void {
    this.nextRid = req.rid + 1;
    this.hold({ rid: req.rid, reply, timer: null });
    this.feed(this.openElement(this.p.to, this.p.lang, req.xmppVersion));
  }

  receive(req: BoshRequest, reply: BoshReply): void {
    if (this.state === "ended") {
      // The session ended while no request was held: this one carries the news, then the session is gone.
      this.deliver(reply, this.final ?? terminalBody("item-not-found"));
      this.final = null;
      return this.gone("terminated");
    }
    this.stopInactivity();
    this.pausedFor = null; // §10: back to the normal inactivity period at the next request
    if (req.rid < this.nextRid) return this.retransmitted(req, reply);
    // §11: a client may have one request more in flight to pause or terminate.
    const window = this.p.requests + (req.pause !== null || req.terminate ? 1 : 0);
    if (req.rid >= this.nextRid + window) return this.fail("item-not-found", reply, `rid ${req.rid} is outside the window`);
    if (req.rid > this.nextRid) {
      // §14.2: early for its turn; it waits for the ones before it.
      const previous = this.waiting.get(req.rid);
      if (previous) {
        clearTimeout(previous.timer);
        this.deliver(previous.reply, recoverableBody());
      }
      const timer = setTimeout(() => this.gapNotFilled(req.rid), Math.max(this.p.wait, 1) * 1000);
      timer.unref();
      this.waiting.set(req.rid, { req, reply, timer });
      return;
    }
    this.process(req, reply);
    for (let w = this.waiting.get(this.nextRid); w && this.state === "open"; w = this.waiting.get(this.nextRid)) {
      this.waiting.delete(w.req.rid);
      clearTimeout(w.timer);
      this.process(w.req, w.reply);
    }
    if (this.state === "open" && this.held.length === 0 && this.waiting.size === 0) this.startInactivity();
  }

  /** §14.3: a rid seen before. */
  private retransmitted(req: BoshRequest, reply: BoshReply): void {
    const sent = this.sent.get(req.rid);
    if (sent) {
      if (++sent.replays > MAX_REPLAYS) return this.fail("policy-violation", reply, `rid ${req.rid} asked for too often`);
      this.deliver(reply, sent.body);
      if (this.held.length === 0 && this.waiting.size === 0) this.startInactivity();
      return;
    }
    const held = this.held.find((h) => h.rid === req.rid);
    if (held) {
      // Received but not answered yet: the old connection gets a recoverable error, the new one the answer.
      this.deliver(held.reply, recoverableBody());
      held.reply = reply;
      return;
    }
    this.fail("item-not-found", reply, `no response kept for rid ${req.rid}`);
  }

  private gapNotFilled(rid: number): void {
    const w = this.waiting.get(rid);
    if (!w) return;
    this.waiting.delete(rid);
    // §17.3: the client resends every request it has no answer for, the missing one included.
    this.deliver(w.reply, recoverableBody());
    if (this.state === "open" && this.held.length === 0 && this.waiting.size === 0) this.startInactivity();
  }

  private process(req: BoshRequest, reply: BoshReply): void {
    this.nextRid = req.rid + 1;
    if (this.p.acks && req.ack !== null) this.clientAcked(req.ack);
    if (req.terminate) {
      // §12: forward the payloads (e.g. unavailable presence), then close the stream; end() answers.
      this.hold({ rid: req.rid, reply, timer: null });
      if (req.payloads.length > 0) this.feed(req.payloads.join(""));
      this.feed(`<close xmlns='${NS_FRAMING}'/>`);
      if (this.state === "open") this.finish(terminalBody(null), "terminated by the client");
      return;
    }
    if (req.pause !== null && this.p.maxPause > 0) {
      // §10: answer everything held now, without payloads, and allow a longer silence once.
      for (const h of this.held.splice(0)) this.answer(h, "");
      this.deliver(reply, responseBody({}));
      this.pausedFor = Math.min(req.pause, this.p.maxPause);
      this.log.debug("BOSH session paused", { seconds: this.pausedFor });
      return;
    }
    if (req.restart) {
      // XEP-0206 §5: a new stream; payloads in a restart request are ignored.
      this.hold({ rid: req.rid, reply, timer: null });
      this.feed(this.openElement(req.attrs.to ?? this.p.to, req.attrs["xml:lang"] ?? this.p.lang, req.xmppVersion));
      return;
    }
    const empty = req.payloads.length === 0;
    if (empty && this.polling) {
      // §13: two empty polls closer than 'polling' seconds, the first answered with nothing.
      const now = Date.now();
      if (this.lastEmptyPollAt && this.lastAnswerEmpty && now - this.lastEmptyPollAt < this.p.polling * 1000) {
        return this.fail("policy-violation", reply, "polling too often");
      }
      this.lastEmptyPollAt = now;
    }
    this.hold({ rid: req.rid, reply, timer: null });
    this.feed(empty ? " " : req.payloads.join(""));
  }

  /** §9.2: the client has every response up to `ack`; a response it lacks for a while is reported. */
  private clientAcked(ack: number): void {
    for (const rid of [...this.sent.keys()]) if (rid <= ack) this.sent.delete(rid);
    const missing = this.sent.get(ack + 1);
    if (missing) {
      const age = Date.now() - missing.at;
      if (age >= REPORT_AFTER_MS) this.report = { rid: ack + 1, time: age };
    }
  }

  private openElement(to: string | null, lang: string | null, version: string | null): string {
    let s = `<open xmlns='${NS_FRAMING}' version='${escapeXML(version ?? "1.0")}'`;
    if (to) s += ` to='${escapeXML(to)}'`;
    if (lang) s += ` xml:lang='${escapeXML(lang)}'`;
    return `${s}/>`;
  }

  private feed(data: string): void {
    this.events?.data(data);
  }

  // ---- responses ----

  private hold(h: Held): void {
    if (!this.polling) {
      h.timer = setTimeout(() => this.waitOver(h), this.p.wait * 1000);
      h.timer.unref();
    }
    this.held.push(h);
    this.scheduleFlush();
  }

  /** 'wait' seconds passed: answer it, and any older one first, so responses stay in rid order (§11). */
  private waitOver(h: Held): void {
    const i = this.held.indexOf(h);
    if (i === -1 || this.state !== "open") return;
    for (const x of this.held.splice(0, i + 1)) this.answer(x, this.takeOut());
    if (this.held.length === 0 && this.waiting.size === 0) this.startInactivity();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    process.nextTick(this.flush);
  }

  /** Once per event-loop turn: what the stream wrote goes to the oldest held request(s). */
  private flush = (): void => {
    this.flushQueued = false;
    if (this.state !== "open") return;
    while (this.held.length > 0) {
      const mustAnswer = this.out.length > 0 || this.held.length > this.p.hold || this.polling || this.report !== null;
      if (!mustAnswer) break;
      this.answer(this.held.shift()!, this.takeOut());
    }
    if (this.held.length === 0 && this.waiting.size === 0) this.startInactivity();
  };

  private takeOut(): string {
    if (this.out.length === 0) return "";
    const s = this.out.length === 1 ? this.out[0]! : this.out.join("");
    this.out = [];
    this.outBytes = 0;
    return s;
  }

  private creationAttrs(): BodyAttrs {
    const p = this.p;
    return {
      sid: p.sid,
      wait: p.wait,
      requests: p.requests,
      hold: p.hold,
      inactivity: p.inactivity,
      polling: p.polling,
      maxpause: p.maxPause > 0 ? p.maxPause : undefined,
      ver: p.ver ?? BOSH_VERSION,
      from: this.streamAttrs.from,
      authid: this.streamAttrs.id,
      "xmlns:xmpp": NS_XBOSH,
      "xmpp:version": this.streamAttrs.version ?? "1.0",
      "xmpp:restartlogic": "true",
    };
  }

  private answer(h: Held, payload: string): void {
    if (h.timer) clearTimeout(h.timer);
    let attrs: BodyAttrs = {};
    if (this.creationPending) {
      this.creationPending = false;
      attrs = this.creationAttrs();
      // §9.1: the creation response's ack is the creation request's rid.
      if (this.p.acks) attrs.ack = h.rid;
    } else if (this.p.acks && this.nextRid - 1 !== h.rid) {
      // §9.1: the highest rid received with all before it (processing is in order, so nextRid - 1).
      attrs.ack = this.nextRid - 1;
    }
    if (this.report) {
      attrs.report = this.report.rid;
      attrs.time = this.report.time;
      this.report = null;
    }
    const body = responseBody(attrs, payload);
    this.lastAnswerEmpty = payload === "";
    this.remember(h.rid, body);
    this.deliver(h.reply, body);
  }

  /** §14.3: keep responses for retransmission: `requests` of them, or every unacknowledged one (bounded). */
  private remember(rid: number, body: string): void {
    this.sent.set(rid, { body, at: Date.now(), replays: 0 });
    const keep = this.p.acks ? MAX_UNACKED : this.p.requests;
    while (this.sent.size > keep) this.sent.delete(this.sent.keys().next().value!);
  }

  private deliver(reply: BoshReply, body: string): void {
    deliver(reply, body, this.p.contentType);
  }

  /** A terminal binding error (§17.2) or, for a legacy client, its HTTP status (§17.1). */
  private deliverTerminal(reply: BoshReply, condition: TerminalCondition): void {
    const status = this.p.ver === null ? LEGACY_HTTP_STATUS[condition] : undefined;
    if (status) deliver(reply, "", this.p.contentType, status);
    else this.deliver(reply, terminalBody(condition));
  }

  /** The client broke the rules: this request gets the condition, the others held 'other-request'. */
  private fail(condition: TerminalCondition, reply: BoshReply, why: string): void {
    this.log.info("BOSH session terminated", { condition, why });
    this.deliverTerminal(reply, condition);
    for (const h of this.held.splice(0)) {
      if (h.timer) clearTimeout(h.timer);
      this.deliverTerminal(h.reply, "other-request");
    }
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      this.deliverTerminal(w.reply, "other-request");
    }
    this.waiting.clear();
    this.state = "ended";
    this.gone(`BOSH ${condition}`);
  }

  /**
   * §12: the session is over. The oldest held request gets `finalBody` (type='terminate'), the others empty
   * bodies; with none held it waits for the client's next request, or for the inactivity timeout.
   */
  private finish(finalBody: string, reason: string): void {
    this.state = "ended";
    const [first, ...rest] = this.held.splice(0);
    for (const h of [first, ...rest]) if (h?.timer) clearTimeout(h.timer);
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      this.deliver(w.reply, responseBody({}));
    }
    this.waiting.clear();
    if (first) {
      this.deliver(first.reply, finalBody);
      for (const h of rest) this.deliver(h.reply, responseBody({}));
      this.gone(reason);
    } else {
      this.final = finalBody;
      this.log.debug("BOSH session ended; the next request gets the news", { reason });
      this.startInactivity();
    }
  }

  private startInactivity(): void {
    this.stopInactivity();
    const seconds = this.pausedFor ?? this.p.inactivity;
    this.inactivityTimer = setTimeout(() => this.inactive(), seconds * 1000);
    this.inactivityTimer.unref();
  }

  private stopInactivity(): void {
    if (this.inactivityTimer) clearTimeout(this.inactivityTimer);
    this.inactivityTimer = null;
  }

  /** §10: no request for the whole inactivity period: the client is gone. */
  private inactive(): void {
    this.inactivityTimer = null;
    if (this.state === "open") this.log.info("BOSH session inactive; ending it");
    this.state = "ended";
    this.gone("BOSH inactivity");
  }

  /** Forget the session: the stream is told (once), the endpoint drops it from its table. */
  private gone(reason: string): void {
    this.stopInactivity();
    if (this.goneFired) return;
    this.goneFired = true;
    this.out = [];
    this.outBytes = 0;
    this.events?.closed(reason);
    this.onGone(this);
  }

  /** The server is stopping: whatever is still held is answered with system-shutdown. */
  shutdown(): void {
    if (this.state === "open") this.finish(terminalBody("system-shutdown"), "server shutdown");
    this.gone("server shutdown");
  }
}
