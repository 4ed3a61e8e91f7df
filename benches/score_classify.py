#!/usr/bin/env python3
"""Scores `xinfang-guide classify` on the labelled evaluation sets.

    python3 benches/score_classify.py [--bin target/release/xinfang-guide] [--eval ../shared/eval]

Prints, over all rows and over the labeller's high-confidence rows: category
accuracy (predicted in {category} + also), first-channel accuracy (first
recommended channel in the row's channels; out_of_scope with no channel is
right only for out_of_scope rows), 诉访分离 violations (信访 recommended first
for a category with xinfang_ok = false), and the most frequent confusions.

Also, as a measure of what a chat user sees rather than the evaluation's
target: how often a right first channel is among the categories the chat
offers (`offered`: one to confirm when confident, else up to three buttons),
and among those or the ones offered when the person answers 不是 to the one
to confirm (`offered_after_no`).
"""
import argparse
import collections
import json
import pathlib
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target/release/xinfang-guide"))
    ap.add_argument("--eval", default=str(ROOT.parent / "shared/eval"))
    ap.add_argument("--taxonomy", default=str(ROOT.parent / "shared/reference/taxonomy.toml"))
    ap.add_argument("--errors", type=int, default=0, help="print this many misclassified rows per set, from the even (analysis) half only")
    ap.add_argument("--split", action="store_true",
                    help="also score the even rows (for error analysis) and the odd rows (held out: never read them) apart")
    args = ap.parse_args()
    tax = tomllib.loads(pathlib.Path(args.taxonomy).read_text(encoding="utf-8"))
    forbidden = {c for c, v in tax["categories"].items() if not v["xinfang_ok"]}
    first_of = {c: v["channels"][0] for c, v in tax["categories"].items() if v["channels"]}
    for name in ["dev.jsonl", "dev_xinfang.jsonl"]:
        path = pathlib.Path(args.eval) / name
        rows = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
        out = subprocess.run([args.bin, "classify", "--content", str(ROOT)], input="\n".join(json.dumps(r, ensure_ascii=False) for r in rows),
                             capture_output=True, text=True, check=True).stdout
        preds = {p["id"]: p for p in map(json.loads, out.splitlines())}
        print(f"== {name} ({len(rows)} rows)")
        subsets = [("all", rows), ("high", [r for r in rows if r.get("confidence") == "high"])]
        if args.split:
            subsets += [("even", rows[0::2]), ("odd", rows[1::2])]
        for label, subset in subsets:
            report(label, subset, preds, forbidden, first_of)
        if args.errors:
            # Only the even half is ever read: the odd half stays unseen.
            pool = rows[0::2]
            wrong = [r for r in pool if preds[r["id"]]["category"] not in [r["category"], *r.get("also", [])]]
            for r in wrong[: args.errors]:
                print(f"   {r['category']:>20} → {preds[r['id']]['category']:<20} {r['question'][:60]}")


def reaches(categories, row, first_of):
    """A right first channel among these categories' (offering none is
    right only for out_of_scope rows, as for the first channel)."""
    if not categories:
        return row["category"] == "out_of_scope"
    return any(first_of.get(c) in row["channels"] for c in categories)


def report(label, rows, preds, forbidden, first_of):
    if not rows:
        return
    cat_ok = chan_ok = violations = 0
    confusions = collections.Counter()
    high_conf = [r for r in rows if preds[r["id"]]["confidence"] >= 0.55]
    hc_ok = offered_ok = offered_n = after_no_ok = 0
    for r in rows:
        p = preds[r["id"]]
        good = p["category"] in [r["category"], *r.get("also", [])]
        cat_ok += good
        if not good:
            confusions[(r["category"], p["category"])] += 1
        first = p["channels"][0] if p["channels"] else None
        if first is None:
            chan_ok += r["category"] == "out_of_scope"
        else:
            chan_ok += first in r["channels"]
        violations += first == "xinfang" and r["category"] in forbidden
        offered = p.get("offered", [])
        offered_n += len(offered)
        offered_ok += reaches(offered, r, first_of)
        after_no_ok += reaches(offered + p.get("offered_after_no", []), r, first_of)
    for r in high_conf:
        hc_ok += preds[r["id"]]["category"] in [r["category"], *r.get("also", [])]
    n = len(rows)
    print(f"  {label:>4}: category {cat_ok / n:6.1%}  first channel {chan_ok / n:6.1%}  violations {violations}  "
          f"(bot-confident rows: {len(high_conf)}, category {hc_ok / max(len(high_conf), 1):6.1%})")
    print(f"        chat: right first channel among the offered categories {offered_ok / n:6.1%} "
          f"(categories offered per question: {offered_n / n:.2f}); after one 不是 {after_no_ok / n:6.1%}")
    top = ", ".join(f"{a}→{b} {c}" for (a, b), c in confusions.most_common(6))
    print(f"        confusions: {top}")


if __name__ == "__main__":
    sys.exit(main())
