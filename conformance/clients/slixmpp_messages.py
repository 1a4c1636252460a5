#!/usr/bin/python3
"""Messaging with slixmpp's own plugins. Prints one JSON line and exits 0 when everything worked, 1 otherwise.

offline: log in, send initial presence and collect --expect messages; each is reported with its XEP-0203
delay (slixmpp's xep_0203 plugin).

  /usr/bin/python3 slixmpp_messages.py --scenario offline --expect 2 --port 5322 --jid bob@localhost/phone \
      --password pw --mode plain

carbons: two resources of one account (--jid and --second-resource) enable XEP-0280 carbons (xep_0280
plugin) and send presence; the first sends "ready" to --peer, which the second must see as a <sent/> carbon;
then the peer is expected to send a message with body "to first" to the first resource's full JID, which the
second must see as a <received/> carbon.

  /usr/bin/python3 slixmpp_messages.py --scenario carbons --peer alice@localhost --second-resource two \
      --port 5322 --jid bob@localhost/one --password pw --mode plain
"""
import argparse
import asyncio
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_common import Session, base_arguments, make_client  # noqa: E402

PLUGINS = ("xep_0030", "xep_0199", "xep_0203", "xep_0280")


def describe(msg):
    delay = msg["delay"]
    stamp = delay["stamp"]
    return {
        "id": msg["id"],
        "from": str(msg["from"]),
        "to": str(msg["to"]),
        "type": msg["type"],
        "body": msg["body"],
        "delayFrom": str(delay["from"]) if stamp is not None else None,
        "delayStamp": stamp.isoformat() if stamp is not None else None,
    }


async def offline(session):
    client, args = session.client, session.args
    got = []
    done = client.loop.create_future()

    def on_message(msg):
        got.append(describe(msg))
        if len(got) >= args.expect and not done.done():
            done.set_result(None)

    client.add_event_handler("message", on_message)
    client.send_presence()
    await asyncio.wait_for(done, args.timeout / 2)
    session.report["messages"] = got


async def carbons(session):
    first, args = session.client, session.args
    second = make_client(argparse.Namespace(**{**vars(args), "jid": f"{first.boundjid.bare}/{args.second_resource}"}), PLUGINS)
    started = first.loop.create_future()
    second.add_event_handler("session_start", lambda _e: started.done() or started.set_result(None))
    second.connect((args.host, args.port), use_ssl=(args.mode == "direct"), force_starttls=(args.mode == "starttls"),
                   disable_starttls=(args.mode != "starttls"))
    await asyncio.wait_for(started, args.timeout / 2)

    sent, received, direct = first.loop.create_future(), first.loop.create_future(), first.loop.create_future()
    second.add_event_handler("carbon_sent", lambda m: sent.done() or sent.set_result(m))
    second.add_event_handler("carbon_received", lambda m: received.done() or received.set_result(m))
    first.add_event_handler("message", lambda m: direct.done() or direct.set_result(m))

    for c in (first, second):
        await c["xep_0280"].enable(timeout=10)
        c.send_presence()
    # An IQ round trip after the presence: the server has it before anyone writes to this account.
    for c in (first, second):
        await c["xep_0199"].ping(jid=c.boundjid.domain, timeout=10)

    first.send_message(mto=args.peer, mbody="ready", mtype="chat")
    carbon = await asyncio.wait_for(sent, args.timeout / 2)
    inner = carbon["carbon_sent"]
    session.report["sentCarbon"] = {"wrapperFrom": str(carbon["from"]), "wrapperTo": str(carbon["to"]), **describe(inner)}

    carbon = await asyncio.wait_for(received, args.timeout / 2)
    inner = carbon["carbon_received"]
    session.report["receivedCarbon"] = {"wrapperFrom": str(carbon["from"]), "wrapperTo": str(carbon["to"]), **describe(inner)}
    session.report["direct"] = describe(await asyncio.wait_for(direct, args.timeout / 2))
    second.disconnect(wait=1.0)


def main():
    p = base_arguments(__doc__)
    p.add_argument("--scenario", choices=("offline", "carbons"), required=True)
    p.add_argument("--expect", type=int, default=1, help="offline: how many messages to wait for")
    p.add_argument("--peer", help="carbons: the JID the first resource writes to")
    p.add_argument("--second-resource", default="two", help="carbons: resource of the second client")
    args = p.parse_args()
    client = make_client(args, PLUGINS)
    Session(client, args).run(offline if args.scenario == "offline" else carbons)


if __name__ == "__main__":
    main()
