#!/usr/bin/python3
"""Two slixmpp clients on two federated servers: a mutual presence subscription (RFC 6121 §3.1), presence and
chat both ways, and optionally multi-user chat (XEP-0045) in a room on each server, each joined by both users.
Each client connects to its own server (--host/--port/--mode and --host2/--port2/--mode2). Prints one JSON
line and exits 0 when every step worked, 1 otherwise.

  /usr/bin/python3 slixmpp_federation.py --port 5222 --jid romeo@prosody.example --password pw \\
      --port2 5322 --jid2 alice@palaver.example --password2 pw --mode2 plain \\
      --room romeo-room@rooms.prosody.example --room2 alice-room@conference.palaver.example
"""
import asyncio
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_common import MODES, base_arguments, close_and_report, make_client  # noqa: E402
from slixmpp_roster import Peer, until  # noqa: E402


class Args:
    """The options of one client, in the shape make_client expects."""

    def __init__(self, host, port, jid, password, mode, tls12=False):
        self.host, self.port, self.jid, self.password, self.mode, self.tls12 = host, port, jid, password, mode, tls12


class FederatedPeer(Peer):
    def __init__(self, args, name):
        super().__init__(args, name)
        self.args = args
        self.client.register_plugin("xep_0045")
        self.chats = []
        self.groupchat = []
        self.client.add_event_handler("message", self._message)
        self.client.add_event_handler("groupchat_message", lambda m: self.groupchat.append((str(m["from"]), m["body"])))

    def _message(self, msg):
        if msg["type"] in ("chat", "normal") and msg["body"]:
            self.chats.append((msg["from"].bare, msg["body"]))

    def connect(self):
        mode = self.args.mode
        self.client.connect((self.args.host, self.args.port), use_ssl=(mode == "direct"),
                            force_starttls=(mode == "starttls"), disable_starttls=(mode != "starttls"))


async def join(peer, room, nick, timeout):
    await peer.client.plugin["xep_0045"].join_muc_wait(room, nick, maxstanzas=0, timeout=timeout)


async def scenario(a, b, args, steps):
    t = args.timeout
    ja, jb = a.client.boundjid.bare, b.client.boundjid.bare
    # Subscription: a asks, b approves and asks back, a approves (RFC 6121 §3.1.1-§3.1.6).
    a.client.send_presence(pto=jb, ptype="subscribe")
    await until(lambda: ja in b.requests_from, "b to get a's request", t)
    b.client.send_presence(pto=ja, ptype="subscribed")
    b.client.send_presence(pto=ja, ptype="subscribe")
    await until(lambda: jb in a.approvals_from and jb in a.requests_from, "a to get b's approval and request", t)
    a.client.send_presence(pto=jb, ptype="subscribed")
    await until(lambda: a.subscription(jb) == "both" and b.subscription(ja) == "both", "both rosters at 'both'", t)
    steps["subscription"] = "both"
    await until(lambda: any(k.startswith(jb + "/") for k in a.available_from)
                and any(k.startswith(ja + "/") for k in b.available_from), "presence both ways", t)
    steps["presence"] = True
    a.client.send_message(mto=jb, mbody="hello from " + ja, mtype="chat")
    b.client.send_message(mto=ja, mbody="hello from " + jb, mtype="chat")
    await until(lambda: (ja, "hello from " + ja) in b.chats and (jb, "hello from " + jb) in a.chats, "chat both ways", t)
    steps["chat"] = True
    for key, room, first, second in (("room", args.room, a, b), ("room2", args.room2, b, a)):
        if not room:
            continue
        # The user whose server hosts the room creates it by joining first; the remote user joins next.
        await join(first, room, first.name, t)
        await join(second, room, second.name, t)
        first.client.send_message(mto=room, mbody=f"{first.name} in {room}", mtype="groupchat")
        second.client.send_message(mto=room, mbody=f"{second.name} in {room}", mtype="groupchat")
        want = {f"{first.name} in {room}", f"{second.name} in {room}"}
        seen = lambda p: {body for (frm, body) in p.groupchat if frm.startswith(room + "/")}
        await until(lambda: want <= seen(first) and want <= seen(second), f"groupchat in {room} both ways", t)
        steps[key] = True


def main():
    p = base_arguments("federation between two servers with slixmpp")
    p.add_argument("--host2", default="127.0.0.1")
    p.add_argument("--port2", type=int, required=True)
    p.add_argument("--jid2", required=True)
    p.add_argument("--password2", required=True)
    p.add_argument("--mode2", choices=MODES, default="starttls")
    p.add_argument("--room", help="a room on the first client's server (joined by both)")
    p.add_argument("--room2", help="a room on the second client's server (joined by both)")
    args = p.parse_args()
    a = FederatedPeer(Args(args.host, args.port, args.jid, args.password, args.mode), args.jid.split("@")[0])
    b = FederatedPeer(Args(args.host2, args.port2, args.jid2, args.password2, args.mode2), args.jid2.split("@")[0])
    loop = a.client.loop
    report = {"ok": False, "steps": {}, "error": None}

    async def run():
        a.connect()
        b.connect()
        started = await asyncio.wait_for(asyncio.gather(a.started, b.started), args.timeout)
        if not all(started):
            raise RuntimeError(a.error or b.error or "a client did not start")
        await scenario(a, b, args, report["steps"])

    try:
        loop.run_until_complete(asyncio.wait_for(run(), args.timeout * 4))
        report["ok"] = True
    except Exception as exc:  # the report says what broke; the exit code says that something did
        report["error"] = f"{type(exc).__name__}: {exc}"
    close_and_report(loop, (a.client, b.client), report, wait=0.5, timeout=2.0)


if __name__ == "__main__":
    main()
