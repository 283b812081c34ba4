"""Settlement benchmark (issue 3, docs/SPEC.md §6.1): a month of usage, imported and paid, against DuckDB.

    python -m bench.settlement [--rows 1000000] [--stores 15000] [--runs 3] [--seed N] [--keep DIR] [--cp932]

Generates (seeded, in a temporary directory) a console export as it would arrive: a million rows for
15,000 stores with a Zipf-like skew, ~2% cancellations, ~1% re-exported (duplicated) rows, a few
overlapping rows of the previous month and a handful of broken lines. Then, in one process:

- ours: read the file, ``parse_usage_export``, per-store amounts for the month, the Zengin 総合振込
  file (``build_transfer_file``) and the statement CSV (UTF-8 with BOM) — the path a Lambda runs —
  twice: with the engine (DuckDB, chalicelib/usage/engine.py: "after", issue 14) and with the
  pure-Python reader (``engine="python"``: "before");
- DuckDB: the same CSV aggregated in SQL with the same rules (valid lines, first row per 取引ID).

The file is read as generated (UTF-8 with BOM) and, with ``--cp932``, also as CP932 (the same rows
transcoded). Prints one table per encoding: median seconds of each, the ratios, each path's peak
memory (measured in a fresh subprocess so DuckDB's allocations don't count) and whether the targets
hold — ≤1.5x DuckDB (issues 3 and 14), ≤3x (docs/SPEC.md §6.1), peak < 256 MB (issue 14) — and
whether the totals equal each other and the generator's own ledger, per month and store, to the
point, and both of our paths give the same import result.

Timing is wall-clock on whatever machine runs it; DuckDB uses all its threads, we use one.
"""

from __future__ import annotations

import argparse
import csv
import gc
import gzip
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from chalicelib.kernel.calendars import payment_date
from chalicelib.settlement.zengin_writer import Requester, Transfer, build_transfer_file
from chalicelib.usage.export import KnownIds, txn_id_lines
from chalicelib.usage.parser import ImportResult, parse_usage_export

MONTH = "2025-06"
TARGET_RATIO_ISSUE = 1.5
TARGET_RATIO_SPEC = 3.0
TARGET_PEAK_MB = 256
ENGINES = ("auto", "python")  # after (the engine), before (the pure-Python reader)
HEADER = ("取引ID", "取引日時", "店舗ID", "店舗名", "利用ポイント", "取引区分")

REQUESTER = Requester(
    requester_code="1234567890",
    name="ﾐﾔｷﾞｹﾝ ﾃﾞｼﾞﾀﾙﾎﾟｲﾝﾄ ｼﾞﾑｷﾖｸ",
    bank_code="0125",
    bank_name="ｼﾁｼﾞﾕｳｼﾁ",
    branch_code="100",
    branch_name="ﾎﾝﾃﾝ",
    account_type="1",
    account_number="1234567",
)

_TOWNS = ("仙台", "石巻", "塩竈", "気仙沼", "名取", "多賀城", "松島", "白石", "登米", "栗原", "大崎", "富谷")
_TRADES = ("商店", "食堂", "書店", "薬局", "ベーカリー", "鮮魚店", "カフェ", "酒店", "青果", "理容室", "精肉店", "茶舗")
# Lines a real export occasionally carries, each rejected with its own reason.
_BROKEN_LINES = (
    ["{id}", "2025-06-31 10:00:00", "MP000001", "存在しない日", "100", "利用"],
    ["{id}", "2025-06-15 25:10:00", "MP000001", "存在しない時刻", "100", "利用"],
    ["{id}", "2025-06-15 10:00:00", "MP12345", "店舗ID桁不足", "100", "利用"],
    ["{id}", "2025-06-15 10:00:00", "MP000001", "ゼロ", "0", "利用"],
    ["{id}", "2025-06-15 10:00:00", "MP000001", "マイナス", "-300", "利用"],
    ["{id}", "2025-06-15 10:00:00", "MP000001", "小数", "12.5", "利用"],
    ["{id}", "2025-06-15 10:00:00", "MP000001", "区分", "100", "返品"],
    ["", "2025-06-15 10:00:00", "MP000001", "ID空", "100", "利用"],
    ["{id}", "2025-06-15 10:00:00", "MP000001", "列不足", "100"],
)


# --- the export ---------------------------------------------------------------------------------


@dataclass
class Generated:
    path: Path
    rows: int  # data lines
    stores: int
    duplicates: int
    broken: int
    cancellations: int
    truth: dict[tuple[str, str], int] = field(repr=False)  # the generator's own ledger


def _month_start(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _store_name(rng: random.Random, number: int) -> str:
    if number % 997 == 0:  # a name the writer must quote
        return f"海の幸{number}号, {rng.choice(_TOWNS)}本店"
    return f"{rng.choice(_TOWNS)}{rng.choice(_TRADES)} {number}"


def generate(directory: Path, rows: int, stores: int, seed: int = 20250601, month: str = MONTH) -> Generated:
    """Write the export (UTF-8 with BOM, CRLF) and return what it holds."""
    rng = random.Random(seed)
    duplicates = rows // 100
    broken = min(len(_BROKEN_LINES), max(0, rows - duplicates - 1))
    base = rows - duplicates - broken
    names = [_store_name(rng, n) for n in range(1, stores + 1)]
    # Zipf-like: the k-th busiest store has weight 1/k (a few supermarkets, a long tail of small shops).
    cum_weights = list(accumulate(1 / k for k in range(1, stores + 1)))
    picks = rng.choices(range(stores), cum_weights=cum_weights, k=base)
    rng.shuffle(names)  # the busy stores are not the low numbers

    start = _month_start(month)
    next_start = (start + timedelta(days=32)).replace(day=1)
    span = (next_start - start).days * 86_400
    overlap = 86_400  # rows of the previous month's last day: exports overlap
    moments = sorted(rng.randrange(-overlap, 0) if rng.random() < 0.003 else rng.randrange(span) for _ in range(base))

    truth: dict[tuple[str, str], int] = {}
    lines: list[tuple[int, int, list[str]]] = []  # (sort second, tie-break, row)
    cancellations = 0
    for seq, (store_index, second) in enumerate(zip(picks, moments, strict=True), start=1):
        day = start + timedelta(days=second // 86_400) if second >= 0 else start - timedelta(days=1)
        at = f"{day.isoformat()} {_clock(second % 86_400)}"
        store_id = f"MP{store_index + 1:06d}"
        points = int(rng.lognormvariate(6.8, 0.9)) + 1
        cancel = rng.random() < 0.02
        cancellations += cancel
        row = [f"TX{seq:010d}", at, store_id, names[store_index], str(points), "取消" if cancel else "利用"]
        lines.append((second, seq, row))
        key = (at[:7], store_id)
        truth[key] = truth.get(key, 0) + (-points if cancel else points)
    for i in range(duplicates):  # the same row exported again, a little later in the file
        second, _, row = lines[rng.randrange(base)]
        lines.append((second + rng.randrange(3600), base + i + 1, row))
    for i in range(broken):
        template = _BROKEN_LINES[i]
        row = [cell.replace("{id}", f"BAD{i:07d}") for cell in template]
        lines.append((rng.randrange(span), rows + i, row))
    lines.sort(key=lambda item: (item[0], item[1]))

    path = directory / f"usage-{month}-{rows}.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(row for _, _, row in lines)
    return Generated(path, rows, stores, duplicates, broken, cancellations, truth)


# --- our path -----------------------------------------------------------------------------------


def _transfer(store_id: str, amount: int) -> Transfer:
    # Fake but valid bank data: the benchmark measures the writer, not the bank master.
    return Transfer(
        bank_code="0125",
        bank_name="ｼﾁｼﾞﾕｳｼﾁ",
        branch_code="100",
        branch_name="ﾎﾝﾃﾝ",
        account_type="1",
        account_number=store_id[2:].rjust(7, "0"),
        holder_name="ﾃｽﾄ ﾃﾝﾎﾟ",
        amount=amount,
        customer_code1=store_id[2:],
    )


def build_statement(month: str, result: ImportResult, amounts: dict[str, int]) -> bytes:
    """The prefecture's statement, one line per store and a total line (CSV, UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["利用月", "店舗ID", "店舗名", "件数", "利用ポイント", "支払額(円)", "状態"])
    total_rows = total_points = total_paid = 0
    for store_id, points in sorted(amounts.items()):
        rows = result.counts[month, store_id]
        paid = points if points > 0 else 0
        status = "支払" if points > 0 else "保留（金額が0以下）"
        writer.writerow([month, store_id, result.store_names.get(store_id, ""), rows, points, paid, status])
        total_rows, total_points, total_paid = total_rows + rows, total_points + points, total_paid + paid
    writer.writerow([month, "合計", "", total_rows, total_points, total_paid, ""])
    return out.getvalue().encode("utf-8-sig")


def our_path(path: Path, month: str = MONTH, engine: str = "auto", ledger: Path | None = None) -> dict[str, Any]:
    """Import + aggregation + files, as the Lambda would run them on one export (downloaded to its /tmp:
    the engine reads the file from there; the Python reader reads it into memory). ``ledger``: the ids
    committed imports counted in the file's months (gzip, one a line), asked as the service asks them."""
    if ledger is None:
        result = parse_usage_export(path, engine=engine)
    else:
        counted = ledger.read_bytes()
        result = parse_usage_export(path, engine=engine,
                                    known_for=lambda months: KnownIds([gzip.decompress(counted)]))
    amounts = result.store_totals(month)
    transfers = [_transfer(store_id, amount) for store_id, amount in sorted(amounts.items()) if amount > 0]
    zengin = build_transfer_file(REQUESTER, payment_date(month), transfers)
    statement = build_statement(month, result, amounts)
    return {
        "result": result,
        "paid": sum(t.amount for t in transfers),
        "payees": len(transfers),
        "zengin": zengin,
        "statement": statement,
    }


# --- DuckDB -------------------------------------------------------------------------------------

_DUCKDB_SQL = """
WITH raw AS (
    SELECT * FROM read_csv(?, header = true, all_varchar = true, null_padding = true)
), valid AS (
    SELECT "取引ID" AS txn, left("取引日時", 7) AS month, "店舗ID" AS store,
           TRY_CAST("利用ポイント" AS BIGINT) * CASE "取引区分" WHEN '利用' THEN 1 ELSE -1 END AS net
    FROM raw
    WHERE coalesce(trim("取引ID"), '') <> ''
      AND try_strptime("取引日時", '%Y-%m-%d %H:%M:%S') IS NOT NULL
      AND regexp_full_match("店舗ID", 'MP[0-9]{6}')
      AND regexp_full_match("利用ポイント", '[0-9]+') AND TRY_CAST("利用ポイント" AS BIGINT) > 0
      AND "取引区分" IN ('利用', '取消')
), first_rows AS (
    SELECT * FROM valid QUALIFY row_number() OVER (PARTITION BY txn) = 1
)
SELECT month, store, sum(net)::BIGINT, count(*) FROM first_rows GROUP BY month, store
"""


def duckdb_path(path: Path, threads: int | None = None) -> dict[tuple[str, str], int]:
    """(month, store) -> net points, by DuckDB (all cores unless ``threads``). The bench file has only
    the console's datetime form and no conflicting duplicates, so these rules are ours for this file."""
    import duckdb  # dev dependency, only for the benchmark

    with duckdb.connect() as con:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        rows = con.execute(_DUCKDB_SQL, [str(path)]).fetchall()
    return {(month, store): int(net) for month, store, net, _ in rows}


def _duckdb_version_and_threads() -> tuple[str, int]:
    import duckdb

    with duckdb.connect() as con:
        row = con.execute("SELECT current_setting('threads')").fetchone()
        assert row is not None
        return duckdb.__version__, int(row[0])


# --- measuring ----------------------------------------------------------------------------------


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def _peak_rss_mb() -> float:
    # VmHWM is this process's own high-water mark; ru_maxrss would carry over the parent's peak
    # through fork/exec on Linux (DuckDB's, here).
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) / 1024


def measure_memory(path: Path, month: str, engine: str = "auto", ledger: Path | None = None) -> dict[str, float]:
    """Run our path twice in this (fresh) process: once plain for the peak RSS, once traced."""
    if engine != "python":
        import duckdb  # noqa: F401  # loaded by the import path: its size is part of the baseline
    baseline_mb = _peak_rss_mb()
    our_path(path, month, engine, ledger)
    gc.collect()
    peak_rss_mb = _peak_rss_mb()
    tracemalloc.start()
    our_path(path, month, engine, ledger)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak_rss_mb": peak_rss_mb, "baseline_rss_mb": baseline_mb, "tracemalloc_peak_mb": traced_peak / 2**20}


def _memory_in_subprocess(path: Path, month: str, engine: str, ledger: Path | None = None) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.settlement", "--measure-memory", str(path), "--month", month,
               "--engine", engine, *(["--ledger", str(ledger)] if ledger else [])]
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=root, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def reconcile(ours: ImportResult, duck: dict[tuple[str, str], int], truth: dict[tuple[str, str], int]) -> bool:
    return ours.totals == duck == truth and sum(ours.totals.values()) == sum(duck.values())


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def _last_month_ledger(target: Path, generated: Generated, repeated: int = 1_000) -> tuple[Path, int]:
    """The ledger of last month's import as the service reads it (gzip, one id a line): as many ids as
    this export has rows, the first ``repeated`` ids this export counts among them (a month's export repeats
    a few rows of the month before). Returns the file and how many of this export's rows it makes
    duplicates."""
    ids = parse_usage_export(generated.path).new_txn_ids[:repeated]
    own = [f"LM{i:010d}" for i in range(generated.rows - len(ids))]
    target.write_bytes(gzip.compress(txn_id_lines([*own, *ids]), 1))
    return target, len(ids)


def _cp932_copy(path: Path) -> Path:
    """The same export as Excel on a Japanese PC would save it: CP932, no BOM."""
    target = path.with_name(path.stem + "-cp932.csv")
    target.write_bytes(path.read_bytes().decode("utf-8-sig").encode("cp932"))
    return target


def _compare(path: Path, label: str, runs: int, month: str, generated: Generated, stores: int,
             extra: list[tuple[str, str, str]]) -> bool:
    seconds: dict[str, list[float]] = {engine: [] for engine in (*ENGINES, "known", "duckdb", "duckdb1")}
    ours: dict[str, dict[str, Any]] = {}
    duck: dict[tuple[str, str], int] = {}
    duck_file = path if label == "UTF-8" else generated.path  # DuckDB reads UTF-8 only: its own copy
    ledger, repeated = _last_month_ledger(path.with_name(path.stem + "-ledger.txt.gz"), generated)
    for _ in range(runs):  # interleaved, so a noisy neighbour hurts all alike
        for engine in ENGINES:
            took, ours[engine] = _timed(lambda engine=engine: our_path(path, month, engine))  # type: ignore[misc]
            seconds[engine].append(took)
        took, ours["known"] = _timed(lambda: our_path(path, month, "auto", ledger))
        seconds["known"].append(took)
        took, duck = _timed(lambda: duckdb_path(duck_file))
        seconds["duckdb"].append(took)
        took, _ = _timed(lambda: duckdb_path(duck_file, threads=1))
        seconds["duckdb1"].append(took)
    memory = {engine: _memory_in_subprocess(path, month, engine) for engine in ENGINES}
    memory["known"] = _memory_in_subprocess(path, month, "auto", ledger)
    version, threads = _duckdb_version_and_threads()
    median = {name: statistics.median(values) for name, values in seconds.items()}
    after, before = ours["auto"]["result"], ours["python"]["result"]
    same = after == before and ours["auto"]["zengin"] == ours["python"]["zengin"] and \
        ours["auto"]["statement"] == ours["python"]["statement"]
    reconciled = reconcile(after, duck, generated.truth) and reconcile(before, duck, generated.truth)
    ratio = {engine: median[engine] / median["duckdb"] for engine in (*ENGINES, "known")}
    peak = {engine: max(memory[engine]["peak_rss_mb"], memory[engine]["tracemalloc_peak_mb"])
            for engine in (*ENGINES, "known")}
    known = ours["known"]["result"]
    # Last month's ids known: the rows it repeats are duplicates now, and nothing else changes.
    known_ok = (known.duplicates == after.duplicates + repeated and known.accepted == after.accepted - repeated
                and known.rejected == after.rejected)
    size_mb = path.stat().st_size / 2**20
    result = after

    def times(name: str) -> str:
        return " ".join(f"{s:.2f}" for s in seconds[name])

    table = [
        ("rows (data lines)", f"{result.rows:,}", ""),
        ("stores", f"{len({s for _, s in result.totals}):,} of {stores:,}", ""),
        ("file", f"{size_mb:,.1f} MB {label}", f"read as {result.encoding}"),
        *extra,
        ("accepted / duplicates / rejected", f"{result.accepted:,} / {result.duplicates:,} / {len(result.rejected)}",
         f"expected dup {generated.duplicates:,}, rejected {generated.broken}"),
        ("payees / paid", f"{ours['auto']['payees']:,} / ¥{ours['auto']['paid']:,}",
         f"zengin {len(ours['auto']['zengin']):,} B, statement {len(ours['auto']['statement']):,} B"),
        (f"DuckDB {version}, {threads} threads (s)", f"{median['duckdb']:.2f}", times("duckdb")),
        ("before: pure Python (s)", f"{median['python']:.2f}", times("python")),
        ("before: ratio / DuckDB", f"{ratio['python']:.2f}x", ""),
        ("before: peak RSS (MB)", f"{memory['python']['peak_rss_mb']:.0f}",
         f"tracemalloc {memory['python']['tracemalloc_peak_mb']:.0f} MB, "
         f"{memory['python']['baseline_rss_mb']:.0f} MB after imports"),
        ("after: engine (s)", f"{median['auto']:.2f}", times("auto")),
        ("after: ratio / DuckDB", f"{ratio['auto']:.2f}x", "the targets below are against this"),
        ("after: peak RSS (MB)", f"{memory['auto']['peak_rss_mb']:.0f}",
         f"tracemalloc {memory['auto']['tracemalloc_peak_mb']:.0f} MB, "
         f"{memory['auto']['baseline_rss_mb']:.0f} MB after imports (duckdb included)"),
        ("with last month's ids known (s)", f"{median['known']:.2f}",
         f"{ratio['known']:.2f}x DuckDB; {generated.rows:,} ids, {repeated:,} repeated here; {times('known')}"),
        ("with them: peak RSS (MB)", f"{memory['known']['peak_rss_mb']:.0f}", "the month's usual import"),
        ("DuckDB, 1 thread (s)", f"{median['duckdb1']:.2f}",
         f"after / it {median['auto'] / median['duckdb1']:.2f}x — a 512 MB Lambda has less than one vCPU"),
        (f"after ≤ {TARGET_RATIO_ISSUE}x DuckDB (issues 3, 14)", _yes(ratio["auto"] <= TARGET_RATIO_ISSUE), ""),
        (f"after ≤ {TARGET_RATIO_SPEC:.0f}x DuckDB (SPEC §6.1)", _yes(ratio["auto"] <= TARGET_RATIO_SPEC), ""),
        (f"after peak < {TARGET_PEAK_MB} MB (issue 14)", _yes(peak["auto"] < TARGET_PEAK_MB), ""),
        (f"with last month's ids ≤ {TARGET_RATIO_ISSUE}x / < {TARGET_PEAK_MB} MB",
         f"{_yes(ratio['known'] <= TARGET_RATIO_ISSUE)} / {_yes(peak['known'] < TARGET_PEAK_MB)}",
         "and its repeats are exactly the duplicates added: " + _yes(known_ok)),
        ("before and after give the same result", _yes(same), "report, totals, names, ids, files"),
        ("totals reconcile", _yes(reconciled), "ours (both) = DuckDB = generator, per month and store"),
    ]
    width = max(len(name) for name, _, _ in table)
    value_width = max(len(value) for _, value, _ in table)
    print(f"settlement benchmark — usage month {month}, {label}")
    for name, value, note in table:
        print(f"  {name:<{width}}  {value:>{value_width}}  {note}".rstrip())
    print(f"totals reconcile: {'yes' if reconciled and same and known_ok else 'no'}")
    return reconciled and same and known_ok


def run(rows: int, stores: int, runs: int, seed: int, keep: Path | None, month: str = MONTH,
        cp932: bool = False) -> bool:
    with tempfile.TemporaryDirectory(prefix="bench-settlement-") as tmp:
        directory = keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        generated = generate(directory, rows, stores, seed, month)
        generation_s = time.perf_counter() - started
        extra = [("generated", f"{generation_s:.1f} s", f"seed {seed}, BOM, CRLF")]
        ok = _compare(generated.path, "UTF-8", runs, month, generated, stores, extra)
        if cp932:
            print()
            ok = _compare(_cp932_copy(generated.path), "CP932", runs, month, generated, stores, []) and ok
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.settlement", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--stores", type=int, default=15_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side (median)")
    parser.add_argument("--seed", type=int, default=20250601)
    parser.add_argument("--month", default=MONTH)
    parser.add_argument("--keep", type=Path, help="write the generated CSV here instead of a temporary directory")
    parser.add_argument("--cp932", action="store_true", help="also read the same rows as a CP932 file")
    parser.add_argument("--engine", default="auto", choices=ENGINES, help=argparse.SUPPRESS)  # --measure-memory's
    parser.add_argument("--measure-memory", type=Path, help=argparse.SUPPRESS)  # the subprocess's entry
    parser.add_argument("--ledger", type=Path, help=argparse.SUPPRESS)  # --measure-memory's known ids
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.measure_memory:
        print(json.dumps(measure_memory(args.measure_memory, args.month, args.engine, args.ledger)))
        return 0
    return 0 if run(args.rows, args.stores, args.runs, args.seed, args.keep, args.month, args.cp932) else 1


if __name__ == "__main__":
    raise SystemExit(main())
