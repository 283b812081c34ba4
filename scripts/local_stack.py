"""`make run`: the whole product on one machine.

Starts moto's server as the local AWS on 127.0.0.1:$AWS_PORT (answering one request at a time, as
DynamoDB applies each call atomically: scripts/local_aws.py), creates the tables, buckets and SES
identity from the same definitions infra/ uses, writes `.local/tokens.json` (a token per demo
user), optionally seeds demo applications, and serves the app with Chalice's local server on
127.0.0.1:$APP_PORT. Ctrl-C or SIGTERM stops both; nothing keeps a port.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from scripts import localenv
from scripts.local_aws import LocalAws
from scripts.local_events import LocalEventPump

BANNER = """
==============================================================
 miyapo-ops ローカル環境 / local stack
   申込フォーム (public form):  {base}/apply
   スタッフ画面 (staff console): {base}/console
   ローカルAWS (moto):           {aws}
 デモログイン (demo logins) — each link signs in as that user through the local
 stand-in for Cognito's hosted login (code + PKCE; {base}/console/login lets you pick):
{logins}
   bearer tokens for scripts: {tokens}
 Ctrl-C で停止 / Ctrl-C stops everything.
==============================================================
"""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _mail_sweeper(stop: threading.Event, every_seconds: float) -> None:
    """The local stand-in for the 5-minute EventBridge schedule of the mail sweep.

    Only the mail sweep runs on its own: it sends what is pending and nothing else. Time-based
    sweeps (settlement, escalations, daily report) run on demand with a chosen `now`
    (`POST /jobs/{name}`), so a demo or a test with a pinned clock is never overtaken by real time.
    """
    from chalicelib.clock import now_jst
    from chalicelib.jobs import registry

    while not stop.wait(every_seconds):
        try:
            registry.run("mail-sweep", now_jst())
        except Exception as exc:  # keep sweeping; the next run retries
            sys.stderr.write(f"mail sweep failed: {type(exc).__name__}\n")


def main() -> int:
    aws_port = int(os.environ.get("AWS_PORT", "4566"))
    app_port = int(os.environ.get("APP_PORT", "8000"))
    state = localenv.ROOT / ".local"
    env = localenv.local_environment(state, aws_port, app_port)
    localenv.apply(env)
    signal.signal(signal.SIGTERM, _stop)

    from chalicelib.adapters.bootstrap import create_all
    from chalicelib.auth.local_issuer import LocalIssuer

    # moto answers one request at a time, as DynamoDB applies each call atomically (scripts.local_aws).
    moto = LocalAws(aws_port).start()
    server = None
    stopping = threading.Event()
    try:
        create_all(localenv.STAGE)
        issuer = LocalIssuer.load_or_create(state)
        issuer.write_jwks(Path(env["JWKS_SOURCE"]))
        tokens = issuer.demo_tokens()
        tokens_file = state / "tokens.json"
        tokens_file.write_text(json.dumps(tokens, indent=2), encoding="utf-8")
        tokens_file.chmod(0o600)
        if os.environ.get("SEED", "1") != "0":
            from scripts.seed import seed_demo

            seed_demo()

        from chalice.cli import CLIFactory, create_local_server

        factory = CLIFactory(str(localenv.ROOT), environ=os.environ)
        server = create_local_server(factory, "127.0.0.1", app_port, localenv.STAGE)
        # A long-running server has no cold start to save: import every route's services and the
        # jobs now, before any request thread or the mail sweeper can race over a first import.
        from chalicelib.jobs import registry
        from chalicelib.kernel import lazy

        lazy.load_all()
        registry.names()
        sweep_every = float(os.environ.get("MAIL_SWEEP_SECONDS", "60"))
        if sweep_every > 0:
            threading.Thread(target=_mail_sweeper, args=(stopping, sweep_every), daemon=True).start()
        base = f"http://127.0.0.1:{app_port}"
        logins = "\n".join(f"     {user:<12} {base}/console/login?as={user}" for user in tokens)
        sys.stdout.write(BANNER.format(base=base, aws=env["AWS_ENDPOINT_URL"], logins=logins,
                                       tokens=tokens_file))
        sys.stdout.write(f"READY {base}\n")
        sys.stdout.flush()
        LocalEventPump.for_usage_imports(stop=stopping).start()  # S3 → EventBridge → usage import, emulated
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        if server is not None:
            threading.Thread(target=server.shutdown, daemon=True).start()
            server.server.server_close() if hasattr(server, "server") else None
        moto.stop()
        sys.stdout.write("stopped\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything lived in this process's memory and is gone with it; skipping the interpreter's
    # teardown of a large in-memory AWS keeps Ctrl-C / SIGTERM prompt after a long session.
    os._exit(code)
