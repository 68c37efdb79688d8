#!/usr/bin/env python3
"""rows.jsonl (bench/lib.sh) -> results.json and a markdown table."""
import json, os, platform, sys, time

rows, notes, goals, steps = [], [], [], []
for line in open(sys.argv[1]):
    r = json.loads(line)
    {"row": rows, "note": notes, "goal": goals, "steps": steps}[r.pop("type")].append(r)

workloads = []
for r in rows:
    if r["workload"] not in workloads:
        workloads.append(r["workload"])

def esc(t):
    return str(t).replace("|", "\\|")

def ms(s):
    return f"{s * 1000:,.1f} ms" if s < 1 else f"{s:,.2f} s"

out = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
                "loadavg": open("/proc/loadavg").read().split()[:3]},
       "workloads": [], "notes": notes, "steps": steps}
md = ["| workload | box (median) | peers and floors (median, same run) | box ÷ each | goal |",
      "|---|---|---|---|---|"]
for w in workloads:
    box = [r for r in rows if r["workload"] == w and r["role"] == "box"]
    if not box:
        continue
    b = box[0]
    others = [r for r in rows if r["workload"] == w and r["role"] != "box"]
    entry = {"workload": w, "box": b, "others": [], "goals": []}
    cells, ratios = [], []
    for o in others:
        ratio = b["median"] / o["median"] if o["median"] > 0 else None
        entry["others"].append(dict(o, ratio=ratio))
        tag = " (floor)" if o["role"] == "floor" else ""
        cells.append(f"{esc(o['tool'])}{tag} {ms(o['median'])}")
        ratios.append(f"{ratio:.2f}× {esc(o['tool'])}" if ratio else "–")
    goal_txt = []
    for g in goals:
        if g["workload"] != w:
            continue
        o = next((o for o in others if o["tool"] == g["against"]), None)
        met = None if o is None else b["median"] / o["median"] <= g["max"]
        entry["goals"].append(dict(g, met=met))
        goal_txt.append(f"≤ {g['max']}× {esc(g['against'])}: " +
                        ("n/a" if met is None else "met" if met else "not met"))
    out["workloads"].append(entry)
    md.append(f"| {esc(w)} | {ms(b['median'])} ({ms(b['min'])}–{ms(b['max'])}, {b['runs']} runs) | "
              f"{'; '.join(cells) or '–'} | {'; '.join(ratios) or '–'} | {'; '.join(goal_txt) or '–'} |")
for s in steps:
    if not s["steps"]:
        continue
    md.append("")
    md.append(f"{s['workload']}: box's own share per RUN step (overlay, pack, compress, hash, commit)")
    md.append("")
    md.append("| step | command | box | box ÷ command |")
    md.append("|---|---|---|---|")
    for st in s["steps"]:
        share = st["box"] / st["command"] if st["command"] > 0 else 0
        md.append(f"| {st['step']} | {ms(st['command'])} | {ms(st['box'])} | {share:.1%} |")
if notes:
    md.append("")
    for n in notes:
        md.append(f"- {n['workload']}: {n['text']}")
md.append("")
md.append(f"Measured {out['date']} on {out['host']['cpus']} CPUs, kernel {out['host']['kernel']}, "
          f"load average at the end {' '.join(out['host']['loadavg'])}.")
json.dump(out, open(sys.argv[2], "w"), indent=1)
open(sys.argv[3], "w").write("\n".join(md) + "\n")
