/**
 * What the runner needs from a server under test. One adapter per server (palaver.ts, prosody.ts,
 * ejabberd.ts); a new reference server is a new file implementing `ServerAdapter` plus a line in index.ts.
 */
import type { Endpoint } from "../client/conn.js";
import type { Mechanism } from "../client/scram.js";

export interface StartOptions {
  /** A fresh directory of its own: config, data, logs. */
  dir: string;
  /** A self-signed ECDSA P-256 certificate for "localhost" and "*.localhost", shared by every server of the run. */
  cert: { certFile: string; keyFile: string; pemFile: string };
  log: (msg: string) => void;
  /** Extra options from the command line, e.g. node flags for Palaver. */
  extra: Record<string, string | boolean>;
}

/**
 * Capabilities a scenario may require (`Scenario.requires`). Today: "ibr", "direct-tls", "sasl:PLAIN",
 * "sasl:SCRAM-SHA-1", "sasl:SCRAM-SHA-256". Scenarios added
 * later declare theirs ("muc", "websocket", "mam", "roster", ...) and adapters list what they support.
 */
export type Capability = string;

export interface RunningServer {
  name: string;
  version: string;
  /** The process whose tree is measured. */
  pid: number;
  /** Plain TCP c2s allowing PLAIN and SCRAM without TLS (loopback only). */
  tcp: Endpoint;
  /** TLS c2s: Direct TLS (XEP-0368) when the server has it, else STARTTLS. */
  tls: Endpoint;
  /** The domain to use for accounts logging in with `mechanism` (ejabberd keeps one SCRAM hash per host). */
  domainFor(mechanism?: Mechanism): string;
  /**
   * What the server offers. Adapters list what they know (e.g. "direct-tls"); the runner adds what it
   * finds in the stream features on the TCP port: "ibr" and "sasl:<MECHANISM>" (on `domainFor(mechanism)`).
   */
  capabilities: Set<Capability>;
  /** Endpoints and addresses for later scenarios (e.g. "websocket" -> URL, "muc" -> service domain). */
  extra: Record<string, string>;
  /** The server's own log, last lines (for error messages). */
  logTail(): string;
  stop(): Promise<void>;
}

export interface ServerAdapter {
  name: string;
  /** Installed version, or null when the server is not installed. */
  version(): string | null;
  /** Debian package that provides it (installed with apt-get when missing and running as root). */
  debianPackage: string | null;
  start(opts: StartOptions): Promise<RunningServer>;
}
