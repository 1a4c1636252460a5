#!/usr/bin/python3
"""vCards (XEP-0054) and blocking (XEP-0191) through slixmpp's own plugins: publish a vCard with an avatar and
read it back, read a peer's vCard, then block the peer (retrieving the list first, so pushes come), try to
reach it, and unblock it. Prints one JSON line and exits 0 when every step worked, 1 otherwise.

  /usr/bin/python3 slixmpp_vcard_blocking.py --port 5222 --jid alice@localhost --password pw --peer bob@localhost
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp.exceptions import IqError  # noqa: E402

from slixmpp_common import Session, base_arguments, make_client  # noqa: E402

VCARD = "{vcard-temp}"
AVATAR = b"\x89PNG\r\n\x1a\n slixmpp avatar"


def blocklist(iq):
    return sorted(str(j) for j in iq["blocklist"]["items"])


def vcard_summary(iq):
    # Read the XML itself: slixmpp 1.8's BINVAL getter cannot decode what it reads (bytes() of a str).
    v = iq.xml.find(f"{VCARD}vCard")
    return {
        "fn": v.findtext(f"{VCARD}FN") if v is not None else None,
        "nickname": v.findtext(f"{VCARD}NICKNAME") if v is not None else None,
        "binval": "".join((v.findtext(f"{VCARD}PHOTO/{VCARD}BINVAL") or "").split()) if v is not None else None,
    }


async def steps(session, peer):
    client, report = session.client, session.report
    vcards, blocking = client["xep_0054"], client["xep_0191"]

    card = vcards.make_vcard()
    card["FN"] = "Alice Liddell"
    card["NICKNAME"] = "ally"
    card["PHOTO"]["TYPE"] = "image/png"
    card["PHOTO"]["BINVAL"] = AVATAR
    await vcards.publish_vcard(card, timeout=10)
    # To the bare JID: with no JID, slixmpp would answer from its own cache instead of asking the server.
    report["ownVcard"] = vcard_summary(await vcards.get_vcard(client.boundjid.bare, timeout=10))
    report["peerVcard"] = vcard_summary(await vcards.get_vcard(peer, timeout=10))

    pushes = []
    client.add_event_handler("blocked", lambda iq: pushes.append(["block", blocklist_of(iq, "block")]))
    client.add_event_handler("unblocked", lambda iq: pushes.append(["unblock", blocklist_of(iq, "unblock")]))
    report["blocklistBefore"] = blocklist(await blocking.get_blocked(timeout=10))
    await blocking.block(peer, timeout=10)
    report["blocklistBlocked"] = blocklist(await blocking.get_blocked(timeout=10))
    try:
        await vcards.get_vcard(peer, timeout=10)
        report["whileBlocked"] = None
    except IqError as e:
        report["whileBlocked"] = {
            "condition": e.iq["error"]["condition"],
            "blocked": e.iq.xml.find(".//{urn:xmpp:blocking:errors}blocked") is not None,
        }
    await blocking.unblock(peer, timeout=10)
    report["blocklistAfter"] = blocklist(await blocking.get_blocked(timeout=10))
    report["afterUnblock"] = vcard_summary(await vcards.get_vcard(peer, timeout=10))
    report["pushes"] = pushes


def blocklist_of(iq, name):
    return sorted(str(j) for j in iq[name]["items"])


def main():
    parser = base_arguments(__doc__)
    parser.add_argument("--peer", required=True, help="the account whose vCard is read, then blocked and unblocked")
    args = parser.parse_args()
    client = make_client(args, plugins=("xep_0030", "xep_0054", "xep_0191"))
    Session(client, args).run(lambda session: steps(session, args.peer))


if __name__ == "__main__":
    main()
