#!/usr/bin/python3
"""Group chat (XEP-0045) with slixmpp's xep_0045 plugin. Prints one JSON line and exits 0 when everything worked.

The --jid account finds the conference service (disco#items of its server), creates --room there (join_muc_wait:
status 201), configures it as a reserved room (get_room_config, set_room_config with a name, logging on, and a
subject that occupants may change), and sets the subject. A second client, --peer-jid, joins; each sends a
groupchat message and both must see both, in the same order, from the occupant JIDs, with the room's stanza-id.
Then: the owner pings its own occupant JID (XEP-0410 self-ping, xep_0199), invites the peer directly (XEP-0249,
xep_0249: the peer's groupchat_direct_invite event), and reads the room's archive (XEP-0313 to the room JID,
xep_0313); the peer leaves and its self-ping is refused. The report lists what each side saw.

  /usr/bin/python3 slixmpp_muc.py --port 5322 --jid alice@localhost/muc --password pw --mode plain \
      --peer-jid bob@localhost/muc --peer-password pw --room lounge
"""
import argparse
import asyncio
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_common import Session, base_arguments, make_client  # noqa: E402
from slixmpp.exceptions import IqError  # noqa: E402

PLUGINS = ("xep_0030", "xep_0045", "xep_0199", "xep_0249", "xep_0313", "xep_0359")
NS_MUC = "http://jabber.org/protocol/muc"


def status_codes(presence):
    return sorted(int(c) for c in presence["muc"]["status_codes"])


async def scenario(session):
    owner, args = session.client, session.args
    report = session.report

    # XEP-0045 §6.1-6.2: the service among the server's items, with the MUC feature.
    items = await owner["xep_0030"].get_items(jid=owner.boundjid.domain, timeout=10)
    services = []
    for jid, _node, _name in items["disco_items"]["items"]:
        # As real clients do, an item that does not answer (a component that is not connected) is skipped.
        try:
            info = await owner["xep_0030"].get_info(jid=jid, timeout=10)
        except IqError:
            continue
        if NS_MUC in info["disco_info"]["features"]:
            services.append(str(jid))
    report["services"] = services
    if not services:
        raise RuntimeError("no conference service in the server's disco#items")
    room = f"{args.room}@{services[0]}"
    report["room"] = room

    # §10.1: create, then configure as a reserved room.
    presence, _subject, _occupants, _history = await owner["xep_0045"].join_muc_wait(room, "Owner", maxstanzas=0, timeout=10)
    report["createdCodes"] = status_codes(presence)
    form = await owner["xep_0045"].get_room_config(room, timeout=10)
    fields = form.get_fields()
    report["configFields"] = sorted(k for k in fields if k != "FORM_TYPE")
    submit = owner["xep_0004"].make_form(ftype="submit")
    submit.add_field(var="FORM_TYPE", value="http://jabber.org/protocol/muc#roomconfig")
    submit.add_field(var="muc#roomconfig_roomname", value="Lounge")
    submit.add_field(var="muc#roomconfig_changesubject", value=True)
    submit.add_field(var="muc#roomconfig_enablelogging", value=True)
    await owner["xep_0045"].set_room_config(room, submit, timeout=10)
    report["configured"] = True
    owner["xep_0045"].set_subject(room, "Conformance")

    peer_args = argparse.Namespace(**{**vars(args), "jid": args.peer_jid, "password": args.peer_password})
    peer = make_client(peer_args, PLUGINS)
    started = owner.loop.create_future()
    peer.add_event_handler("session_start", lambda _e: started.done() or started.set_result(None))
    invited = owner.loop.create_future()
    peer.add_event_handler("groupchat_direct_invite", lambda m: invited.done() or invited.set_result(m))
    peer.connect((args.host, args.port), use_ssl=(args.mode == "direct"), force_starttls=(args.mode == "starttls"),
                 disable_starttls=(args.mode != "starttls"))
    await asyncio.wait_for(started, args.timeout / 2)
    peer.send_presence()

    seen = {"owner": [], "peer": []}
    done = owner.loop.create_future()

    def collector(who):
        def on_groupchat(msg):
            if msg["mucroom"] != room or not msg["body"]:
                return
            sid = msg["stanza_id"]
            seen[who].append({"from": str(msg["from"]), "body": msg["body"], "stanzaIdBy": str(sid["by"]), "hasStanzaId": bool(sid["id"])})
            if all(len(v) >= 2 for v in seen.values()) and not done.done():
                done.set_result(None)
        return on_groupchat

    owner.add_event_handler("groupchat_message", collector("owner"))
    peer.add_event_handler("groupchat_message", collector("peer"))

    presence, subject, occupants, _history = await peer["xep_0045"].join_muc_wait(room, "Peer", maxstanzas=0, timeout=10)
    report["joinedCodes"] = status_codes(presence)
    report["subject"] = subject["subject"]
    report["occupantsSeenByPeer"] = sorted(str(p["from"].resource) for p in occupants)

    owner.send_message(mto=room, mbody="hello from the owner", mtype="groupchat")
    await asyncio.sleep(0)
    peer.send_message(mto=room, mbody="hello from the peer", mtype="groupchat")
    await asyncio.wait_for(done, args.timeout / 2)
    report["seen"] = seen

    # XEP-0410: a ping to one's own occupant JID is answered by the room.
    await owner["xep_0199"].ping(jid=f"{room}/Owner", timeout=10)
    report["selfPing"] = True

    # XEP-0249: a direct invitation goes from the owner's client to the peer's, as it is.
    owner["xep_0249"].send_invitation(peer.boundjid.bare, room, reason="come back")
    invite = await asyncio.wait_for(invited, args.timeout / 2)
    report["directInvite"] = {"from": str(invite["from"]), "room": str(invite["groupchat_invite"]["jid"]), "reason": invite["groupchat_invite"]["reason"]}

    # XEP-0313 on the room: what was said, in order.
    result = await owner["xep_0313"].retrieve(jid=room, rsm={"max": 10}, timeout=10)
    report["archive"] = [{"body": m["body"], "subject": m["subject"]} for m in (r["mam_result"]["forwarded"]["stanza"] for r in result["mam"]["results"])]

    peer["xep_0045"].leave_muc(room, "Peer")
    await asyncio.sleep(0.5)
    try:
        await peer["xep_0199"].ping(jid=f"{room}/Peer", timeout=10)
        report["selfPingAfterLeaving"] = "result"
    except Exception as exc:  # IqError: the condition the room answered with
        report["selfPingAfterLeaving"] = getattr(exc, "condition", type(exc).__name__)
    peer.disconnect(wait=1.0)


def main():
    p = base_arguments(__doc__)
    p.add_argument("--peer-jid", required=True)
    p.add_argument("--peer-password", required=True)
    p.add_argument("--room", default="lounge")
    args = p.parse_args()
    client = make_client(args, PLUGINS)
    Session(client, args).run(scenario)


if __name__ == "__main__":
    main()
