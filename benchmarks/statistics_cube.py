"""How long protecting the statistics cube takes (the first public statistics request after each refresh pays it).

Simulates the rollup rows of a deployment, without a database: cases spread over the months, a body chosen
from the theme as the routing rules do (misconduct and service failures split further), a region, a status,
ratings, outcomes and recommendations. Then it times `build_cube` (median of --runs, wall and CPU) and prints
the size of the cube and how much suppression found to hide. The "next" columns: the same cube built from the
publication before it (the rollup without its last month, kept packed as a refresh keeps it), unpacking
included, the size of that publication packed, and how much the cube hides then.

    .venv/bin/python benchmarks/statistics_cube.py
    .venv/bin/python benchmarks/statistics_cube.py --bodies 10 --themes 9 --regions 6 --months 36 --cases 500
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from civicwatch.transparency.cube import as_published, build_cube  # noqa: E402
from civicwatch.transparency.models import CELL_MEASURES  # noqa: E402
from civicwatch.transparency.publications import pack, unpack  # noqa: E402
from civicwatch.transparency.suppression import SMALL_CODE, WITHHELD_CODE, Suppression  # noqa: E402

STATUSES = ("in_progress", "answered", "closed_answered", "rejected", "referred", "withdrawn")
SIZES = {  # name: (bodies, themes, regions, months, cases per month)
    "demo": (12, 8, 5, 13, 15),
    "realistic": (10, 9, 6, 36, 500),
    "busy": (10, 9, 6, 36, 5000),
    "benchmark": (12, 8, 5, 60, 3300),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bodies", type=int)
    parser.add_argument("--themes", type=int)
    parser.add_argument("--regions", type=int)
    parser.add_argument("--months", type=int)
    parser.add_argument("--cases", type=int, help="cases per month")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threshold", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def simulate(bodies: int, themes: int, regions: int, months: int, per_month: int, seed: int) -> list[tuple]:
    """Rollup rows: (month, body_id, theme_id, region_id, *CELL_MEASURES)."""
    rng = random.Random(seed)
    route = {theme: rng.sample(range(1, bodies + 1), 1 if theme % 3 else 3) for theme in range(1, themes + 1)}
    cells: dict[tuple, Counter[str]] = defaultdict(Counter)
    for index in range(months):
        month = f"{2023 + index // 12}-{index % 12 + 1:02d}"
        for _ in range(max(0, int(rng.gauss(per_month, per_month / 5)))):
            theme = rng.randint(1, themes) if rng.random() > 0.02 else None
            body = rng.choice(route[theme]) if theme and rng.random() > 0.03 else None
            region = rng.randint(1, regions) if rng.random() > 0.2 else None
            counts = cells[(month, body, theme, region)]
            _case(counts, rng, body is not None, index == months - 1)
    return [(*key, *(counts[name] for name in CELL_MEASURES)) for key, counts in cells.items()]


def _case(counts: Counter[str], rng: random.Random, routed: bool, recent: bool) -> None:
    counts["received"] += 1
    status = rng.choices(STATUSES, [2, 1, 12, 1, 1, 1] if not recent else [8, 1, 1, 0, 0, 0])[0] if routed else "in_progress"
    counts[status] += 1
    acknowledged = routed and rng.random() < 0.9
    counts["acknowledged"] += acknowledged
    counts["ack_on_time"] += acknowledged and rng.random() < 0.8
    counts["ack_overdue"] += not acknowledged and rng.random() < 0.5
    due = routed and (status not in ("in_progress", "answered") or rng.random() < 0.5)
    counts["close_due"] += due
    counts["close_on_time"] += due and status not in ("in_progress", "answered") and rng.random() < 0.7
    counts["by_hand"] += routed and rng.random() < 0.1
    if status in ("answered", "closed_answered"):
        counts[f"outcome_{rng.choice(['substantiated', 'partly_substantiated', 'not_substantiated', 'unfounded'])}"] += 1
        if rng.random() < 0.4:
            score = rng.choice([1, 2, 3, 4, 4, 5, 5])
            counts["ratings"] += 1
            counts["rating_sum"] += score
            counts[f"rated_{score}"] += 1
        if rng.random() < 0.25:
            counts[f"rec_{rng.choice(['implemented', 'partly_implemented', 'not_implemented', 'pending'])}"] += 1
            counts["cases_with_recommendations"] += 1


def main() -> None:
    args = parse_args()
    custom = (args.bodies, args.themes, args.regions, args.months, args.cases)
    sizes = {"custom": tuple(c or d for c, d in zip(custom, SIZES["realistic"], strict=True))} if any(custom) else SIZES
    print(f"{'size':<11} {'bodies':>6} {'themes':>6} {'regions':>7} {'months':>6} {'cases':>9} {'rows':>7} "
          f"{'counts':>10} {'small':>6} {'withheld':>8} {'wall ms':>8} {'cpu ms':>7} {'next ms':>8} {'next cpu':>8} "
          f"{'kept KB':>7} {'next withheld':>13}")
    for name, (bodies, themes, regions, months, per_month) in sizes.items():
        rows = simulate(bodies, themes, regions, months, per_month, args.seed)
        rules = Suppression(args.threshold)
        last_month = max(row[0] for row in rows)
        kept = pack(as_published(build_cube([row for row in rows if row[0] != last_month], rules, None)))
        walls, cpus, next_walls, next_cpus = [], [], [], []
        for _ in range(args.runs):  # alternated, so that a change of load weighs on both alike
            wall, cpu = time.perf_counter(), time.process_time()
            cube = build_cube(rows, rules, None)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            wall, cpu = time.perf_counter(), time.process_time()
            following = build_cube(rows, rules, None, unpack(kept))
            next_walls.append((time.perf_counter() - wall) * 1000)
            next_cpus.append((time.process_time() - cpu) * 1000)
        cases = sum(row[4] for row in rows)
        print(f"{name:<11} {bodies:>6} {themes:>6} {regions:>7} {months:>6} {cases:>9,} {len(rows):>7,} "
              f"{cube.states.size:>10,} {(cube.states == SMALL_CODE).mean():>6.1%} "
              f"{(cube.states == WITHHELD_CODE).mean():>8.1%} {statistics.median(walls):>8.0f} "
              f"{statistics.median(cpus):>7.0f} {statistics.median(next_walls):>8.0f} "
              f"{statistics.median(next_cpus):>8.0f} {len(kept) / 1024:>7.0f} "
              f"{(following.states == WITHHELD_CODE).mean():>13.1%}")


if __name__ == "__main__":
    main()
