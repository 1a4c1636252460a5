#!/usr/bin/python3
"""Log in with slixmpp and query the server: disco#info (XEP-0030), ping (XEP-0199), software version
(XEP-0092) and entity time (XEP-0202). Prints one JSON line and exits 0 when everything worked, 1 otherwise.

  /usr/bin/python3 slixmpp_login.py --port 5222 --jid alice@localhost --password pencil --mode starttls [--tls12]
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_common import Session, base_arguments, make_client  # noqa: E402


async def queries(session):
    client, report = session.client, session.report
    server = client.boundjid.domain
    info = await client["xep_0030"].get_info(jid=server, timeout=10)
    report["features"] = sorted(info["disco_info"]["features"])
    report["identities"] = [list(i) for i in info["disco_info"]["identities"]]
    await client["xep_0199"].ping(jid=server, timeout=10)
    report["ping"] = True
    version = await client["xep_0092"].get_version(server, timeout=10)
    report["version"] = {
        "name": version["software_version"]["name"],
        "version": version["software_version"]["version"],
    }
    time = await client["xep_0202"].get_entity_time(server, timeout=10)
    # Read the raw text: slixmpp 1.8's stanza appends its own "Z" to <utc/>, so it cannot parse the
    # "2006-12-19T17:58:35Z" form XEP-0202 section 3 shows (and Palaver sends).
    ns = "{urn:xmpp:time}"
    report["time"] = {"utc": time.xml.findtext(f"{ns}time/{ns}utc"), "tzo": time.xml.findtext(f"{ns}time/{ns}tzo")}


def main():
    args = base_arguments(__doc__).parse_args()
    client = make_client(args)
    Session(client, args).run(queries)


if __name__ == "__main__":
    main()
