"""What a benchmark measures and asserts, at which size."""

import os

# `make test` runs the benchmarks beside the whole suite on two busy cores, at the sizes
# CI can afford (CATEDRA_BENCH=ci); `make bench` runs them alone at their full sizes. Each
# asserts its goal: at full size against the target itself times BUSY_MARGIN (a busy
# machine's noise), at CI size against the target scaled to the smaller work the same way.
FULL_SIZE = os.environ.get("CATEDRA_BENCH", "full") != "ci"
BUSY_MARGIN = float(os.environ.get("CATEDRA_BENCH_MARGIN", "2.5"))


def sized(full: int, ci: int) -> int:
    """A benchmark's size: `full` for `make bench`, `ci` for `make test`."""
    return full if FULL_SIZE else ci


def within(seconds: float, target: float) -> bool:
    """Whether a figure meets its target with the busy machine's margin."""
    return seconds < target * BUSY_MARGIN
