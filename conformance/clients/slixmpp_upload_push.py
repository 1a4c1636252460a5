#!/usr/bin/python3
"""HTTP File Upload (XEP-0363) through slixmpp's own xep_0363 plugin, and enabling push notifications (XEP-0357;
slixmpp 1.8 has no plugin for it, so the IQ is built by hand): find the upload service from the server's
disco#items, read its max-file-size, upload a file and download it again over HTTPS with aiohttp (the server's
certificate verified through SSL_CERT_FILE), see a file over the limit refused, then enable push notifications
at an app server and log out. Prints one JSON line and exits 0 when every step worked, 1 otherwise.

  SSL_CERT_FILE=server.pem /usr/bin/python3 slixmpp_upload_push.py --port 5222 --jid alice@localhost --password pw \\
      --size 300000 --push-jid appserver@localhost/push --push-node n1
"""
import hashlib
import io
import os
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from aiohttp import ClientSession  # noqa: E402
from slixmpp.plugins.xep_0363.http_upload import FileTooBig  # noqa: E402

from slixmpp_common import Session, base_arguments, make_client  # noqa: E402
from slixmpp.exceptions import IqError  # noqa: E402

NS_PUSH = "urn:xmpp:push:0"
NS_DATA = "jabber:x:data"


def enable_element(jid, node, secret):
    enable = ET.Element(f"{{{NS_PUSH}}}enable", {"jid": jid, "node": node})
    form = ET.SubElement(enable, f"{{{NS_DATA}}}x", {"type": "submit"})
    for var, value in (("FORM_TYPE", "http://jabber.org/protocol/pubsub#publish-options"), ("secret", secret)):
        field = ET.SubElement(form, f"{{{NS_DATA}}}field", {"var": var})
        ET.SubElement(field, f"{{{NS_DATA}}}value").text = value
    return enable


async def steps(session, args):
    client, report = session.client, session.report
    upload = client["xep_0363"]

    # The plugin's own discovery (find_upload_service, through xep_0030's get_info_from_domain) passes coroutines
    # to asyncio.wait, which Python 3.12 refuses; the same steps by hand: the server's items, each one's info.
    items = await client["xep_0030"].get_items(client.boundjid.domain, timeout=10)
    for jid, _node, _name in items["disco_items"]["items"]:
        # As real clients do, an item that does not answer (a component that is not connected) is skipped.
        try:
            info = await client["xep_0030"].get_info(jid, timeout=10)
        except IqError:
            continue
        identities = [(i[0], i[1]) for i in info["disco_info"]["identities"]]
        if ("store", "file") not in identities or "urn:xmpp:http:upload:0" not in info["disco_info"]["features"]:
            continue
        upload.upload_service = info["from"]
        for form in info["disco_info"].iterables:
            values = form["values"]
            if values.get("FORM_TYPE") == ["urn:xmpp:http:upload:0"]:
                upload.max_file_size = int(values["max-file-size"])
        break

    data = os.urandom(args.size)
    report["sentSha256"] = hashlib.sha256(data).hexdigest()
    url = await upload.upload_file("holiday photo.jpg", size=len(data), content_type="image/jpeg",
                                   input_file=io.BytesIO(data), timeout=20)
    report["service"] = str(upload.upload_service)
    report["maxFileSize"] = upload.max_file_size
    report["url"] = url
    async with ClientSession() as http:
        async with http.get(url) as response:
            body = await response.read()
            report["status"] = response.status
            report["contentType"] = response.headers.get("Content-Type")
            report["receivedSha256"] = hashlib.sha256(body).hexdigest()

    try:
        await upload.upload_file("too big.bin", size=upload.max_file_size + 1, input_file=io.BytesIO(b""), timeout=20)
        report["tooBigRefused"] = False
    except FileTooBig:
        report["tooBigRefused"] = True

    iq = client.make_iq_set(ito=client.boundjid.bare)
    iq.append(enable_element(args.push_jid, args.push_node, "slixmpp-secret"))
    result = await iq.send(timeout=10)
    report["pushEnabled"] = result["type"] == "result"


def main():
    parser = base_arguments(__doc__)
    parser.add_argument("--size", type=int, default=300_000, help="bytes of the file uploaded")
    parser.add_argument("--push-jid", required=True, help="the app server's push service")
    parser.add_argument("--push-node", required=True)
    args = parser.parse_args()
    client = make_client(args, plugins=("xep_0030", "xep_0363"))
    Session(client, args).run(lambda session: steps(session, args))


if __name__ == "__main__":
    main()
