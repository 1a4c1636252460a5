/**
 * A minimal XMPP client connection for load generation (RFC 6120): stream open, STARTTLS (§5) or Direct TLS
 * (XEP-0368), SASL (§6), resource binding (§7), the legacy session IQ when a server says it is not optional
 * (RFC 3921 §3), initial presence (RFC 6121 §4.2), in-band registration (XEP-0077 §3.1) and a clean close (§4.4);
 * over TCP, or over WebSocket (RFC 7395) with the same code (wire.ts frames the bytes).
 *
 * No XML parser: during negotiation it looks for the few elements it needs with regular expressions on the
 * text received; once negotiated it hands raw text to a handler that counts what it needs (e.g. occurrences
 * of "</message>"), so the generator costs far less CPU than the server it loads.
 */
import { plainInitial, ScramClient, type Mechanism } from "./scram.js";
import { TcpWire, WebSocketWire, type Wire } from "./wire.js";

export interface Endpoint {
  host: string;
  port: number;
  /** none: plain TCP; direct: TLS from the first byte (XEP-0368); starttls: upgrade with STARTTLS. */
  security: "none" | "direct" | "starttls";
}

/** XMPP over WebSocket (RFC 7395), e.g. ws://127.0.0.1:5280/xmpp-websocket (plain ws:// on loopback). */
export interface WebSocketEndpoint {
  url: string;
}

export type AnyEndpoint = Endpoint | WebSocketEndpoint;

export interface Account { username: string; domain: string; password: string }

export interface LoginOptions {
  endpoint: AnyEndpoint;
  account: Account;
  mechanism: Mechanism;
  resource: string;
  /** Send initial presence (and wait until the server has processed it). Default true. */
  presence?: boolean;
  timeoutMs?: number;
}

const NS_STREAM = "http://etherx.jabber.org/streams";
const NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
const header = (domain: string) =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='${NS_STREAM}' to='${domain}' version='1.0'>`;
/** RFC 7395 §3.4: the stream is opened (and restarted) with <open/>. */
const openFrame = (domain: string) => `<open xmlns='${NS_FRAMING}' to='${domain}' version='1.0'/>`;

/** <stream:features/>; over WebSocket a server may also write it unprefixed, <features xmlns='...streams'/>. */
const RE_FEATURES = /<(stream:features|features)\b[^>]*?(?:\/>|>([\s\S]*?)<\/\1>)/;
const RE_SASL = /<(success|challenge|failure)\b[^>]*?(?:\/>|>([\s\S]*?)<\/\1>)/;
const RE_TLS = /<(proceed|failure)\b[^>]*?(?:\/>|>[\s\S]*?<\/\1>)/;
const RE_STREAM_ERROR = /<stream:error\b[^>]*>([\s\S]*?)<\/stream:error>/;
const iqRe = (id: string) => new RegExp(`<iq\\b[^>]*?\\bid=['"]${id}['"][^>]*?(?:/>|>[\\s\\S]*?</iq>)`);

export class XmppError extends Error {}

interface Waiter { re: RegExp; resolve: (m: RegExpExecArray) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }

/** Opened by `XmppConn.login` or `XmppConn.register`; after that, `stream()` gives the raw text. */
export class XmppConn {
  private buf = "";
  private waiter: Waiter | null = null;
  private handler: ((text: string) => void) | null = null;
  private closedResolve!: () => void;
  /** Resolves when the connection is closed, whoever closed it. */
  readonly closed: Promise<void>;
  isClosed = false;
  /** The full JID the server bound. */
  jid = "";

  private constructor(private readonly wire: Wire, private readonly timeoutMs: number) {
    this.closed = new Promise((r) => { this.closedResolve = r; });
    wire.events = { data: this.onData, error: this.onError, close: this.onClose };
  }

  /** Over WebSocket (RFC 7395 framing). */
  get framed(): boolean {
    return this.wire.framed;
  }

  private onData = (text: string): void => {
    if (this.handler) return this.handler(text);
    this.buf += text;
    this.check();
  };

  private onError = (err: Error): void => { this.fail(new XmppError(err.message)); };

  private onClose = (): void => {
    this.isClosed = true;
    this.fail(new XmppError("connection closed by the server"));
    this.closedResolve();
  };

  private fail(err: Error): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = null;
    clearTimeout(w.timer);
    w.reject(err);
  }

  private check(): void {
    const w = this.waiter;
    if (!w) return;
    const m = w.re.exec(this.buf);
    if (m) {
      this.buf = this.buf.slice(m.index + m[0].length);
      this.waiter = null;
      clearTimeout(w.timer);
      w.resolve(m);
      return;
    }
    const e = RE_STREAM_ERROR.exec(this.buf);
    if (e) this.fail(new XmppError(`stream error: ${e[1]!.replace(/<text[\s\S]*/, "").replace(/\s*xmlns=['"][^'"]*['"]/g, "")}`));
  }

  /** Wait until the text received matches `re`; consumes the text up to the end of the match. */
  private expect(re: RegExp, what: string): Promise<RegExpExecArray> {
    if (this.isClosed) return Promise.reject(new XmppError(`connection closed while waiting for ${what}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new XmppError(`timeout waiting for ${what}`)), this.timeoutMs);
      this.waiter = { re, resolve, reject, timer };
      this.check();
    });
  }

  /** Text to send: over WebSocket it must be exactly one element (RFC 7395 §3.3.3); see writeEach. */
  write(data: string): void {
    if (!this.isClosed) this.wire.write(data);
  }

  /** Several elements in one go (one write over TCP, one WebSocket message each over WebSocket). */
  writeEach(elements: readonly string[]): void {
    if (!this.isClosed) this.wire.writeEach(elements);
  }

  static async connect(endpoint: AnyEndpoint, domain: string, timeoutMs = 30_000): Promise<XmppConn> {
    try {
      const wire = "url" in endpoint
        ? await WebSocketWire.connect(endpoint.url, timeoutMs)
        : await TcpWire.connect({ host: endpoint.host, port: endpoint.port, directTls: endpoint.security === "direct", servername: domain }, timeoutMs);
      return new XmppConn(wire, timeoutMs);
    } catch (err) {
      throw new XmppError((err as Error).message);
    }
  }

  /** Open (or restart) the stream; returns the inner text of <stream:features/>. */
  async openStream(domain: string): Promise<string> {
    this.write(this.wire.framed ? openFrame(domain) : header(domain));
    const m = await this.expect(RE_FEATURES, "stream features");
    return m[2] ?? "";
  }

  /** RFC 6120 §5.4: STARTTLS, then a new stream over TLS. Returns the new features. */
  async startTls(domain: string): Promise<string> {
    if (!(this.wire instanceof TcpWire)) throw new XmppError("STARTTLS is for TCP streams");
    this.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    const m = await this.expect(RE_TLS, "STARTTLS proceed");
    if (m[1] !== "proceed") throw new XmppError("STARTTLS refused");
    this.buf = "";
    await this.wire.startTls(domain);
    return this.openStream(domain);
  }

  /** RFC 6120 §6: authenticate with one mechanism. Throws on failure. */
  async authenticate(mechanism: Mechanism, account: Account, features: string): Promise<void> {
    if (!features.includes(`>${mechanism}<`)) throw new XmppError(`mechanism ${mechanism} not offered`);
    const ns = "urn:ietf:params:xml:ns:xmpp-sasl";
    if (mechanism === "PLAIN") {
      this.write(`<auth xmlns='${ns}' mechanism='PLAIN'>${plainInitial(account.username, account.password)}</auth>`);
      const m = await this.expect(RE_SASL, "SASL outcome");
      if (m[1] !== "success") throw new XmppError(`PLAIN failed: ${m[0]}`);
      return;
    }
    const scram = new ScramClient(mechanism, account.username, account.password);
    this.write(`<auth xmlns='${ns}' mechanism='${mechanism}'>${scram.first()}</auth>`);
    const challenge = await this.expect(RE_SASL, "SCRAM challenge");
    if (challenge[1] !== "challenge") throw new XmppError(`${mechanism} failed: ${challenge[0]}`);
    this.write(`<response xmlns='${ns}'>${await scram.final(challenge[2] ?? "")}</response>`);
    let outcome = await this.expect(RE_SASL, "SCRAM outcome");
    let serverFinal = outcome[2] ?? "";
    if (outcome[1] === "challenge") {
      // RFC 6120 §6.3.10 allows the server-final-message in a challenge, answered with an empty response.
      serverFinal = outcome[2] ?? "";
      this.write(`<response xmlns='${ns}'/>`);
      outcome = await this.expect(RE_SASL, "SCRAM outcome");
    }
    if (outcome[1] !== "success") throw new XmppError(`${mechanism} failed: ${outcome[0]}`);
    if (!scram.verify(serverFinal)) throw new XmppError(`${mechanism}: the server's signature is wrong`);
  }

  /** Wait for the answer to the IQ with this id; returns its start tag and whether it is a result. */
  async iqResult(id: string): Promise<{ ok: boolean; text: string }> {
    const m = await this.expect(iqRe(id), `iq ${id}`);
    const start = m[0].slice(0, m[0].indexOf(">"));
    return { ok: /\btype=['"]result['"]/.test(start), text: m[0] };
  }

  /** RFC 6120 §7: bind a resource; also the RFC 3921 session IQ when the server requires it. */
  async bind(resource: string, features: string): Promise<string> {
    this.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const r = await this.iqResult("bind");
    if (!r.ok) throw new XmppError(`bind failed: ${r.text}`);
    this.jid = /<jid>([^<]+)<\/jid>/.exec(r.text)?.[1] ?? "";
    const session = /<session\b[^>]*urn:ietf:params:xml:ns:xmpp-session[^>]*?(?:\/>|>([\s\S]*?)<\/session>)/.exec(features);
    if (session && !(session[1] ?? "").includes("optional")) {
      this.write("<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
      if (!(await this.iqResult("sess")).ok) throw new XmppError("session establishment failed");
    }
    return this.jid;
  }

  /**
   * Initial presence, then an XEP-0199 ping to the server: its answer proves the presence was processed
   * (a server handles one stream's stanzas in order), whatever the server sends back for presence.
   */
  async initialPresence(domain: string): Promise<void> {
    this.writeEach(["<presence/>", `<iq type='get' id='ping' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`]);
    await this.iqResult("ping");
  }

  /** Connect, authenticate, bind, send initial presence. */
  static async login(o: LoginOptions): Promise<XmppConn> {
    const { endpoint, account } = o;
    const conn = await XmppConn.connect(endpoint, account.domain, o.timeoutMs);
    try {
      let features = await conn.openStream(account.domain);
      if ("security" in endpoint && endpoint.security === "starttls") features = await conn.startTls(account.domain);
      await conn.authenticate(o.mechanism, account, features);
      features = await conn.openStream(account.domain);
      await conn.bind(o.resource, features);
      if (o.presence !== false) await conn.initialPresence(account.domain);
      return conn;
    } catch (err) {
      conn.destroy();
      throw err;
    }
  }

  /**
   * XEP-0077 §3.1: register an account in-band on a new stream, then close it. Returns "ok", "conflict"
   * (already registered) or throws with the server's error.
   */
  static async register(endpoint: AnyEndpoint, account: Account, timeoutMs?: number): Promise<"ok" | "conflict"> {
    const conn = await XmppConn.connect(endpoint, account.domain, timeoutMs);
    try {
      let features = await conn.openStream(account.domain);
      if ("security" in endpoint && endpoint.security === "starttls") features = await conn.startTls(account.domain);
      if (!features.includes("jabber.org/features/iq-register")) throw new XmppError("in-band registration not offered");
      conn.write(`<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>${account.username}</username><password>${account.password}</password></query></iq>`);
      const r = await conn.iqResult("reg");
      await conn.close();
      if (r.ok) return "ok";
      if (r.text.includes("<conflict")) return "conflict";
      throw new XmppError(`registration refused: ${r.text}`);
    } catch (err) {
      conn.destroy();
      throw err;
    }
  }

  /**
   * Hand every byte received from now on to `handler` (as latin1 text), including what was already
   * buffered. For the measured phase: no regular expressions, no buffering.
   */
  stream(handler: (text: string) => void): void {
    this.handler = handler;
    const rest = this.buf;
    this.buf = "";
    if (rest) handler(rest);
  }

  /**
   * RFC 6120 §4.4: close our stream and wait (bounded) for the server to close the connection. Over WebSocket
   * (RFC 7395 §3.6): <close/>, the server answers <close/>, then the WebSocket closing handshake.
   */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.isClosed) return;
    const [mine, theirs] = this.wire.framed ? [`<close xmlns='${NS_FRAMING}'/>`, "<close"] : ["</stream:stream>", "</stream:stream>"];
    this.handler = (text) => { if (text.includes(theirs)) this.wire.end(); };
    this.wire.write(mine);
    const timer = setTimeout(() => this.wire.destroy(), timeoutMs);
    await this.closed;
    clearTimeout(timer);
  }

  destroy(): void {
    this.wire.destroy();
  }
}
