/**
 * The part of the browser's XMLHttpRequest that Strophe's BOSH transport uses (open, setRequestHeader, send,
 * abort, readyState, status, responseText, responseXML, getAllResponseHeaders, onreadystatechange), on Node's http client,
 * so strophe.js runs its real BOSH code in a test. Each request gets its own connection from a keep-alive
 * agent with no socket limit, as a browser would for concurrent long polls.
 */
import http from "node:http";
import https from "node:https";

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: Infinity }),
  https: new https.Agent({ keepAlive: true, maxSockets: Infinity, rejectUnauthorized: false }),
};

export class NodeXMLHttpRequest {
  static readonly UNSENT = 0;
  static readonly OPENED = 1;
  static readonly HEADERS_RECEIVED = 2;
  static readonly LOADING = 3;
  static readonly DONE = 4;

  readyState = 0;
  status = 0;
  responseText = "";
  /** The parsed response, as a browser gives it for XML (Strophe reads this, not responseText). */
  responseXML: Document | null = null;
  withCredentials = false;
  onreadystatechange: (() => void) | null = null;
  private method = "GET";
  private url = "";
  private headers: Record<string, string> = {};
  private responseHeaders = "";
  private req: http.ClientRequest | null = null;
  private aborted = false;

  overrideMimeType(_type: string): void {}

  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
    this.setState(1);
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  getAllResponseHeaders(): string {
    return this.responseHeaders;
  }

  send(body?: string): void {
    const u = new URL(this.url);
    const secure = u.protocol === "https:";
    const lib = secure ? https : http;
    const req = lib.request(u, { method: this.method, headers: this.headers, agent: secure ? agents.https : agents.http }, (res) => {
      this.status = res.statusCode ?? 0;
      this.responseHeaders = Object.entries(res.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : v}\r\n`).join("");
      this.setState(2);
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        if (this.aborted) return;
        this.responseText = Buffer.concat(chunks).toString("utf8");
        if (this.responseText) {
          // The DOMParser strophe.js installs for Node (from @xmldom/xmldom).
          const Parser = (globalThis as { DOMParser?: typeof DOMParser }).DOMParser;
          this.responseXML = Parser ? new Parser().parseFromString(this.responseText, "text/xml") : null;
        }
        this.setState(4);
      });
    });
    req.on("error", () => {
      if (this.aborted) return;
      this.status = 0;
      this.setState(4);
    });
    this.req = req;
    req.end(body);
  }

  abort(): void {
    this.aborted = true;
    this.req?.destroy();
    this.readyState = 0;
  }

  private setState(state: number): void {
    this.readyState = state;
    this.onreadystatechange?.();
  }
}

/** Make the global XMLHttpRequest this one (strophe.js looks for it there, as in a browser). */
export function installXhr(): void {
  (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = NodeXMLHttpRequest;
}

/** Close idle keep-alive sockets so the test process can exit. */
export function closeXhrAgents(): void {
  agents.http.destroy();
  agents.https.destroy();
}
