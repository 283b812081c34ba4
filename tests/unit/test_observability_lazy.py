"""The deferred Powertools logger (chalicelib/observability.py, issue 14 point 3): importing the app does not
import Powertools; the first use builds one Logger, even when many threads use it at once; every invocation
still carries the Lambda context's keys and the cold-start flag; tokens are still masked."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _fresh(code: str) -> dict:
    """Run `code` in a fresh interpreter (this session built its logger long ago); it prints one JSON line last."""
    from scripts import localenv

    env = {**__import__("os").environ, **localenv.local_environment(ROOT / ".local", 4566, 8000)}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)  # a deadlock fails the test
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_app_does_not_import_powertools_and_racing_threads_share_one_logger() -> None:
    found = _fresh("""
        import json, sys, threading, time
        import app
        from chalicelib import observability
        imported_at_start = "aws_lambda_powertools" in sys.modules
        builds = []
        real_build = observability._build_logger

        def slow_build():
            builds.append(threading.get_ident())
            time.sleep(0.2)  # widen the window in which other threads arrive
            return real_build()

        observability._build_logger = slow_build
        start = threading.Barrier(16)
        seen = []

        def use():
            start.wait(timeout=10)
            seen.append(id(observability.logger.append_keys.__self__))

        threads = [threading.Thread(target=use) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
        print(json.dumps({"imported_at_start": imported_at_start, "builds": len(builds), "users": len(seen),
                          "loggers": len(set(seen)),
                          "same": id(observability.powertools_logger()) in set(seen)}))
    """)
    assert found == {"imported_at_start": False, "builds": 1, "users": 16, "loggers": 1, "same": True}


def test_every_invocation_logs_with_the_lambda_context_and_the_cold_start_flag_and_masks_tokens() -> None:
    found = _fresh("""
        import io, json, logging
        from types import SimpleNamespace
        import app
        from chalicelib.observability import logger

        out = io.StringIO()
        handler = logging.StreamHandler(out)
        handler.setFormatter(logger.registered_formatter)
        logging.getLogger(logger.name).addHandler(handler)

        def invoke(request_id):
            event = {"resource": "/health", "path": "/health", "httpMethod": "GET", "headers": {"Host": "x"},
                     "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
                     "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
                     "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "requestId": request_id,
                                        "path": "/health", "stage": "api"}}
            context = SimpleNamespace(function_name="api", memory_limit_in_mb=512, aws_request_id=request_id,
                                      invoked_function_arn="arn:aws:lambda:ap-northeast-1:1:function:api")
            return app.app(event, context)["statusCode"]

        statuses = [invoke("req-1")]
        logger.info("after the first")
        statuses.append(invoke("req-2"))
        logger.info("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl seen")
        print(json.dumps({"statuses": statuses, "lines": out.getvalue().splitlines()}))
    """)
    assert found["statuses"] == [200, 200]
    first, last = (json.loads(line) for line in found["lines"])
    # each line carries the keys of the invocation it follows (cleared and set again by the next one)
    assert (first["function_name"], first["function_request_id"], first["cold_start"]) == ("api", "req-1", True)
    assert (last["function_name"], last["function_request_id"], last["cold_start"]) == ("api", "req-2", False)
    assert (first["correlation_id"], last["correlation_id"]) == ("req-1", "req-2")
    assert "eyJhbGciOiJSUzI1NiJ9" not in last["message"] and "[redacted-token]" in last["message"]


def test_the_first_use_may_be_invocations_racing_on_many_threads() -> None:
    """The middleware is built first there, and building it builds the logger: no deadlock, one of each."""
    found = _fresh("""
        import json, sys, threading
        from types import SimpleNamespace
        import app
        from chalicelib import observability

        start = threading.Barrier(8)
        statuses = []

        def invoke(i):
            event = {"resource": "/health", "path": "/health", "httpMethod": "GET", "headers": {"Host": "x"},
                     "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
                     "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
                     "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "requestId": f"r{i}",
                                        "path": "/health", "stage": "api"}}
            context = SimpleNamespace(function_name="api", memory_limit_in_mb=512, aws_request_id=f"r{i}",
                                      invoked_function_arn="arn:aws:lambda:ap-northeast-1:1:function:api")
            start.wait(timeout=10)
            statuses.append(app.app(event, context)["statusCode"])

        threads = [threading.Thread(target=invoke, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        print(json.dumps({"statuses": statuses, "built": sorted(observability._built)}))
    """)
    assert found == {"statuses": [200] * 8, "built": ["lambda_context", "logger"]}
