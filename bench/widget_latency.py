"""Widget latency: time from a control change to the redrawn figure, per explorer.

Drives every explorer in ``lrtutor.widgets.EXPLORERS`` programmatically: each
control is moved through a sequence of values spanning its range (a change
triggers the same callback as a reader's slider move), and the wall time of
each move, recomputation plus in-place redraw plus PNG encoding, is recorded.
Prints the median and the 95th percentile per explorer (target: median <= 50 ms).

Usage: .venv/bin/python bench/widget_latency.py [--moves N]
"""

import argparse
import os
import platform
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from lrtutor import plotting, widgets  # noqa: E402


def values_for(control, moves):
    import ipywidgets as w

    if isinstance(control, w.FloatLogSlider):
        return list(control.base ** np.linspace(control.min, control.max, moves))
    if hasattr(control, "options") and control.options:
        opts = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return (opts * (moves // len(opts) + 1))[:moves]
    if isinstance(control, (w.IntSlider, w.IntRangeSlider)):
        return sorted({int(v) for v in np.linspace(control.min, control.max, moves)})
    if hasattr(control, "min"):
        return list(np.linspace(control.min, control.max, moves))
    if isinstance(control.value, bool):
        return [not control.value, control.value] * (moves // 2)
    return []


def measure(cls, moves):
    ex = cls()
    times = []
    for name, control in ex.controls.items():
        start = control.value
        for value in values_for(control, moves):
            if value == control.value:
                continue
            t0 = time.perf_counter()
            ex.set(name, value)
            times.append(time.perf_counter() - t0)
        ex.set(name, start)
    import matplotlib.pyplot as plt

    plt.close(ex.fig)
    return np.array(times) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=25, help="values per control")
    args = parser.parse_args()
    plotting.use_book_style()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}, python {platform.python_version()}")
    print(f"{'explorer':<28} {'moves':>6} {'median ms':>10} {'p95 ms':>8}  target median <= 50 ms")
    for cls in widgets.EXPLORERS:
        ms = measure(cls, args.moves)
        med, p95 = np.median(ms), np.percentile(ms, 95)
        verdict = "ok" if med <= 50 else "SLOW"
        print(f"{cls.__name__:<28} {ms.size:>6} {med:>10.1f} {p95:>8.1f}  {verdict}")


if __name__ == "__main__":
    main()
