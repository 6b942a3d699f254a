#!/usr/bin/python3
"""Summarises a tempest run for CONFORMANCE.md (called by scripts/conformance.sh).

Counts per area (identity, compute, image, network) for all the tests run and for the interop required
ones, and groups failures by cause: the exception with its first message line, and for an
unexpected status code the failing request (from tempest.log, ids replaced by placeholders), so
one missing route or one schema field is one row however many tests it breaks.
"""
import argparse
import collections
import datetime
import io
import os
import re

import subunit
import testtools

START = "<!-- conformance:start -->"
END = "<!-- conformance:end -->"
AREAS = ("identity", "compute", "image", "network")
# the interop run requires the volume area's tests too
REQUIRED_AREAS = AREAS + ("volume",)
UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
ATTRS = re.compile(r"\[[^\]]*\]$")
TEST_ID = re.compile(r"id-([0-9a-f-]{36})")


def read_results(path):
    """test id -> {status, details}; subunit v2 as stestr stores it."""
    tests = {}

    def on_test(test):
        details = {}
        for name, content in test["details"].items():
            try:
                details[name] = content.as_text()
            except Exception:  # binary attachments say nothing about the cause
                pass
        tests[test["id"]] = {"status": test["status"], "details": details}

    with open(path, "rb") as f:
        data = f.read()
    case = subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout")
    result = testtools.StreamToDict(on_test)
    result.startTestRun()
    case.run(result)
    result.stopTestRun()
    return tests


def short(test_id):
    return ATTRS.sub("", test_id)


def area(test_id):
    m = re.match(r"(?:setUpClass|tearDownClass) \((.*)\)$", test_id)
    name = m.group(1) if m else test_id
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[0] == "tempest" and parts[1] == "api" else "other"


REQUEST = re.compile(r"Request \((\w+):(\w+)\): (\d{3}) (\w+) (\S+)")


def requests_in(lines, found):
    for line in lines:
        m = REQUEST.search(line)
        if m:
            found[(m.group(1), m.group(2))].append((int(m.group(3)), m.group(4), m.group(5)))
    return found


def requests_by_test(log_path):
    """(Class, test) -> [(status, method, url)] from tempest.log's request lines (setUpClass
    has no captured log of its own)."""
    found = collections.defaultdict(list)
    if os.path.exists(log_path):
        with open(log_path, errors="replace") as f:
            requests_in(f, found)
    return found


def route(url):
    """A URL with its host, ids and query values taken out: the route it asks for."""
    path = re.sub(r"^https?://[^/]+", "", url)
    path, _, query = path.partition("?")
    path = UUID.sub("<id>", path)
    path = re.sub(r"/\d+(?=/|$)", "/<n>", path)
    # names tempest makes up (rand_name): tempest-Foo-123456, a random keypair name, ...
    path = re.sub(r"/[^/]*tempest[^/]*", "/<name>", path)
    if query:
        path += "?" + "&".join(sorted({kv.split("=")[0] for kv in query.split("&")}))
    return path


def normalise(text, collapse=True):
    text = UUID.sub("<id>", text)
    # repr()s of whole responses in assertion messages: their shape is the same every time
    while collapse:
        shorter = re.sub(r"\{[^{}]*\}", "{…}", re.sub(r"\[[^\[\]]*\]", "[…]", text))
        if shorter == text:
            break
        text = shorter
    text = re.sub(r"tempest-[\w-]+", "<name>", text)
    text = re.sub(r"req-<id>", "<req>", text)
    text = re.sub(r"\b\d{4,}\b", "<n>", text)
    return text


def exception_of(traceback):
    """The exception's line and what tempest adds after it (Details: ...)."""
    lines = [l for l in traceback.strip().splitlines()]
    # the last line that starts an exception (module.Class: message) at column 0
    idx = None
    for i, l in enumerate(lines):
        if re.match(r"^[\w.]+(Error|Exception|Failure|NotFound|BadRequest|Conflict|Forbidden|"
                    r"Unauthorized|ServerFault|Code|Body|TimeoutException|Fault|Invalid\w*|"
                    r"\w+Exception|\w+Error)(: |$)", l):
            idx = i
    if idx is None:
        return lines[-1] if lines else "", ""
    head = lines[idx]
    rest = "\n".join(lines[idx + 1:]).strip()
    return head, rest


def cause_of(test_id, record, requests):
    details = record["details"]
    tb = details.get("traceback", "") or "\n".join(details.values())
    head, rest = exception_of(tb)
    exc = head.split(":")[0].split(".")[-1]
    message = head.partition(": ")[2]
    detail = rest
    # Nova, Keystone and Glance say why in the error body: part of the cause
    said = re.search(r"'message': '([^']*)'", rest) or re.search(r'"message": "([^"]*)"', rest)
    said = " (%s)" % said.group(1)[:160] if said else ""
    # schema mismatches: name the schema path and the offending field
    if "InvalidHTTPResponseBody" in head or "Failed validating" in tb:
        v = re.search(r"HTTP response body is invalid \((.*?)\)?$", tb, re.M)
        first = v.group(1) if v else message
        path = re.search(r"Failed validating '(\w+)' in (schema\S*)", tb)
        inst = re.search(r"On (instance\S*):", tb)
        sig = "schema: %s%s%s" % (first.strip(),
                                  " [%s %s]" % (path.group(1), path.group(2)) if path else "",
                                  " at %s" % inst.group(1) if inst else "")
        # the schema path and the instance path name the field: kept whole
        return normalise(sig, collapse=False), detail
    # an unexpected status: which request got it
    cls_test = re.match(r"(?:tempest\.[\w.]+\.)?(\w+)\.(\w+)$", short(test_id))
    m = re.match(r"(?:setUpClass|tearDownClass) \([\w.]+\.(\w+)\)$", test_id)
    key = (m.group(1), test_id.split(" ")[0]) if m else (cls_test.groups() if cls_test else None)
    # the test's own captured log (OS_LOG_CAPTURE) is exact; tempest.log serves setUpClass
    own = requests_in(details.get("pythonlogging:''", "").splitlines(), collections.defaultdict(list))
    if key in own:
        requests = own
    failing = [r for r in requests.get(key, []) if r[0] >= 400] if key else []
    expects_error = exc in ("NotFound", "BadRequest", "Conflict", "Forbidden", "Unauthorized",
                            "ServerFault", "UnexpectedResponseCode", "InvalidHttpSuccessCode",
                            "OverLimit", "UnprocessableEntity", "NotImplemented")
    if expects_error and failing:
        # the request that got the status the exception stands for (not a later cleanup's)
        code = {"BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404,
                "Conflict": 409, "OverLimit": 413, "ServerFault": 500}.get(exc)
        same = [r for r in failing if r[0] == code]
        st, method, url = (same or failing)[-1]
        return normalise("%s: %d %s %s%s" % (exc, st, method, route(url), said)), detail
    if exc == "InvalidHttpSuccessCode" and requests.get(key):
        st, method, url = requests[key][-1]
        return normalise("%s: %d %s %s" % (exc, st, method, route(url))), detail
    return normalise("%s: %s%s" % (exc, message, said))[:300], detail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subunit", required=True)
    ap.add_argument("--selected", required=True)
    ap.add_argument("--interop", required=True)
    ap.add_argument("--areas-regex", required=True)
    ap.add_argument("--mode", default="all")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tempest-version", default="")
    ap.add_argument("--log", default="")
    args = ap.parse_args()

    results = read_results(args.subunit) if os.path.getsize(args.subunit) else {}
    log = args.log or os.path.join(os.path.dirname(args.subunit), "ws", "logs", "tempest.log")
    requests = requests_by_test(log)
    with open(args.selected) as f:
        selected = [l.strip() for l in f if l.strip().startswith("tempest.")]

    # a class whose setUpClass failed reports no test of its own: its tests take that failure
    class_failures = {}
    class_skips = {}
    for tid, rec in results.items():
        m = re.match(r"setUpClass \((.*)\)$", tid)
        if m and rec["status"] == "fail":
            class_failures[m.group(1)] = tid
        elif m and rec["status"] == "skip":
            class_skips[m.group(1)] = rec["details"].get("reason", "").strip()

    outcome = {}   # test id -> (status, cause, detail)
    causes = collections.defaultdict(list)
    details_of = {}
    for tid in selected:
        rec = results.get(tid)
        if rec is None:
            cls = short(tid).rsplit(".", 1)[0]
            if cls in class_failures:
                fail_id = class_failures[cls]
                cause, detail = cause_of(fail_id, results[fail_id], requests)
                cause = "setUpClass: " + cause
                outcome[tid] = ("fail", cause)
                causes[cause].append(tid)
            elif cls in class_skips:
                outcome[tid] = ("skip", class_skips[cls])
            else:
                outcome[tid] = ("not run", None)
            continue
        status = rec["status"]
        if status in ("success", "xfail"):
            outcome[tid] = ("pass", None)
        elif status == "skip":
            outcome[tid] = ("skip", rec["details"].get("reason", "").strip())
        else:
            cause, detail = cause_of(tid, rec, requests)
            outcome[tid] = ("fail", cause)
            details_of.setdefault(cause, detail)
        if outcome[tid][0] == "fail":
            causes[outcome[tid][1]].append(tid)
    for cause, tests in causes.items():
        if cause not in details_of and cause.startswith("setUpClass: "):
            fid = class_failures.get(short(tests[0]).rsplit(".", 1)[0])
            if fid:
                details_of[cause] = cause_of(fid, results[fid], requests)[1]

    # interop required tests, matched by their tempest id (names may carry other attributes)
    required = {}
    with open(args.interop) as f:
        for line in f:
            m = re.match(r"^(?:\[F\] )?(tempest\.api\.(\w+)\.\S+)", line.strip())
            if m and m.group(2) in REQUIRED_AREAS:
                tid = TEST_ID.search(m.group(1))
                if tid:
                    required[tid.group(1)] = (m.group(2), ATTRS.sub("", m.group(1)), line.startswith("[F]"))
    by_uuid = {}
    for tid in selected:
        u = TEST_ID.search(tid)
        if u:
            by_uuid[u.group(1)] = tid

    def counts(tids):
        c = collections.Counter(outcome[t][0] for t in tids)
        return c

    lines = [START, ""]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    flag = {"interop": " --interop-only", "validation": " --validation"}.get(args.mode, "")
    hypervisor = "qemu:///system, TCG guests" if args.mode == "validation" else "test:///default"
    lines.append("Last run: %s, %s, `./nimbus conformance%s` (%s, concurrency 2)."
                 % (now, args.tempest_version.strip() or "tempest", flag, hypervisor))
    lines.append("")
    if args.mode != "interop":
        lines.append("### All API tests (`tempest.api.identity\\|compute\\|image\\|network`)")
        lines.append("")
        lines.append("| area | tests | passed | failed | skipped | not run |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        total = collections.Counter()
        for a in AREAS:
            tids = [t for t in selected if area(t) == a]
            c = counts(tids)
            total.update(c)
            total["n"] += len(tids)
            lines.append("| %s | %d | %d | %d | %d | %d |" % (a, len(tids), c["pass"], c["fail"], c["skip"], c["not run"]))
        lines.append("| **all** | %d | %d | %d | %d | %d |" % (total["n"], total["pass"], total["fail"], total["skip"], total["not run"]))
        lines.append("")
    lines.append("### Interop 2020.06 required tests (identity, compute, image, network, volume)")
    lines.append("")
    lines.append("| area | required | passed | failed | skipped | not in this tempest |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for a in REQUIRED_AREAS:
        req = [u for u, v in required.items() if v[0] == a]
        present = [by_uuid[u] for u in req if u in by_uuid]
        c = counts(present)
        lines.append("| %s | %d | %d | %d | %d | %d |" % (a, len(req), c["pass"], c["fail"], c["skip"], len(req) - len(present)))
    lines.append("")
    failing_required = [(required[u][1], outcome[by_uuid[u]]) for u in required
                        if u in by_uuid and outcome[by_uuid[u]][0] != "pass"]
    if failing_required:
        lines.append("<details><summary>Required tests not passing (%d)</summary>" % len(failing_required))
        lines.append("")
        for name, (st, why) in sorted(failing_required):
            lines.append("- `%s` — %s%s" % (name.replace("tempest.api.", ""), st,
                                            ": " + why.replace("|", "\\|")[:200] if why else ""))
        lines.append("")
        lines.append("</details>")
        lines.append("")

    lines.append("### Failures by cause (grouped automatically, most frequent first)")
    lines.append("")
    lines.append("| # | tests | cause | examples |")
    lines.append("| ---: | ---: | --- | --- |")
    for i, (cause, tests) in enumerate(sorted(causes.items(), key=lambda kv: (-len(kv[1]), kv[0])), 1):
        ex = "<br>".join("`%s`" % short(t).replace("tempest.api.", "") for t in sorted(tests)[:2])
        lines.append("| %d | %d | `%s` | %s |" % (i, len(tests), cause.replace("|", "\\|").replace("`", "'")[:400], ex))
    lines.append("")
    skip_reasons = collections.Counter(outcome[t][1] for t in selected if outcome[t][0] == "skip")
    lines.append("<details><summary>Skip reasons</summary>")
    lines.append("")
    lines.append("| tests | reason |")
    lines.append("| ---: | --- |")
    for reason, n in skip_reasons.most_common():
        lines.append("| %d | %s |" % (n, normalise(reason or "(none)").replace("|", "\\|").replace("\n", " ")[:200]))
    lines.append("")
    lines.append("</details>")
    lines.append("")
    lines.append(END)
    block = "\n".join(lines)

    header = ("# OpenStack conformance\n\n"
              "`./nimbus conformance` runs tempest's API tests for identity, compute, image and network against a\n"
              "fresh all-in-one node and rewrites the part of this file between the markers; the\n"
              "rest is written by hand.\n\n")
    text = open(args.out).read() if os.path.exists(args.out) else header + START + "\n" + END + "\n"
    if START in text and END in text:
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(args.out, "w") as f:
        f.write(text)

    # the detail of each cause, for the one who fixes it (not in the markdown: too long)
    detail_path = os.path.join(os.path.dirname(args.subunit), "causes.txt")
    with open(detail_path, "w") as f:
        for cause, tests in sorted(causes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            f.write("=== %d  %s\n" % (len(tests), cause))
            for t in sorted(tests):
                f.write("    %s\n" % t)
            f.write((details_of.get(cause) or "").strip()[:3000] + "\n\n")


if __name__ == "__main__":
    main()
