import type { Element } from "ltx";
import { xml } from "@xmpp/xml";
import { z } from "zod";
import { Jid, prepLocal } from "../../src/jid.js";
import { defineModule, type StreamContext } from "../../src/modules.js";
import { StanzaError } from "../../src/xml/stanza-error.js";

const NS = "jabber:iq:register";
const NS_FEATURE = "http://jabber.org/features/iq-register";

/**
 * XEP-0077 In-Band Registration: new accounts before authentication on the hosts listed in `open` (§3.1),
 * and, for every logged-in user, password change (§3.3) and account removal (§3.2).
 */
export default defineModule({
  id: "register",
  xeps: [{ xep: 77, version: "2.4", status: "complete", note: "registration of new accounts only on hosts listed in `open`" }],
  config: z.strictObject({
    /** Hosts where anyone may create an account in-band. Off everywhere by default. */
    open: z.array(z.string()).default([]),
    /** Seconds between two registrations from one IP address (against mass sign-ups). */
    minIntervalPerIp: z.number().min(0).default(60),
    instructions: z.string().default("Choose a username and password for use with this service."),
  }),
  disco: { features: [NS] },
  setup(api) {
    const open = new Set(api.config.open);
    const lastByIp = new Map<string, number>();
    // §4: tell clients before authentication that registration is possible here (only on open hosts).
    api.streamFeature({ stage: "pre-auth", offer: (ctx) => open.has(ctx.host) ? xml("register", { xmlns: NS_FEATURE }) : null });

    const form = (registered?: string) => xml("query", { xmlns: NS },
      registered ? xml("registered") : null,
      registered ? null : xml("instructions", null, api.config.instructions),
      xml("username", null, registered ?? null),
      xml("password"),
    );

    // §3.1: before authentication, only on open hosts.
    api.preAuthIq("get", NS, "query", (ctx) => open.has(ctx.host) ? form() : new StanzaError("not-allowed", "registration is closed on this server"));
    api.preAuthIq("set", NS, "query", (ctx, payload) => register(ctx, payload));

    async function register(ctx: StreamContext, payload: Element) {
      if (!open.has(ctx.host)) return new StanzaError("not-allowed", "registration is closed on this server");
      if (payload.getChild("remove")) return new StanzaError("not-authorized", "log in to remove an account");
      const username = payload.getChildText("username");
      const password = payload.getChildText("password");
      if (!username || !password) return new StanzaError("not-acceptable", "a username and a password are required");
      const local = prepLocal(username);
      if (!local.ok) return new StanzaError("not-acceptable", `invalid username: ${local.error}`);
      const now = Date.now();
      const last = lastByIp.get(ctx.ip);
      if (last !== undefined && now - last < api.config.minIntervalPerIp * 1000) {
        return new StanzaError("resource-constraint", "too many registrations from your address; try again later", "wait");
      }
      const r = await api.accounts.create(Jid.ofPrepared(local.value, ctx.host), password);
      if (!r.ok) {
        if (r.error === "conflict") return new StanzaError("conflict", "that username is taken");
        return new StanzaError("not-acceptable", r.error === "bad-password" ? "that password cannot be used" : "invalid username");
      }
      lastByIp.set(ctx.ip, now);
      if (lastByIp.size > 10_000) for (const [ip, t] of lastByIp) if (now - t > api.config.minIntervalPerIp * 1000) lastByIp.delete(ip);
      api.log.info("account registered in-band", { jid: `${local.value}@${ctx.host}`, ip: ctx.ip });
      return null;
    }

    // After authentication: to the server, or with no `to` (which addresses the account itself).
    for (const to of ["host", "bare"] as const) {
      api.iq("get", NS, "query", ({ from, to: target }) => {
        if (to === "bare" && from.bare !== target.bare) return new StanzaError("service-unavailable");
        return form(from.local);
      }, { to });

      api.iq("set", NS, "query", async ({ payload, from, to: target }) => {
        if (to === "bare" && from.bare !== target.bare) return new StanzaError("service-unavailable");
        if (to === "host" && target.domain !== from.domain) return new StanzaError("not-allowed");
        const account = from.toBare();
        if (payload.getChild("remove")) {
          // §3.2: remove the account, answer, then end its sessions.
          if (!(await api.accounts.delete(account))) return new StanzaError("item-not-found");
          api.log.info("account removed in-band", { jid: account.bare });
          setImmediate(() => {
            for (const s of api.sessions.resources(account.bare)) s.close("not-authorized", "the account was removed");
          });
          return null;
        }
        const username = payload.getChildText("username");
        const password = payload.getChildText("password");
        if (!password) return new StanzaError("bad-request", "a password is required");
        // §3.3: the username, when given, must be the account's own.
        if (username !== null) {
          const local = prepLocal(username);
          if (!local.ok || local.value !== account.local) return new StanzaError("not-authorized", "you can only change your own password");
        }
        const r = await api.accounts.setPassword(account, password);
        if (!r.ok) return new StanzaError(r.error === "bad-password" ? "not-acceptable" : "item-not-found");
        api.log.info("password changed in-band", { jid: account.bare });
        return null;
      }, { to });
    }
  },
});
