"""miyapo-ops: wires routes, middleware and scheduled jobs to chalicelib. Nothing else lives here."""

from __future__ import annotations

import uuid

from chalice import Chalice, ConvertToMiddleware, Cron, Rate

from chalicelib.clock import now_jst
from chalicelib.jobs import registry
from chalicelib.observability import logger
from chalicelib.routes import console, ops, public, screening
from chalicelib.web.authorizer import auth_bp

app = Chalice(app_name="miyapo-ops", configure_logs=False)
app.api.binary_types.append("application/octet-stream")
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)))


@app.middleware("http")
def correlation_id(event, get_response):  # type: ignore[no-untyped-def]
    headers = event.headers or {}
    cid = headers.get("x-correlation-id") or (event.context or {}).get("requestId") or uuid.uuid4().hex
    logger.set_correlation_id(cid)
    logger.append_keys(path=event.path, method=event.method)
    response = get_response(event)
    response.headers["X-Correlation-Id"] = cid
    return response


for blueprint in (auth_bp, public.bp, screening.bp, ops.bp, console.bp):
    app.register_blueprint(blueprint)


@app.schedule(Rate(5, unit=Rate.MINUTES), name="mail_sweep")
def mail_sweep(event):  # type: ignore[no-untyped-def]
    return registry.run("mail-sweep", now_jst())


# Keep a daily heartbeat so late schedules are visible in logs even before other jobs exist.
@app.schedule(Cron(0, 0, "*", "*", "?", "*"), name="daily_heartbeat")
def daily_heartbeat(event):  # type: ignore[no-untyped-def]
    logger.info("daily heartbeat")
    return {"ok": True}
