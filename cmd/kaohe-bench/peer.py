#!/usr/bin/python3
"""The do-it-yourself peer of a kaohe run, for kaohe-bench.

What a centre would otherwise write with openpyxl (Debian python3-openpyxl):
open each submitted workbook, read the fields by their workbook-scope
defined names, check the obvious (counts are whole numbers, no more passed
than appraised), rank by the self-assessed total and write a plain ranking
workbook. It prints {"Read": files read, "Ranked": institutions ranked}.

    python3 peer.py --fields inst_name,actual_appraised,... --out ranking.xlsx INBOX
"""

import argparse
import json
import os
import sys

import openpyxl


def cell_refs(wb, wanted):
    """Maps each wanted workbook-scope defined name to (sheet, cell)."""
    refs = {}
    for dn in wb.defined_names.definedName:
        if dn.localSheetId is not None or dn.name not in wanted or dn.name in refs:
            continue
        for sheet, coord in dn.destinations:
            refs[dn.name] = (sheet, coord.replace("$", ""))
            break
    return refs


def as_count(v):
    if v is None or v == "":
        return 0
    if isinstance(v, (int, float)):
        if v != int(v) or v < 0:
            raise ValueError(v)
        return int(v)
    s = str(v).strip().replace(",", "").replace("，", "")
    n = int(s)
    if n < 0:
        raise ValueError(v)
    return n


def as_points(v):
    if v is None or v == "":
        return 0.0
    return float(str(v).strip())


def read(path, fields):
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        refs = cell_refs(wb, set(fields))
        values = {}
        for name in fields:
            if name not in refs:
                raise KeyError("no defined name " + name)
            sheet, cell = refs[name]
            values[name] = wb[sheet][cell].value
        return values
    finally:
        wb.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fields", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("inbox")
    args = ap.parse_args()
    fields = args.fields.split(",")
    counts = [f for f in fields if f.startswith(("actual_", "target_", "i"))
              and f not in ("inst_name", "i6_online_pilot", "i6_platform_first")]
    selfs = [f for f in fields if f.startswith("self_")]

    rows, rejected, n = [], [], 0
    for name in sorted(os.listdir(args.inbox)):
        if not name.lower().endswith(".xlsx"):
            continue
        n += 1
        try:
            v = read(os.path.join(args.inbox, name), fields)
            c = {f: as_count(v[f]) for f in counts}
            if c["actual_passed"] > c["actual_appraised"]:
                raise ValueError("合格人数大于鉴定人数")
            total = round(sum(as_points(v[f]) for f in selfs), 2)
            rows.append((total, c["target_certified"], str(v["inst_name"]), c))
        except Exception as e:  # a bad file is a rejected row, not a crash
            rejected.append((name, str(e)))

    rows.sort(key=lambda r: (-r[0], -r[1]))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "排名"
    ws.append(["名次", "鉴定机构", "自评总分", "鉴定人数", "取证人数", "合格人数", "统考人数", "高技能人才"])
    rank, prev = 0, None
    for total, _, inst, c in rows:
        if total != prev:
            rank, prev = rank + 1, total
        ws.append([rank, inst, total, c["actual_appraised"], c["actual_certified"], c["actual_passed"],
                   c["actual_unified_exam"], c["actual_high_skill"]])
    bad = wb.create_sheet("退回")
    bad.append(["文件", "原因"])
    for row in rejected:
        bad.append(list(row))
    wb.save(args.out)
    json.dump({"Read": n, "Ranked": len(rows)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
