"""The local AWS: moto's server on a thread of this process, answering one request at a time.

moto's backends are not thread-safe, and moto's own ThreadedMotoServer hands them requests from
several threads at once. `transact_write_items` deep-copies every table it touches and puts the
copy back when the transaction is cancelled, wiping what other requests committed meanwhile; a
conditional write is a read, then a write; a scan iterating a table while another request inserts
raises "dictionary changed size during iteration". DynamoDB applies each call atomically, so the
local stack and the tests serialise the calls (OneRequestAtATime) and get what DynamoDB would give.
moto is CPU-bound Python under the GIL anyway: serialising costs little throughput, and with the
calls serialised a cancelled transaction only needs the items it touched put back
(rollback_touched_items_only) instead of a copy of whole tables made for every transaction.

moto's `Query` sorts the whole table on every call (`Table.all_items`, comparing DynamoType objects),
then keeps the items of the one partition asked for: with a year of data (issue 14, 15) a lookup of
one key in the keys table cost ~0.14 s and the year seed spent two thirds of its time there.
`query_one_partition` hands a table query only its partition and an index query the table's items
unsorted (the query sorts what matches by the index's keys itself); scans keep moto's sorted order
(their pages are cut by key order). An index query was still ~35 ms at 12,000 inquiries (issue 14
point 2: a day's log, the escalated list): moto compares every item's hash attribute through DynamoType
(`cast_value` per comparison), sorts the matches the same way, and sizes every match of the partition it
walks past before the range condition (a day's 50 rows walked past the month's later days). So an index
query is handed only the items its key condition selects — the hash attributes equal, the range condition
true, tested as moto tests them (string values compared as strings, anything else through DynamoType) —
and a sort on string keys compares the strings (the order DynamoType gives them). The same items come back
in the same order, page by page; as in DynamoDB, items outside the key condition are never read.

moto writes each DynamoDB answer with its generic serializer, which looks up every member of the
AttributeValue shape in every attribute of every item through a chain of alias providers: ~80 % of a
list screen's time (50 items, one Query). `fast_dynamodb_json` registers a DynamoDB JSON serializer
that writes an AttributeValue directly when it is exactly one of the forms moto produces, byte for
byte what the generic serializer writes (tests/integration/test_local_aws_fast_json.py compares the
two on every read); the rest of the answer, and anything else, is still moto's serializer.

In the local stack the app's own calls skip the socket (`LocalAws.serve_in_process`): a botocore
`before-send` handler, put on the sessions chalicelib/adapters/aws.py creates, hands each request for
this endpoint to the same WSGI app in this process (OneRequestAtATime, the same lock) and turns the
WSGI answer into botocore's response. moto sees the environ its HTTP server would have built. A new
TCP connection and werkzeug's request handling per call cost more than most of moto's answers; the
server stays up for everything outside the process (the browser's presigned uploads, checks reading
SES mail, the tests). Lambda and the cloud stages never register it.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class OneRequestAtATime:
    """WSGI middleware: each request, its response body included, runs alone under one lock.

    The request body is read before taking the lock, so a slow sender holds up nobody.
    """

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH")
        if length and length.isdigit():
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(int(length)))
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


class LocalAws:
    """moto's server on 127.0.0.1:port: connections are served on threads, requests one at a time."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.app: OneRequestAtATime | None = None
        self.in_process: InProcessCalls | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalAws:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        rollback_touched_items_only()
        query_one_partition()
        fast_dynamodb_json()
        dispatcher = DomainDispatcherApplication(create_backend_app)
        remember_backends(dispatcher)
        app = self.app = OneRequestAtATime(dispatcher)
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-aws", daemon=True)
        self._thread.start()
        return self

    def serve_in_process(self) -> InProcessCalls:
        """Answer the calls of chalicelib.adapters.aws's clients to this endpoint in this process, under the
        same lock as the HTTP server's requests (clients created before are dropped)."""
        from chalicelib.adapters import aws

        if self.app is None:
            raise RuntimeError("start the local AWS first")
        if self.in_process is None:
            self.in_process = InProcessCalls(self.app, self.port, self.host)
            aws.on_new_session(self.in_process.register)
        return self.in_process

    def stop(self) -> None:
        if self.in_process is not None:
            from chalicelib.adapters import aws

            self.in_process.enabled = False
            aws.on_new_session(self.in_process.register, remove=True)
            self.in_process = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


class InProcessCalls:
    """botocore `before-send` handler: a request for the local AWS's endpoint goes straight to its WSGI app.

    The environ is the one moto's HTTP server (werkzeug's WSGIRequestHandler with MotoRequestHandler's
    S3 metadata headers) builds; the app is the server's own OneRequestAtATime, so in-process calls and
    HTTP requests take turns on one lock. Requests for any other endpoint return None: botocore sends
    them as usual. `calls` counts the requests answered here.
    """

    def __init__(self, app: WsgiApp, port: int, host: str = "127.0.0.1") -> None:
        self.app = app
        self.port = port
        hosts = {host, "127.0.0.1", "localhost"}
        self.netlocs = {f"{h}:{port}" for h in hosts}
        self.enabled = True
        self.calls = 0
        self._count = threading.Lock()

    def register(self, session: Any) -> None:
        session.events.register("before-send", self)

    def __call__(self, request: Any, **_: Any) -> Any:
        if not self.enabled or urlsplit(request.url).netloc not in self.netlocs:
            return None
        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse

        environ = self.environ(request.method, request.url, request.headers.items(), _body_bytes(request.body))
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), headers
            return lambda data: None

        try:
            body = b"".join(self.app(environ, start_response))
        except Exception as exc:  # as werkzeug's server answers a request whose handler raised
            from werkzeug.debug.tbtools import DebugTraceback
            from werkzeug.exceptions import InternalServerError

            _log("error", f"Error on request:\n{DebugTraceback(exc).render_traceback_text()}")
            error = InternalServerError()
            answer["status"], answer["headers"] = 500, error.get_headers()
            body = error.get_body().encode("utf-8")
        if _access_log.level == logging.NOTSET or _access_log.isEnabledFor(logging.INFO):  # as werkzeug logs it
            from werkzeug.urls import uri_to_iri

            refused = f" {_refusal(request.headers, body)}" if answer["status"] >= 400 else ""
            _log("info", f'"{request.method} {uri_to_iri(environ["RAW_URI"])} HTTP/1.1" {answer["status"]} -{refused}')
        if request.method == "HEAD":
            body = b""  # werkzeug's server never writes a body for HEAD
        with self._count:
            self.calls += 1
        return AWSResponse(request.url, answer["status"], dict(answer["headers"]), MockRawResponse(body))

    def environ(self, method: str, url: str, headers: Iterable[tuple[str, Any]], body: bytes) -> dict[str, Any]:
        """What werkzeug's WSGIRequestHandler.make_environ and moto's MotoRequestHandler give for this request."""
        from moto.core.request import (
            PRESERVED_HEADER_NAMES_ENVIRON_KEY,
            environ_key_for_header,
            should_preserve_original_header_name,
        )
        from werkzeug._internal import _wsgi_encoding_dance

        parts = urlsplit(url)
        raw = parts.path + (f"?{parts.query}" if parts.query else "")
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "SERVER_SOFTWARE": "in-process",
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": _wsgi_encoding_dance(unquote(parts.path)),
            "QUERY_STRING": _wsgi_encoding_dance(parts.query),
            "REQUEST_URI": _wsgi_encoding_dance(raw),
            "RAW_URI": _wsgi_encoding_dance(raw),
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": 0,
            "SERVER_NAME": parts.hostname or "127.0.0.1",
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": parts.netloc,
        }
        pairs = [(str(name), value.decode("latin-1") if isinstance(value, bytes) else str(value))
                 for name, value in headers]
        for name, value in pairs:
            if "_" in name:
                continue
            key = name.upper().replace("-", "_")
            value = value.replace("\r\n", "")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = f"HTTP_{key}"
                if key in environ and key != "HTTP_HOST":
                    value = f"{environ[key]},{value}"
            environ[key] = value
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            del environ["HTTP_TRANSFER_ENCODING"]  # the body is read whole here, as the server dechunks it
            environ["CONTENT_LENGTH"] = str(len(body))
        if body and "CONTENT_LENGTH" not in environ:
            environ["CONTENT_LENGTH"] = str(len(body))  # the HTTP path sends one (urllib3 adds it)
        dashed = {environ_key_for_header(name) for name, _ in pairs if "_" not in name}
        names: dict[str, str] = {}
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            if not should_preserve_original_header_name(name):
                continue
            key = environ_key_for_header(name)
            if key in dashed:
                continue
            names.setdefault(key, name)
            values.setdefault(key, []).append(value.replace("\r\n", ""))
        for key, key_values in values.items():
            environ[key] = ",".join(key_values)
        environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names
        return environ


_access_log = logging.getLogger("werkzeug")
_XML_CODE = re.compile(rb"<Code>([A-Za-z.]{1,80})</Code>")


def _refusal(headers: Any, body: bytes) -> str:
    """The operation and the error's name of a refused call, for the access log (a DynamoDB ``POST /``
    says nothing else). Never the error's message: a failed condition can carry the item."""
    target = headers.get("X-Amz-Target") or b""
    operation = (target.decode() if isinstance(target, bytes) else str(target)).rsplit(".", 1)[-1]
    error = ""
    try:
        kind = json.loads(body).get("__type", "") if body.startswith(b"{") else ""
        error = str(kind).rsplit("#", 1)[-1]
    except (ValueError, AttributeError):
        pass
    if not error and (code := _XML_CODE.search(body)) is not None:
        error = code.group(1).decode()
    return " ".join(part for part in (operation, error) if part) or "?"


def _log(level: str, message: str) -> None:
    from werkzeug._internal import _log as werkzeug_log

    stamp = time.strftime("%d/%b/%Y %H:%M:%S")
    werkzeug_log(level, f"in-process - - [{stamp}] {message}")  # no args: logging leaves "%" alone


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    data = body.read()  # a file-like body: botocore rewinds it itself before a retry
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


# --- moto's transaction backup, item by item --------------------------------------------------

_state = threading.local()


class _CopyModule:
    """moto's module-level `copy`, except that inside a transaction a table is not copied."""

    def __init__(self, table_type: type) -> None:
        self.table_type = table_type

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        if isinstance(obj, self.table_type) and getattr(_state, "in_transaction", False):
            return obj  # moto's "restore" then puts the same table back: a no-op
        return copy.deepcopy(obj, memo)


def _key_of(table: Any, op: Any, dynamo_type: type) -> tuple[Any, Any] | None:
    attrs = (op.get("Key") or op.get("Item")) if isinstance(op, dict) else None
    if not isinstance(attrs, dict) or table.hash_key_attr not in attrs:
        return None
    if table.range_key_attr is None:
        return dynamo_type(attrs[table.hash_key_attr]), None
    if table.range_key_attr not in attrs:
        return None
    return dynamo_type(attrs[table.hash_key_attr]), dynamo_type(attrs[table.range_key_attr])


def _touched(backend: Any, transact_items: Any, dynamo_type: type) -> list[tuple[Any, ...]] | None:
    """(table, hash key, range key, a copy of the item as it is) for every item the transaction
    names; None if any is not understood."""
    saved = []
    for entry in transact_items if isinstance(transact_items, list) else [None]:
        if not isinstance(entry, dict) or len(entry) != 1:
            return None
        op = next(iter(entry.values()))
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        key = _key_of(table, op, dynamo_type) if table is not None else None
        if table is None or key is None:
            return None
        saved.append((table, *key, copy.deepcopy(table.get_item(*key))))
    return saved


def _put_back(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    bucket = table.items[hash_key]
    if item is not None:
        bucket[range_key] = item
        return
    bucket.pop(range_key, None)
    if not bucket:
        del table.items[hash_key]


def rollback_touched_items_only() -> bool:
    """Make moto's `transact_write_items` back up the items it touches, not whole tables.

    moto deep-copies every table a transaction names (once per item) in order to restore it if
    the transaction is cancelled: the cost grows with the table, and with requests serialised
    every other request waits for it. Keeping the touched items' previous versions and putting
    them back on cancellation restores the same state. Anything not recognised (a table given by
    ARN, a malformed item) keeps moto's own whole-table backup. Only sound with OneRequestAtATime.
    Returns whether it is in place.
    """
    try:
        import moto.dynamodb.models as ddb
        from moto.dynamodb.models.dynamo_type import DynamoType
        from moto.dynamodb.models.table import Table
    except ImportError:
        return False
    original = ddb.DynamoDBBackend.transact_write_items
    if getattr(original, "rolls_back_touched_items", False):
        return True

    def transact_write_items(self: Any, transact_items: Any) -> Any:
        saved = _touched(self, transact_items, DynamoType)
        if saved is None:
            return original(self, transact_items)
        _state.in_transaction = True
        try:
            return original(self, transact_items)
        except BaseException:
            for table, hash_key, range_key, item in reversed(saved):  # the oldest version goes back last
                _put_back(table, hash_key, range_key, item)
            raise
        finally:
            _state.in_transaction = False

    transact_write_items.rolls_back_touched_items = True  # type: ignore[attr-defined]
    ddb.copy = _CopyModule(Table)  # type: ignore[assignment]
    ddb.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    return True


# --- moto's Query, without sorting the whole table -------------------------------------------------

def remember_backends(dispatcher: Any) -> None:
    """moto's dispatcher finds the service of each request by walking every moto module and every service's
    URL patterns for its host (~0.3 ms a call, a tenth of a small DynamoDB call); the answer depends on the
    host alone (moto's modules and patterns are fixed once imported), so it is kept per host."""
    find = dispatcher.get_backend_for_host
    known: dict[str | None, Any] = {}

    def get_backend_for_host(host: str | None) -> Any:
        if host not in known:
            known[host] = find(host)
        return known[host]

    dispatcher.get_backend_for_host = get_backend_for_host


_query = threading.local()


def query_one_partition() -> bool:
    """Make moto's `Table.query` look at one partition (a table query) or at the unsorted items (an index
    query) instead of the whole table sorted. The same items come back in the same order: a table query
    keeps only that partition's items and sorts them by range key; an index query sorts its matches by
    the index's keys and the table's keys (a total order). Returns whether it is in place."""
    try:
        from moto.dynamodb.models.table import Table
    except ImportError:
        return False
    original_query = Table.query
    if getattr(original_query, "one_partition", False):
        return True
    original_all_items = Table.all_items
    original_sorted_items = Table.sorted_items

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        hash_key = args[0] if args else kwargs.get("hash_key")
        index_name = kwargs.get("index_name", args[7] if len(args) > 7 else None)
        if index_name is None and hash_key is None:
            return original_query(self, *args, **kwargs)
        selects = _index_key_condition(self, index_name, args, kwargs) if index_name is not None else None
        previous = getattr(_query, "scope", None)
        _query.scope = (self, hash_key, index_name, selects)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _query.scope = previous

    query.one_partition = True  # type: ignore[attr-defined]
    query.moto_query = original_query  # type: ignore[attr-defined]  # what moto answers (tests compare)
    Table.all_items = _scoped_all_items(original_all_items)  # type: ignore[method-assign,assignment]
    Table.sorted_items = _scoped_sorted_items(original_sorted_items)  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    return True


def _scoped_all_items(original_all_items: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    """`Table.all_items` within a query: the partition (a table query) or the index's selected items."""

    def all_items(self: Any) -> list[Any]:
        scope = getattr(_query, "scope", None)
        if scope is None or scope[0] is not self:
            return original_all_items(self)
        _, hash_key, index_name, selects = scope
        if index_name is None:
            bucket = self.items.get(hash_key) if hash_key is not None else None
            if bucket is None:
                return []
            return list(bucket.values()) if self.range_key_attr else [bucket]
        items: list[Any] = []
        for bucket in self.items.values():
            if self.range_key_attr:
                items.extend(bucket.values())
            else:
                items.append(bucket)
        return items if selects is None else selects.handed(items)

    return all_items


def _scoped_sorted_items(original_sorted_items: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    """`Table.sorted_items` within a query: string keys compared as strings; anything else by moto."""

    def sorted_items(self: Any, hash_key_attrs: list[str], range_key_attrs: list[str | None],
                     items: list[Any]) -> list[Any]:
        scope = getattr(_query, "scope", None)
        if scope is None or scope[0] is not self:
            return original_sorted_items(self, hash_key_attrs, range_key_attrs, items)
        names = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        try:
            keys = [tuple(_string_of(item.attrs[name]) for name in names) for item in items]
        except _NotAString:
            return original_sorted_items(self, hash_key_attrs, range_key_attrs, items)
        order = sorted(range(len(items)), key=keys.__getitem__)  # stable, as list.sort
        items[:] = [items[i] for i in order]
        return items

    return sorted_items


class _NotAString(Exception):
    pass


def _string_of(value: Any) -> str:
    """A string attribute's value (DynamoType orders strings as Python does); anything else is sorted by moto."""
    if getattr(value, "type", None) != "S" or not isinstance(value.value, str):
        raise _NotAString
    return str(value.value)


def _same(item_value: Any, expected: Any) -> bool:
    """`item_value == expected` as moto's DynamoType says it (two strings: the strings), without casting."""
    if item_value.type == "S" and expected.type == "S":
        return bool(item_value.value == expected.value)
    return bool(item_value == expected)


class _KeyCondition:
    """An index query's key condition, tested as moto's `Table.query` tests it: the partition (the hash
    attributes, the range attributes' equalities, every range key present) and the range comparison."""

    def __init__(self, table: Any, hash_conditions: list[tuple[str, Any]], equalities: list[tuple[str, Any]],
                 range_keys: list[str], compared: str | None, comparison: str | None, objs: Any) -> None:
        self.hash_conditions = hash_conditions
        self.partition_conditions = [*hash_conditions, *equalities]
        self.range_keys = range_keys
        self.compared, self.comparison, self.objs = compared, comparison, objs
        # The order moto sorts one partition in: the index's range keys, then the table's keys.
        self.order = [*range_keys, *(k for k in (table.hash_key_attr, table.range_key_attr) if k)]

    def in_partition(self, item: Any) -> bool:
        attrs = item.attrs
        for name, expected in self.partition_conditions:
            value = attrs.get(name)
            if not value or not _same(value, expected):  # moto: `not value or value != expected`
                return False
        return not self.range_keys or all(attrs.get(name) for name in self.range_keys)

    def in_range(self, item: Any) -> bool:
        if self.compared is None:
            return True
        value = item.attrs.get(self.compared)
        return bool(value) and bool(value.compare(self.comparison, self.objs))

    def handed(self, items: list[Any]) -> list[Any]:
        """What the query is handed: the partition's items in the range, and the nearest item of the partition
        on either side of them (moto ends a page that reached its Limit on the next item it walks to, and
        hands out a LastEvaluatedKey then: the same page ends the same way). The range is one run of the
        partition's order (every key condition compares the one sort key), so nothing else is walked past."""
        name, expected = self.hash_conditions[0]
        if expected.type == "S":  # a first pass without a call per item: the string hash attribute
            wanted = expected.value
            items = [item for item in items
                     if (value := item.attrs.get(name)) is not None and value.type == "S" and value.value == wanted]
        partition = [item for item in items if self.in_partition(item)]
        if self.compared is None:
            return partition
        inside = [item for item in partition if self.in_range(item)]
        if not inside or len(inside) == len(partition):
            return inside
        try:
            key = {id(item): tuple(_string_of(item.attrs[n]) for n in self.order) for item in partition}
        except (_NotAString, KeyError):
            return partition  # keys that are not all strings: moto walks the whole partition, as before
        low, high = min(key[id(i)] for i in inside), max(key[id(i)] for i in inside)
        below = [i for i in partition if key[id(i)] < low]
        above = [i for i in partition if key[id(i)] > high]
        return (inside + ([max(below, key=lambda i: key[id(i)])] if below else [])
                + ([min(above, key=lambda i: key[id(i)])] if above else []))


def _index_key_condition(table: Any, index_name: str, args: tuple[Any, ...],
                         kwargs: dict[str, Any]) -> _KeyCondition | None:
    """An index query's key condition as moto's `Table.query` reads it from its arguments; None (every item
    is handed over, as before) for anything this does not recognise."""
    indexes = {i.name: i for i in table.all_indexes()}
    index = indexes.get(index_name)
    hash_conditions = kwargs.get("hash_key_conditions")
    if index is None or not hash_conditions:
        return None
    range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    range_conditions = kwargs.get("range_key_conditions") or []
    range_comparison = args[1] if len(args) > 1 else kwargs.get("range_comparison")
    range_objs = args[2] if len(args) > 2 else kwargs.get("range_objs")
    equalities = [(name, values[0]) for name, _, values in range_conditions[:-1]]
    compared: str | None = None
    if range_comparison:
        if range_conditions:
            compared = range_conditions[-1][0]
        elif range_keys:
            compared = range_keys[0]
        else:
            return None  # moto refuses it; let it
    if compared is not None and (len(range_keys) != 1 or compared != range_keys[0] or equalities):
        return None  # a multi-attribute sort key: moto walks the items itself, as before
    return _KeyCondition(table, list(hash_conditions), equalities, range_keys, compared, range_comparison, range_objs)


# --- moto's DynamoDB JSON, without walking the AttributeValue shape --------------------------------

_ATTRIBUTE_VALUE_MEMBERS = {
    "S": "string", "N": "string", "B": "blob", "SS": "list", "NS": "list", "BS": "list",
    "M": "map", "L": "list", "NULL": "boolean", "BOOL": "boolean",
}
_NOT_PLAIN: Any = object()


def _plain_attribute_value(value: Any, b64: Callable[[bytes], str]) -> Any:
    """What moto's JSON serializer writes for one AttributeValue dict (as `dynamo_to_dict` builds it), or
    _NOT_PLAIN for anything whose serialisation is not exactly this (the serializer is used for it)."""
    if type(value) is not dict or len(value) != 1:
        return _NOT_PLAIN
    ((tag, v),) = value.items()
    if tag == "S" or tag == "N":  # string shapes: str(v) of a str is v
        return {tag: v} if type(v) is str else _NOT_PLAIN
    if tag == "M" or tag == "L":
        nested = _plain_nested(v, b64) if tag == "M" else _plain_list(v, b64)
        return _NOT_PLAIN if nested is _NOT_PLAIN else {tag: nested}
    if tag == "NULL" or tag == "BOOL":  # boolean shapes are written as they are
        return {tag: v} if type(v) is bool else _NOT_PLAIN
    if tag == "B":  # a blob: base64, as the serializer's _base64
        return {tag: b64(v)} if type(v) is bytes else _NOT_PLAIN
    if tag == "SS" or tag == "NS":
        return {tag: list(v)} if type(v) is list and all(type(s) is str for s in v) else _NOT_PLAIN
    if tag == "BS":
        return {tag: [b64(b) for b in v]} if type(v) is list and all(type(b) is bytes for b in v) else _NOT_PLAIN
    return _NOT_PLAIN


def _plain_nested(value: Any, b64: Callable[[bytes], str]) -> Any:
    """An M's map: its values are AttributeValues under their own (non-empty: the serializer writes an
    empty name's members into the map itself) names."""
    if type(value) is not dict:
        return _NOT_PLAIN
    out = {}
    for name, member in value.items():
        if type(name) is not str or not name:
            return _NOT_PLAIN
        plain = _plain_attribute_value(member, b64)
        if plain is _NOT_PLAIN:
            return _NOT_PLAIN
        out[name] = plain
    return out


def _plain_list(value: Any, b64: Callable[[bytes], str]) -> Any:
    if type(value) is not list:
        return _NOT_PLAIN
    items = [_plain_attribute_value(member, b64) for member in value]
    return _NOT_PLAIN if any(i is _NOT_PLAIN for i in items) else items


def _attribute_value_shape_is_as_expected() -> bool:
    """The shapes the fast path stands in for, as the fast path assumes them: AttributeValue's members,
    their types, the map and list members, no serialised names anywhere."""
    from moto.core.utils import get_service_model

    model = get_service_model("dynamodb")
    shape = model.shape_for("AttributeValue")
    if shape.type_name != "structure" or shape.serialization.get("name"):
        return False
    members = shape.members
    if {name: m.type_name for name, m in members.items()} != _ATTRIBUTE_VALUE_MEMBERS:
        return False
    if any(m.serialization.get("name") for m in members.values()):
        return False
    for name in ("SS", "NS", "BS"):
        if members[name].member.serialization.get("name") or members[name].member.type_name != (
                "blob" if name == "BS" else "string"):
            return False
    nested = (members["M"].value, members["L"].member)
    return all(s.name == "AttributeValue" and not s.serialization.get("name") for s in nested) and \
        members["M"].key.type_name == "string"


def _could_transform(transformers: Any) -> bool:
    """Whether a response transformer's key path could match a path inside an AttributeValue (they are
    matched by `endswith`, and those paths end with a member name)."""
    return any(path and path[-1] in "SNBML" for path in (transformers or {}))


def fast_dynamodb_json() -> bool:
    """Make moto's DynamoDB JSON serializer write each AttributeValue (every item of Query, Scan, GetItem,
    BatchGetItem, ... and every key) directly instead of walking its botocore shape member by member.

    moto's generic serializer looks up each of AttributeValue's ten members in every attribute of every
    item through a chain of alias providers: with 50 items per page it was ~80 % of a list screen's time.
    The serializer itself still builds everything else (the output structure, its key order, the status,
    the headers) and the same `json.dumps`; only an AttributeValue that is exactly one of the shapes moto
    produces (str S/N, bytes B, bool NULL/BOOL, lists of those for sets, nested M/L of the same) is written
    by `_plain_attribute_value`, which gives what the serializer would; anything else, and everything
    when a response transformer could apply, goes through the serializer as before. Not installed if the
    botocore model differs from what this assumes. Returns whether it is in place."""
    try:
        from moto.core import serialize
    except ImportError:
        return False
    current = serialize.SERVICE_SPECIFIC_SERIALIZERS.get("dynamodb", {}).get("json")
    if current is not None:
        return bool(getattr(current, "plain_attribute_values", False))
    if not _attribute_value_shape_is_as_expected():
        return False

    class DynamoJSONSerializer(serialize.JSONSerializer):
        plain_attribute_values = True

        def _serialize(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
            if key and shape.name == "AttributeValue" and not _could_transform(
                    getattr(self._value_picker, "response_transformers", None)):
                plain = _plain_attribute_value(value, self._base64)
                if plain is not _NOT_PLAIN:
                    serialized[key] = plain  # the serializer's _default_serialize (no serialised name)
                    return
            super()._serialize(serialized, value, shape, key)

    serialize.SERVICE_SPECIFIC_SERIALIZERS.setdefault("dynamodb", {})["json"] = DynamoJSONSerializer
    return True
