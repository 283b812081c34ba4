"""Route → service proxies (chalicelib.kernel.lazy): deferred, and safe when threads race a first import."""

from __future__ import annotations

import importlib
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import pytest

from chalicelib.kernel.lazy import LazyModule, lazy_module


@pytest.fixture
def slow_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A package whose `service` takes a while to execute and defines `draft` last, and whose `jobs`
    imports it the ordinary way (as the mail sweeper's job modules import the services)."""
    name = f"lazy_probe_{uuid.uuid4().hex[:8]}"
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "service.py").write_text(textwrap.dedent("""
        import time
        first = 1
        time.sleep(0.3)

        def draft():
            return "drafted"
    """))
    (pkg / "jobs.py").write_text(f"from {name} import service\nFIRST = service.first\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[mod]


def test_nothing_is_imported_until_first_use(slow_package: str) -> None:
    proxy = lazy_module(f"{slow_package}.service")
    assert isinstance(proxy, LazyModule)
    assert f"{slow_package}.service" not in sys.modules  # no half-built module is ever published
    assert "not loaded" in repr(proxy)
    assert proxy.draft() == "drafted"
    assert proxy.draft is sys.modules[f"{slow_package}.service"].draft


def test_a_missing_module_fails_at_import_time() -> None:
    with pytest.raises(ImportError):
        lazy_module("chalicelib.no_such_service")


def test_threads_racing_the_first_import_all_see_the_whole_module(slow_package: str) -> None:
    proxy = lazy_module(f"{slow_package}.service")
    errors: list[str] = []
    start = threading.Barrier(6)

    def ordinary_import() -> None:
        start.wait(timeout=10)
        try:
            importlib.import_module(f"{slow_package}.jobs")
        except Exception as exc:  # collected and asserted below
            errors.append(f"import: {exc!r}")

    def through_proxy() -> None:
        start.wait(timeout=10)
        try:
            assert proxy.draft() == "drafted"
        except Exception as exc:
            errors.append(f"proxy: {exc!r}")

    threads = [threading.Thread(target=ordinary_import)] + [threading.Thread(target=through_proxy) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert errors == []


def test_a_patch_on_the_proxy_is_what_its_users_see_until_undone(slow_package: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = lazy_module(f"{slow_package}.service")
    real = importlib.import_module(f"{slow_package}.service")
    with monkeypatch.context() as patch:
        patch.setattr(proxy, "draft", lambda: "patched")
        assert proxy.draft() == "patched" and real.draft() == "drafted"
    assert proxy.draft() == "drafted" and proxy.draft is real.draft
