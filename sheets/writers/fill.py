#!/usr/bin/python3
"""Fill kaohe self-assessment workbooks by their defined names, with openpyxl.

Usage: fill.py IN.xlsx OUT.xlsx VALUES.json
       fill.py --batch JOBS.json   (a list of {"in": …, "out": …, "values": {…}})

VALUES maps defined names to values, written as a person or another program
would: JSON numbers become numeric cells, strings become text cells ("１２０",
"1,200", " 7 ", "Y"), null empties the cell, true/false become boolean cells,
and a string starting with "=" becomes a formula (openpyxl writes no cached
value, like any script). The writers package (kaohe-bench -writer openpyxl,
the corpus of sheets/testdata/writers) runs it, and so do the tests, through
sheets/officetest.FillScript.
"""
import json
import sys

import openpyxl


def fill(src, dst, values):
    wb = openpyxl.load_workbook(src)
    for name, value in values.items():
        dn = wb.defined_names.get(name)  # workbook scope only
        if dn is None:
            sys.exit("%s: no workbook-scope defined name %r" % (src, name))
        dests = list(dn.destinations)
        if len(dests) != 1:
            sys.exit("%s: defined name %r points at %d areas" % (src, name, len(dests)))
        sheet, coord = dests[0]
        wb[sheet][coord.replace("$", "")].value = value
    wb.save(dst)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--batch":
        with open(sys.argv[2], encoding="utf-8") as fh:
            for job in json.load(fh):
                fill(job["in"], job["out"], job["values"])
        return
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, dst, values_path = sys.argv[1:4]
    with open(values_path, encoding="utf-8") as fh:
        fill(src, dst, json.load(fh))


if __name__ == "__main__":
    main()
