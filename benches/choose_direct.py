#!/usr/bin/env python3
"""Chooses, by cross-validation, the kinds of matter the chat answers
directly (names the first channel before asking anything) and from which
probability: `[direct]` in dialogs/understand/lexicon.toml.

    python3 benches/choose_direct.py [--bin target/release/xinfang-guide] [--cv 5]

Runs `classify --cv` over the labelled real questions (train_real.jsonl and
the repository's own, dialogs/understand/real/), then for each predicted
kind of matter takes the lowest probability from which the first channel it
names is right for >= 95% of the rows at or above it (at least MIN_ROWS
rows, the Wilson 95% lower bound >= 85%, and >= 90% on each source's rows
where that source has at least 5). Prints the table to paste and what it
covers; a kind not listed is always asked about (…对吗？).
"""
import argparse
import json
import math
import pathlib
import subprocess
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Not below 0.7: the labelled questions are legal consultations only, so a
# kind's precision at lower probabilities says little about other writing
# (问政 posts about wage policy reached labour at 0.62–0.67 on dev).
GRID = [0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97]
MIN_ROWS = 10
PRECISION = 0.95
WILSON = 0.85
PER_SOURCE = 0.90


def wilson_low(k, n, z=1.96):
    if n == 0:
        return 0.0
    p = k / n
    d = 1 + z * z / n
    c = p + z * z / (2 * n)
    r = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (c - r) / d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target/release/xinfang-guide"))
    ap.add_argument("--eval", default=str(ROOT.parent / "shared/eval"))
    ap.add_argument("--cv", type=int, default=5)
    ap.add_argument("--preds", help="read classify --cv output from this file instead of running it")
    args = ap.parse_args()
    real = pathlib.Path(args.eval) / "train_real.jsonl"
    rows = [json.loads(l) for l in real.read_text(encoding="utf-8").splitlines() if l.strip()]
    for f in sorted((ROOT / "dialogs/understand/real").glob("*.jsonl")):
        rows += [json.loads(l) for l in f.read_text(encoding="utf-8").splitlines() if l.strip()]
    if args.preds:
        out = pathlib.Path(args.preds).read_text(encoding="utf-8")
    else:
        cmd = [args.bin, "classify", "--content", str(ROOT), "--cv", str(args.cv), "--real", str(real)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    preds = {p["id"]: p for p in map(json.loads, out.splitlines())}
    rows = [r for r in rows if r["id"] in preds]

    def right(r):
        p = preds[r["id"]]
        return bool(p["channels"]) and p["channels"][0] in r["channels"]

    chosen = {}
    by_cat = {}
    for r in rows:
        p = preds[r["id"]]
        if p.get("danger") or not p["channels"]:
            continue
        by_cat.setdefault(p["category"], []).append(r)
    for cat, cat_rows in sorted(by_cat.items()):
        for t in GRID:
            at = [r for r in cat_rows if preds[r["id"]]["confidence"] >= t]
            k = sum(map(right, at))
            if len(at) < MIN_ROWS or k / len(at) < PRECISION or wilson_low(k, len(at)) < WILSON:
                continue
            sources = {r["id"].split("-")[0] for r in at}
            fine = True
            for s in sources:
                s_rows = [r for r in at if r["id"].split("-")[0] == s]
                if len(s_rows) >= 5 and sum(map(right, s_rows)) / len(s_rows) < PER_SOURCE:
                    fine = False
            if fine:
                chosen[cat] = (t, k, len(at))
                break
    print("[direct]")
    for cat, (t, k, n) in sorted(chosen.items()):
        print(f"{cat} = {t}  # {k}/{n} right by {args.cv}-fold CV")
    for subset in ["all", *sorted({r["id"].split("-")[0] for r in rows})]:
        sub = [r for r in rows if subset == "all" or r["id"].split("-")[0] == subset]
        direct = [r for r in sub if preds[r["id"]]["category"] in chosen
                  and preds[r["id"]]["confidence"] >= chosen[preds[r["id"]]["category"]][0]
                  and not preds[r["id"]].get("danger")]
        k = sum(map(right, direct))
        print(f"# {subset}: direct {len(direct)}/{len(sub)} ({len(direct) / max(len(sub), 1):.1%}), "
              f"right {k}/{len(direct)} ({k / max(len(direct), 1):.1%})")


if __name__ == "__main__":
    main()
