// Types for the parts of the sasl-scram-sha-1 client (npm; it ships none) that the cross-check test uses.
declare module "sasl-scram-sha-1" {
  interface Credentials { username?: string; password?: string; authzid?: string }
  class ScramSha1 {
    constructor(options?: { genNonce?: () => string });
    readonly name: string;
    response(cred: Credentials): string | Promise<string>;
    challenge(chal: string): this;
    /** Set once the client-final message is made: the ServerSignature it expects. */
    _serverSignature?: Uint8Array;
  }
  export default ScramSha1;
}
