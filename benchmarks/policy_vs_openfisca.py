"""Issue 3, performance: M03 (schedule and cap), M21 and M22 over the same 1,000,000 entities, side by side:

  (a) this engine: ``Engine.evaluate_batch`` over ``EntityColumns.from_arrays``, measures M03/M21/M22 of the
      shipped pack ``lishui-2015@2015.1``;
  (b) the same three measures written as an OpenFisca tax-benefit system (openfisca-core, run in its own venv);
  (c) hand-written numpy in exact integer fen (the reference every entity is checked against).

    python benchmarks/policy_vs_openfisca.py [--n 1000000] [--repeat 7]

openfisca-core is never a project dependency: the script creates once a venv at ``var/bench-openfisca-venv``
(``python -m venv`` + ``pip install openfisca-core``) and runs the OpenFisca part in it as a subprocess
(this same file with ``--openfisca-worker``), passing the facts through a .npz file under ``var/``.

Every entity is an enterprise in 莲都区 (331102), so all three measures apply. The first 10,000 entities sit
exactly on and one fen around each threshold: M03's 50,000-yuan cap (for each year's rate, with and without
an amount already received), every 5,000,000-yuan step of M22 growth up to and past its 50,000 cap (also with
part of the cap already received), and M21's first year / already-received edges.

Timings are the best (and median) of ``--repeat`` runs; the engine and numpy run alternately so background load
hits both alike. OpenFisca runs in its own process afterwards: set-up (building the tax-benefit system, once;
building a simulation and setting the inputs, each run) is reported apart from computation.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
VENV = VAR / "bench-openfisca-venv"
WORK = VAR / "bench-openfisca"
YEAR = 2016
MEASURES = ["M03", "M21", "M22"]
STEP = 500_000_000  # M22: 5,000,000 yuan in fen
CAP = 5_000_000  # M03 lifetime cap and M22 yearly cap: 50,000 yuan in fen
MONEY = ["annual_rent", "received_m03_lifetime", "received_m21_lifetime", "online_retail", "online_retail_base",
         "online_retail_highest_prior", "received_m22_year"]
INTS = ["tenancy_year", "first_included_year", "year"]
BOOLS = ["in_park", "in_cross_border_park", "is_ecommerce_trading", "is_ecommerce_service", "online_retail_included"]
THRESHOLD_ENTITIES = 10_000


# ---------------------------------------------------------------- data

def make_facts(n: int, seed: int = 2015) -> dict[str, np.ndarray]:
    """Random but plausible facts (money in int64 fen); the first 10,000 entities on/around the thresholds."""
    rng = np.random.default_rng(seed)
    f: dict[str, np.ndarray] = {
        "in_park": rng.random(n) < 0.6,
        "in_cross_border_park": rng.random(n) < 0.1,
        "is_ecommerce_trading": rng.random(n) < 0.7,
        "is_ecommerce_service": rng.random(n) < 0.3,
        "tenancy_year": rng.integers(0, 6, n),
        "annual_rent": np.where(rng.random(n) < 0.05, 0, rng.integers(0, 20_000_000, n)),  # up to 200,000 yuan
        "received_m03_lifetime": np.where(rng.random(n) < 0.5, 0, rng.integers(0, 6_000_000, n)),
        "year": np.full(n, YEAR),
        "online_retail_included": rng.random(n) < 0.7,
        "first_included_year": rng.integers(2013, 2018, n),
        "received_m21_lifetime": np.where(rng.random(n) < 0.8, 0, 3_000_000),
        "online_retail_base": rng.integers(0, 10**11, n),  # up to 1,000,000,000 yuan
        "received_m22_year": np.where(rng.random(n) < 0.8, 0, rng.integers(0, 6, n) * 1_000_000),
    }
    growth = rng.integers(-10**9, 4 * 10**9, n)  # -10 to +40 million yuan

    k = min(THRESHOLD_ENTITIES, n)
    third = k // 3
    # M03: rent × rate on the 50,000 cap (or on what remains of it after an amount received), and one fen
    # around, in each year of the schedule. rent × 7 / 10 = cap ⇔ rent = cap × 10 / 7 (…857.14 fen).
    a = slice(0, third)
    m = third
    year_of = np.resize(np.array([1, 2, 3]), m)
    tenths = np.array([0, 7, 5, 3])[year_of]
    received = np.where(np.arange(m) % 4 == 0, 0, rng.integers(0, CAP, m))
    remaining = CAP - received
    exact_rent = (remaining * 10) // tenths  # rent whose subsidy is (about) exactly the remaining cap
    f["tenancy_year"][a] = year_of
    f["received_m03_lifetime"][a] = received
    f["annual_rent"][a] = exact_rent + np.resize(np.array([-1, 0, 1, -1, 0, 1, 2, -2, 0]), m)
    f["in_park"][a] = True
    f["is_ecommerce_trading"][a] = True
    # M22: growth of k × 5,000,000 yuan − 1 fen, exactly, + 1 fen, for k = 0 … 7 (the cap binds from k = 5),
    # with bases of every size (float32 loses fen above about 167,772 yuan) and part of the cap received.
    b = slice(third, 2 * third)
    steps = np.resize(np.repeat(np.arange(0, 8), 3), m)
    growth[b] = steps * STEP + np.resize(np.array([-1, 0, 1]), m)
    f["online_retail_included"][b] = True
    f["first_included_year"][b] = np.resize(np.array([2014, 2015]), m)
    f["received_m22_year"][b] = np.resize(np.array([0, 0, 0, 1_000_000, 4_999_999, 5_000_000, 0]), m)
    # M21: first included this year or one year either side; received 0, one fen, or the award.
    c = slice(2 * third, k)
    rest = k - 2 * third
    f["online_retail_included"][c] = np.resize(np.array([True, True, True, False]), rest)
    f["first_included_year"][c] = np.resize(np.array([YEAR - 1, YEAR, YEAR + 1]), rest)
    f["received_m21_lifetime"][c] = np.resize(np.array([0, 0, 1, 3_000_000, 0]), rest)

    f["online_retail"] = np.maximum(f["online_retail_base"] + growth, 0)
    f["online_retail_highest_prior"] = f["online_retail_base"] + rng.integers(0, 10**9, n)
    out: dict[str, np.ndarray] = {}
    for name in BOOLS:
        out[name] = np.ascontiguousarray(f[name], dtype=bool)
    for name in INTS + MONEY:
        out[name] = np.ascontiguousarray(f[name], dtype=np.int64)
    return out


# ---------------------------------------------------------------- (c) hand-written numpy, exact integer fen

def hand_written(f: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(eligible, amount in fen) per measure, as the pack reads MEASURES.md with its default parameters."""
    y = f["tenancy_year"]
    inside = (y >= 1) & (y <= 3)
    tenant = (f["in_park"] & (f["is_ecommerce_trading"] | f["is_ecommerce_service"])) | f["in_cross_border_park"]
    rent = f["annual_rent"]
    e03 = tenant & inside & (rent > 0)
    rate_tenths = np.array([0, 7, 5, 3], dtype=np.int64)[np.where(inside, y, 0)]
    raw = (rent * rate_tenths + 5) // 10  # half-up to the fen (rent ≥ 0)
    m03 = np.where(e03, np.minimum(raw, np.maximum(CAP - f["received_m03_lifetime"], 0)), 0)

    inc = f["online_retail_included"]
    first = f["first_included_year"]
    e21 = inc & (first == f["year"]) & (f["received_m21_lifetime"] == 0)
    m21 = np.where(e21, 3_000_000, 0)

    growth = f["online_retail"] - f["online_retail_base"]  # m22_base_highest_prior is false by default
    steps = growth // STEP
    e22 = inc & (first < f["year"]) & (growth > 0) & (steps >= 1)
    m22 = np.where(e22, np.minimum(steps * 1_000_000, np.maximum(CAP - f["received_m22_year"], 0)), 0)
    return {"M03": (e03, m03), "M21": (e21, m21), "M22": (e22, m22)}


# ---------------------------------------------------------------- (b) OpenFisca, run inside the venv

def build_openfisca_system():  # type: ignore[no-untyped-def]
    """M03, M21, M22 as an OpenFisca tax-benefit system, written as an OpenFisca user would (money as float)."""
    from numpy import floor, select, where
    from openfisca_core.entities import build_entity
    from openfisca_core.model_api import max_, min_, round_
    from openfisca_core.parameters import ParameterNode
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    Enterprise = build_entity(key="enterprise", plural="enterprises", label="电子商务企业", is_person=True)
    tbs = TaxBenefitSystem([Enterprise])

    def since(value):  # type: ignore[no-untyped-def]
        return {"values": {"2015-07-29": {"value": value}}}

    tbs.parameters = ParameterNode("", data={
        "m03": {"rate_year_1": since(0.7), "rate_year_2": since(0.5), "rate_year_3": since(0.3),
                "cap": since(50000)},
        "m21": {"award": since(30000)},
        "m22": {"step": since(5000000), "award_per_step": since(10000), "cap_per_year": since(50000),
                "base_highest_prior": since(False)},
    })

    def input_variable(name: str, kind: type) -> None:
        tbs.add_variable(type(name, (Variable,), {"value_type": kind, "entity": Enterprise,
                                                  "definition_period": DateUnit.YEAR, "label": name}))

    for name in MONEY:
        input_variable(name, float)
    for name in INTS:
        input_variable(name, int)
    for name in BOOLS:
        input_variable(name, bool)

    class m03_rate(Variable):
        value_type = float
        entity = Enterprise
        definition_period = DateUnit.YEAR

        def formula(enterprise, period, parameters):  # type: ignore[no-untyped-def]
            p = parameters(period).m03
            y = enterprise("tenancy_year", period)
            return select([y == 1, y == 2, y == 3], [p.rate_year_1, p.rate_year_2, p.rate_year_3], 0)

    class m03_amount(Variable):
        value_type = float
        entity = Enterprise
        definition_period = DateUnit.YEAR

        def formula(enterprise, period, parameters):  # type: ignore[no-untyped-def]
            p = parameters(period).m03
            y = enterprise("tenancy_year", period)
            rent = enterprise("annual_rent", period)
            tenant = ((enterprise("in_park", period)
                       * (enterprise("is_ecommerce_trading", period) + enterprise("is_ecommerce_service", period)))
                      + enterprise("in_cross_border_park", period))
            eligible = tenant * (y >= 1) * (y <= 3) * (rent > 0)
            remaining = max_(p.cap - enterprise("received_m03_lifetime", period), 0)
            return where(eligible, min_(round_(rent * enterprise("m03_rate", period), 2), remaining), 0)

    class m21_amount(Variable):
        value_type = float
        entity = Enterprise
        definition_period = DateUnit.YEAR

        def formula(enterprise, period, parameters):  # type: ignore[no-untyped-def]
            eligible = (enterprise("online_retail_included", period)
                        * (enterprise("first_included_year", period) == enterprise("year", period))
                        * (enterprise("received_m21_lifetime", period) == 0))
            return where(eligible, parameters(period).m21.award, 0)

    class m22_steps(Variable):
        value_type = float
        entity = Enterprise
        definition_period = DateUnit.YEAR

        def formula(enterprise, period, parameters):  # type: ignore[no-untyped-def]
            p = parameters(period).m22
            base = where(p.base_highest_prior, enterprise("online_retail_highest_prior", period),
                         enterprise("online_retail_base", period))
            return floor((enterprise("online_retail", period) - base) / p.step)

    class m22_amount(Variable):
        value_type = float
        entity = Enterprise
        definition_period = DateUnit.YEAR

        def formula(enterprise, period, parameters):  # type: ignore[no-untyped-def]
            p = parameters(period).m22
            steps = enterprise("m22_steps", period)
            eligible = (enterprise("online_retail_included", period)
                        * (enterprise("first_included_year", period) < enterprise("year", period))
                        * (steps >= 1))
            remaining = max_(p.cap_per_year - enterprise("received_m22_year", period), 0)
            return where(eligible, min_(steps * p.award_per_step, remaining), 0)

    for variable in (m03_rate, m03_amount, m21_amount, m22_steps, m22_amount):
        tbs.add_variable(variable)
    return tbs


def openfisca_worker(inp: Path, out: Path, repeat: int) -> None:
    """Runs in the OpenFisca venv: build the system, then ``repeat`` times build a simulation and compute."""
    t0 = time.perf_counter()
    import openfisca_core  # noqa: F401
    from openfisca_core.simulations import SimulationBuilder

    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    tbs = build_openfisca_system()
    system_s = time.perf_counter() - t0
    with np.load(inp) as data:
        columns = {k: data[k] for k in data.files}
    n = len(columns["year"])
    period = str(YEAR)
    setups, computes = [], []
    results: dict[str, np.ndarray] = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        builder = SimulationBuilder()
        builder.create_entities(tbs)
        builder.declare_person_entity("enterprise", np.arange(n))
        sim = builder.build(tbs)
        for name, values in columns.items():
            sim.set_input(name, period, values)
        t1 = time.perf_counter()
        results = {m: sim.calculate(f"{m.lower()}_amount", period) for m in MEASURES}
        t2 = time.perf_counter()
        setups.append(t1 - t0)
        computes.append(t2 - t1)
    np.savez(out, **results)
    from importlib.metadata import version

    print(json.dumps({"import_s": import_s, "system_s": system_s, "setup_s": setups, "compute_s": computes,
                      "version": version("openfisca-core"), "dtype": str(results["M22"].dtype)}))


def ensure_venv() -> tuple[Path, float]:
    """The benchmark's own venv with openfisca-core (created once); returns its python and the seconds spent."""
    python = VENV / "bin" / "python"
    if python.exists() and subprocess.run([python, "-c", "import openfisca_core"],
                                          capture_output=True).returncode == 0:
        return python, 0.0
    t0 = time.perf_counter()
    print(f"creating {VENV.relative_to(ROOT)} with openfisca-core (once) …", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "openfisca-core"], check=True)
    return python, time.perf_counter() - t0


def run_openfisca(facts: dict[str, np.ndarray], repeat: int) -> tuple[dict, dict[str, np.ndarray]]:
    python, venv_s = ensure_venv()
    WORK.mkdir(parents=True, exist_ok=True)
    inp, out = WORK / "input.npz", WORK / "output.npz"
    # OpenFisca users hold money in yuan (float); int64 fen / 100 in float64 is the nearest double to the
    # exact decimal, and OpenFisca's set_input casts it to its own float32.
    np.savez(inp, **{k: (v / 100 if k in MONEY else v) for k, v in facts.items()})
    env = {**os.environ, "PYTHONPATH": ""}
    proc = subprocess.run([python, __file__, "--openfisca-worker", str(inp), str(out), "--repeat", str(repeat)],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"OpenFisca worker failed:\n{proc.stderr[-4000:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["venv_s"] = venv_s
    with np.load(out) as data:
        amounts = {m: data[m] for m in MEASURES}
    return info, amounts


# ---------------------------------------------------------------- (a) this engine, and the run

def best_of_pair(first, second, repeat: int):  # type: ignore[no-untyped-def]
    """Times of each over ``repeat`` runs, alternating so background load hits both alike."""
    times: list[list[float]] = [[], []]
    results: list[object] = [None, None]
    for _ in range(repeat):
        for i, fn in enumerate((first, second)):
            start = time.perf_counter()
            results[i] = fn()
            times[i].append(time.perf_counter() - start)
    return times[0], results[0], times[1], results[1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="entities (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each, best and median reported")
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--string-codes", action="store_true",
                        help="pass kinds and divisions as unicode arrays rather than categorical codes")
    parser.add_argument("--openfisca-worker", nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.openfisca_worker:
        openfisca_worker(Path(args.openfisca_worker[0]), Path(args.openfisca_worker[1]), args.repeat)
        return 0

    print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"(1/5/15 min) on {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    from lishui.policy.engine import Categorical, Engine, EntityColumns
    from lishui.policy.pack.loader import builtin_pack_dirs, load_pack
    from lishui.policy.service import pack_key
    import_s = time.perf_counter() - t0

    n = args.n
    facts = make_facts(n, args.seed)

    # (a) one-time set-up: load, check and compile the shipped pack (all 22 measures), build the engine.
    t0 = time.perf_counter()
    pack = load_pack(builtin_pack_dirs()["lishui-2015"])
    engine = Engine(pack)
    system_s = time.perf_counter() - t0
    assert pack_key(pack) == "lishui-2015@2015.1"
    ids = np.arange(n)
    # Kinds and divisions as categorical codes (one int8 per entity), as OpenFisca holds its enums and a Polars
    # or Arrow reader gives a dictionary-encoded column; --string-codes passes fixed-width unicode arrays instead.
    if args.string_codes:
        kinds: Any = np.full(n, "enterprise")
        divisions: Any = np.full(n, "331102")
    else:
        kinds = Categorical(np.zeros(n, dtype=np.int8), ("enterprise",))
        divisions = Categorical(np.zeros(n, dtype=np.int8), ("331102",))

    def columns():  # per-run set-up: the fact columns handed to the engine
        return EntityColumns.from_arrays(pack, ids=ids, kinds=kinds, divisions=divisions, columns=facts)

    setup_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        entities = columns()
        setup_times.append(time.perf_counter() - t0)

    ours_t, ours, numpy_t, reference = best_of_pair(
        lambda: engine.evaluate_batch(entities, YEAR, MEASURES), lambda: hand_written(facts), args.repeat)

    # (b) OpenFisca in its own process.
    of, of_amounts = run_openfisca(facts, args.repeat)
    load_after = os.getloadavg()

    # Exact agreement with the integer-fen reference on every entity.
    k = min(THRESHOLD_ENTITIES, n)
    rows = []
    for m in MEASURES:
        eligible, amount = reference[m]  # type: ignore[index]
        batch = ours[m]  # type: ignore[index]
        ours_amount_bad = batch.amount_fen != amount
        ours_status_bad = (batch.status == "eligible") != eligible
        of_fen = np.rint(of_amounts[m].astype(np.float64) * 100).astype(np.int64)
        of_bad = of_fen != amount
        rows.append((m, int(np.count_nonzero(eligible)), int(amount.sum()),
                     int(np.count_nonzero(ours_amount_bad | ours_status_bad)),
                     int(np.count_nonzero((ours_amount_bad | ours_status_bad)[:k])),
                     int(np.count_nonzero(of_bad)), int(np.count_nonzero(of_bad[:k])), of_bad, of_fen))

    best, med = min, statistics.median
    ours_setup, of_setup = best(setup_times), best(of["setup_s"])
    ours_compute, of_compute, np_compute = best(ours_t), best(of["compute_s"]), best(numpy_t)

    print(f"\nentities: {n:,} (enterprises in 331102, year {YEAR}; the first {k:,} on/around thresholds); "
          f"measures M03 + M21 + M22; best / median of {args.repeat}; kinds/divisions as "
          f"{'unicode arrays' if args.string_codes else 'categorical int8 codes'}")
    created = f"; venv created in {of['venv_s']:.1f} s" if of["venv_s"] else ""
    print(f"OpenFisca: openfisca-core {of['version']} in {VENV.relative_to(ROOT)} (results as {of['dtype']}){created}")
    print()
    print(f"{'':44}{'best':>12}{'median':>12}")
    table = [
        ("this engine: load + check pack, Engine() (once)", [system_s]),
        ("this engine: EntityColumns.from_arrays (per run)", setup_times),
        ("this engine: evaluate_batch M03/M21/M22", ours_t),
        ("OpenFisca: build tax-benefit system (once)", [of["system_s"]]),
        ("OpenFisca: simulation + set_input (per run)", of["setup_s"]),
        ("OpenFisca: calculate M03/M21/M22", of["compute_s"]),
        ("numpy, hand-written, integer fen", numpy_t),
    ]
    for label, times in table:
        print(f"{label:44}{ms(best(times))}{ms(med(times))}")
    print(f"(imports, not counted: lishui {import_s * 1000:.0f} ms, openfisca_core {of['import_s'] * 1000:.0f} ms)")

    print()
    ratio = ours_compute / np_compute
    print(f"ours / numpy (computation):                        {ratio:6.2f} x   target ≤ 2x: "
          f"{'met' if ratio <= 2 else 'NOT met'}")
    ours_run, of_run = ours_setup + ours_compute, of_setup + of_compute
    print(f"per run, set-up + computation: ours {ours_run * 1000:.1f} ms vs OpenFisca {of_run * 1000:.1f} ms "
          f"→ {of_run / ours_run:5.2f} x   target faster: {'met' if ours_run < of_run else 'NOT met'}")
    ours_cold, of_cold = system_s + ours_run, of["system_s"] + of_run
    print(f"cold, incl. one-time system build: ours {ours_cold * 1000:.1f} ms vs OpenFisca {of_cold * 1000:.1f} ms "
          f"→ {of_cold / ours_cold:5.2f} x   {'faster' if ours_cold < of_cold else 'SLOWER'}")
    print(f"computation only: ours {ours_compute * 1000:.1f} ms vs OpenFisca {of_compute * 1000:.1f} ms "
          f"→ {of_compute / ours_compute:5.2f} x")

    print("\nagreement with the integer-fen reference (entities that differ; amount or eligibility for ours, "
          "amount for OpenFisca):")
    print(f"{'measure':8}{'eligible':>10}{'total yuan':>18}{'ours: all':>11}{'thresh.':>9}"
          f"{'OpenFisca: all':>16}{'thresh.':>9}")
    for m, elig, total, ob, obk, fb, fbk, _, _ in rows:
        print(f"{m:8}{elig:>10,}{total / 100:>18,.2f}{ob:>11,}{obk:>9,}{fb:>16,}{fbk:>9,}")
    wrong22 = rows[2]
    of_bad, of_fen = wrong22[7], wrong22[8]
    ref22 = reference["M22"][1]  # type: ignore[index]
    over = int(np.count_nonzero(of_bad & (of_fen > ref22)))
    under = int(np.count_nonzero(of_bad & (of_fen < ref22)))
    forty_fifty = int(np.count_nonzero((ref22 == 4_000_000) & (of_fen == 5_000_000)))
    print(f"OpenFisca M22 errors: {over:,} paid more than due, {under:,} less; {forty_fifty:,} paid 50,000 instead "
          f"of 40,000; examples (due → paid, yuan):")
    for i in np.flatnonzero(of_bad)[:5]:
        growth = (facts["online_retail"][i] - facts["online_retail_base"][i]) / 100
        print(f"  entity {i}: growth {growth:,.2f}, base {facts['online_retail_base'][i] / 100:,.2f}: "
              f"{ref22[i] / 100:,.2f} → {of_fen[i] / 100:,.2f}")
    wrong03 = rows[0]
    ref03 = reference["M03"][1]  # type: ignore[index]
    for i in np.flatnonzero(wrong03[7])[:3]:
        print(f"  M03 entity {i}: rent {facts['annual_rent'][i] / 100:,.2f}, year {facts['tenancy_year'][i]}, "
              f"received {facts['received_m03_lifetime'][i] / 100:,.2f}: "
              f"{ref03[i] / 100:,.2f} → {wrong03[8][i] / 100:,.2f}")
    print(f"\nload after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    ours_wrong = sum(r[3] for r in rows)
    return 1 if ours_wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
