/**
 * Options for server-side TLS: `tls.createServer(opts)` for Direct TLS (XEP-0368) and
 * `new tls.TLSSocket(socket, { isServer: true, ...opts })` for STARTTLS (RFC 6120 §5). TLS 1.2 at least
 * (RFC 7590 §3.1), the certificate chosen by SNI.
 */
import type { CommonConnectionOptions, SecureContextOptions } from "node:tls";
import type { CertificateStore } from "./store.js";

/** XEP-0368 §4: the ALPN protocol id of client-to-server XMPP over Direct TLS. */
export const ALPN_XMPP_CLIENT = "xmpp-client";

/** Assignable both to `tls.TlsOptions` and to `tls.TLSSocketOptions`. */
export type ServerTlsOptions = SecureContextOptions & CommonConnectionOptions;

/**
 * Built from the store's current contexts, so call it again after `store.reload()` (and, for a running
 * `tls.Server`, pass the result to `server.setSecureContext()` so clients without SNI get the new default too).
 */
export function tlsServerOptions(store: CertificateStore, alpn?: readonly string[]): ServerTlsOptions {
  const { cert, key } = store.defaultPem();
  return {
    cert,
    key,
    secureContext: store.defaultContext(),
    SNICallback: store.sniCallback,
    minVersion: "TLSv1.2",
    ...(alpn && alpn.length > 0 ? { ALPNProtocols: [...alpn] } : {}),
  };
}
