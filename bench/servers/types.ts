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
  /**
   * Optional features to turn on for this start, among the adapter's `features` (e.g. "mam"): the scenarios
   * about to run need them. Anything not asked for stays off, so it weighs on no other scenario.
   */
  features: ReadonlySet<Capability>;
}

/**
 * Capabilities a scenario may require (`Scenario.requires`): "ibr", "direct-tls", "sasl:PLAIN", "sasl:SCRAM-SHA-1",
 * "sasl:SCRAM-SHA-256" (probed from the stream features), "roster", "muc" (service domain in `extra.muc`),
 * "websocket" (URL in `extra.websocket`), and "mam", which an adapter turns on only when asked
 * (`ServerAdapter.features`, `StartOptions.features`).
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
  /** Endpoints and addresses for scenarios ("websocket" -> URL, "muc" -> service domain). */
  extra: Record<string, string>;
  /** How this server is set up where it differs from the others (e.g. a storage it could not use): goes into the report. */
  notes: string[];
  /** The server's own log, last lines (for error messages). */
  logTail(): string;
  stop(): Promise<void>;
}

export interface ServerAdapter {
  name: string;
  /** Installed version, or null when the server is not installed. */
  version(): string | null;
  /**
   * Debian packages it needs: the server first, then what its configuration here uses (e.g. a SQLite driver).
   * The runner installs the missing ones with apt-get when running as root.
   */
  debianPackages: string[];
  /**
   * Capabilities that change what every scenario measures (message archiving adds work to every chat message),
   * so the server runs them only when a scenario requires them: the runner restarts it with the features the
   * next scenario needs (`StartOptions.features`).
   */
  features: Capability[];
  start(opts: StartOptions): Promise<RunningServer>;
}
