"""What the API answers before (or instead of) a route: in the app's words and its `{"error": …}` shape.

Three places answer without a route function running, each in English and its own shape by default:

- API Gateway (the cloud): no token, a token the authorizer refuses, an unknown route or method, a
  throttled or WAF-blocked call… Its "gateway responses" are set from `GATEWAY_ANSWERS` by the CDK stack
  (infra/stack.py `_gateway_responses`): a Japanese JSON body, the security headers, and never anything
  of the request (the stock "Missing Authentication Token" answer to an unknown route echoes the whole
  Authorization header, bearer token included).
- `chalice local` (the local stack): the same situations. scripts/local_stack.py answers them with
  `local_gateway_answer`, as API Gateway does with the gateway responses.
- Chalice inside the function: a Content-Type the route does not take (415), a method the route does
  not have (405), a binary answer the request did not `Accept` (400), an exception no route handled
  (500). `reshape_chalice_answer` (the http middleware) puts these in the app's shape; a 415 on a staff
  route goes to a caller without the role as the role check's 403, so the role is checked before the
  content type.

The authorizer answers a refused token with an empty policy: API Gateway says ACCESS_DENIED, which
these answers turn into a 401 (authentication failed: sign in again) — the app itself answers a wrong
role with 403 after the authorizer has let every valid token through.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

UNAUTHENTICATED_MESSAGE = "ログインが必要です。ログインしてからもう一度お試しください"
REFUSED_TOKEN_MESSAGE = "ログインの有効期限が切れたか、ログイン情報が正しくありません。もう一度ログインしてください"


@dataclass(frozen=True)
class GatewayAnswer:
    #: None keeps the status API Gateway chose (the DEFAULT_4XX / DEFAULT_5XX families).
    status: int | None
    code: str
    message: str

    def body(self) -> str:
        return json.dumps({"error": {"code": self.code, "message": self.message, "fields": {}}}, ensure_ascii=False)


#: API Gateway's gateway response types the app words itself (the others fall back to DEFAULT_4XX/5XX).
GATEWAY_ANSWERS: dict[str, GatewayAnswer] = {
    # No Authorization header on a staff route.
    "UNAUTHORIZED": GatewayAnswer(401, "unauthorized", UNAUTHENTICATED_MESSAGE),
    # The authorizer refused the token (malformed, expired, forged, another client's): authentication failed.
    "ACCESS_DENIED": GatewayAnswer(401, "unauthorized", REFUSED_TOKEN_MESSAGE),
    # No such route, or no such method on a route (API Gateway's 403 "Missing Authentication Token").
    "MISSING_AUTHENTICATION_TOKEN": GatewayAnswer(404, "not_found", "このURL・メソッドには対応していません"),
    "RESOURCE_NOT_FOUND": GatewayAnswer(404, "not_found", "このURL・メソッドには対応していません"),
    "UNSUPPORTED_MEDIA_TYPE": GatewayAnswer(415, "unsupported_media_type", "この送信形式（Content-Type）には対応していません"),
    "REQUEST_TOO_LARGE": GatewayAnswer(413, "too_large", "送信内容が大きすぎます"),
    "THROTTLED": GatewayAnswer(429, "throttled", "アクセスが集中しています。しばらくしてからもう一度お試しください"),
    "QUOTA_EXCEEDED": GatewayAnswer(429, "throttled", "アクセスが集中しています。しばらくしてからもう一度お試しください"),
    "WAF_FILTERED": GatewayAnswer(403, "blocked", "このリクエストは受け付けられませんでした"),
    "AUTHORIZER_FAILURE": GatewayAnswer(500, "server_error", "ログインの確認に失敗しました。時間をおいてもう一度お試しください"),
    "AUTHORIZER_CONFIGURATION_ERROR": GatewayAnswer(
        500, "server_error", "ログインの確認に失敗しました。時間をおいてもう一度お試しください"),
    "INTEGRATION_TIMEOUT": GatewayAnswer(504, "timeout", "処理に時間がかかっています。時間をおいて結果を確認してください"),
    "DEFAULT_4XX": GatewayAnswer(None, "bad_request", "リクエストを処理できませんでした"),
    "DEFAULT_5XX": GatewayAnswer(None, "server_error", "サーバーで問題が発生しました。時間をおいてもう一度お試しください"),
}


def gateway_headers(answer: GatewayAnswer) -> dict[str, str]:
    """The headers of a gateway answer: JSON, the API's security headers, no caching, and on a 401 the
    scheme to authenticate with."""
    from chalicelib.web.http import API_CSP, DEFAULT_CACHE_CONTROL, SECURITY_HEADERS

    headers = {"Content-Type": "application/json; charset=utf-8", **SECURITY_HEADERS,
               "Content-Security-Policy": API_CSP, "Cache-Control": DEFAULT_CACHE_CONTROL}
    if answer.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return headers


# --- chalice local ------------------------------------------------------------------------------------


def local_gateway_answer(status: int, headers: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) for an answer `chalice local` gives before the app runs (its
    LocalGatewayException's status and `x-amzn-ErrorType` header), as API Gateway answers the same
    situation with the gateway responses above. Nothing of the request is in it."""
    kind = str({k.lower(): v for k, v in headers.items()}.get("x-amzn-errortype", ""))
    if status == 401:
        answer = GATEWAY_ANSWERS["UNAUTHORIZED"]
    elif status == 403 and kind == "AccessDeniedException":
        answer = GATEWAY_ANSWERS["ACCESS_DENIED"]
    elif status == 403:  # UnauthorizedException: no route matched ("Missing Authentication Token")
        answer = GATEWAY_ANSWERS["MISSING_AUTHENTICATION_TOKEN"]
    elif status == 500:
        answer = GATEWAY_ANSWERS["AUTHORIZER_CONFIGURATION_ERROR"]
    elif status == 504:
        answer = GATEWAY_ANSWERS["INTEGRATION_TIMEOUT"]
    else:
        answer = GATEWAY_ANSWERS["DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"]
    return answer.status or status, gateway_headers(answer), answer.body().encode("utf-8")


# --- Chalice's own answers inside the function -------------------------------------------------------

#: Chalice's error codes (chalice.app.error_response) and the app's words for them.
_CHALICE_ANSWERS = {
    "UnsupportedMediaType": ("unsupported_media_type", "この送信形式（Content-Type）には対応していません"),
    "MethodNotAllowedError": ("method_not_allowed", "このURLはこのメソッドに対応していません"),
    "BadRequest": ("not_acceptable", "このファイルを受け取るには、Accept ヘッダーにファイルの形式を指定してください"),
    # An exception no route handled (Chalice has logged it with its traceback).
    "InternalServerError": ("server_error", "サーバーで問題が発生しました。時間をおいてもう一度お試しください"),
}


def _is_chalice_answer(response: Any) -> bool:
    body = getattr(response, "body", None)
    return isinstance(body, dict) and set(body) == {"Code", "Message"} and body["Code"] in _CHALICE_ANSWERS


def reshape_chalice_answer(event: Any, response: Any,
                           refuse_role: Callable[[Any], Any | None]) -> Any:
    """`response` in the app's shape and words when Chalice made it (see the module docstring); otherwise
    `response` itself. `refuse_role(event)` answers the role check's 403 for a staff route the caller may
    not use (None when the caller may), so a wrong role never learns which content type a route takes."""
    if not _is_chalice_answer(response):
        return response
    from chalicelib.web.http import error_response

    chalice_code = response.body["Code"]
    if chalice_code == "UnsupportedMediaType":
        refused = refuse_role(event)
        if refused is not None:
            return refused
    code, message = _CHALICE_ANSWERS[chalice_code]
    fields: dict[str, str] = {}
    if chalice_code == "UnsupportedMediaType":
        fields = {"_body": _accepted_types_hint(event)}
    answer = error_response(response.status_code, code, message, fields)
    allow = {k.lower(): v for k, v in (response.headers or {}).items()}.get("allow")
    if allow:
        answer.headers["Allow"] = allow
    return answer


def _accepted_types_hint(event: Any) -> str:
    from chalicelib.web.http import ROUTE_CONTENT_TYPES

    context = getattr(event, "context", None) or {}
    types = ROUTE_CONTENT_TYPES.get((str(context.get("resourcePath")), str(context.get("httpMethod"))))
    if types == ["application/json"]:
        return "Content-Type: application/json で JSON を送信してください"
    if types:
        return "Content-Type は次のいずれかにしてください: " + ", ".join(types)
    return "Content-Type を確認してください"
