#!/usr/bin/python3
"""PEP (XEP-0163) with slixmpp's own plugins: two clients that share presence both ways; the contact's client
advertises interest in nicknames (XEP-0172) and avatars (XEP-0084) through its entity capabilities ("+notify"
features, which slixmpp adds when the plugins load). The publisher publishes a nickname, then avatar data and
metadata; the contact must receive both notifications and fetch the avatar data by its id. Prints one JSON line
and exits 0 when every step worked, 1 otherwise.

  /usr/bin/python3 slixmpp_pep.py --port 5222 --jid alice@localhost --password pw \\
      --jid2 bob@localhost --password2 pw --mode starttls
"""
import argparse
import asyncio
import base64
import hashlib
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_common import base_arguments, close_and_report, make_client  # noqa: E402

PLUGINS = ("xep_0030", "xep_0060", "xep_0115", "xep_0163", "xep_0172", "xep_0084")
AVATAR = b"\x89PNG\r\n\x1a\n" + b"slixmpp pep avatar " * 40


class Peer:
    """One of the two clients and what it saw."""

    def __init__(self, args, name):
        self.name = name
        self.client = make_client(args, plugins=PLUGINS)
        # The subscription is made automatically both ways: this script is about PEP, not the handshake.
        self.client.roster.auto_authorize = True
        self.client.roster.auto_subscribe = True
        self.started = asyncio.get_event_loop().create_future()
        self.nicks = {}       # publisher bare JID -> nickname notified
        self.avatars = {}     # publisher bare JID -> metadata item id notified
        self.error = None
        c = self.client
        c.add_event_handler("session_start", self._start)
        c.add_event_handler("user_nick_publish", self._nick)
        c.add_event_handler("avatar_metadata_publish", self._avatar)
        c.add_event_handler("failed_all_auth", lambda _e: self._fail("authentication failed"))
        c.add_event_handler("connection_failed", lambda e: self._fail(f"connection failed: {e}"))

    def _fail(self, error):
        self.error = error
        if not self.started.done():
            self.started.set_result(False)

    async def _start(self, _event):
        await self.client.get_roster()
        # The caps (with the +notify features of the plugins) go out with this presence (XEP-0115 §4).
        await self.client["xep_0115"].update_caps(broadcast=False)
        self.client.send_presence()
        if not self.started.done():
            self.started.set_result(True)

    def _nick(self, msg):
        self.nicks[msg["from"].bare] = msg["pubsub_event"]["items"]["item"]["nick"]["nick"]

    def _avatar(self, msg):
        self.avatars[msg["from"].bare] = msg["pubsub_event"]["items"]["item"]["id"]

    def subscription(self, other):
        roster = self.client.client_roster
        return roster[other]["subscription"] if other in roster else None


async def until(predicate, what, timeout):
    """Wait until `predicate()` holds, checking as events come in (a short sleep yields to them)."""
    deadline = asyncio.get_event_loop().time() + timeout
    while not predicate():
        if asyncio.get_event_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def scenario(a, b, report, timeout):
    for p in (a, b):
        if not await p.started:
            raise RuntimeError(f"{p.name}: {p.error}")
    ab, bb = a.client.boundjid.bare, b.client.boundjid.bare
    a.client.send_presence(pto=bb, ptype="subscribe")
    await until(lambda: a.subscription(bb) == "both" and b.subscription(ab) == "both", "subscription both ways", timeout)
    report["subscription"] = "both"

    # XEP-0172: the nickname, to the contact that asked for it in its caps.
    await a.client["xep_0172"].publish_nick("Alice Slix", timeout=10)
    await until(lambda: ab in b.nicks, "the nickname notification at the contact", timeout)
    report["nickSeen"] = b.nicks[ab]

    # XEP-0084: data first, then metadata; the contact is told about the metadata and fetches the data.
    avatar_id = a.client["xep_0084"].generate_id(AVATAR)
    await a.client["xep_0084"].publish_avatar(AVATAR, timeout=10)
    await a.client["xep_0084"].publish_avatar_metadata({"id": avatar_id, "type": "image/png", "bytes": len(AVATAR)}, timeout=10)
    await until(lambda: ab in b.avatars, "the avatar metadata notification at the contact", timeout)
    report["avatarIdSeen"] = b.avatars[ab]
    report["avatarId"] = avatar_id
    iq = await b.client["xep_0084"].retrieve_avatar(a.client.boundjid.bare, avatar_id, timeout=10)
    data = iq.xml.find(".//{urn:xmpp:avatar:data}data")
    fetched = base64.b64decode("".join((data.text or "").split())) if data is not None else b""
    report["avatarFetched"] = hashlib.sha1(fetched).hexdigest() == avatar_id


def main():
    p = base_arguments(__doc__)
    p.add_argument("--jid2", required=True)
    p.add_argument("--password2", required=True)
    args = p.parse_args()
    args2 = argparse.Namespace(**{**vars(args), "jid": args.jid2, "password": args.password2})
    a, b = Peer(args, "publisher"), Peer(args2, "contact")
    loop = a.client.loop
    report = {"ok": False, "error": None, "subscription": None, "nickSeen": None, "avatarIdSeen": None, "avatarId": None, "avatarFetched": False}
    mode = args.mode
    for peer in (a, b):
        peer.client.connect(
            (args.host, args.port),
            use_ssl=(mode == "direct"),
            force_starttls=(mode == "starttls"),
            disable_starttls=(mode != "starttls"),
        )
    try:
        loop.run_until_complete(asyncio.wait_for(scenario(a, b, report, args.timeout), args.timeout + 5))
        report["ok"] = True
    except BaseException as exc:  # the report says what broke; the exit code says that something did
        report["error"] = f"{type(exc).__name__}: {exc}"
    close_and_report(loop, (a.client, b.client), report)


if __name__ == "__main__":
    main()
