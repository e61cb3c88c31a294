"""Issue 3, performance: the full shipped pack (every measure) over 1,000,000 entity-periods.

    python benchmarks/policy_full_pack.py [--n 1000000] [--repeat 3] [--csv-sizes 100000 1000000]

1. ``Engine.evaluate_batch`` of ``lishui-2015@2015.1`` (all 22 measures) over random but plausible facts for
   every fact the pack declares (a mix of organisation kinds, most in the pack's jurisdictions, about 2% of each
   fact unknown): wall time (target under 0.5 s), time per measure, and a cProfile of one run (top 10 functions).
2. Peak memory of that evaluation: tracemalloc's peak above what was allocated before, and the process's maximum
   resident set (``resource.getrusage``) — target under 2 GB.
3. Loading those facts from CSV (the ``lishui policy evaluate`` input layout: id, name, kind, division_code, one
   column per fact; money in yuan with two decimals, booleans true/false, dates YYYY-MM-DD, empty = unknown) into
   ``EntityColumns.from_arrays``, parsed with numpy and exact integer arithmetic (no floats), at 100,000 and
   1,000,000 rows: seconds and rows/s for each size, to show that it grows linearly. The CSV is generated once
   into ``var/`` and every parsed column is checked equal to the generated one. For comparison the CLI's own
   row-by-row reader (``lishui.policy.cli._read_entities`` + ``EntityColumns(pack, entities)``) is timed on the
   first ``--cli-rows`` rows.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import os
import pstats
import resource
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from lishui.policy.engine import Categorical, EntityColumns
from lishui.policy.lang import RationalColumn, Type
from lishui.policy.pack.model import Pack
from lishui.policy.service import packs

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
PACK = "lishui-2015@2015.1"
YEAR = 2016
ENTITY_COLUMNS = ("id", "name", "kind", "division_code")
CSV_FORMAT = "v1"

KINDS = {"enterprise": 0.55, "service_provider": 0.10, "park_operator": 0.03, "logistics": 0.05,
         "warehouse_center": 0.02, "station_operator": 0.06, "service_center": 0.02, "training": 0.03,
         "government": 0.02, "bank": 0.02, "person": 0.10}
DIVISIONS = {"331102": 0.55, "331100": 0.10, "331199": 0.05, "331121": 0.05, "331122": 0.05, "331123": 0.04,
             "331124": 0.04, "331125": 0.03, "331126": 0.03, "331127": 0.03, "331181": 0.03}
MISSING = 0.02  # share of entities for which each fact is unknown

# Plausible ranges: integers inclusive; money in yuan (uniform in fen); Decimal areas in m² with two decimals.
INTEGERS: dict[str, tuple[int, int]] = {
    "year": (YEAR, YEAR), "days_in_year": (366, 366), "center_level": (0, 3), "market_vendors": (0, 400),
    "tenancy_year": (0, 5), "enterprises_served": (0, 40), "orders_shipped": (0, 5_000_000),
    "days_operated": (0, 366), "m05_prior_qualifying_years": (0, 4), "rural_stations_new_accepted": (0, 10),
    "rural_stations_second_year": (0, 10), "rural_stations_third_year": (0, 10), "community_terminals": (0, 120),
    "community_stations_first_year": (0, 5), "community_stations_second_year": (0, 5),
    "community_stations_third_year": (0, 5), "m15_subsidy_year": (0, 5), "trainees_qualified": (0, 100),
    "months_employed": (0, 12), "demonstration_level": (0, 4), "m20_previous_level": (0, 3),
    "first_included_year": (2013, 2017),
}
MONEY_YUAN: dict[str, int] = {
    "park_ecommerce_retail": 500_000_000, "park_agri_ecommerce_retail": 200_000_000, "annual_rent": 200_000,
    "annual_broadband_fee": 50_000, "loan_principal": 10_000_000, "interest_paid": 600_000,
    "transformation_investment": 1_000_000, "payment_hardware_cost": 300_000, "software_dev_cost": 500_000,
    "cross_border_sales": 20_000_000, "international_postal_fees": 2_000_000, "overseas_warehouse_cost": 5_000_000,
    "bonded_import_value": 50_000_000, "branch_office_rent": 500_000, "booth_fee": 100_000,
    "image_display_fee": 100_000, "online_retail_base": 1_000_000_000,
}
BOOL_P: dict[str, float] = {"in_cross_border_park": 0.1, "is_cross_border": 0.15, "online_retail_included": 0.7,
                            "m20_level_awarded_before": 0.2, "software_public_procured": 0.2}


# ---------------------------------------------------------------- random facts

def make_entities(pack: Pack, n: int, seed: int = 2016) -> dict[str, Any]:
    """ids, kinds, divisions (object arrays for the CSV, and the same as categorical codes, as the service builds
    them), columns and present masks."""
    rng = np.random.default_rng(seed)
    kind_codes = rng.choice(len(KINDS), n, p=list(KINDS.values())).astype(np.int8)
    kinds = np.array(list(KINDS), dtype=object)[kind_codes]
    division_codes = rng.choice(len(DIVISIONS), n, p=list(DIVISIONS.values())).astype(np.int8)
    divisions = np.array(list(DIVISIONS), dtype=object)[division_codes]
    columns: dict[str, Any] = {}
    present: dict[str, np.ndarray] = {}
    for name, decl in pack.symbols.facts.items():
        t = decl.type
        if t is Type.BOOL:
            col: Any = rng.random(n) < BOOL_P.get(name, 0.5)
        elif t is Type.INTEGER:
            lo, hi = INTEGERS.get(name, (1, 10_000) if name.endswith("_ref") else (0, 100))
            col = rng.integers(lo, hi + 1, n)
        elif t is Type.MONEY:
            if name.startswith(("received_", "provincial_")):
                col = np.where(rng.random(n) < 0.7, 0, rng.integers(0, 50_000_000, n))
            else:
                col = rng.integers(0, MONEY_YUAN.get(name, 1_000_000) * 100 + 1, n)
        elif t is Type.DECIMAL:
            col = RationalColumn(rng.integers(0, 3_000_000, n), 100)  # up to 30,000.00 m²
        elif t is Type.DATE:
            col = np.datetime64("2015-01-01") + rng.integers(0, 731, n).astype("timedelta64[D]")
        else:  # pragma: no cover - every type is handled above
            raise AssertionError(t)
        columns[name] = col
        present[name] = rng.random(n) >= MISSING if name not in ("year", "days_in_year") else np.ones(n, bool)
    # Facts that depend on each other.
    c = columns
    c["market_vendors_online"] = (c["market_vendors"] * rng.random(n)).astype(np.int64)
    c["park_ecommerce_occupied_area"] = RationalColumn((c["park_operating_area"].num * rng.random(n) ** 0.3)
                                                       .astype(np.int64), 100)
    c["online_retail"] = np.maximum(c["online_retail_base"] + rng.integers(-10**9, 4 * 10**9, n), 0)
    c["online_retail_highest_prior"] = c["online_retail_base"] + rng.integers(0, 10**9, n)
    c["loan_end"] = c["loan_start"] + rng.integers(0, 1100, n).astype("timedelta64[D]")
    for name, col in list(c.items()):
        if isinstance(col, RationalColumn):
            c[name] = RationalColumn(np.ascontiguousarray(col.num, dtype=np.int64), col.den)
        elif col.dtype.kind in "iu":
            c[name] = np.ascontiguousarray(col, dtype=np.int64)
    return {"ids": np.arange(1, n + 1), "kinds": kinds, "divisions": divisions, "columns": c, "present": present,
            "kind_codes": Categorical(kind_codes, tuple(KINDS)),
            "division_codes": Categorical(division_codes, tuple(DIVISIONS))}


def entity_columns(pack: Pack, data: dict[str, Any]) -> EntityColumns:
    return EntityColumns.from_arrays(pack, ids=data["ids"], kinds=data["kind_codes"],
                                     divisions=data["division_codes"], columns=data["columns"],
                                     present=data["present"])


def nbytes(data: dict[str, Any]) -> int:
    total = sum(m.nbytes for m in data["present"].values())
    for col in data["columns"].values():
        total += col.num.nbytes if isinstance(col, RationalColumn) else col.nbytes
    return total


# ---------------------------------------------------------------- CSV: write once, parse with numpy

def _money_text(fen: np.ndarray) -> np.ndarray:
    whole = (fen // 100).astype("U")
    cents = np.strings.zfill((fen % 100).astype("U"), 2)
    return np.strings.add(np.strings.add(whole, "."), cents)


def write_csv(pack: Pack, data: dict[str, Any], path: Path, chunk: int = 100_000) -> None:
    facts = list(pack.symbols.facts)
    n = len(data["ids"])
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join([*ENTITY_COLUMNS, *facts]) + "\n")
        for a in range(0, n, chunk):
            b = min(n, a + chunk)
            ids = data["ids"][a:b].astype("U")
            cols = [ids, np.strings.add("测试企业", ids), data["kinds"][a:b].astype("U"),
                    data["divisions"][a:b].astype("U")]
            for name in facts:
                decl = pack.symbols.facts[name]
                col = data["columns"][name]
                if decl.type is Type.BOOL:
                    text = np.where(col[a:b], "true", "false")
                elif decl.type is Type.MONEY:
                    text = _money_text(col[a:b])
                elif decl.type is Type.DECIMAL:
                    text = _money_text(col.num[a:b])  # two decimals, den 100
                elif decl.type is Type.DATE:
                    text = col[a:b].astype("U")
                else:
                    text = col[a:b].astype("U")
                cols.append(np.where(data["present"][name][a:b], text, ""))
            lists = [c.tolist() for c in cols]
            out.write("\n".join(map(",".join, zip(*lists, strict=True))) + "\n")
    tmp.replace(path)


class CsvError(ValueError):
    pass


_POW10 = 10 ** np.arange(19, dtype=np.int64)


def _gather(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int, right: bool) -> tuple[np.ndarray,
                                                                                                    np.ndarray]:
    """Each field's bytes in a (rows, width) matrix, right- or left-aligned, and where they are real."""
    offsets = np.arange(width)
    idx = (ends[:, None] - width + offsets) if right else (starts[:, None] + offsets)
    valid = (idx >= starts[:, None]) & (idx < ends[:, None])
    ch = buf[np.clip(idx, 0, len(buf) - 1)]
    return np.where(valid, ch, 0), valid


def _fail(rows_ok: np.ndarray, first_row: int, name: str, what: str) -> None:
    bad = np.flatnonzero(~rows_ok)
    if len(bad):
        raise CsvError(f"row {first_row + int(bad[0])}, column {name}: {what} ({len(bad)} rows)")


def _digits(buf: np.ndarray, s: np.ndarray, e: np.ndarray, first_row: int, name: str,
            decimals_allowed: int) -> tuple[np.ndarray, np.ndarray]:
    """Unsigned decimal numbers, exactly: (value × 10**decimals_allowed as int64, present)."""
    width = e - s
    present = width > 0
    w = int(width.max()) if len(width) else 0
    if w == 0:
        return np.zeros(len(s), dtype=np.int64), present
    if w > 18:
        _fail(width <= 18, first_row, name, "number too long")
    ch, valid = _gather(buf, s, e, w, right=True)
    dot = (ch == 46) & valid
    ndots = dot.sum(axis=1)
    _fail(ndots <= 1, first_row, name, "not a number")
    digit = valid & ~dot
    d = ch.astype(np.int64) - 48
    _fail(~(digit & ((d < 0) | (d > 9))).any(axis=1), first_row, name, "not a non-negative number")
    # Position of the dot from the right = number of decimals (0 when there is none).
    decimals = np.where(ndots > 0, w - 1 - np.argmax(dot, axis=1), 0)
    _fail(decimals <= decimals_allowed, first_row, name, f"more than {decimals_allowed} decimals")
    # Exponent of each digit: its distance from the right end, less one for digits left of the dot.
    exponent = (w - 1 - np.arange(w))[None, :] - (np.arange(w)[None, :] < (w - 1 - decimals)[:, None]) * (ndots > 0)[
        :, None]
    value = (np.where(digit, d, 0) * _POW10[np.clip(exponent, 0, 18)]).sum(axis=1)
    return value * _POW10[decimals_allowed - decimals], present


_BOOL_WORDS = {b"true": True, b"1": True, b"yes": True, b"y": True,
               b"false": False, b"0": False, b"no": False, b"n": False}


def _key(ch: np.ndarray) -> np.ndarray:
    return (ch.astype(np.uint64) * (256 ** np.arange(ch.shape[1], dtype=np.uint64))).sum(axis=1)


_BOOL_KEYS = _key(np.array([np.frombuffer(w.ljust(5, b"\0"), np.uint8) for w in _BOOL_WORDS]))
_TRUE_KEYS = _BOOL_KEYS[np.array(list(_BOOL_WORDS.values()))]


def _bools(buf: np.ndarray, s: np.ndarray, e: np.ndarray, first_row: int, name: str) -> tuple[np.ndarray,
                                                                                              np.ndarray]:
    width = e - s
    present = width > 0
    _fail(width <= 5, first_row, name, "expected true/false")
    ch, _ = _gather(buf, s, e, 5, right=False)
    ch = np.where((ch >= 65) & (ch <= 90), ch | 32, ch)  # ASCII lower case
    key = _key(ch)
    _fail(np.isin(key, _BOOL_KEYS) | ~present, first_row, name, "expected true/false")
    return np.isin(key, _TRUE_KEYS), present


def _dates(buf: np.ndarray, s: np.ndarray, e: np.ndarray, first_row: int, name: str) -> tuple[np.ndarray,
                                                                                              np.ndarray]:
    width = e - s
    present = width > 0
    _fail((width == 10) | ~present, first_row, name, "expected a date YYYY-MM-DD")
    ch, _ = _gather(buf, s, e, 10, right=False)
    d = ch.astype(np.int64) - 48
    digit_pos = [0, 1, 2, 3, 5, 6, 8, 9]
    shape_ok = (ch[:, 4] == 45) & (ch[:, 7] == 45) & ((d[:, digit_pos] >= 0) & (d[:, digit_pos] <= 9)).all(axis=1)
    _fail(shape_ok | ~present, first_row, name, "expected a date YYYY-MM-DD")
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 5] * 10 + d[:, 6]
    day = d[:, 8] * 10 + d[:, 9]
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    _fail(ok | ~present, first_row, name, "impossible date")
    months = np.where(present, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + np.where(present, day - 1, 0).astype("timedelta64[D]")
    _fail((days.astype("datetime64[M]") == months) | ~present, first_row, name, "impossible date")
    return days, present


def _texts(buf: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    w = max(int((e - s).max()) if len(s) else 1, 1)
    ch, _ = _gather(buf, s, e, w, right=False)
    return np.ascontiguousarray(ch.astype(np.uint8)).view(f"S{w}").ravel()


def read_csv(pack: Pack, path: Path, chunk_bytes: int = 32 * 2**20) -> EntityColumns:
    """The facts CSV into ``EntityColumns.from_arrays``, vectorised with numpy, exact (integer fen)."""
    raw = path.read_bytes()
    first_nl = raw.index(b"\n")
    header = raw[:first_nl].decode("utf-8-sig").rstrip("\r").split(",")
    facts = pack.symbols.facts
    unknown = [h for h in header if h not in ENTITY_COLUMNS and h not in facts]
    missing = [c for c in ENTITY_COLUMNS if c not in header]
    if unknown or missing:
        raise CsvError(f"row 1: unknown columns {unknown}, missing columns {missing}")
    if raw.find(b'"') >= 0 or raw.find(b"\r") >= 0:
        raise CsvError("quoted fields and CR line ends are not handled by the fast reader")
    body = np.frombuffer(raw, dtype=np.uint8, offset=first_nl + 1)
    if body.size and body[-1] != 10:
        body = np.concatenate([body, np.array([10], np.uint8)])
    n = raw.count(b"\n", first_nl + 1) + (1 if not raw.endswith(b"\n") else 0)
    ncol = len(header)
    out: dict[str, Any] = {}
    present: dict[str, np.ndarray] = {}
    types = {h: facts[h].type for h in header if h in facts}
    for h, t in types.items():
        if t is Type.BOOL:
            out[h] = np.zeros(n, bool)
        elif t is Type.DATE:
            out[h] = np.zeros(n, "datetime64[D]")
        else:
            out[h] = np.zeros(n, np.int64)
        present[h] = np.zeros(n, bool)
    ids = np.zeros(n, np.int64)
    kinds: list[np.ndarray] = []
    divisions: list[np.ndarray] = []
    line_start = 0
    a = 0
    while line_start < len(body):
        # Chunks of about chunk_bytes, cut after a line end: memory stays bounded and every step is linear.
        cut = raw.find(b"\n", first_nl + 1 + line_start + chunk_bytes)
        end = len(body) if cut < 0 else cut - first_nl
        buf = body[line_start:end]
        b = a + int(np.count_nonzero(buf == 10))
        seps = np.flatnonzero((buf == 44) | (buf == 10))
        rows = b - a
        if len(seps) != rows * ncol or not (buf[seps[ncol - 1::ncol]] == 10).all():
            per_row = np.diff(np.concatenate([[-1], np.flatnonzero(buf[seps] == 10)]))
            bad = np.flatnonzero(per_row != ncol)
            raise CsvError(f"row {a + 2 + int(bad[0]) if len(bad) else a + 2}: expected {ncol} columns")
        ends = seps.reshape(rows, ncol)
        starts = np.empty_like(ends)
        starts[0, 0] = 0
        starts[1:, 0] = ends[:-1, -1] + 1
        starts[:, 1:] = ends[:, :-1] + 1
        first_row = a + 2
        for j, h in enumerate(header):
            s, e = starts[:, j].copy(), ends[:, j].copy()
            if h == "id":
                value, ok = _digits(buf, s, e, first_row, h, 0)
                _fail(ok, first_row, h, "required")
                ids[a:b] = value
            elif h == "kind":
                kinds.append(_texts(buf, s, e))
            elif h == "division_code":
                divisions.append(_texts(buf, s, e))
            elif h == "name":
                continue  # from_arrays names entities by id
            else:
                t = types[h]
                if t is Type.BOOL:
                    value, ok = _bools(buf, s, e, first_row, h)
                elif t is Type.DATE:
                    value, ok = _dates(buf, s, e, first_row, h)
                elif t is Type.MONEY:
                    value, ok = _digits(buf, s, e, first_row, h, 2)
                elif t is Type.DECIMAL:
                    value, ok = _digits(buf, s, e, first_row, h, 2)  # hundredths
                else:
                    value, ok = _digits(buf, s, e, first_row, h, 0)
                out[h][a:b] = value
                present[h][a:b] = ok
        line_start = end
        a = b
    columns = {h: (RationalColumn(v, 100) if types[h] is Type.DECIMAL else v) for h, v in out.items()}
    return EntityColumns.from_arrays(pack, ids=ids, kinds=np.concatenate(kinds).astype("U"),
                                     divisions=np.concatenate(divisions).astype("U"), columns=columns,
                                     present=present)


def same_as_generated(ent: EntityColumns, data: dict[str, Any], rows: int) -> list[str]:
    """Names of the columns where the parsed CSV differs from the generated facts (first ``rows``)."""
    bad = []
    if not np.array_equal(np.asarray(ent.ids).astype(np.int64), data["ids"][:rows]):
        bad.append("id")
    if not (ent.kinds == data["kinds"][:rows].astype("U")).all():
        bad.append("kind")
    if not (ent.divisions == data["divisions"][:rows].astype("U")).all():
        bad.append("division_code")
    for name, col in data["columns"].items():
        mask = data["present"][name][:rows]
        got = ent.columns[name]
        if isinstance(col, RationalColumn):
            got_v, want_v = got.num, col.num[:rows]
        else:
            got_v, want_v = got, col[:rows]
        if not np.array_equal(ent.present[name], mask) or not np.array_equal(got_v[mask], want_v[mask]):
            bad.append(name)
    return bad


def read_csv_cli(pack: Pack, path: Path, rows: int) -> EntityColumns:
    """The project's own path for a facts file (``lishui policy evaluate --input``), on the first ``rows`` rows."""
    from lishui.policy.cli import _read_entities

    with path.open("rb") as f:
        head = b"".join(f.readline() for _ in range(rows + 1))
    part = VAR / f"bench-policy-facts-cli-{rows}.csv"
    part.write_bytes(head)
    return EntityColumns(pack, _read_entities(pack, part))


# ---------------------------------------------------------------- run

def mb(x: float) -> str:
    return f"{x / 2**20:,.0f} MB"


def maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="entity-periods (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of evaluate_batch (best and median)")
    parser.add_argument("--csv-sizes", type=int, nargs="*", default=[100_000, 1_000_000],
                        help="CSV sizes to load (rows); none to skip")
    parser.add_argument("--cli-rows", type=int, default=10_000, help="rows for the CLI reader (0 to skip)")
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min) on {os.cpu_count()} CPUs")

    pack = packs()[PACK]
    from lishui.policy.service import _engine

    engine = _engine(pack)
    n = args.n
    t0 = time.perf_counter()
    data = make_entities(pack, n, args.seed)
    gen_s = time.perf_counter() - t0
    gc.collect()
    rss_data = maxrss()
    print(f"pack {PACK}: {len(pack.measures)} measures, {len(pack.symbols.facts)} facts; {n:,} entity-periods "
          f"for {YEAR} generated in {gen_s:.1f} s ({mb(nbytes(data))} of fact columns)")

    # 1. wall time of evaluate_batch (EntityColumns.from_arrays timed apart).
    t0 = time.perf_counter()
    ent = entity_columns(pack, data)
    columns_s = time.perf_counter() - t0
    times = []
    result: dict[str, Any] = {}
    for _ in range(args.repeat):
        result = {}  # the previous run's results are dropped first: one set of results alive at a time
        gc.collect()
        t0 = time.perf_counter()
        result = engine.evaluate_batch(ent, YEAR)
        times.append(time.perf_counter() - t0)
    rss_eval = maxrss()
    per_measure = {}
    for mid in pack.measures:
        t0 = time.perf_counter()
        engine.evaluate_batch(ent, YEAR, [mid])
        per_measure[mid] = time.perf_counter() - t0

    # 2. peak memory above the inputs, with tracemalloc (numpy reports its buffers to it).
    result = {}
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    result = engine.evaluate_batch(ent, YEAR)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # cProfile of one run.
    profiler = cProfile.Profile()
    profiler.enable()
    engine.evaluate_batch(ent, YEAR)
    profiler.disable()

    best, median = min(times), sorted(times)[len(times) // 2]
    print(f"\n{'full pack, evaluate_batch':44}{'best':>10}{'median':>10}   target")
    print(f"{'wall time (' + str(args.repeat) + ' runs)':44}{best:>9.3f}s{median:>9.3f}s   < 0.5 s: "
          f"{'met' if best < 0.5 else 'NOT met'}")
    print(f"{'EntityColumns.from_arrays (once)':44}{columns_s:>9.3f}s")
    print(f"{'peak memory during evaluation (tracemalloc)':44}{mb(peak - base):>20}   results kept: "
          f"{mb(current - base)}")
    print(f"{'process max RSS after generating facts':44}{mb(rss_data):>20}")
    print(f"{'process max RSS after evaluating':44}{mb(rss_eval):>20}   < 2 GB: "
          f"{'met' if rss_eval < 2 * 2**30 else 'NOT met'}")

    print(f"\n{'measure':8}{'time':>9}{'eligible':>10}{'amount (yuan)':>20}  statuses")
    for mid, batch in result.items():
        counts = Counter(batch.status.tolist())
        amount = int(batch.amount_fen.sum())
        other = ", ".join(f"{k} {v:,}" for k, v in counts.most_common() if k != "eligible")
        print(f"{mid:8}{per_measure[mid] * 1000:>7.0f}ms{counts.get('eligible', 0):>10,}{amount / 100:>20,.2f}  "
              f"{other}")
    print(f"{'sum':8}{sum(per_measure.values()) * 1000:>7.0f}ms  (each measure alone)")

    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(10)
    lines = [x for x in text.getvalue().splitlines() if x.strip()]
    start = next(i for i, x in enumerate(lines) if x.lstrip().startswith("ncalls"))
    print(f"\ncProfile of one evaluate_batch, top 10 by own time ({lines[0].strip()}):")
    for x in lines[start:start + 11]:
        print("  " + x.replace(str(ROOT) + "/", "").replace(str(Path(np.__file__).parents[1]) + "/", ""))

    # 3. CSV loading.
    sizes = sorted(args.csv_sizes)
    if sizes:
        del result
        gc.collect()
        print("\nloading facts from CSV into EntityColumns.from_arrays (numpy, exact integers; file in page cache)")
        print(f"{'rows':>10}{'file':>10}{'seconds':>10}{'rows/s':>12}{'MB/s':>8}  columns equal to generated")
        big = VAR / f"bench-policy-facts-{CSV_FORMAT}-s{args.seed}-{max(sizes)}.csv"
        if max(sizes) > n:
            raise SystemExit("--csv-sizes larger than --n")
        if not big.exists():
            VAR.mkdir(exist_ok=True)
            t0 = time.perf_counter()
            write_csv(pack, {**data, "ids": data["ids"][:max(sizes)], "kinds": data["kinds"][:max(sizes)],
                             "divisions": data["divisions"][:max(sizes)]}, big)
            print(f"  (wrote {big.relative_to(ROOT)} once, {time.perf_counter() - t0:.1f} s)")
        paths = {}
        for rows in sizes:
            path = big
            if rows != max(sizes):
                path = big.with_name(f"bench-policy-facts-{CSV_FORMAT}-s{args.seed}-{max(sizes)}-first{rows}.csv")
                if not path.exists():
                    with big.open("rb") as f, path.open("wb") as w:
                        for _ in range(rows + 1):
                            w.write(f.readline())
            path.read_bytes()  # warm the page cache
            paths[rows] = path
        # The sizes alternate (twice each, best kept) so that background load weighs on both alike.
        secs: dict[int, float] = {}
        checked: dict[int, list[str]] = {}
        for _ in range(2):
            for rows, path in paths.items():
                gc.collect()
                t0 = time.perf_counter()
                loaded = read_csv(pack, path)
                secs[rows] = min(secs.get(rows, float("inf")), time.perf_counter() - t0)
                if rows not in checked:
                    checked[rows] = same_as_generated(loaded, data, rows)
                del loaded
        rates = []
        for rows, path in paths.items():
            size, bad = path.stat().st_size, checked[rows]
            rates.append(rows / secs[rows])
            print(f"{rows:>10,}{mb(size):>10}{secs[rows]:>10.2f}{rows / secs[rows]:>12,.0f}"
                  f"{size / secs[rows] / 2**20:>8.0f}  {'yes' if not bad else 'NO: ' + ', '.join(bad)}")
        if len(rates) > 1:
            print(f"  rows/s at {sizes[-1]:,} vs {sizes[0]:,}: {rates[-1] / rates[0]:.2f} "
                  f"(1.00 = exactly linear)")
        if args.cli_rows:
            gc.collect()
            t0 = time.perf_counter()
            cli = read_csv_cli(pack, big, args.cli_rows)
            secs = time.perf_counter() - t0
            print(f"  for comparison, the CLI's row-by-row reader + EntityColumns(pack, entities): "
                  f"{args.cli_rows:,} rows in {secs:.2f} s = {args.cli_rows / secs:,.0f} rows/s "
                  f"(columns equal: {'yes' if not same_as_generated(cli, data, args.cli_rows) else 'NO'})")
        print(f"process max RSS at the end: {mb(maxrss())}")
    print(f"\nload after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}   ({dt.datetime.now():%H:%M:%S})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
