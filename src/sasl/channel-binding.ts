/**
 * TLS channel binding for SCRAM-*-PLUS: tls-exporter (RFC 9266), tls-unique (RFC 5929 §3, TLS 1.2 only) and
 * tls-server-end-point (RFC 5929 §4), and
 * their announcement as a stream feature (XEP-0440).
 */
import { createHash } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { xml } from "@xmpp/xml";
import type { Element } from "ltx";
import { certificateSignatureHash } from "./cert-signature.js";
import type { ChannelBinding, ChannelBindingType, SaslContext } from "./types.js";

export const NS_SASL_CB = "urn:xmpp:sasl-cb:0";

/** RFC 9266 §2: label "EXPORTER-Channel-Binding", a zero-length context, 32 bytes. */
export const EXPORTER_LABEL = "EXPORTER-Channel-Binding";
export const EXPORTER_BYTES = 32;
const EMPTY_CONTEXT = Buffer.alloc(0);

/**
 * RFC 5929 §4.1: the hash of the server certificate exactly as sent, with the hash of its signature algorithm,
 * except that MD5 and SHA-1 are replaced by SHA-256. Null when the binding is undefined for this certificate
 * (a signature with no single hash, such as Ed25519).
 */
export function tlsServerEndPoint(certificateDer: Uint8Array): Buffer | null {
  const signatureHash = certificateSignatureHash(certificateDer);
  if (!signatureHash) return null;
  const hash = signatureHash === "md5" || signatureHash === "sha1" ? "sha256" : signatureHash;
  try {
    return createHash(hash).update(certificateDer).digest();
  } catch {
    return null; // a hash this Node build lacks
  }
}

const bindings = new WeakMap<TLSSocket, ChannelBinding>();

/**
 * The channel binding data of the server end of an established TLS connection. tls-exporter is offered only on
 * TLS 1.3, where exported keying material is unique to the connection (RFC 9266 §2 and §4.2 need the extended
 * master secret before 1.3, which Node does not report); tls-server-end-point whenever the local certificate's
 * signature names a single hash. Computed once per socket, after the handshake.
 *
 * Node passes "no context" to OpenSSL when the context argument is omitted and "a zero-length context" when it
 * is an empty buffer. RFC 9266 §2 asks for the latter; on TLS 1.3 both give the same bytes (RFC 8446 §7.5), but
 * the empty buffer is passed explicitly so the value matches the RFC on any version.
 */
export function channelBindingFor(socket: TLSSocket): ChannelBinding {
  const known = bindings.get(socket);
  if (known) return known;
  const values = new Map<ChannelBindingType, Buffer>();
  const protocol = socket.getProtocol();
  if (protocol === "TLSv1.3") {
    try {
      values.set("tls-exporter", socket.exportKeyingMaterial(EXPORTER_BYTES, EXPORTER_LABEL, EMPTY_CONTEXT));
    } catch {
      // The socket closed or the handshake has not finished: there is nothing to bind to.
    }
  }
  if (protocol === "TLSv1.2") {
    // RFC 5929 §3.1: the first Finished message of the latest handshake: the client's in a full handshake,
    // the server's in an abbreviated (resumed) one. Undefined for TLS 1.3 (RFC 9266 §3), so never offered
    // there. Clients that know only tls-unique (slixmpp 1.8, older Gajim) get channel binding on TLS 1.2.
    const first = socket.isSessionReused() ? socket.getFinished() : socket.getPeerFinished();
    if (first && first.length > 0) values.set("tls-unique", first);
  }
  const certificate = socket.getCertificate();
  if (certificate && "raw" in certificate && Buffer.isBuffer(certificate.raw)) {
    const endPoint = tlsServerEndPoint(certificate.raw);
    if (endPoint) values.set("tls-server-end-point", endPoint);
  }
  const binding: ChannelBinding = {
    types: Object.freeze([...values.keys()]),
    data: (type) => {
      const value = values.get(type);
      return value ? Buffer.from(value) : null;
    },
  };
  // Before the handshake there is no protocol; do not remember an empty answer.
  if (protocol) bindings.set(socket, binding);
  return binding;
}

/** Whether this stream offers channel binding, hence the -PLUS mechanisms (RFC 5802 §6). */
export function offersChannelBinding(ctx: Pick<SaslContext, "secure" | "channelBinding">): boolean {
  return ctx.secure && ctx.channelBinding !== null && ctx.channelBinding.types.length > 0;
}

/**
 * XEP-0440 §3 stream feature listing the channel binding types of this connection, offered beside the SASL
 * <mechanisms/>; null when there are none.
 */
export function channelBindingFeature(cb: ChannelBinding | null): Element | null {
  if (!cb || cb.types.length === 0) return null;
  return xml("sasl-channel-binding", { xmlns: NS_SASL_CB },
    ...cb.types.map((type) => xml("channel-binding", { type })));
}
