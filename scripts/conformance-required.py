#!/usr/bin/env python3
"""Exit 1 unless every selected tempest test passed or was skipped (conformance.sh --require-pass).
With --no-skip (conformance.sh --validation) a skipped test fails the check too.

A selected test that failed, or never ran (its class's setUpClass failed), fails the check; one
whose class tempest skipped as a whole (setUpClass skipped: a service declared absent) is skipped. An
error in a class's tearDownClass after its tests passed is a clean-up that did not go as tempest
wanted: printed as a warning, it is a bug to fix, not a required test failing.
"""
import csv
import re
import sys

args = sys.argv[1:]
no_skip = "--no-skip" in args
selected_file, results_file = [a for a in args if a != "--no-skip"]
selected = [line.strip() for line in open(selected_file) if line.strip().startswith("tempest.")]
status = {}
with open(results_file, newline="") as f:
    for row in csv.DictReader(f):
        status[row["test"]] = row["status"]
skipped_classes = {m.group(1) for t, s in status.items()
                   for m in [re.match(r"setUpClass \((.*)\)$", t)] if m and s == "skip"}


def class_of(test_id):
    return re.sub(r"\[.*\]$", "", test_id).rsplit(".", 1)[0]


missing = [t for t in selected if status.get(t) is None and class_of(t) not in skipped_classes]
failed = [t for t in selected if status.get(t) not in (None, "success", "skip")]
skipped = []
if no_skip:
    skipped = [t for t in selected if status.get(t) == "skip"
               or (status.get(t) is None and class_of(t) in skipped_classes)]
teardown = [t for t, s in status.items() if t.startswith("tearDownClass") and s not in ("success", "skip")]
for t in teardown:
    print(f"conformance: WARNING: clean-up failed: {t} (see tempest.log)", file=sys.stderr)
for t in failed:
    print(f"conformance: FAILED: {t}", file=sys.stderr)
for t in missing:
    print(f"conformance: NOT RUN: {t}", file=sys.stderr)
for t in skipped:
    print(f"conformance: SKIPPED (this run requires a pass): {t}", file=sys.stderr)
sys.exit(1 if failed or missing or skipped else 0)
