#!/usr/bin/env python3
"""Print engine-vs-diffusers' table from its raw JSON lines.

    python bench_table.py target/bench/results-<time>.jsonl [--seconds N]

Columns: config, op, ours and diffusers (median ms over the repeats [min-max]), ratio ours/theirs
on wall time and on process CPU time, whether both computed the same `check` value (relative
1e-3), and ours against diffusers with its classic AttnProcessor (wall / CPU ratio; UNet ops only).
"""

import argparse
import json
import os
import platform

OPS = ("unet_forward", "unet_forward_backward", "generate_10")


def main():
    args, rows, by = read_results(__doc__)
    print_machine("engine-vs-diffusers", [r for r in rows if r["op"] in OPS], "repeats")
    print()
    fmt = "{:<6} {:<22} {:>20} {:>20} {:>6} {:>9} {:>6} {:>13}"
    print(fmt.format("config", "op", "ours (ms)", "diffusers (ms)", "ratio", "cpu ratio", "same", "vs classic"))
    for config in ("tiny", "small"):
        for op in OPS:
            ours, theirs = by.get(("s2edit", config, op)), by.get(("diffusers", config, op))
            if not ours or not theirs:
                continue
            classic = by.get(("diffusers-classic", config, op))
            same = abs(ours["check"] - theirs["check"]) <= 1e-3 * max(1.0, abs(theirs["check"]))
            versus = (f"{ours['median_ms'] / classic['median_ms']:.2f} / "
                      f"{ours['cpu_median_ms'] / classic['cpu_median_ms']:.2f}") if classic else "-"
            print(fmt.format(config, op, cell(ours), cell(theirs), f"{ours['median_ms'] / theirs['median_ms']:.2f}",
                             f"{ours['cpu_median_ms'] / theirs['cpu_median_ms']:.2f}", "yes" if same else "NO", versus))
    mem = by.get(("s2edit", "tiny", "memory_rss"))
    if mem:
        print()
        print(f"memory (ours, tiny, {mem['steps']} steps, Java heap pre-touched): RSS {mib(mem['rss_kib_step_20'])} MiB "
              f"at step 20, max {mib(mem['rss_kib_max_after_20'])} MiB after ({mem['growth_pct']:+.2f}%), "
              f"{mib(mem['rss_kib_last'])} MiB at the end; {mem['seconds']:.0f} s")
    print()
    took = "" if args.seconds is None else f"; took {args.seconds // 60} min {args.seconds % 60} s"
    print(f"raw results: {os.path.relpath(args.results)}{took}")


def read_results(doc):
    """Parses the command line (results file, --seconds); returns it, the JSON lines and them by (impl, config, op)."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results")
    p.add_argument("--seconds", type=int, default=None, help="the run's duration, printed at the end")
    args = p.parse_args()
    rows = [json.loads(line) for line in open(args.results) if line.startswith("{")]
    return args, rows, {(r["impl"], r["config"], r["op"]): r for r in rows}


def print_machine(name, rows, samples):
    """The table's first lines: cores, CPU, thread counts of `rows`, load average now."""
    threads = sorted({r["threads"] for r in rows})
    cpu, load = machine()
    print(f"{name}: {os.cpu_count()} cores ({cpu}), SHARED with other builds, so wall times are noisy:")
    print(f"read the CPU-time ratio too. libtorch intra-op threads {'/'.join(map(str, threads))} on both sides; "
          f"load average at the end {load}.")
    print(f"ms = median over the {samples} [min-max]; cpu = median process CPU time (user+sys, all threads).")


def machine():
    """The CPU's model name and the load average (1, 5, 15 minutes) now."""
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
               platform.machine())
    return cpu, " ".join(open("/proc/loadavg").read().split()[:3])


def cell(r):
    return f"{r['median_ms']:.0f} [{r['min_ms']:.0f}-{r['max_ms']:.0f}]"


def mib(kib):
    return f"{kib / 1024:.0f}"


if __name__ == "__main__":
    main()
