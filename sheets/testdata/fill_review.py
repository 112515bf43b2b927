#!/usr/bin/python3
"""Fill a kaohe 核查表 (verification workbook) with openpyxl, finding its
columns by the words of each sheet's header row, as people and other
programs are told to (never by position).

Usage: fill_review.py JOB.json
       fill_review.py --batch JOBS.json   (a list of jobs)

A job is {"in": …, "out": …, "actuals": [...], "facts": [...]}:
  actuals: [{"鉴定机构": name, "<header word>": value, …}]: the row of 核定数据
           whose 鉴定机构 is name gets the values under those headers;
  facts:   [{"<header word>": value, …}]: each becomes the next empty row of
           查实事项 (empty: no value under 鉴定机构, 事项, 核定值 and 依据).
Values are written as a person or a program would: JSON numbers become
numeric cells, strings text cells ("１", "25,000", "是"), {"date": "2013-12-20"}
a date cell, a string starting with "=" a formula (no cached value).
The header row is the first of the first rows holding 鉴定机构.
"""
import datetime
import json
import sys

import openpyxl


def header(ws):
    for row in ws.iter_rows(min_row=1, max_row=10):
        words = {}
        for cell in row:
            if isinstance(cell.value, str):
                words[cell.value.strip()] = cell.column
        if "鉴定机构" in words:
            return row[0].row, words
    sys.exit("%s: no header row with 鉴定机构" % ws.title)


def value(v):
    if isinstance(v, dict) and "date" in v:
        return datetime.datetime.strptime(v["date"], "%Y-%m-%d")
    return v


def fill(job):
    wb = openpyxl.load_workbook(job["in"])
    ws = wb["核定数据"]
    top, cols = header(ws)
    for want in job.get("actuals", []):
        name = want["鉴定机构"]
        for r in range(top + 1, ws.max_row + 1):
            if ws.cell(row=r, column=cols["鉴定机构"]).value == name:
                break
        else:
            sys.exit("核定数据: no row for %r" % name)
        for word, v in want.items():
            if word != "鉴定机构":
                if word not in cols:
                    sys.exit("核定数据: no column %r" % word)
                ws.cell(row=r, column=cols[word]).value = value(v)
    ws = wb["查实事项"]
    top, cols = header(ws)
    key = [cols[w] for w in ("鉴定机构", "事项", "核定值", "依据")]
    r = top + 1
    for fact in job.get("facts", []):
        while any(ws.cell(row=r, column=c).value not in (None, "") for c in key):
            r += 1
        for word, v in fact.items():
            if word not in cols:
                sys.exit("查实事项: no column %r" % word)
            ws.cell(row=r, column=cols[word]).value = value(v)
        r += 1
    wb.save(job["out"])


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--batch":
        with open(sys.argv[2], encoding="utf-8") as fh:
            for job in json.load(fh):
                fill(job)
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as fh:
        fill(json.load(fh))


if __name__ == "__main__":
    main()
