"""Import a module on first attribute access, safely from any thread.

Every route lives in one Lambda function, so a cold start would otherwise import every area's
services for a request that needs one of them. Routes reference services through these proxies.

The proxy is not the module: it stands in the route module's namespace only, and on first use
imports the real module with `importlib.import_module`, under the import system's own per-module
locks. Another thread that imports or uses the module meanwhile waits until it is fully executed,
so nobody ever sees it half-loaded. (The stdlib's `importlib.util.LazyLoader` puts a half-built
module object into `sys.modules`; before Python 3.12.3/3.13 it had no lock at all, and a thread
importing the module normally while another loaded it lazily could still read an attribute the
module body had not defined yet: "module 'chalicelib.settlement.service' has no attribute 'draft'".)
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from types import ModuleType
from typing import Any

_PROXIES: list[LazyModule] = []
_REGISTRY_LOCK = threading.Lock()


class LazyModule(ModuleType):
    """Stands for the module `name`: reading an attribute reads the real module's."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        object.__setattr__(self, "_lazy_target", None)

    def _lazy_load(self) -> ModuleType:
        target: ModuleType | None = self.__dict__["_lazy_target"]
        if target is None:
            # Thread-safe: the import system serialises the module's execution and makes every
            # other importer wait until it is complete. Only a finished import is remembered.
            target = importlib.import_module(self.__name__)
            object.__setattr__(self, "_lazy_target", target)
        return target

    def __getattr__(self, attr: str) -> Any:
        # Only for names the proxy itself lacks: a name set on the proxy (a test patching what the
        # routes see) shadows the module's until it is deleted again.
        return getattr(self._lazy_load(), attr)

    def __dir__(self) -> list[str]:
        return dir(self._lazy_load())

    def __repr__(self) -> str:
        state = "loaded" if self.__dict__["_lazy_target"] is not None else "not loaded yet"
        return f"<lazy module {self.__name__!r} ({state})>"


def lazy_module(name: str) -> ModuleType:
    """A stand-in for module `name`, imported when first used."""
    if importlib.util.find_spec(name) is None:  # a typo fails at import time, not on first request
        raise ImportError(name)
    proxy = LazyModule(name)
    with _REGISTRY_LOCK:
        _PROXIES.append(proxy)
    return proxy


def load_all() -> list[str]:
    """Import every module a proxy stands for, now (a long-running server does it before serving:
    no first request pays for an import or races another thread's). Returns their names."""
    with _REGISTRY_LOCK:
        proxies = list(_PROXIES)
    for proxy in proxies:
        proxy._lazy_load()
    return [p.__name__ for p in proxies]
