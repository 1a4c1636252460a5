"""Shared set-up for the slixmpp conformance scripts: argument parsing, TLS settings, connection modes,
the SASL bookkeeping and the one-line JSON report. Run only with /usr/bin/python3 (Debian's python3-slixmpp)."""
import argparse
import asyncio
import json
import ssl
import sys

from slixmpp import ClientXMPP

MODES = ("starttls", "direct", "plain")


def base_arguments(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--mode", choices=MODES, default="starttls",
                   help="starttls: STARTTLS required; direct: Direct TLS (XEP-0368); plain: no TLS at all")
    p.add_argument("--tls12", action="store_true", help="cap TLS at version 1.2")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds before the script gives up")
    return p


def make_client(args, plugins=("xep_0030", "xep_0199", "xep_0092", "xep_0202")):
    client = ClientXMPP(args.jid, args.password)
    for name in plugins:
        client.register_plugin(name)
    # The test server's certificate is self-signed: these scripts check XMPP, not the PKI.
    ctx = client.ssl_context
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if args.tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return client


class Session:
    """Runs one connection and collects what happened into `report`."""

    def __init__(self, client, args):
        self.client = client
        self.args = args
        self.done = client.loop.create_future()
        self.report = {
            "ok": False,
            "authenticated": False,
            "mechanism": None,
            "failedMechanisms": [],
            "jid": None,
            "tls": None,
            "streamError": None,
            "error": None,
        }
        client.add_event_handler("auth_success", self._auth_success)
        client.add_event_handler("failed_auth", self._failed_auth)
        client.add_event_handler("failed_all_auth", lambda _e: self.finish("authentication failed"))
        client.add_event_handler("connection_failed", lambda e: self.finish(f"connection failed: {e}"))
        client.add_event_handler("stream_error", self._stream_error)
        client.add_event_handler("disconnected", lambda _e: self.finish("disconnected"))

    def _mechanism(self):
        mech = self.client["feature_mechanisms"].mech
        return mech.name if mech is not None else None

    def _auth_success(self, _stanza):
        self.report["authenticated"] = True
        self.report["mechanism"] = self._mechanism()

    def _failed_auth(self, stanza):
        # Fired before slixmpp picks its next mechanism, so `mech` is still the one that failed.
        self.report["failedMechanisms"].append({"mechanism": self._mechanism(), "condition": stanza["condition"]})

    def _stream_error(self, stanza):
        self.report["streamError"] = stanza["condition"]

    def record_connection(self):
        self.report["jid"] = str(self.client.boundjid)
        transport = self.client.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        self.report["tls"] = ssl_object.version() if ssl_object is not None else None

    def finish(self, error=None):
        if self.done.done():
            return
        if error is not None and self.report["error"] is None:
            self.report["error"] = error
        self.done.set_result(None)

    def run(self, connected):
        """Connect, run `connected(session)` (a coroutine) once the session starts, print the report, exit."""

        async def on_start(_event):
            try:
                self.record_connection()
                await connected(self)
                self.report["ok"] = self.report["error"] is None
            except Exception as exc:  # the report says what broke; the exit code says that something did
                self.report["error"] = f"{type(exc).__name__}: {exc}"
            self.client.disconnect(wait=1.0)
            self.finish()

        self.client.add_event_handler("session_start", on_start)
        mode = self.args.mode
        self.client.connect(
            (self.args.host, self.args.port),
            use_ssl=(mode == "direct"),
            force_starttls=(mode == "starttls"),
            disable_starttls=(mode != "starttls"),
        )
        try:
            self.client.loop.run_until_complete(asyncio.wait_for(self.done, self.args.timeout))
        except asyncio.TimeoutError:
            self.report["error"] = self.report["error"] or "timed out"
        # After a session, let the disconnect flush the closing tag; after a failure there is nothing to flush
        # (slixmpp's own disconnect after failed_all_auth would wait for a reply that never comes).
        try:
            self.client.loop.run_until_complete(asyncio.wait_for(self.client.disconnected, 2.0 if self.report["ok"] else 0.1))
        except Exception:
            pass
        for task in asyncio.all_tasks(self.client.loop):
            task.cancel()
        print(json.dumps(self.report), flush=True)
        sys.exit(0 if self.report["ok"] else 1)


def close_and_report(loop, clients, report, wait=1.0, timeout=3.0):
    """End a script: disconnect every client (waiting at most `timeout` seconds in all), cancel what is still
    running, print the one-line JSON report and exit 0 when it says ok, 1 otherwise."""
    for client in clients:
        client.disconnect(wait=wait)
    try:
        loop.run_until_complete(asyncio.wait_for(asyncio.gather(*(c.disconnected for c in clients)), timeout))
    except Exception:
        pass
    for task in asyncio.all_tasks(loop):
        task.cancel()
    print(json.dumps(report), flush=True)
    sys.exit(0 if report["ok"] else 1)
