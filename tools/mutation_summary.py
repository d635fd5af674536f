"""Print the kill rate of the last ``mutmut run`` over the mutants that are not equivalent.

``make mutate`` ends with this. Equivalent mutants (a change no test could observe, e.g. a cache size or a
default argument every caller overrides) are listed in tools/mutation_equivalents.txt, one name a line
with the reason after ``#``; every other mutant that survived or has no covering test counts against the
rate. Pass fnmatch patterns to limit the summary to part of the tree (as ``mutmut run`` takes them).

    .venv/bin/python tools/mutation_summary.py 'engine.runtime.*'
"""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.txt"
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
NOT_RUN = {"not checked", "skipped"}


def load_equivalents(path: Path = EQUIVALENTS) -> dict[str, str]:
    """Mutant name -> why no test can tell it from the original."""
    equivalents: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, _, reason = line.partition("#")
            if name.strip():
                equivalents[name.strip()] = reason.strip()
    return equivalents


def mutmut_results() -> dict[str, str]:
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "mutmut"), "results", "--all", "true"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    results: dict[str, str] = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep:
            results[name] = status.strip()
    return results


def main(patterns: list[str]) -> int:
    patterns = patterns or ["*"]
    results = {name: status for name, status in mutmut_results().items()
               if any(fnmatch.fnmatch(name, p) for p in patterns)}
    equivalents = load_equivalents()
    counts = Counter(results.values())
    print("mutants by status:", ", ".join(f"{status} {n}" for status, n in sorted(counts.items())))
    checked = {name: status for name, status in results.items() if status not in NOT_RUN}
    equivalent = {name for name in checked if name in equivalents}
    stale = sorted(name for name in equivalent if checked[name] in KILLED)
    considered = {name: status for name, status in checked.items() if name not in equivalent or name in stale}
    killed = sum(1 for status in considered.values() if status in KILLED)
    print(f"checked {len(checked)}, equivalent {len(equivalent) - len(stale)}, "
          f"not run {len(results) - len(checked)}")
    for name in stale:
        print(f"listed as equivalent but killed (remove it from {EQUIVALENTS.name}): {name}")
    if not considered:
        print("no checked mutants")
        return 0
    print(f"kill rate of non-equivalent mutants: {killed}/{len(considered)} = {killed / len(considered):.1%}")
    for name, status in sorted(considered.items()):
        if status not in KILLED:
            print(f"  {status}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
