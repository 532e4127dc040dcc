"""Benchmark of `kg build` against `oxigraph load` of the same triples.

One command:

    .venv/bin/python bench/build.py [--records 100000] [--skip-cmlbib]

For each dataset it
1. builds it with `kg build` into a fresh store (read, map, store) and
   records wall time and peak RSS;
2. exports the resulting graph as N-Quads (`kg export --format nq`);
3. loads those N-Quads with `oxigraph load` (PyPI package `oxigraph`, the Rust
   CLI over the same store format) into another fresh store, with the same
   measurements;
and prints a table with the ratio kg / oxigraph. Peak RSS is the maximum
resident set size of the measured process (getrusage of a wrapper's only
child). Datasets: the 15,671 cmlbib BibTeX entries (all files as one source)
and a generated listing of --records records (bench/gen_listing.py).

Targets (issue 4): kg's build time at most 3x `oxigraph load`; peak memory
under 1 GB for 100,000 records.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
CMLBIB = ROOT.parent / "shared/data/bibtex/cmlbib"

# Runs one command as the only child of a fresh interpreter and reports its
# wall time and peak RSS (ru_maxrss of RUSAGE_CHILDREN, in KiB on Linux).
_MEASURE = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
print(json.dumps({"seconds": time.perf_counter() - t, "rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "rc": r.returncode, "stderr": r.stderr[-2000:]}))
"""


def measure(cmd: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    if result["rc"] not in (0, 3):  # 3: loaded, some records skipped
        raise SystemExit(f"failed ({result['rc']}): {' '.join(cmd)}\n{result['stderr']}")
    return result


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if not found:
            raise SystemExit(f"`{name}` not found: pip install -e '.[bench]' (brings the oxigraph CLI)")
        return found
    return str(path)


def run_dataset(label: str, sources: list[Path], work: Path, name: str) -> dict:
    kg, oxigraph = tool("kg"), tool("oxigraph")
    store = work / f"{name}-kg"
    build = measure([kg, "build", *map(str, sources), "--name", name, "--store", str(store)])
    nq = work / f"{name}.nq"
    subprocess.run([kg, "export", "--store", str(store), "--format", "nq", "--graph",
                    f"https://kg.example.org/graph/source/{name}", "--out", str(nq)],
                   check=True, capture_output=True)
    triples = sum(1 for _ in nq.open("rb"))
    load = measure([oxigraph, "load", "--location", str(work / f"{name}-ox"), "--file", str(nq)])
    nq.unlink()
    return {"dataset": label, "triples": triples, "kg": build, "oxigraph": load}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=100_000, help="records of the generated listing")
    ap.add_argument("--skip-cmlbib", action="store_true", help="only the generated listing")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-bench-build-") as tmp:
        work = Path(tmp)
        if not args.skip_cmlbib:
            bibs = sorted(CMLBIB.glob("*/*.bib"))
            if not bibs:
                raise SystemExit(f"no BibTeX files under {CMLBIB}")
            rows.append(run_dataset(f"cmlbib BibTeX ({len(bibs)} files)", bibs, work, "cmlbib"))
            print(f"done: {rows[-1]['dataset']}", file=sys.stderr)
        listing = work / "listing.txt"
        t = time.perf_counter()
        subprocess.run([sys.executable, str(HERE / "gen_listing.py"), "--records", str(args.records),
                        "--out", str(listing)], check=True, capture_output=True)
        print(f"generated {args.records} records in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        rows.append(run_dataset(f"generated listing ({args.records:,} records)", [listing], work, "listing"))
    print()
    print(f"{'dataset':38} {'triples':>10} {'kg build':>10} {'kg RSS':>9} {'ox load':>9} {'ox RSS':>9} "
          f"{'time ratio':>10}")
    for r in rows:
        kg, ox = r["kg"], r["oxigraph"]
        print(f"{r['dataset']:38} {r['triples']:>10,} {kg['seconds']:>9.1f}s {kg['rss_kb'] / 1024:>7.0f}MB "
              f"{ox['seconds']:>8.1f}s {ox['rss_kb'] / 1024:>7.0f}MB {kg['seconds'] / ox['seconds']:>9.2f}x")
    print("\ntargets: time ratio <= 3.0x; kg peak RSS < 1024 MB for 100,000 records")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
