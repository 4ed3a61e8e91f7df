"""Extract the STARD (MIT) questions: python3 extract_stard.py STARD_CLONE OUT.jsonl.
The labels of dialogs/understand/real/stard.jsonl were added to these rows (README.md).

Input: data/queries.json from github:oneal2000/STARD@bae10e1f358685446c3af4b15e7b94724f83bc9e
(read via `git show`, from the local mirror).  Questions only; answers/statutes are dropped.
"""
import json, re, subprocess, sys

REPO = sys.argv[1] if len(sys.argv) > 1 else "STARD"  # a clone of github.com/oneal2000/STARD
COMMIT = "bae10e1f358685446c3af4b15e7b94724f83bc9e"
PATH = "data/queries.json"
OUT = sys.argv[2] if len(sys.argv) > 2 else "stard_questions.jsonl"

raw = subprocess.run(["git", "-C", REPO, "show", f"{COMMIT}:{PATH}"], check=True,
                     capture_output=True).stdout.decode("utf-8")
data = json.loads(raw)

WS = re.compile(r"[\s\u3000\u00a0]+")
def clean(q: str) -> str:
    q = q.strip().strip("\u3000")
    lines = [l.strip().strip("\u3000") for l in q.splitlines() if l.strip().strip("\u3000")]
    if len(lines) > 1:
        # a line ending without ?/？ followed by a continuation = broken sentence -> join
        if not re.search(r"[？?]$", lines[0]):
            q = "".join(lines)
        else:
            # extra lines are annotator paraphrases / keyword fragments -> keep the first question
            q = lines[0]
    else:
        q = lines[0] if lines else ""
    # "问题A？/问题B？" paraphrase pairs -> keep the first
    m = re.match(r"^(.+?[？?])\s*/\s*.+$", q)
    if m:
        q = m.group(1)
    return WS.sub(" ", q).strip()

def norm(q: str) -> str:
    return re.sub(r"[\s，。？?！!、,.；;：:“”\"'（）()/]", "", q)

EXAM = re.compile(r"下列|选项|表述正确|以下哪|[ABCD][\.．、:：]")
seen, out, dropped = set(), [], []
for idx, item in enumerate(data):
    q = clean(item["问题"])
    if len(q) < 5 or EXAM.search(q):
        dropped.append((idx, q)); continue
    k = norm(q)
    if k in seen:
        dropped.append((idx, q)); continue
    seen.add(k)
    out.append({
        "id": f"stard-{idx}",
        "question": q,
        "source": "stard",
        "licence": "MIT",
        "origin": f"github:oneal2000/STARD@{COMMIT}:{PATH}#{idx}",
    })

with open(OUT, "w", encoding="utf-8") as f:
    for r in out[:3000]:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"read {len(data)}, wrote {min(len(out),3000)}, dropped {len(dropped)}", file=sys.stderr)
for d in dropped: print("dropped:", d, file=sys.stderr)
