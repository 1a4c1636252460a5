/** The TLS layer's public surface. */
export { CertificateStore, certSources, openCertificateStore, type CertInfo, type CertSource } from "./store.js";
export { ensureSelfSigned, createSelfSigned, selfSignedFiles, type SelfSignedResult } from "./self-signed.js";
export { tlsServerOptions, ALPN_XMPP_CLIENT, type ServerTlsOptions } from "./options.js";
export { readCertPair, certCovers, altNames, type CertPair } from "./pem.js";
