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
(their pages are cut by key order).
"""

from __future__ import annotations

import copy
import io
import threading
from collections.abc import Callable, Iterable
from typing import Any

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
        app = OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-aws", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


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
        if key is None:
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

    def all_items(self: Any) -> list[Any]:
        scope = getattr(_query, "scope", None)
        if scope is None or scope[0] is not self:
            return original_all_items(self)
        _, hash_key, index_name = scope
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
        return items

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        hash_key = args[0] if args else kwargs.get("hash_key")
        index_name = kwargs.get("index_name", args[7] if len(args) > 7 else None)
        if index_name is None and hash_key is None:
            return original_query(self, *args, **kwargs)
        previous = getattr(_query, "scope", None)
        _query.scope = (self, hash_key, index_name)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _query.scope = previous

    query.one_partition = True  # type: ignore[attr-defined]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    return True
