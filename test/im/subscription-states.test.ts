/**
 * RFC 6121 Appendix A, every row of Tables 2-9, transcribed from the RFC: for each state and stanza, whether
 * the server routes (outbound) or delivers (inbound) the stanza, and the new state. Then the pre-approval
 * rules of §3.4 and the auto-replies of A.3.1 / A.3.2.
 */
import test from "ava";
import {
  inbound, outbound, stateName, type StateName, type SubState, type SubscriptionType, type Transition,
} from "../../src/im/subscription-states.js";

const STATES: Record<StateName, SubState> = {
  "None": { subscription: "none", ask: false, pendingIn: false, approved: false },
  "None + Pending Out": { subscription: "none", ask: true, pendingIn: false, approved: false },
  "None + Pending In": { subscription: "none", ask: false, pendingIn: true, approved: false },
  "None + Pending Out+In": { subscription: "none", ask: true, pendingIn: true, approved: false },
  "To": { subscription: "to", ask: false, pendingIn: false, approved: false },
  "To + Pending In": { subscription: "to", ask: false, pendingIn: true, approved: false },
  "From": { subscription: "from", ask: false, pendingIn: false, approved: false },
  "From + Pending Out": { subscription: "from", ask: true, pendingIn: false, approved: false },
  "Both": { subscription: "both", ask: false, pendingIn: false, approved: false },
};

/** A row: existing state, MUST route/deliver (true) or not (false: S.N. or M.N.), new state (null: no change). */
type Row = [StateName, boolean, StateName | null];

const TABLES: { direction: "outbound" | "inbound"; type: SubscriptionType; table: string; rows: Row[] }[] = [
  {
    direction: "outbound", type: "subscribe", table: "Table 2 (A.2.1)", rows: [
      ["None", true, "None + Pending Out"],
      ["None + Pending Out", true, null],
      ["None + Pending In", true, "None + Pending Out+In"],
      ["None + Pending Out+In", true, null],
      ["To", true, null],
      ["To + Pending In", true, null],
      ["From", true, "From + Pending Out"],
      ["From + Pending Out", true, null],
      ["Both", true, null],
    ],
  },
  {
    direction: "outbound", type: "unsubscribe", table: "Table 3 (A.2.2)", rows: [
      ["None", true, null],
      ["None + Pending Out", true, "None"],
      ["None + Pending In", true, null],
      ["None + Pending Out+In", true, "None + Pending In"],
      ["To", true, "None"],
      ["To + Pending In", true, "None + Pending In"],
      ["From", true, null],
      ["From + Pending Out", true, "From"],
      ["Both", true, "From"],
    ],
  },
  {
    // "pre-approval" rows are checked below; here their subscription state is unchanged and nothing is routed.
    direction: "outbound", type: "subscribed", table: "Table 4 (A.2.3)", rows: [
      ["None", false, null],
      ["None + Pending Out", false, null],
      ["None + Pending In", true, "From"],
      ["None + Pending Out+In", true, "From + Pending Out"],
      ["To", false, null],
      ["To + Pending In", true, "Both"],
      ["From", false, null],
      ["From + Pending Out", false, null],
      ["Both", false, null],
    ],
  },
  {
    direction: "outbound", type: "unsubscribed", table: "Table 5 (A.2.4)", rows: [
      ["None", false, null],
      ["None + Pending Out", false, null],
      ["None + Pending In", true, "None"],
      ["None + Pending Out+In", true, "None + Pending Out"],
      ["To", false, null],
      ["To + Pending In", true, "To"],
      ["From", true, "None"],
      ["From + Pending Out", true, "None + Pending Out"],
      ["Both", true, "To"],
    ],
  },
  {
    direction: "inbound", type: "subscribe", table: "Table 6 (A.3.1)", rows: [
      ["None", true, "None + Pending In"],
      ["None + Pending Out", true, "None + Pending Out+In"],
      ["None + Pending In", false, null],
      ["None + Pending Out+In", false, null],
      ["To", true, "To + Pending In"],
      ["To + Pending In", false, null],
      ["From", false, null],
      ["From + Pending Out", false, null],
      ["Both", false, null],
    ],
  },
  {
    direction: "inbound", type: "unsubscribe", table: "Table 7 (A.3.2)", rows: [
      ["None", false, null],
      ["None + Pending Out", false, null],
      ["None + Pending In", true, "None"],
      ["None + Pending Out+In", true, "None + Pending Out"],
      ["To", false, null],
      ["To + Pending In", true, "To"],
      ["From", true, "None"],
      ["From + Pending Out", true, "None + Pending Out"],
      ["Both", true, "To"],
    ],
  },
  {
    direction: "inbound", type: "subscribed", table: "Table 8 (A.3.3)", rows: [
      ["None", false, null],
      ["None + Pending Out", true, "To"],
      ["None + Pending In", false, null],
      ["None + Pending Out+In", true, "To + Pending In"],
      ["To", false, null],
      ["To + Pending In", false, null],
      ["From", false, null],
      ["From + Pending Out", true, "Both"],
      ["Both", false, null],
    ],
  },
  {
    direction: "inbound", type: "unsubscribed", table: "Table 9 (A.3.4)", rows: [
      ["None", false, null],
      ["None + Pending Out", true, "None"],
      ["None + Pending In", false, null],
      ["None + Pending Out+In", true, "None + Pending In"],
      ["To", true, "None"],
      ["To + Pending In", true, "None + Pending In"],
      ["From", false, null],
      ["From + Pending Out", true, "From"],
      ["Both", true, "From"],
    ],
  },
];

const run = (direction: "outbound" | "inbound", s: SubState, type: SubscriptionType): Transition =>
  direction === "outbound" ? outbound(s, type) : inbound(s, type);

for (const { direction, type, table, rows } of TABLES) {
  for (const [from, forward, to] of rows) {
    test(`${table}: ${direction} ${type} in "${from}"`, (t) => {
      const r = run(direction, STATES[from], type);
      t.is(r.forward, forward, forward ? "MUST route/deliver" : "not routed/delivered");
      t.is(stateName(r.state), to ?? from);
      if (to === null) t.false(r.state.subscription !== STATES[from].subscription || r.state.ask !== STATES[from].ask, "no state change");
      // A roster push exactly when the roster item changes (pending-in is not part of it, A.1 state 3); the
      // pre-approval rows of Table 4 change the item's 'approved' flag (checked below).
      const visible = (n: StateName) => { const s = STATES[n]; return `${s.subscription}/${s.ask}`; };
      t.is(r.push, visible(to ?? from) !== visible(from) || r.state.approved);
    });
  }
}

test("every table covers the nine states", (t) => {
  for (const { rows } of TABLES) t.deepEqual(rows.map((r) => r[0]).sort(), Object.keys(STATES).sort());
  for (const [name, s] of Object.entries(STATES)) t.is(stateName(s) as string, name);
});

// ---- §3.4 pre-approval ----

const approved = (n: StateName): SubState => ({ ...STATES[n], approved: true });

test("§3.4.2 rules 3-4: outbound subscribed in None, None + Pending Out or To is a pre-approval: pushed, not routed", (t) => {
  for (const n of ["None", "None + Pending Out", "To"] as const) {
    const r = outbound(STATES[n], "subscribed");
    t.false(r.forward, n);
    t.true(r.push, n);
    t.true(r.state.approved, n);
    t.is(stateName(r.state), n);
  }
});

test("§3.4.2 rule 1: outbound subscribed when the contact is already subscribed is ignored", (t) => {
  for (const n of ["From", "From + Pending Out", "Both"] as const) {
    const r = outbound(STATES[n], "subscribed");
    t.false(r.forward);
    t.false(r.push);
    t.false(r.state.approved);
  }
});

test("§3.4.2 rule 2: outbound subscribed with a pending request approves it and sends presence (§3.1.5)", (t) => {
  const r = outbound(STATES["None + Pending In"], "subscribed");
  t.is(r.presence, "available");
  t.false(r.state.approved);
  t.false(r.state.pendingIn);
});

test("A.3.1 [1]: an inbound subscribe that was pre-approved is answered subscribed, not delivered", (t) => {
  const cases: [StateName, StateName][] = [["None", "From"], ["None + Pending Out", "From + Pending Out"], ["To", "Both"]];
  for (const [n, next] of cases) {
    const r = inbound(approved(n), "subscribe");
    t.false(r.forward, n);
    t.is(r.autoReply, "subscribed");
    t.is(r.presence, "available");
    t.is(stateName(r.state), next);
    t.false(r.state.approved, "the pre-approval is used up");
    t.true(r.push);
  }
});

test("A.2.4 [1] / §3.2.2 rule 2: outbound unsubscribed cancels a pre-approval without routing", (t) => {
  for (const n of ["None", "None + Pending Out", "To"] as const) {
    const r = outbound(approved(n), "unsubscribed");
    t.false(r.forward);
    t.true(r.push);
    t.false(r.state.approved);
    t.is(stateName(r.state), n);
  }
});

test("§4.3.2 rule 1: an inbound unsubscribed does not cancel a pre-approval", (t) => {
  const r = inbound(approved("None + Pending Out"), "unsubscribed");
  t.is(stateName(r.state), "None");
  t.true(r.state.approved);
});

test("a pre-approval survives the user's own subscribe and unsubscribe", (t) => {
  t.true(outbound(approved("None"), "subscribe").state.approved);
  t.true(outbound(approved("To"), "unsubscribe").state.approved);
});

// ---- auto-replies and presence side effects ----

test("A.3.1 [2]: an inbound subscribe from a contact already subscribed is answered subscribed", (t) => {
  for (const n of ["From", "From + Pending Out", "Both"] as const) {
    const r = inbound(STATES[n], "subscribe");
    t.is(r.autoReply, "subscribed");
    t.false(r.push);
  }
  t.is(inbound(STATES.None, "subscribe").autoReply, null);
});

test("A.3.2 [1]: an inbound unsubscribe that changes the state is answered unsubscribed; a subscriber also gets unavailable (§3.3.3)", (t) => {
  for (const n of ["None + Pending In", "None + Pending Out+In", "To + Pending In", "From", "From + Pending Out", "Both"] as const) {
    const r = inbound(STATES[n], "unsubscribe");
    t.is(r.autoReply, "unsubscribed", n);
    t.is(r.presence, STATES[n].subscription === "from" || STATES[n].subscription === "both" ? "unavailable" : null, n);
  }
  for (const n of ["None", "None + Pending Out", "To"] as const) t.is(inbound(STATES[n], "unsubscribe").autoReply, null);
});

test("§3.2.2: cancelling a subscriber sends unavailable first; denying a request does not", (t) => {
  for (const n of ["From", "From + Pending Out", "Both"] as const) t.is(outbound(STATES[n], "unsubscribed").presence, "unavailable");
  for (const n of ["None + Pending In", "None + Pending Out+In", "To + Pending In"] as const) t.is(outbound(STATES[n], "unsubscribed").presence, null);
});

test("outbound stanzas never auto-reply", (t) => {
  for (const s of Object.values(STATES)) {
    for (const type of ["subscribe", "subscribed", "unsubscribe", "unsubscribed"] as const) t.is(outbound(s, type).autoReply, null);
  }
});
