"""`make run`: the whole product on one machine.

Starts moto's server as the local AWS on 127.0.0.1:$AWS_PORT, creates the tables, buckets and SES
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

BANNER = """
==============================================================
 miyapo-ops ローカル環境 / local stack
   申込フォーム (public form):  {base}/apply
   スタッフ画面 (staff console): {base}/console
   ローカルAWS (moto):           {aws}
 デモログイン (demo logins) — open a link to sign in as that user:
{logins}
   tokens: {tokens}
 Ctrl-C で停止 / Ctrl-C stops everything.
==============================================================
"""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    aws_port = int(os.environ.get("AWS_PORT", "4566"))
    app_port = int(os.environ.get("APP_PORT", "8000"))
    state = localenv.ROOT / ".local"
    env = localenv.local_environment(state, aws_port, app_port)
    localenv.apply(env)
    signal.signal(signal.SIGTERM, _stop)

    from moto.server import ThreadedMotoServer

    from chalicelib.adapters.bootstrap import create_all
    from chalicelib.auth.local_issuer import LocalIssuer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=aws_port, verbose=False)
    moto.start()
    server = None
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
        base = f"http://127.0.0.1:{app_port}"
        logins = "\n".join(f"     {user:<12} {base}/console/login?as={user}" for user in tokens)
        sys.stdout.write(BANNER.format(base=base, aws=env["AWS_ENDPOINT_URL"], logins=logins,
                                       tokens=tokens_file))
        sys.stdout.write(f"READY {base}\n")
        sys.stdout.flush()
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            threading.Thread(target=server.shutdown, daemon=True).start()
            server.server.server_close() if hasattr(server, "server") else None
        moto.stop()
        sys.stdout.write("stopped\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
