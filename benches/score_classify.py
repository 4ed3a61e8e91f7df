#!/usr/bin/env python3
"""Scores `xinfang-guide classify` on the labelled evaluation sets.

    python3 benches/score_classify.py [--bin target/release/xinfang-guide] [--eval ../shared/eval] [--split] [--cv 5]

Sets: dev.jsonl and dev_xinfang.jsonl (never trained on), and train_real.jsonl
by k-fold cross-validation (`classify --cv K --real …`: each row classified
by a model trained without its fold), so a gain that fits one set and not the
other shows.

Prints, over all rows and over the labeller's high-confidence rows: category
accuracy (predicted in {category} + also), first-channel accuracy (first
recommended channel in the row's channels; out_of_scope with no channel is
right only for out_of_scope rows), 诉访分离 violations (信访 recommended first
for a category with xinfang_ok = false), and the most frequent confusions.

The chat measure (issue 15's bar): how often a right first channel is one
tap away — the category the chat asks to confirm, or one of the buttons it
offers (`offered`) — and within reach after one 不是 (`offered_after_no`
too); a message about danger reaches 110 at once (the crisis and danger
replies give 110/120 before anything else). Also the mean number of
categories offered, so that offering everything cannot game the measure.
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
    ap.add_argument("--cv", type=int, default=5, help="folds for train_real.jsonl (0: skip it)")
    ap.add_argument("--real-weight", type=float, default=None, help="passed to classify --cv")
    ap.add_argument("--only-cv", action="store_true", help="score only the cross-validated train_real.jsonl")
    ap.add_argument("--use-percent", type=int, default=100,
                    help="cross-validate on this share of the labelled real questions (a learning-curve point)")
    ap.add_argument("--no-repo-real", action="store_true",
                    help="cross-validate on train_real.jsonl alone, without dialogs/understand/real/")
    ap.add_argument("--typos", type=int, default=None,
                    help="also score with homophone typos injected with this seed (`xinfang-guide typos`)")
    args = ap.parse_args()
    tax = tomllib.loads(pathlib.Path(args.taxonomy).read_text(encoding="utf-8"))
    forbidden = {c for c, v in tax["categories"].items() if not v["xinfang_ok"]}
    first_of = {c: v["channels"][0] for c, v in tax["categories"].items() if v["channels"]}
    sets = [] if args.only_cv else ["dev.jsonl", "dev_xinfang.jsonl"]
    if args.cv:
        sets.append("train_real.jsonl")
    faq_labels = read_faq_labels()
    faq_category = read_faq_categories()
    for name in sets:
        for typos in [None] + ([args.typos] if args.typos is not None else []):
            score_set(args, name, typos, forbidden, first_of, faq_labels, faq_category)


def read_faq_labels():
    """The FAQ entry that answers each labelled question (or none): the
    `faq` field of the repository's real questions, and benches/faq_labels/."""
    labels = {}
    for f in sorted((ROOT / "benches/faq_labels").glob("*.jsonl")) + sorted((ROOT / "dialogs/understand/real").glob("*.jsonl")):
        for l in f.read_text(encoding="utf-8").splitlines():
            if l.strip():
                r = json.loads(l)
                if "faq" in r:
                    labels[r["id"]] = [r["faq"], *r.get("faq_also", r.get("also_faq", []))] if r["faq"] else []
    return labels


def read_faq_categories():
    cats = {}
    for f in sorted((ROOT / "faq").glob("*.toml")):
        for e in tomllib.loads(f.read_text(encoding="utf-8")).get("faq", []):
            cats[e["id"]] = e.get("category")
    return cats


def score_set(args, name, typos, forbidden, first_of, faq_labels, faq_category):
    path = pathlib.Path(args.eval) / name
    rows = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    cmd = [args.bin, "classify", "--content", str(ROOT)]
    cv_set = name == "train_real.jsonl"
    if cv_set:
        cmd += ["--cv", str(args.cv), "--real", str(path), "--use-percent", str(args.use_percent)]
        if args.no_repo_real:
            cmd.append("--no-repo-real")
        else:
            for f in sorted((ROOT / "dialogs/understand/real").glob("*.jsonl")):
                rows += [json.loads(l) for l in f.read_text(encoding="utf-8").splitlines() if l.strip()]
        if typos is not None:
            cmd += ["--typos", str(typos)]
        if args.real_weight is not None:
            cmd += ["--real-weight", str(args.real_weight)]
        stdin = ""
    else:
        stdin = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
        if typos is not None:
            stdin = subprocess.run([args.bin, "typos", "--seed", str(typos)], input=stdin,
                                   capture_output=True, text=True, check=True).stdout
    out = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=True).stdout
    preds = {p["id"]: p for p in map(json.loads, out.splitlines())}
    rows = [r for r in rows if r["id"] in preds]
    cv = f", {args.cv}-fold cross-validation over {args.use_percent}% of the labelled real questions" if cv_set else ""
    ty = f", homophone typos (seed {typos})" if typos is not None else ""
    print(f"== {name} ({len(rows)} rows{cv}{ty})")
    subsets = [("all", rows), ("high", [r for r in rows if r.get("confidence") == "high"])]
    if cv_set:
        for source in sorted({r["id"].split("-")[0] for r in rows}):
            subsets.append((source, [r for r in rows if r["id"].split("-")[0] == source]))
    if args.split:
        subsets += [("even", rows[0::2]), ("odd", rows[1::2])]
    for label, subset in subsets:
        report(label, subset, preds, forbidden, first_of)
        direct(subset, preds, faq_labels, faq_category, first_of)

        if args.errors:
            # Only the even half is ever read: the odd half stays unseen.
            pool = rows[0::2]
            wrong = [r for r in pool if preds[r["id"]]["category"] not in [r["category"], *r.get("also", [])]]
            for r in wrong[: args.errors]:
                print(f"   {r['category']:>20} → {preds[r['id']]['category']:<20} {r['question'][:60]}")


def direct(rows, preds, faq_labels, faq_category, first_of):
    """Direct answers: what the bot says before asking anything — a
    category's first channel named (`direct_channel`) or a FAQ entry shown
    (`direct`). A named channel is right when the row accepts it; a FAQ
    entry when it is the labelled entry (or one labelled as equally
    answering) — without a FAQ label, when its kind of matter's first
    channel is acceptable."""
    ch_rows = [r for r in rows if preds[r["id"]].get("direct_channel")]
    ch_right = sum(1 for r in ch_rows if preds[r["id"]]["channels"][:1] and preds[r["id"]]["channels"][0] in r["channels"])
    faq_rows = [r for r in rows if preds[r["id"]].get("direct")]

    def faq_right(r):
        if r["id"] in faq_labels:
            return preds[r["id"]]["faq"] in faq_labels[r["id"]]
        return first_of.get(faq_category.get(preds[r["id"]]["faq"])) in r["channels"]

    f_right = sum(map(faq_right, faq_rows))
    n, d = len(rows), len(ch_rows) + len(faq_rows)
    labelled = sum(1 for r in faq_rows if r["id"] in faq_labels)
    print(f"        direct answers: {d} of {n} ({d / max(n, 1):.1%}), right {ch_right + f_right}/{d} "
          f"({(ch_right + f_right) / max(d, 1):.1%}) — channel named {ch_right}/{len(ch_rows)}, "
          f"FAQ shown {f_right}/{len(faq_rows)} ({labelled} with a FAQ label)")
    labelled_rows = [r for r in rows if r["id"] in faq_labels]
    if labelled_rows:
        offered = [r for r in labelled_rows if preds[r["id"]].get("faq") and not preds[r["id"]].get("direct")]
        offered_right = sum(preds[r["id"]]["faq"] in faq_labels[r["id"]] for r in offered)
        answerable = sum(1 for r in labelled_rows if faq_labels[r["id"]])
        print(f"        FAQ as a button: {len(offered)} (right {offered_right}); rows an entry answers {answerable}")


def reaches(categories, row, first_of, pred):
    """A right first channel among these categories' (offering none is
    right only for out_of_scope rows, as for the first channel); a message
    about danger is answered with 110/120 at once."""
    if pred.get("danger") and "police_110" in row["channels"]:
        return True
    if not categories:
        return row["category"] == "out_of_scope"
    return any(first_of.get(c) in row["channels"] for c in categories)


def report(label, rows, preds, forbidden, first_of):
    if not rows:
        return
    cat_ok = chan_ok = violations = 0
    confusions = collections.Counter()
    high_conf = [r for r in rows if preds[r["id"]]["confidence"] >= 0.75]
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
        # The other matters of a message (您还提到) are buttons too.
        offered = p.get("offered", []) + p.get("also_offered", [])
        offered_n += len(offered)
        offered_ok += reaches(offered, r, first_of, p)
        after_no_ok += reaches(offered + p.get("offered_after_no", []), r, first_of, p)
    for r in high_conf:
        hc_ok += preds[r["id"]]["category"] in [r["category"], *r.get("also", [])]
    n = len(rows)
    print(f"  {label:>4}: category {cat_ok / n:6.1%}  first channel {chan_ok / n:6.1%}  violations {violations}  "
          f"(bot-confident rows: {len(high_conf)}, category {hc_ok / max(len(high_conf), 1):6.1%})")
    print(f"        chat: right channel one tap away {offered_ok / n:6.1%}  after one 不是 {after_no_ok / n:6.1%}  "
          f"mean offered {offered_n / n:.2f}")
    top = ", ".join(f"{a}→{b} {c}" for (a, b), c in confusions.most_common(6))
    print(f"        confusions: {top}")


if __name__ == "__main__":
    sys.exit(main())
