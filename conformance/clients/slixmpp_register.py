#!/usr/bin/python3
"""In-band registration (XEP-0077) with slixmpp's xep_0077 plugin. One action per run:

  register         create the account given by --jid/--password before authenticating (section 3.1), then log in
  change-password  log in and set the password to --new-password (section 3.3)
  remove           log in and remove the account (section 3.2)

Prints one JSON line ({"ok": ..., "action": ..., "condition": <stanza error>, ...}) and exits 0 or 1.

  /usr/bin/python3 slixmpp_register.py --port 5222 --jid bob@localhost --password s3cret --action register
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp.exceptions import IqError  # noqa: E402

from slixmpp_common import Session, base_arguments, make_client  # noqa: E402


def main():
    parser = base_arguments(__doc__)
    parser.add_argument("--action", choices=("register", "change-password", "remove"), required=True)
    parser.add_argument("--new-password")
    args = parser.parse_args()
    client = make_client(args, plugins=("xep_0030", "xep_0004", "xep_0066", "xep_0077"))
    session = Session(client, args)
    report = session.report
    report["action"] = args.action
    report["condition"] = None

    async def iq_error(coro):
        try:
            await coro
            return None
        except IqError as e:
            report["condition"] = e.iq["error"]["condition"]
            return report["condition"]

    if args.action == "register":
        report["registered"] = False
        # slixmpp 1.8 queues every stanza but bind/session until the session starts ("NOT SENT" in its debug
        # log), so the plugin's own pre-authentication <iq/> would never leave; let stanzas through until
        # SASL succeeds, then restore the default.
        client._always_send_everything = True

        def restore(_stanza):
            client._always_send_everything = False

        client.add_event_handler("auth_success", restore)

        async def on_register(form):
            # The form must offer the fields XEP-0077 section 3.1 uses for a plain username/password account.
            report["formFields"] = sorted(k for k in ("username", "password") if form["register"].xml.find(
                "{jabber:iq:register}" + k) is not None)
            iq = client.Iq()
            iq["type"] = "set"
            iq["register"]["username"] = client.boundjid.user
            iq["register"]["password"] = client.password
            if await iq_error(iq.send(timeout=10)) is None:
                report["registered"] = True
            else:
                session.finish(f"registration refused: {report['condition']}")
                client.disconnect(wait=0.5)

        client.add_event_handler("register", on_register)

        async def after_login(_session):
            if not report["registered"]:
                raise RuntimeError("logged in without registering")

    elif args.action == "change-password":
        if not args.new_password:
            parser.error("--new-password is required for change-password")

        async def after_login(_session):
            if await iq_error(client["xep_0077"].change_password(args.new_password, jid=client.boundjid.domain, timeout=10)):
                raise RuntimeError(f"password change refused: {report['condition']}")

    else:

        async def after_login(_session):
            if await iq_error(client["xep_0077"].cancel_registration(jid=client.boundjid.domain, timeout=10)):
                raise RuntimeError(f"removal refused: {report['condition']}")

    session.run(after_login)


if __name__ == "__main__":
    main()
