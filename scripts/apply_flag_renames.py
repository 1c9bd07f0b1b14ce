#!/usr/bin/env python3
"""Applies FLAG_RENAMES.md to C++ files: `VAR.old_name` -> `VAR.new.path` in one pass.

    scripts/apply_flag_renames.py [--vars args_,args,a] FILE...

Only accesses through the named variables change (default: args_, args, a), so other structs'
fields of the same name stay. Run once per file: a second run would rename again."""
import argparse
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
renames = {}
for line in (root / "FLAG_RENAMES.md").read_text().splitlines():
    m = re.fullmatch(r"(\w+) -> ([\w.]+)", line.strip())
    if m:
        renames[m.group(1)] = m.group(2)

ap = argparse.ArgumentParser()
ap.add_argument("--vars", default="args_,args,a")
ap.add_argument("files", nargs="+")
opts = ap.parse_args()
names = "|".join(re.escape(v) for v in opts.vars.split(","))
pattern = re.compile(r"\b(" + names + r")\.(" + "|".join(renames) + r")\b(?!\s*\()")
for f in opts.files:
    p = pathlib.Path(f)
    text = p.read_text()
    new = pattern.sub(lambda m: m.group(1) + "." + renames[m.group(2)], text)
    if new != text:
        p.write_text(new)
        print(f"{f}: {len(pattern.findall(text))} renamed")
