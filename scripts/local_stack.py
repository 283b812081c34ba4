"""`make run`: the whole product on one machine.

Starts moto's server as the local AWS on 127.0.0.1:$AWS_PORT (answering one request at a time, as
DynamoDB applies each call atomically: scripts/local_aws.py), creates the tables, buckets and SES
identity from the same definitions infra/ uses, writes `.local/tokens.json` (a token per demo
user), optionally seeds demo applications, and serves the app with Chalice's local server on
127.0.0.1:$APP_PORT. Ctrl-C or SIGTERM stops both; nothing keeps a port.

A quiet start (issue 15, point 4): on a terminal, the access logs (moto's, the app server's — the local
events pump alone asks moto every second) and the app's INFO logs go to `.local/aws.log` and
`.local/app.log`; the terminal shows a few progress lines, then one banner, then only warnings and
errors. `STACK_LOGS=terminal` keeps everything on the terminal, as it is by default when the output is
not a terminal (a pipe or a file: CI, the e2e tests, whose log checks read that output);
`STACK_LOGS=files` asks for the files in any case.

A demo clock (issue 15, point 1): the stack runs inside the configured program year, on the default demo
day (chalicelib/clock.py `default_demo_start`: FY2025 → Fri 2025-11-14 10:00 JST) moving on with real
time, so the call center is open and a settlement round is due whatever the real date. `DEMO_NOW=2025-10-15`
(or `…T14:30`, `…T14:30+09:00`) starts it elsewhere, `DEMO_NOW=off` runs on the real clock; a value it cannot
read stops the start with what to write. Requests without `X-Miyapo-Now`, the mail sweep and the usage
import pump all read this clock; `POST /jobs/{name}` without a `now` too.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import signal
import sys
import threading
import unicodedata
from pathlib import Path
from types import FrameType
from typing import Any

from chalicelib import clock
from scripts import localenv
from scripts.local_aws import LocalAws
from scripts.local_events import LocalEventPump
from scripts.local_gc import short_pauses as short_gc_pauses

BANNER = """
==============================================================
 miyapo-ops ローカル環境 / local stack
   はじめての方へ (guided tour): {base}/console/tour
   申込フォーム (public form):   {base}/apply
   スタッフ画面 (staff console):  {base}/console
   送信メール (sent mail):        {base}/console/mail  (as admin)
   ローカルAWS (moto):            {aws}
{clock}
 デモログイン (demo logins), one per role — each link signs in as that user through the local
 stand-in for Cognito's hosted login ({base}/console/login lets you pick any user):
{logins}
   second users for the four-eyes steps: {second}
   bearer tokens for scripts: {tokens}
{logs}
 Ctrl-C で停止 / Ctrl-C stops everything.
==============================================================
"""

#: The first demo user of each role (the banner's one link per role), in the order the tour shows them.
ROLE_USERS = ("screener", "accountant", "agent", "coordinator", "prefecture", "admin")


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (a Japanese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - columns)


def _clock_lines(demo: clock.DemoClock | None) -> str:
    """The banner's lines about the clock: which day it is, how to change it, and a word when that day is
    outside the program year (the newcomer's puzzle of issue 15: everything 時間外, no daily report)."""
    from chalicelib.settings import get_settings

    note = clock.outside_program_year(demo.start if demo else clock.now_jst(), get_settings())
    warning = f"\n     注意 (outside the program year): {note}" if note else ""
    if demo is None:
        state = f"   時計 (clock): 実時間 (real clock, DEMO_NOW=off) — 今 {clock.day_label(clock.now_jst())}"
    else:
        why = "DEMO_NOW" if demo.origin == "DEMO_NOW" else "the program year's default demo day"
        state = (f"   デモの日時 (demo clock):       {clock.day_label(demo.start)} から実時間で進みます"
                 f" ({why}; moves on with real time)")
    return (state + "\n"
            "     変更 (change): DEMO_NOW=2025-10-15T10:00+09:00 make run · 実時間 (real clock): DEMO_NOW=off make run\n"
            "     画面ごと (per browser tab): the date control at the top of the console pages" + warning)


def _demo_clock() -> clock.DemoClock | None:
    """The clock DEMO_NOW asks for (parsed once, here); SystemExit with what to write when it cannot be read."""
    from chalicelib.settings import get_settings

    value = os.environ.get("DEMO_NOW")
    if value is None and _seed_choice() == "year":
        from scripts.seed_year import DEMO_DAY

        value = DEMO_DAY.isoformat()  # the seeded year is behind it, not ahead of it
    try:
        return clock.demo_clock_from_env(value, get_settings())
    except clock.DemoClockError as exc:
        raise SystemExit(f"local stack not started: {exc}") from None


def _seed_choice() -> str:
    return os.environ.get("SEED", "").strip().lower()


def _seed_year_in_background(log_path: Path, stop: threading.Event) -> threading.Thread:
    """SEED=year: the year goes in while the stack already serves (minutes at full scale), its progress
    lines in `log_path`; a line on the terminal says when it is done."""

    def run() -> None:
        from scripts.seed_year import seed_year

        with log_path.open("a", encoding="utf-8") as log:
            try:
                counts = seed_year(progress=log)
            except Exception as exc:  # the stack keeps serving what is in; re-running the seed completes it
                sys.stderr.write(f"  … SEED=year stopped: {type(exc).__name__} (see {log_path}; "
                                 "`make seed-year` completes it)\n")
                return
        if not stop.is_set():
            _progress(f"SEED=year: the year is in ({counts.get('seconds', '?')} s)")

    thread = threading.Thread(target=run, name="seed-year", daemon=True)
    thread.start()
    return thread


def _chalice_cli() -> tuple[Any, Any]:
    """Chalice's local-server factory, imported with stdin detached.

    `chalice.cli` imports inquirer, whose blessed `Terminal()` probes the terminal on stdin when it is
    imported (XTGETTCAP queries): a newcomer's terminal shows the queries or their answers as escape
    garbage, and one that does not answer holds the start for up to five seconds.
    """
    saved = os.dup(0)
    try:
        with open(os.devnull, "rb") as null:
            os.dup2(null.fileno(), 0)
            from chalice.cli import CLIFactory, create_local_server
    finally:
        os.dup2(saved, 0)
        os.close(saved)
    return CLIFactory, create_local_server


def _progress(text: str) -> None:
    sys.stdout.write(f"  … {text}\n")
    sys.stdout.flush()


def _logs_to_files() -> bool:
    choice = os.environ.get("STACK_LOGS", "").strip().lower()
    if choice in ("files", "terminal"):
        return choice == "files"
    return sys.stdout.isatty()


def _quiet_logging(state: Path) -> tuple[Path, Path]:
    """Access logs and the app's INFO logs to files under `state`; warnings and errors stay on stderr."""
    from chalicelib.observability import logger as app_logger

    aws_log, app_log = state / "aws.log", state / "app.log"
    for path in (aws_log, app_log):  # a fresh pair of logs per start; then appended to by each handler
        path.write_text("", encoding="utf-8")
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.WARNING)
    # moto's server logs each request through werkzeug's logger (and adds a terminal handler of its own
    # unless the logger has one).
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.setLevel(logging.INFO)
    werkzeug.propagate = False
    werkzeug.addHandler(logging.FileHandler(aws_log, encoding="utf-8"))
    werkzeug.addHandler(terminal)
    # The app's structured logs: everything to the file, warnings and errors on the terminal as before.
    shown = app_logger.registered_handler
    to_file = logging.FileHandler(app_log, encoding="utf-8")
    to_file.setFormatter(shown.formatter)
    shown.setLevel(logging.WARNING)
    app_logger.addHandler(to_file)
    _access_log.addHandler(logging.FileHandler(app_log, encoding="utf-8"))
    _access_log.addHandler(terminal)
    _access_log.setLevel(logging.INFO)
    _access_log.propagate = False
    return aws_log, app_log


#: The app server's access log (Chalice's handler writes it to stderr itself): see _quiet_logging.
_access_log = logging.getLogger("miyapo.local.access")


def _terminal_access_log() -> None:
    """Without the log files: the app server's access log on stderr, where Chalice's handler writes it."""
    _access_log.addHandler(logging.StreamHandler(sys.stderr))
    _access_log.setLevel(logging.INFO)
    _access_log.propagate = False

#: A request target's query in a log line: `/stores?q=0223007000` (also inside `Bad request syntax ('…')`).
_QUERY = re.compile(r"(/[^\s?\"'<>]*)\?([^\s\"'<>]*)")
#: A query key shown as it is (`q`, `list-type`, `versioning`); any other key — a bare `?0223007000`, a
#: percent-encoded name — is shown as `…` like every value.
_SAFE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,39}")


def without_query_values(text: str) -> str:
    """`text` with every query value of a request target replaced by `…`: `GET /stores?q=…&page=…`.

    A search's query string can carry personal data (a phone number or a name typed into the store
    search, an audit search) and a presigned S3 URL's carries its signature: the local access logs keep
    the path and the keys only, as the cloud's API Gateway access log keeps the resource path only
    (infra/stack.py). The keys stay so a line still says which search or S3 call it was."""

    def redacted(match: re.Match[str]) -> str:
        parts = []
        for part in match.group(2).split("&"):
            if not part:
                parts.append(part)
                continue
            key, eq, _ = part.partition("=")
            parts.append((key if _SAFE_KEY.fullmatch(key) else "…") + ("=…" if eq else ""))
        return f"{match.group(1)}?{'&'.join(parts)}"

    return _QUERY.sub(redacted, text)


class QueryValuesRedacted(logging.Filter):
    """A logger filter: the record's message with its query values replaced (see without_query_values)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = without_query_values(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redact_access_logs() -> None:
    """Both local access logs (the app server's and moto's, `werkzeug`) without query values, whether
    they go to .local/*.log or to the terminal."""
    for log in (_access_log, logging.getLogger("werkzeug")):
        if not any(isinstance(f, QueryValuesRedacted) for f in log.filters):
            log.addFilter(QueryValuesRedacted())


def _quiet_handler() -> type:
    from chalice.local import ChaliceRequestHandler

    class QuietRequestHandler(ChaliceRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            _access_log.info("%s - - [%s] %s", self.address_string(), self.log_date_time_string(), format % args)

        def log_error(self, format: str, *args: Any) -> None:
            _access_log.error("%s - - [%s] %s", self.address_string(), self.log_date_time_string(), format % args)

        def _send_error_response(self, error: Any) -> None:
            # What `chalice local` answers before the app runs (no token, a refused token, an unknown route),
            # answered as API Gateway answers it with the stack's gateway responses (infra/stack.py): the
            # app's Japanese `{"error": …}` and never the request's Authorization header, which chalice
            # local echoes back on an unknown route.
            from chalicelib.web.gateway_answers import local_gateway_answer

            status, headers, body = local_gateway_answer(error.CODE, dict(error.headers or {}))
            request_id = {k.lower(): v for k, v in (error.headers or {}).items()}.get("x-amzn-requestid")
            if request_id:
                headers["x-amzn-RequestId"] = str(request_id)
            self._send_http_response(status, headers, body)

    return QuietRequestHandler


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _mail_sweeper(stop: threading.Event, every_seconds: float) -> None:
    """The local stand-in for the 5-minute EventBridge schedule of the mail sweep.

    Only the mail sweep runs on its own, at the stack's clock (the demo clock when one runs): it sends
    what is pending and nothing else. Time-based sweeps (settlement, escalations, daily report) run on
    demand (`POST /jobs/{name}`), at the stack's clock or a chosen `now`, so a demo or a test with a
    pinned clock is never overtaken by real time.
    """
    from chalicelib.jobs import registry

    while not stop.wait(every_seconds):
        try:
            registry.run("mail-sweep", clock.stage_now(is_local=True))
        except Exception as exc:  # keep sweeping; the next run retries
            sys.stderr.write(f"mail sweep failed: {type(exc).__name__}\n")


def main() -> int:
    aws_port = int(os.environ.get("AWS_PORT", "4566"))
    app_port = int(os.environ.get("APP_PORT", "8000"))
    state = localenv.ROOT / ".local"
    env = localenv.local_environment(state, aws_port, app_port)
    localenv.apply(env)
    signal.signal(signal.SIGTERM, _stop)
    # Before anything runs: a DEMO_NOW the stack cannot read stops it here, and the seed, the schedules
    # and every request without X-Miyapo-Now see the same clock from the start.
    demo = clock.start_demo_clock(_demo_clock())

    from chalicelib.adapters.bootstrap import create_all
    from chalicelib.auth.local_issuer import LocalIssuer
    from chalicelib.auth.local_users import DEMO_USERS
    from chalicelib.auth.roles import ROLE_LABELS, Role

    redact_access_logs()
    quiet = _logs_to_files()
    log_files = _quiet_logging(state) if quiet else _terminal_access_log()
    _progress(f"starting the local AWS (moto) on 127.0.0.1:{aws_port}")
    # moto answers one request at a time, as DynamoDB applies each call atomically (scripts.local_aws).
    short_gc_pauses(os.environ.get("LOCAL_GC_FREEZE", "1") != "0")  # a year of stored items in this process: no full collection walks them all again
    gc_log = logging.getLogger("miyapo.local.gc")  # long collections beside the requests they held up
    gc_log.setLevel(logging.INFO)
    gc_log.propagate = False
    gc_log.addHandler(logging.FileHandler(log_files[0], encoding="utf-8") if log_files else logging.StreamHandler())
    moto = LocalAws(aws_port).start()
    moto.serve_in_process()  # the app's own calls skip the socket; the HTTP server stays for everyone else
    server = None
    stopping = threading.Event()
    try:
        _progress("creating the tables, buckets and the SES identity")
        create_all(localenv.STAGE)
        issuer = LocalIssuer.load_or_create(state)
        issuer.write_jwks(Path(env["JWKS_SOURCE"]))
        tokens = issuer.demo_tokens()
        tokens_file = state / "tokens.json"
        tokens_file.write_text(json.dumps(tokens, indent=2), encoding="utf-8")
        tokens_file.chmod(0o600)
        if _seed_choice() not in ("0", "year"):
            from scripts.seed import seed_demo

            _progress("seeding the demo applications and inquiries (SEED=0 skips; SEED=year seeds a whole year)")
            seed_demo()

        CLIFactory, create_local_server = _chalice_cli()

        _progress(f"starting the app on 127.0.0.1:{app_port}")
        factory = CLIFactory(str(localenv.ROOT), environ=os.environ)
        server = create_local_server(factory, "127.0.0.1", app_port, localenv.STAGE)
        # Always the stack's handler: its access log drops query values and it answers chalice local's own
        # refusals as API Gateway will; quiet or not only decides where the access log goes.
        wrapped = server._wrapped_handler
        server.server.RequestHandlerClass = functools.partial(_quiet_handler(), *wrapped.args, **wrapped.keywords)
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
        logins = "\n".join(f"     {_pad(ROLE_LABELS[Role(DEMO_USERS[user])], 16)}{user:<12} {base}/console/login?as={user}"
                           for user in ROLE_USERS if user in tokens)
        second = ", ".join(user for user in tokens if user not in ROLE_USERS)
        logs = (f"   ログ (logs): {log_files[0]} (local AWS), {log_files[1]} (app); errors show here"
                if log_files else "   ログ (logs): on this terminal (STACK_LOGS=files sends them to .local/*.log)")
        sys.stdout.write(BANNER.format(base=base, aws=env["AWS_ENDPOINT_URL"], clock=_clock_lines(demo),
                                       logins=logins, second=second, tokens=tokens_file, logs=logs))
        sys.stdout.write(f"READY {base}\n")
        sys.stdout.flush()
        LocalEventPump.for_usage_imports(stop=stopping).start()  # S3 → EventBridge → usage import, emulated
        if _seed_choice() == "year":
            seed_log = state / "seed-year.log"
            _progress(f"SEED=year: seeding the program year while the stack serves; progress in {seed_log}")
            _seed_year_in_background(seed_log, stopping)
        server.server.serve_forever()  # not server.serve_forever(): that prints "Serving on" after the banner
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
