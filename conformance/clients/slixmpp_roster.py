#!/usr/bin/python3
"""Two slixmpp clients make a mutual presence subscription (RFC 6121 §3.1) and then see each other's
presence: the first asks, the second approves and asks back, the first approves. Both fetch the roster and
send initial presence first, and handle requests by hand (no slixmpp auto-authorize). Prints one JSON line and
exits 0 when both rosters show subscription "both" and each saw the other's available presence and a status
update, 1 otherwise.

  /usr/bin/python3 slixmpp_roster.py --port 5222 --jid alice@localhost --password pw \\
      --jid2 bob@localhost --password2 pw --mode starttls
"""
import argparse
import asyncio
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_common import base_arguments, close_and_report, make_client  # noqa: E402


class Peer:
    """One of the two clients and what it saw."""

    def __init__(self, args, name):
        self.name = name
        self.client = make_client(args, plugins=())
        # Requests are answered by the script, as a user would: no automatic approval or counter-request.
        self.client.roster.auto_authorize = None
        self.client.roster.auto_subscribe = False
        self.started = asyncio.get_event_loop().create_future()
        self.requests_from = []
        self.approvals_from = []
        self.available_from = {}  # full JID -> last status
        self.error = None
        c = self.client
        c.add_event_handler("session_start", self._start)
        c.add_event_handler("presence_subscribe", lambda p: self.requests_from.append(p["from"].bare))
        c.add_event_handler("presence_subscribed", lambda p: self.approvals_from.append(p["from"].bare))
        c.add_event_handler("presence_available", self._available)
        c.add_event_handler("failed_all_auth", lambda _e: self._fail("authentication failed"))
        c.add_event_handler("connection_failed", lambda e: self._fail(f"connection failed: {e}"))

    def _fail(self, error):
        self.error = error
        if not self.started.done():
            self.started.set_result(False)

    async def _start(self, _event):
        await self.client.get_roster()
        self.client.send_presence(pstatus=f"{self.name} online")
        if not self.started.done():
            self.started.set_result(True)

    def _available(self, presence):
        self.available_from[str(presence["from"])] = presence["status"]

    def subscription(self, other):
        roster = self.client.client_roster
        return roster[other]["subscription"] if other in roster else None

    def report(self):
        return {
            "jid": str(self.client.boundjid),
            "requestsFrom": self.requests_from,
            "approvalsFrom": self.approvals_from,
            "availableFrom": self.available_from,
        }


async def until(predicate, what, timeout):
    """Wait until `predicate()` holds, checking as events come in (a short sleep yields to them)."""
    deadline = asyncio.get_event_loop().time() + timeout
    while not predicate():
        if asyncio.get_event_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def scenario(a, b, timeout):
    for p in (a, b):
        if not await p.started:
            raise RuntimeError(f"{p.name}: {p.error}")
    ab, bb = a.client.boundjid.bare, b.client.boundjid.bare

    # §3.1.1: a asks b.
    a.client.send_presence(pto=bb, ptype="subscribe")
    await until(lambda: ab in b.requests_from, "the request at b", timeout)
    await until(lambda: a.subscription(bb) == "none" and a.client.client_roster[bb]["pending_out"], "a's pending-out push", timeout)

    # §3.1.4: b approves, and asks back.
    b.client.send_presence(pto=ab, ptype="subscribed")
    b.client.send_presence(pto=ab, ptype="subscribe")
    await until(lambda: bb in a.approvals_from and bb in a.requests_from, "b's approval and request at a", timeout)
    a.client.send_presence(pto=bb, ptype="subscribed")

    await until(lambda: a.subscription(bb) == "both" and b.subscription(ab) == "both", "subscription both on both rosters", timeout)
    await until(lambda: str(b.client.boundjid) in a.available_from and str(a.client.boundjid) in b.available_from,
                "each one's presence at the other", timeout)

    # §4.4: a presence update reaches the (now subscribed) contact.
    a.client.send_presence(pstatus="status update")
    await until(lambda: b.available_from.get(str(a.client.boundjid)) == "status update", "a's status update at b", timeout)


def main():
    p = base_arguments(__doc__)
    p.add_argument("--jid2", required=True)
    p.add_argument("--password2", required=True)
    args = p.parse_args()
    args2 = argparse.Namespace(**{**vars(args), "jid": args.jid2, "password": args.password2})
    a, b = Peer(args, "a"), Peer(args2, "b")
    loop = a.client.loop
    report = {"ok": False, "error": None}
    mode = args.mode
    for peer in (a, b):
        peer.client.connect(
            (args.host, args.port),
            use_ssl=(mode == "direct"),
            force_starttls=(mode == "starttls"),
            disable_starttls=(mode != "starttls"),
        )
    try:
        loop.run_until_complete(asyncio.wait_for(scenario(a, b, args.timeout), args.timeout + 5))
        report["ok"] = True
    except BaseException as exc:  # the report says what broke; the exit code says that something did
        report["error"] = f"{type(exc).__name__}: {exc}"
    report["a"] = {**a.report(), "subscription": a.subscription(b.client.boundjid.bare)}
    report["b"] = {**b.report(), "subscription": b.subscription(a.client.boundjid.bare)}
    close_and_report(loop, (a.client, b.client), report)


if __name__ == "__main__":
    main()
