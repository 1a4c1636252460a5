#!/usr/bin/python3
"""A slixmpp user that answers chat messages: it logs in, sends its presence, prints one JSON line
{"ready": true, "jid": ...} once online, then answers each chat message with "echo: <body>". After --count
messages (or at --timeout) it prints its JSON report and exits 0 when it answered all of them, 1 otherwise.

  /usr/bin/python3 slixmpp_echo.py --port 5222 --jid bob@localhost/slix --password pencil --mode starttls --count 1
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_common import Session, base_arguments, make_client  # noqa: E402


def main():
    parser = base_arguments(__doc__)
    parser.add_argument("--count", type=int, default=1, help="messages to answer before leaving")
    args = parser.parse_args()
    client = make_client(args, plugins=("xep_0030", "xep_0199"))
    session = Session(client, args)
    session.report["received"] = []
    enough = client.loop.create_future()

    def on_message(msg):
        if msg["type"] not in ("chat", "normal") or not msg["body"]:
            return
        session.report["received"].append({"from": str(msg["from"]), "body": msg["body"]})
        msg.reply("echo: " + msg["body"]).send()
        if len(session.report["received"]) >= args.count and not enough.done():
            enough.set_result(None)

    client.add_event_handler("message", on_message)

    async def online(s):
        client.send_presence()
        await client.get_roster()
        print(json.dumps({"ready": True, "jid": str(client.boundjid)}), flush=True)
        await enough

    session.run(online)


if __name__ == "__main__":
    main()
