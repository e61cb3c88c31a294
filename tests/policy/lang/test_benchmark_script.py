"""The benchmark script still runs and still finds the engine equal to hand-written numpy."""

import runpy
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "policy_lang_vectorised.py"


def test_benchmark_agrees_on_a_small_batch(monkeypatch, capsys):
    namespace = runpy.run_path(str(SCRIPT))
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "3000"])
    assert namespace["main"]() == 0
    out = capsys.readouterr().out
    assert "entities: 3,000" in out
    assert "entities that differ: 0" in out
    assert "M08 alone" in out and out.rstrip().endswith("entities that differ: 0")
