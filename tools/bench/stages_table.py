#!/usr/bin/env python3
"""Print stages-vs-reference's table from its raw JSON lines.

    python stages_table.py target/bench/stages-<time>.jsonl [--seconds N]

Per config and stage: ours (`./s2edit bench-stages`) and the reference (`stages_bench.py`), each
the median ms over the samples [min-max], the ratio ours/reference on wall time and on process CPU
time, whether both computed the same `check` value (relative 1e-3; "-" where the inputs are drawn
by different generators), ours against the reference with diffusers' classic AttnProcessor
(wall / CPU ratio; where such a run is in the file: the fine-tuning step, whose reference uses the
fused default), and what was run.
"""

import os

from bench_table import cell, print_machine, read_results

# (op, whether both sides compute the same numbers); edit_N is matched by prefix.
OPS = (("finetune_step", False), ("finetune_step_spatial", False), ("ddim_inversion_step", True),
       ("null_text_iteration", True), ("null_text_step", True), ("inversion_step", True), ("edit_step", True),
       ("edit_", True))


def main():
    args, rows, by = read_results(__doc__)
    print_machine("stages-vs-reference", rows, "samples")
    print()
    fmt = "{:<6} {:<22} {:>20} {:>20} {:>6} {:>9} {:>5} {:>11}  {}"
    print(fmt.format("config", "op", "ours (ms)", "reference (ms)", "ratio", "cpu ratio", "same", "vs classic",
                     "what"))
    for config in dict.fromkeys(r["config"] for r in rows):
        for op, comparable in OPS:
            names = sorted({r["op"] for r in rows if r["config"] == config and
                            (r["op"] == op or (op.endswith("_") and r["op"].startswith(op) and r["op"][len(op):].isdigit()))})
            for name in names:
                ours, theirs = by.get(("s2edit", config, name)), by.get(("reference", config, name))
                if not ours and not theirs:
                    continue
                if ours and theirs:
                    ratio = f"{ours['median_ms'] / theirs['median_ms']:.2f}"
                    cpu_ratio = f"{ours['cpu_median_ms'] / theirs['cpu_median_ms']:.2f}"
                    same = abs(ours["check"] - theirs["check"]) <= 1e-3 * max(1.0, abs(theirs["check"]))
                    same = ("yes" if same else "NO") if comparable else "-"
                else:
                    ratio = cpu_ratio = same = "-"
                classic = by.get(("reference-classic", config, name))
                versus = (f"{ours['median_ms'] / classic['median_ms']:.2f} / "
                          f"{ours['cpu_median_ms'] / classic['cpu_median_ms']:.2f}") if ours and classic else "-"
                print(fmt.format(config, name, cell(ours) if ours else "-", cell(theirs) if theirs else "-", ratio,
                                 cpu_ratio, same, versus, what(ours or theirs, theirs is None)))
    print()
    took = "" if args.seconds is None else f"; took {args.seconds // 60} min {args.seconds % 60} s"
    print(f"raw results: {os.path.relpath(args.results)}{took}")


def what(r, ours_only):
    op = r["op"]
    if op.startswith("finetune"):
        text = "spatial control on" if r["spatial"] else "no spatial control"
        return text + (" (ours only)" if ours_only else "")
    if op == "null_text_iteration":
        return (f"N={r['steps']}: (run at K={r['inner_steps']} - run at K=1) / "
                f"({r['iterations']} - {r['iterations_single']}) iterations")
    if op in ("null_text_step", "inversion_step"):
        return f"N={r['steps']}, K={r['inner_steps']}: {r['iterations']} iterations run"
    if op == "ddim_inversion_step":
        return f"N={r['steps']}"
    if op.startswith("edit"):
        return f"N={r['steps']}, {r['prompts']} prompts" + (", encode + decode included" if op != "edit_step" else "")
    return ""


if __name__ == "__main__":
    main()
