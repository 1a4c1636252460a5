#!/usr/bin/python3
"""Message archive (XEP-0313) with slixmpp's own xep_0313 plugin. Prints one JSON line and exits 0 when everything
worked, 1 otherwise.

Fetches the account's whole archive page by page (--page results each) with the plugin's RSM iterator, forwards from
the oldest and backwards from the newest, then the last --last messages only (the "open a chat" view), the query form
and the archive metadata (#extended), and the messages exchanged with --with.

  /usr/bin/python3 slixmpp_mam.py --page 20 --last 5 --with bob@localhost --port 5322 --jid alice@localhost/hist \
      --password pw --mode plain
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp import JID  # noqa: E402

from slixmpp_common import Session, base_arguments, make_client  # noqa: E402

PLUGINS = ("xep_0030", "xep_0004", "xep_0059", "xep_0199", "xep_0297", "xep_0313")


def describe(result):
    """One archived message as the plugin hands it over: the result id, the forwarded message and its delay."""
    forwarded = result["mam_result"]["forwarded"]
    inner = forwarded["stanza"]
    stamp = forwarded["delay"]["stamp"]
    return {
        "id": result["mam_result"]["id"],
        "queryid": result["mam_result"]["queryid"],
        "from": str(inner["from"]),
        "to": str(inner["to"]),
        "body": inner["body"],
        "stamp": stamp.isoformat() if stamp is not None else None,
    }


async def collect(iterator):
    return [describe(m) async for m in iterator]


async def history(session):
    client, args = session.client, session.args
    mam = client["xep_0313"]
    own = JID(client.boundjid.bare)

    info = await client["xep_0030"].get_info(jid=own, timeout=10)
    session.report["features"] = sorted(info["disco_info"]["features"])

    # Pages of --page, oldest first; and newest first (reverse=True: RSM <before/> paging, each page reversed).
    session.report["forward"] = await collect(mam.iterate(jid=own, rsm={"max": args.page}))
    session.report["backward"] = await collect(mam.iterate(jid=own, rsm={"max": args.page}, reverse=True))
    session.report["last"] = await collect(mam.iterate(jid=own, rsm={"max": args.last}, reverse=True, total=args.last))
    session.report["with"] = await collect(mam.iterate(jid=own, with_jid=JID(args.with_jid), rsm={"max": args.page}))

    form = await mam.get_fields(jid=own, timeout=10)
    session.report["fields"] = sorted(form.get_fields().keys())
    meta = await mam.get_archive_metadata(jid=own, timeout=10)
    session.report["metadata"] = {"start": meta["mam_metadata"]["start"]["id"], "end": meta["mam_metadata"]["end"]["id"]}


def main():
    parser = base_arguments("Fetch a message archive page by page with slixmpp (XEP-0313).")
    parser.add_argument("--page", type=int, default=20, help="results per page")
    parser.add_argument("--last", type=int, default=5, help="how many of the newest messages to fetch alone")
    parser.add_argument("--with", dest="with_jid", required=True, help="a correspondent to filter on")
    args = parser.parse_args()
    session = Session(make_client(args, PLUGINS), args)
    session.run(history)


if __name__ == "__main__":
    main()
