#!/usr/bin/python3
"""XEP-0198 stream resumption with slixmpp's own xep_0198 plugin. Prints one JSON line and exits 0 when everything
worked, 1 otherwise.

--jid (the phone) logs in with stream management (slixmpp enables it with resume='true'); --peer logs in and sends
it --count chat messages to its full JID, ids m1..mN. When the phone has read the second one, it drops its own
connection without closing the stream (the network goes away: messages are in flight). The peer sends the rest of
the messages while the phone is gone; then the phone connects again and slixmpp resumes the session (<resume/> with
its 'h'). The report lists every message id the phone got, on which connection, in order; ok means each of m1..mN
exactly once and in order, and a resumed (not a new) session.

  /usr/bin/python3 slixmpp_sm_resume.py --port 5222 --jid juliet@localhost/phone --password pw \
      --peer romeo@localhost/pc --peer-password pw --count 6
"""
import asyncio
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp import ClientXMPP  # noqa: E402
from slixmpp_common import base_arguments, close_and_report, make_client  # noqa: E402


def main():
    p = base_arguments(__doc__.split("\n")[0])
    p.add_argument("--peer", required=True)
    p.add_argument("--peer-password", required=True)
    p.add_argument("--count", type=int, default=6)
    args = p.parse_args()

    phone = make_client(args, plugins=("xep_0030", "xep_0199", "xep_0198"))
    peer_args = argparse_copy(args, jid=args.peer, password=args.peer_password)
    peer = make_client(peer_args, plugins=("xep_0030", "xep_0199"))
    loop = phone.loop
    report = {"ok": False, "smEnabled": False, "smId": None, "resumed": False, "newSession": False,
              "received": [], "error": None}
    expected = [f"m{i}" for i in range(1, args.count + 1)]
    state = {"connection": 1}
    events = {name: loop.create_future() for name in ("phone_start", "peer_start", "sm_enabled", "dropped",
                                                       "resumed", "all", "second_read")}

    def settle(name, value=None):
        if not events[name].done():
            events[name].set_result(value)

    def on_message(msg):
        if msg["type"] not in ("chat", "normal"):
            return
        report["received"].append({"id": msg["id"], "connection": state["connection"]})
        if len(report["received"]) == 2 and state["connection"] == 1:
            settle("second_read")
        if len(report["received"]) >= len(expected):
            settle("all")

    def on_session_start(_e):
        if state["connection"] == 1:
            settle("phone_start")
        else:
            # A second session_start means slixmpp bound a new resource: resumption failed.
            report["newSession"] = True
            settle("resumed")

    def on_sm_enabled(stanza):
        report["smEnabled"] = True
        report["smId"] = stanza["id"] or None
        settle("sm_enabled")

    def on_resumed(_e):
        report["resumed"] = True
        settle("resumed")

    phone.add_event_handler("session_start", on_session_start)
    phone.add_event_handler("sm_enabled", on_sm_enabled)
    phone.add_event_handler("session_resumed", on_resumed)
    phone.add_event_handler("message", on_message)
    phone.add_event_handler("disconnected", lambda _e: settle("dropped"))
    peer.add_event_handler("session_start", lambda _e: settle("peer_start"))

    def connect(client):
        mode = args.mode
        client.connect((args.host, args.port), use_ssl=(mode == "direct"), force_starttls=(mode == "starttls"),
                       disable_starttls=(mode != "starttls"))

    def send(mid):
        msg = peer.make_message(mto=args.jid, mbody=mid, mtype="chat")
        msg["id"] = mid
        msg.send()

    async def scenario():
        connect(phone)
        await events["phone_start"]
        await events["sm_enabled"]
        phone.send_presence()
        connect(peer)
        await events["peer_start"]
        half = 3
        for mid in expected[:half]:
            send(mid)
        await events["second_read"]
        # The network goes away: no </stream:stream>, no TLS close_notify.
        phone.transport.abort()
        await events["dropped"]
        state["connection"] = 2
        for mid in expected[half:]:
            send(mid)
        await peer["xep_0199"].ping(timeout=10)  # everything the peer sent has been routed
        connect(phone)
        await events["resumed"]
        if report["newSession"]:
            raise RuntimeError("the session was not resumed")
        await events["all"]

    try:
        loop.run_until_complete(asyncio.wait_for(scenario(), args.timeout))
    except asyncio.TimeoutError:
        report["error"] = "timed out"
    except Exception as exc:  # the report says what broke
        report["error"] = f"{type(exc).__name__}: {exc}"
    ids = [r["id"] for r in report["received"]]
    report["ok"] = report["error"] is None and report["resumed"] and ids == expected
    close_and_report(loop, [phone, peer], report, wait=0.5, timeout=4.0)


def argparse_copy(args, **changes):
    import argparse
    copy = argparse.Namespace(**vars(args))
    for k, v in changes.items():
        setattr(copy, k, v)
    return copy


if __name__ == "__main__":
    main()
