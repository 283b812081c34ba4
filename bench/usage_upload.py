"""A large usage export through the real local stack, the way the console sends it (issue 8).

Starts `python -m scripts.local_stack` on free ports, generates an export of about MB megabytes
(default 200; ~72 bytes a row, the shape of the payment provider's file), asks the API for the
presigned POST (`POST /usage-imports/uploads`), posts the file to the local S3 with it, and follows
`GET /usage-imports/{id}` until the emulated S3 event (scripts/local_events.py) has imported it.
Then posts the same file again (said as "the same file as" the first, without parsing it twice more).
Prints the time of each step and the stack's peak memory. Run: `python -m bench.usage_upload [MB]`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.e2e.conftest import ROOT, start_stack
from tests.s3_form import post_form

HEADER = "取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n"


def generate(path: Path, megabytes: int, stores: int = 15_000) -> int:
    """An export of about `megabytes` MB in one month (2033-06, which no test settles); returns rows."""
    target = megabytes * 1_000_000
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        written = len(HEADER.encode())
        while written < target:
            chunk = "".join(
                f"T{rows + i:09d},2033-06-{1 + (rows + i) % 30:02d} {(rows + i) % 24:02d}:15:00,"
                f"MP{100000 + (rows + i) % stores:06d},店舗{(rows + i) % stores:05d},{1 + (rows + i) % 3000},利用\n"
                for i in range(10_000))
            out.write(chunk)
            written += len(chunk.encode())
            rows += 10_000
    return rows


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _upload(stack, data: bytes) -> tuple[str, float, float, float | None, dict]:  # type: ignore[no-untyped-def]
    """(import id, upload s, upload → done s, upload → handler started s, report)."""
    status, grant = stack.request("POST", "/usage-imports/uploads", {"filename": "usage-big.csv", "size": len(data)},
                                  token="accountant")
    assert status == 201, grant
    t1 = time.perf_counter()
    status, _, body = post_form(grant, data, origin=stack.base, timeout=600)
    uploaded = time.perf_counter() - t1
    assert status == 204, body[:500]
    t2 = time.perf_counter()
    report: dict = {}
    started_at = None
    while time.perf_counter() - t2 < 1800:
        status, report = stack.request("GET", f"/usage-imports/{grant['import_id']}", token="accountant")
        if report.get("processing_started_at") and started_at is None:
            started_at = time.perf_counter() - t2
        if report.get("status") in ("committed", "rejected"):
            break
        time.sleep(0.5)
    return grant["import_id"], uploaded, time.perf_counter() - t2, started_at, report


def run(megabytes: int = 200) -> int:
    log = ROOT / ".local" / "bench-upload-stack.log"
    gen = start_stack(log)
    stack = next(gen)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "usage-big.csv"
            t0 = time.perf_counter()
            rows = generate(path, megabytes)
            generated = time.perf_counter() - t0
            first = _upload(stack, path.read_bytes())
            again = _upload(stack, path.read_bytes())
        import_id, uploaded, imported, started_at, report = first
        size_mb = report.get("size", 0) / 1_048_576
        print(f"usage export through the local stack ({import_id}, then the same file again)")
        print(f"{'step':<44} {'value':>14}")
        print(f"{'file':<44} {size_mb:>10.1f} MiB")
        print(f"{'rows':<44} {rows:>14,}")
        print(f"{'generate the file':<44} {generated:>12.1f} s")
        print(f"{'presigned POST to the local S3 (moto)':<44} {uploaded:>12.1f} s")
        print(f"{'  upload rate':<44} {size_mb / uploaded:>8.1f} MiB/s")
        print(f"{'upload → handler started (event pump)':<44} {started_at or float('nan'):>12.1f} s")
        print(f"{'upload → committed (parse, ledger, usage)':<44} {imported:>12.1f} s")
        print(f"{'status':<44} {report.get('status'):>14}")
        print(f"{'accepted / duplicates / rejected':<44} "
              f"{report.get('accepted', 0):,} / {report.get('duplicates', 0):,} / {report.get('rejected_count', 0):,}")
        print(f"{'the same file again: upload → committed':<44} {again[2]:>12.1f} s")
        print(f"{'  said as':<44} {'same as ' + str(again[4].get('same_file_as')):>14}")
        print(f"{'local stack peak RSS (moto + app)':<44} {_peak_rss_mb(stack.process.pid):>10.0f} MiB")
        ok = report.get("status") == "committed" and report.get("accepted") == rows
        return 0 if ok and again[4].get("same_file_as") == import_id and again[4].get("accepted") == 0 else 1
    finally:
        try:
            next(gen)
        except StopIteration:
            pass


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    return run(int(args[0]) if args else 200)


if __name__ == "__main__":
    raise SystemExit(main())
