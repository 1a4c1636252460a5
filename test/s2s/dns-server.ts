/**
 * A minimal authoritative DNS server over UDP (RFC 1035 §4; SRV RDATA per RFC 2782; AAAA per RFC 3596) for
 * federation tests on machines without DNS: it answers SRV, A and AAAA questions from a small zone, NXDOMAIN for
 * names it does not know, and an empty answer for known names without that type. Both Palaver (s2s.dnsServers)
 * and Prosody (libunbound forwarding) resolve the test domains through it, so SRV discovery runs for real.
 */
import dgram from "node:dgram";
import net from "node:net";

export interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  SRV?: { priority: number; weight: number; port: number; target: string }[];
}

const TYPES = { A: 1, AAAA: 28, SRV: 33 } as const;

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, "").split(".").filter((l) => l.length > 0);
  return Buffer.concat([...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")])), Buffer.from([0])]);
}

/** The question's name and where the question ends, or null for a packet this server does not understand. */
function readQuestion(msg: Buffer): { name: string; type: number; end: number } | null {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return null;
  let i = 12;
  const labels: string[] = [];
  while (i < msg.length) {
    const len = msg[i]!;
    if (len === 0) { i++; break; }
    if (len > 63) return null; // no compression in questions
    labels.push(msg.subarray(i + 1, i + 1 + len).toString("ascii"));
    i += 1 + len;
  }
  if (i + 4 > msg.length) return null;
  return { name: labels.join(".").toLowerCase(), type: msg.readUInt16BE(i), end: i + 4 };
}

function rr(type: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // a pointer to the question's name
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(60, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, ""];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

export function answer(msg: Buffer, zone: ReadonlyMap<string, ZoneEntry>): Buffer | null {
  const q = readQuestion(msg);
  if (!q) return null;
  const entry = zone.get(q.name);
  // An ancestor of a zone name exists too (an empty non-terminal, RFC 8020 §2): resolvers that minimise query
  // names (RFC 9156, libunbound) ask for "test." first and stop at an NXDOMAIN.
  const exists = entry !== undefined || q.name === "" || [...zone.keys()].some((n) => n.endsWith(`.${q.name}`));
  const answers: Buffer[] = [];
  if (entry) {
    if (q.type === TYPES.A) for (const ip of entry.A ?? []) answers.push(rr(TYPES.A, Buffer.from(ip.split(".").map(Number))));
    if (q.type === TYPES.AAAA) for (const ip of entry.AAAA ?? []) answers.push(rr(TYPES.AAAA, ipv6Bytes(ip)));
    if (q.type === TYPES.SRV) {
      for (const s of entry.SRV ?? []) {
        const fixed = Buffer.alloc(6);
        fixed.writeUInt16BE(s.priority, 0);
        fixed.writeUInt16BE(s.weight, 2);
        fixed.writeUInt16BE(s.port, 4);
        answers.push(rr(TYPES.SRV, Buffer.concat([fixed, encodeName(s.target)])));
      }
    }
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0);
  // QR, the query's opcode and RD, AA and RA; RCODE 3 (NXDOMAIN) for unknown names.
  const flags = 0x8000 | (msg.readUInt16BE(2) & 0x7900) | 0x0400 | 0x0080 | (exists ? 0 : 3);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, msg.subarray(12, q.end), ...answers]);
}

export class TestDns {
  readonly zone = new Map<string, ZoneEntry>();
  private constructor(private readonly socket: dgram.Socket, readonly port: number) {}

  static start(): Promise<TestDns> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket("udp4");
      socket.once("error", reject);
      socket.bind(0, "127.0.0.1", () => {
        const dns = new TestDns(socket, socket.address().port);
        socket.on("message", (msg, from) => {
          const reply = answer(msg, dns.zone);
          if (reply) socket.send(reply, from.port, from.address);
        });
        resolve(dns);
      });
    });
  }

  /**
   * `_xmpp-server._tcp.<domain>` pointing at host:port (and `_xmpps-server._tcp.<domain>` at a Direct TLS port,
   * preferred, XEP-0368), with an address record for the host name.
   */
  server(domain: string, host: string, address: string, port: number, directTlsPort?: number): void {
    this.zone.set(`_xmpp-server._tcp.${domain}`, { SRV: [{ priority: 10, weight: 5, port, target: host }] });
    if (directTlsPort) this.zone.set(`_xmpps-server._tcp.${domain}`, { SRV: [{ priority: 5, weight: 5, port: directTlsPort, target: host }] });
    const entry = this.zone.get(host) ?? {};
    if (net.isIPv4(address)) entry.A = [address];
    else entry.AAAA = [address];
    this.zone.set(host, entry);
  }

  stop(): void {
    this.socket.close();
  }
}
