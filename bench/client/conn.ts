/**
 * A minimal XMPP client connection for load generation, over raw TCP or TLS (RFC 6120): stream open,
 * STARTTLS (§5) or Direct TLS (XEP-0368), SASL (§6), resource binding (§7), the legacy session IQ when a
 * server says it is not optional (RFC 3921 §3), initial presence (RFC 6121 §4.2), in-band registration
 * (XEP-0077 §3.1) and a clean close (§4.4).
 *
 * No XML parser: during negotiation it looks for the few elements it needs with regular expressions on the
 * text received; once negotiated it hands raw text to a handler that counts what it needs (e.g. occurrences
 * of "</message>"), so the generator costs far less CPU than the server it loads.
 */
import net from "node:net";
import tls from "node:tls";
import { plainInitial, ScramClient, type Mechanism } from "./scram.js";

export interface Endpoint {
  host: string;
  port: number;
  /** none: plain TCP; direct: TLS from the first byte (XEP-0368); starttls: upgrade with STARTTLS. */
  security: "none" | "direct" | "starttls";
}

export interface Account { username: string; domain: string; password: string }

export interface LoginOptions {
  endpoint: Endpoint;
  account: Account;
  mechanism: Mechanism;
  resource: string;
  /** Send initial presence (and wait until the server has processed it). Default true. */
  presence?: boolean;
  timeoutMs?: number;
}

const NS_STREAM = "http://etherx.jabber.org/streams";
const header = (domain: string) =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='${NS_STREAM}' to='${domain}' version='1.0'>`;

const RE_FEATURES = /<stream:features\b[^>]*?(?:\/>|>([\s\S]*?)<\/stream:features>)/;
const RE_SASL = /<(success|challenge|failure)\b[^>]*?(?:\/>|>([\s\S]*?)<\/\1>)/;
const RE_TLS = /<(proceed|failure)\b[^>]*?(?:\/>|>[\s\S]*?<\/\1>)/;
const RE_STREAM_ERROR = /<stream:error>([\s\S]*?)<\/stream:error>/;
const iqRe = (id: string) => new RegExp(`<iq\\b[^>]*?\\bid=['"]${id}['"][^>]*?(?:/>|>[\\s\\S]*?</iq>)`);

export class XmppError extends Error {}

interface Waiter { re: RegExp; resolve: (m: RegExpExecArray) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }

/** Opened by `XmppConn.login` or `XmppConn.register`; after that, `stream()` gives the raw text. */
export class XmppConn {
  private socket: net.Socket;
  private buf = "";
  private waiter: Waiter | null = null;
  private handler: ((text: string) => void) | null = null;
  private closedResolve!: () => void;
  /** Resolves when the socket is closed, whoever closed it. */
  readonly closed: Promise<void>;
  isClosed = false;
  /** The full JID the server bound. */
  jid = "";

  private constructor(socket: net.Socket, private readonly timeoutMs: number) {
    this.socket = socket;
    this.closed = new Promise((r) => { this.closedResolve = r; });
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.setEncoding("latin1"); // one char per byte: cheap, and every marker we look for is ASCII
    socket.on("data", this.onData);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  private detach(socket: net.Socket): void {
    socket.off("data", this.onData);
    socket.off("error", this.onError);
    socket.off("close", this.onClose);
  }

  private onData = (text: string): void => {
    if (this.handler) return this.handler(text);
    this.buf += text;
    this.check();
  };

  private onError = (err: Error): void => { this.fail(new XmppError(`socket: ${(err as NodeJS.ErrnoException).code ?? err.message}`)); };

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

  write(data: string): void {
    if (!this.isClosed) this.socket.write(data);
  }

  static connect(endpoint: Endpoint, domain: string, timeoutMs = 30_000): Promise<XmppConn> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { socket.destroy(); reject(new XmppError("timeout connecting")); }, timeoutMs);
      const done = () => { clearTimeout(timer); socket.off("error", failed); resolve(new XmppConn(socket, timeoutMs)); };
      const failed = (err: Error) => { clearTimeout(timer); reject(new XmppError(`connect: ${(err as NodeJS.ErrnoException).code ?? err.message}`)); };
      const socket: net.Socket = endpoint.security === "direct"
        ? tls.connect({ host: endpoint.host, port: endpoint.port, servername: domain, rejectUnauthorized: false, ALPNProtocols: ["xmpp-client"] }, done)
        : net.connect({ host: endpoint.host, port: endpoint.port }, done);
      socket.setNoDelay(true);
      socket.once("error", failed);
    });
  }

  /** Open (or restart) the stream; returns the inner text of <stream:features/>. */
  async openStream(domain: string): Promise<string> {
    this.write(header(domain));
    const m = await this.expect(RE_FEATURES, "stream features");
    return m[1] ?? "";
  }

  /** RFC 6120 §5.4: STARTTLS, then a new stream over TLS. Returns the new features. */
  async startTls(domain: string): Promise<string> {
    this.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    const m = await this.expect(RE_TLS, "STARTTLS proceed");
    if (m[1] !== "proceed") throw new XmppError("STARTTLS refused");
    const plain = this.socket;
    this.detach(plain);
    this.buf = "";
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: plain, servername: domain, rejectUnauthorized: false }, () => { s.off("error", reject); resolve(s); });
      s.once("error", reject);
    });
    this.socket = secure;
    this.attach(secure);
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
    this.write(`<presence/><iq type='get' id='ping' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await this.iqResult("ping");
  }

  /** Connect, authenticate, bind, send initial presence. */
  static async login(o: LoginOptions): Promise<XmppConn> {
    const { endpoint, account } = o;
    const conn = await XmppConn.connect(endpoint, account.domain, o.timeoutMs);
    try {
      let features = await conn.openStream(account.domain);
      if (endpoint.security === "starttls") features = await conn.startTls(account.domain);
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
  static async register(endpoint: Endpoint, account: Account, timeoutMs?: number): Promise<"ok" | "conflict"> {
    const conn = await XmppConn.connect(endpoint, account.domain, timeoutMs);
    try {
      let features = await conn.openStream(account.domain);
      if (endpoint.security === "starttls") features = await conn.startTls(account.domain);
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

  /** RFC 6120 §4.4: close our stream and wait (bounded) for the server to close the connection. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.isClosed) return;
    this.handler = (text) => { if (text.includes("</stream:stream>")) this.socket.end(); };
    this.socket.write("</stream:stream>");
    const timer = setTimeout(() => this.socket.destroy(), timeoutMs);
    await this.closed;
    clearTimeout(timer);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
