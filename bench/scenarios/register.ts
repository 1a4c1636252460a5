/**
 * In-band registration (XEP-0077 §3.1): new connections each registering one new account over plain TCP,
 * a few at a time. Measured: server CPU per registration (the stream, the key derivation, the write).
 */
import { XmppConn } from "../client/conn.js";
import { describeErrors, openMany, timeouts } from "../client/open.js";
import type { Scenario } from "./types.js";

export const register: Scenario = {
  id: "register",
  title: "In-band registration",
  description: "Each of `count` new TCP connections registers one new account (XEP-0077), `concurrency` at a time; server CPU per registration.",
  requires: ["ibr"],
  options: {
    count: { default: 500, quick: 30, help: "registrations" },
    concurrency: { default: 8, help: "registrations in flight" },
  },
  timeoutSeconds: (o) => 60 + o.count! * 0.05,

  async run(ctx) {
    const { count, concurrency } = ctx.opt as { count: number; concurrency: number };
    const rssBefore = ctx.rssKiB();
    const m = ctx.meter();
    const r = await openMany(count, { rate: Infinity, concurrency }, (i) =>
      XmppConn.register(ctx.server.tcp, { username: `reg${i}`, domain: "localhost", password: `pw-reg${i}` }).then((res) => {
        if (res !== "ok") throw new Error("account already exists");
      }));
    const p = m.stop();
    const ok = count - r.failures;
    return {
      metrics: [
        { id: "cpu_per_registration_ms", label: "server CPU per registration", value: p.serverCpuMs / ok, unit: "ms", kind: "cpu", headline: true },
        { id: "registrations_per_s", label: "registrations per second", value: ok / (p.wallMs / 1000), unit: "/s", kind: "wall" },
        { id: "client_cpu_per_registration_ms", label: "load generator CPU per registration", value: p.clientCpuMs / ok, unit: "ms", kind: "client" },
        { id: "rss_before_mib", label: "server RSS before", value: rssBefore / 1024, unit: "MiB", kind: "memory" },
        { id: "rss_after_mib", label: "server RSS after", value: ctx.rssKiB() / 1024, unit: "MiB", kind: "memory" },
      ],
      lost: timeouts(r.errors),
      errors: r.failures,
      notes: r.failures ? [describeErrors(r.errors)] : [],
    };
  },
};
