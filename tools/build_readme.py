"""Assemble README.md from its sections (docs/readme_*.md and .notes/*.md), with a generated
table of contents. Edit the sections, then run ``python tools/build_readme.py``.
"""

import pathlib
import re

root = pathlib.Path(__file__).resolve().parents[1]
parts = [
    "docs/readme_head.md",
    ".notes/foundation.md",
    ".notes/toolkit-optim.md",
    ".notes/toolkit-fit.md",
    ".notes/cnn.md",
    ".notes/exam.md",
    ".notes/data.md",
    ".notes/plotting.md",
    ".notes/examples.md",
    "docs/readme_io.md",
    ".notes/sklearn.md",
    ".notes/onnx.md",
    ".notes/tuning.md",
    "docs/readme_playground.md",
    ".notes/benchmarks.md",
    ".notes/properties.md",
    ".notes/errors.md",
    "docs/readme_tail.md",
]
texts = []
for p in parts:
    f = root / p
    if f.exists():
        texts.append(f.read_text().strip() + "\n")
    else:
        print("missing", p)
body = "\n".join(texts)


def anchor(h):
    h = h.strip().lower()
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")


# Table of contents from the H2 headings (outside code blocks), replacing the hand-written one.
heads, in_code = [], False
for line in body.splitlines():
    if line.startswith("```"):
        in_code = not in_code
    elif not in_code and line.startswith("## ") and line[3:].strip() != "Contents":
        heads.append(line[3:].strip())
toc = "## Contents\n\n" + "\n".join(f"- [{h.replace('`', '')}](#{anchor(h)})" for h in heads) + "\n"
body = re.sub(r"## Contents\n.*?(?=\n## )", toc, body, count=1, flags=re.S)
(root / "README.md").write_text(body)
print(len(body.splitlines()), "lines;", len(heads), "sections")
