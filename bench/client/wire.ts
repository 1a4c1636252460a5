/**
 * What carries a load-generator XMPP stream: a TCP socket (plain, upgraded with STARTTLS, or Direct TLS), or a
 * WebSocket (RFC 7395: subprotocol "xmpp" §3.1, <open/> and <close/> framing §3.3-3.4, one element per message,
 * stanzas qualified with jabber:client §3.3.3). Text is handed on as latin1 (one char per byte): every marker the generator looks for is ASCII.
 *
 * The WebSocket side stays cheap and fair: no permessage-deflate (Prosody and ejabberd do not offer it, and it
 * would cost both ends), masks random as RFC 6455 §5.3 requires (ws skips unmasking a zero mask, which would
 * spare a ws-based server work a browser's frames cost), and several elements sent in one system call.
 */
import net from "node:net";
import tls from "node:tls";
import { WebSocket } from "ws";

export interface WireEvents {
  data(text: string): void;
  error(err: Error): void;
  close(): void;
}

export interface Wire {
  /** RFC 7395 framing: <open/> and <close/> instead of the stream header and </stream:stream>. */
  readonly framed: boolean;
  /** Set by the connection before any byte can arrive. */
  events: WireEvents | null;
  /** One element (over TCP: any text). */
  write(text: string): void;
  /** Several elements: one write over TCP; over WebSocket one message each, flushed in one system call. */
  writeEach(elements: readonly string[]): void;
  /** Start closing: TCP FIN, or the WebSocket closing handshake. */
  end(): void;
  destroy(): void;
}

const RE_STANZA = /^<(message|presence|iq)(?=[\s/>])/;

/**
 * RFC 7395 §3.3.3: without a stream header to declare it, every stanza carries its namespace, jabber:client.
 * The load generator writes stanzas unqualified (TCP streams declare the default namespace once).
 */
export function qualify(element: string): string {
  const m = RE_STANZA.exec(element);
  if (!m) return element;
  const end = element.indexOf(">");
  if (element.lastIndexOf("xmlns=", end) !== -1) return element;
  return `<${m[1]} xmlns='jabber:client'${element.slice(m[0].length)}`;
}

const code = (err: Error) => (err as NodeJS.ErrnoException).code ?? err.message;

export class TcpWire implements Wire {
  readonly framed = false;
  events: WireEvents | null = null;

  private constructor(private socket: net.Socket) {
    this.attach(socket);
  }

  /** Plain TCP, or TLS from the first byte (XEP-0368, ALPN "xmpp-client"). */
  static connect(o: { host: string; port: number; directTls: boolean; servername: string }, timeoutMs: number): Promise<TcpWire> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { socket.destroy(); reject(new Error("timeout connecting")); }, timeoutMs);
      const done = () => { clearTimeout(timer); socket.off("error", failed); resolve(new TcpWire(socket)); };
      const failed = (err: Error) => { clearTimeout(timer); reject(new Error(`connect: ${code(err)}`)); };
      const socket: net.Socket = o.directTls
        ? tls.connect({ host: o.host, port: o.port, servername: o.servername, rejectUnauthorized: false, ALPNProtocols: ["xmpp-client"] }, done)
        : net.connect({ host: o.host, port: o.port }, done);
      socket.setNoDelay(true);
      socket.once("error", failed);
    });
  }

  private onData = (text: string) => this.events?.data(text);
  private onError = (err: Error) => this.events?.error(new Error(`socket: ${code(err)}`));
  private onClose = () => this.events?.close();

  private attach(socket: net.Socket): void {
    socket.setEncoding("latin1");
    socket.on("data", this.onData);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  private detach(socket: net.Socket): void {
    socket.off("data", this.onData);
    socket.off("error", this.onError);
    socket.off("close", this.onClose);
  }

  /** RFC 6120 §5.4.3.3: TLS over the same connection, after <proceed/>. */
  async startTls(servername: string): Promise<void> {
    const plain = this.socket;
    this.detach(plain);
    this.socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: plain, servername, rejectUnauthorized: false }, () => { s.off("error", reject); resolve(s); });
      s.once("error", reject);
    });
    this.attach(this.socket);
  }

  write(text: string): void {
    this.socket.write(text);
  }

  writeEach(elements: readonly string[]): void {
    this.socket.write(elements.length === 1 ? elements[0]! : elements.join(""));
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class WebSocketWire implements Wire {
  readonly framed = true;
  events: WireEvents | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => this.events?.data(data.toString("latin1")));
    ws.on("error", (err) => this.events?.error(new Error(`websocket: ${code(err)}`)));
    ws.on("close", () => this.events?.close());
  }

  static connect(url: string, timeoutMs: number): Promise<WebSocketWire> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, "xmpp", { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const failed = (err: Error) => { ws.off("open", opened); reject(new Error(`websocket connect: ${code(err)}`)); };
      const opened = () => {
        ws.off("error", failed);
        if (ws.protocol !== "xmpp") {
          ws.terminate();
          reject(new Error(`websocket: the server chose subprotocol "${ws.protocol}", not "xmpp" (RFC 7395 §3.1)`));
          return;
        }
        // Nagle's algorithm off, as on the TCP connections.
        (ws as unknown as { _socket?: net.Socket })._socket?.setNoDelay(true);
        resolve(new WebSocketWire(ws));
      };
      ws.once("error", failed);
      ws.once("open", opened);
    });
  }

  write(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(qualify(text));
  }

  writeEach(elements: readonly string[]): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // ws corks the socket per message; an outer cork (the count nests) makes the whole batch one writev.
    const socket = (this.ws as unknown as { _socket?: net.Socket })._socket;
    socket?.cork();
    for (const e of elements) this.ws.send(qualify(e));
    socket?.uncork();
  }

  end(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }
}
