import test from "ava";
import { accountKey, addressKey, AuthThrottle } from "../../src/sasl/throttle.js";

function clocked(opts: { free?: number; window?: number; maxEntries?: number } = {}) {
  const clock = { now: 1_000_000 };
  const throttle = new AuthThrottle({
    freeFailures: opts.free ?? 3,
    windowSeconds: opts.window ?? 300,
    now: () => clock.now,
    baseDelayMs: 1000,
    ...(opts.maxEntries ? { maxEntries: opts.maxEntries } : {}),
  });
  return { clock, throttle };
}

const ACCOUNT = accountKey("example.com", "juliet");

test("the first failures are free, then the delay doubles", (t) => {
  const { throttle } = clocked({ free: 3 });
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    throttle.failure("192.0.2.1", ACCOUNT);
    delays.push(throttle.delayFor("192.0.2.1", ACCOUNT));
  }
  t.deepEqual(delays, [0, 0, 0, 1000, 2000, 4000, 8000]);
});

test("the delay counts down from the last failure and never exceeds the window", (t) => {
  const { clock, throttle } = clocked({ free: 1, window: 60 });
  for (let i = 0; i < 30; i++) throttle.failure("192.0.2.1");
  t.is(throttle.delayFor("192.0.2.1"), 60_000, "capped at the window");
  clock.now += 20_000;
  t.is(throttle.delayFor("192.0.2.1"), 40_000);
  clock.now += 40_000;
  t.is(throttle.delayFor("192.0.2.1"), 0, "forgotten one window after the last failure");
  throttle.failure("192.0.2.1");
  t.is(throttle.delayFor("192.0.2.1"), 0, "and counting starts again");
});

test("maxDelayMs lowers the cap, but cannot raise it above the window", (t) => {
  const low = new AuthThrottle({ freeFailures: 1, windowSeconds: 60, maxDelayMs: 5000, now: () => 0 });
  const high = new AuthThrottle({ freeFailures: 1, windowSeconds: 60, maxDelayMs: 10_000_000, now: () => 0 });
  for (let i = 0; i < 30; i++) { low.failure("a"); high.failure("a"); }
  t.is(low.delayFor("a"), 5000);
  t.is(high.delayFor("a"), 60_000);
});

test("addresses are independent: one address's failures or successes do not touch another's", (t) => {
  const { throttle } = clocked({ free: 1 });
  for (let i = 0; i < 5; i++) throttle.failure("192.0.2.1");
  t.true(throttle.delayFor("192.0.2.1") > 0);
  t.is(throttle.delayFor("192.0.2.2"), 0);
  throttle.success("192.0.2.2", ACCOUNT);
  t.true(throttle.delayFor("192.0.2.1") > 0);
});

test("a success does not wipe the address's own failures (no reset by logging in to one's own account)", (t) => {
  const { throttle } = clocked({ free: 2 });
  const other = accountKey("example.com", "attacker");
  for (let i = 0; i < 5; i++) throttle.failure("198.51.100.7", accountKey("example.com", `victim${i}`));
  const before = throttle.delayFor("198.51.100.7");
  throttle.success("198.51.100.7", other);
  t.true(before > 0);
  t.is(throttle.delayFor("198.51.100.7"), before);
});

test("guessing one account from many addresses delays that account, up to the cap", (t) => {
  const { clock, throttle } = clocked({ free: 3, window: 120 });
  for (let i = 0; i < 50; i++) throttle.failure(`203.0.113.${i}`, ACCOUNT);
  // A fresh address trying this account is delayed by the account's record...
  t.is(throttle.delayFor("192.0.2.99", ACCOUNT), 120_000);
  // ...but another account from that address is not.
  t.is(throttle.delayFor("192.0.2.99", accountKey("example.com", "romeo")), 0);
  // The attack goes on; the owner is never held back longer than the cap.
  for (let minute = 0; minute < 10; minute++) {
    clock.now += 60_000;
    for (let i = 0; i < 10; i++) throttle.failure(`203.0.113.${i}`, ACCOUNT);
    t.true(throttle.delayFor("192.0.2.99", ACCOUNT) <= 120_000);
  }
});

test("the owner's address is exempt from the account's delay once it logged in", (t) => {
  const { throttle } = clocked({ free: 3 });
  for (let i = 0; i < 20; i++) throttle.failure(`203.0.113.${i}`, ACCOUNT);
  t.true(throttle.delayFor("192.0.2.99", ACCOUNT) > 0);
  throttle.success("192.0.2.99", ACCOUNT);
  t.is(throttle.delayFor("192.0.2.99", ACCOUNT), 0);
  // The attackers are still delayed.
  throttle.failure("203.0.113.1", ACCOUNT);
  t.true(throttle.delayFor("203.0.113.1", ACCOUNT) > 0);
});

test("IPv6 addresses count per /64; IPv4-mapped addresses count as IPv4", (t) => {
  t.is(addressKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  t.is(addressKey("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  t.is(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
  t.is(addressKey("::1"), "0:0:0:0::/64");
  t.is(addressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
  t.is(addressKey("::ffff:192.0.2.1"), "192.0.2.1");
  t.is(addressKey("192.0.2.1"), "192.0.2.1");

  const { throttle } = clocked({ free: 1 });
  for (let i = 0; i < 5; i++) throttle.failure(`2001:db8:1:2::${i.toString(16)}`);
  t.true(throttle.delayFor("2001:db8:1:2:dead:beef:0:1") > 0);
  t.is(throttle.delayFor("2001:db8:1:3::1"), 0);
  for (let i = 0; i < 5; i++) throttle.failure("::ffff:198.51.100.1");
  t.true(throttle.delayFor("198.51.100.1") > 0);
});

test("memory is bounded: old records are pruned and the map never exceeds its cap", (t) => {
  const { clock, throttle } = clocked({ free: 1, window: 10, maxEntries: 100 });
  for (let i = 0; i < 1000; i++) throttle.failure(`10.0.${i >> 8}.${i & 255}`, accountKey("example.com", `u${i}`));
  t.deepEqual(throttle.size, { addresses: 100, accounts: 100 });
  // The most recent survive, the oldest went first.
  throttle.failure("10.0.3.231");
  t.true(throttle.delayFor("10.0.3.231") > 0);
  clock.now += 10_000;
  throttle.prune();
  t.deepEqual(throttle.size, { addresses: 0, accounts: 0 });
});
