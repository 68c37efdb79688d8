#!/usr/bin/env python3
"""rows/SCRIPT.jsonl (bench/lib.sh, bench/run.sh) -> results.json and a
markdown table.  The argument is that directory (or one .jsonl file)."""
import glob, json, os, platform, sys, time

rows, notes, goals, steps, meta = [], [], [], [], []
src = sys.argv[1]
files = sorted(glob.glob(os.path.join(src, "*.jsonl"))) if os.path.isdir(src) else [src]
for path in files:
    for line in open(path):
        r = json.loads(line)
        {"row": rows, "note": notes, "goal": goals, "steps": steps,
         "meta": meta}[r.pop("type")].append(r)

workloads = []
for r in rows:
    if r["workload"] not in workloads:
        workloads.append(r["workload"])

def esc(t):
    return str(t).replace("|", "\\|")

def size(n):
    return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n / 1e3:,.1f} kB"

def ms(s):
    return f"{s * 1000:,.1f} ms" if s < 1 else f"{s:,.2f} s"

def val(r, v):
    """A row's value: a time, or a measure in its unit (more is better
    unless the row says "less")."""
    if not r.get("unit"):
        return ms(v)
    return f"{v:,.0f} {r['unit']}" if v >= 100 else f"{v:,.2f} {r['unit']}"

def goal_text(g, b, o):
    """The goal, and whether box met it against row O (None: not measured)."""
    a = esc(g["against"])
    if "plus" in g:
        met = None if o is None else b["median"] - o["median"] <= g["plus"]
        diff = "" if o is None else f" ({(b['median'] - o['median']) * 1000:+.1f} ms)"
        return met, f"≤ +{g['plus'] * 1000:g} ms over {a}", diff
    ratio = None if o is None or o["median"] <= 0 else b["median"] / o["median"]
    extra = ""
    if o is not None and "paired" in g:
        # taken in turns: the median of the rounds' own ratios
        ratio = g["paired"]
        extra = f" ({ratio:.2f}× round by round)"
    if "min" in g:
        return (None if ratio is None else ratio >= g["min"]), f"≥ {g['min']}× {a}", extra
    return (None if ratio is None else ratio <= g["max"]), f"≤ {g['max']}× {a}", extra

out = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
                "loadavg": open("/proc/loadavg").read().split()[:3]},
       "workloads": [], "notes": notes, "steps": steps, "runs": meta}
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
        cells.append(f"{esc(o['tool'])}{tag} {val(o, o['median'])}")
        ratios.append(f"{ratio:.2f}× {esc(o['tool'])}" if ratio else "–")
    goal_txt = []
    for g in goals:
        if g["workload"] != w:
            continue
        o = next((o for o in others if o["tool"] == g["against"]), None)
        met, text, extra = goal_text(g, b, o)
        entry["goals"].append(dict(g, met=met))
        goal_txt.append(f"{text}: " + ("n/a" if met is None else "met" if met else "not met") +
                        extra)
    out["workloads"].append(entry)
    md.append(f"| {esc(w)} | {val(b, b['median'])} ({val(b, b['min'])}–{val(b, b['max'])}, {b['runs']} runs) | "
              f"{'; '.join(cells) or '–'} | {'; '.join(ratios) or '–'} | {'; '.join(goal_txt) or '–'} |")
for s in steps:
    if not s["steps"]:
        continue
    md.append("")
    md.append(f"{s['workload']}: box's own share per RUN step (overlay, pack, hash, sync, commit); "
              "what it consists of: the step's directories and files, the layer's tar and "
              "SHA-256, its sync, its publication (renames) and the cache record; the "
              "sandbox's start (box run's, to the command's exec) is apart")
    md.append("")
    md.append("| step | command | box | box ÷ command | dirs, files | tar + hash | sync | publish, record | pack CPU | layer | sandbox start |")
    md.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for st in s["steps"]:
        share = st["box"] / st["command"] if st["command"] > 0 else 0
        if "tar" in st:
            parts = (f"{ms(st['files'])} | {ms(st['tar'])} | {ms(st['sync'])} ({st['sync_how']}) | "
                     f"{ms(st['publish'] + max(st['record'], 0))} | "
                     f"{ms(st['pack_cpu']) if 'pack_cpu' in st else '–'} | "
                     f"{size(st['bytes'])}, {st['entries']:,} entries | {ms(st['sandbox_start'])}")
        else:
            parts = "– | – | – | – | – | – | –"
        md.append(f"| {st['step']} | {ms(st['command'])} | {ms(st['box'])} | {share:.1%} | {parts} |")
if notes:
    md.append("")
    for n in notes:
        md.append(f"- {n['workload']}: {n['text']}")
md.append("")
# when each script ran: its rows may come from an earlier run (BENCH_ONLY)
runs = {}
for m in meta:
    runs.setdefault(m["script"], {})[m["phase"]] = m
if runs:
    commits = {r["begin"]["commit"] for r in runs.values() if "begin" in r}
    parts = []
    for script, r in sorted(runs.items()):
        b, e = r.get("begin"), r.get("end")
        if not b:
            continue
        load = e["loadavg"].split()[0] if e else "?"
        c = f", {b['commit']}" if len(commits) > 1 else ""
        parts.append(f"{script}.sh {b['date']} (load {b['loadavg'].split()[0]}→{load}{c})")
    md.append("Measured on " + f"{out['host']['cpus']} CPUs, kernel {out['host']['kernel']}"
              + (f", box at {commits.pop()}" if len(commits) == 1 else "") + ": "
              + "; ".join(parts) + ".")
else:
    md.append(f"Measured {out['date']} on {out['host']['cpus']} CPUs, kernel {out['host']['kernel']}, "
              f"load average at the end {' '.join(out['host']['loadavg'])}.")
json.dump(out, open(sys.argv[2], "w"), indent=1)
open(sys.argv[3], "w").write("\n".join(md) + "\n")
