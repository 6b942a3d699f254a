"""Runs many `openstack` commands from one Python process that has imported the CLI once.

Each line on stdin is a JSON request {"argv": [...], "env": {...}}; each answer is one JSON
line on stdout {"rc": N, "out": "...", "err": "..."}. Every command runs in a child forked
for it, exactly as /usr/bin/openstack runs it (openstackclient.shell.main, with its own
environment and an empty stdin) and with nothing left from the commands before it; only the
interpreter's start and the imports (most of a command's second) are shared.
"""
import io
import json
import os
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout

# the CLI names itself after argv[0] when it is imported
sys.argv[0] = "openstack"
from openstackclient import shell  # noqa: E402


def run(request):
    os.environ.clear()
    os.environ.update(request["env"])
    out, err = io.StringIO(), io.StringIO()
    sys.stdin = io.StringIO("")
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = shell.main(request["argv"])
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            traceback.print_exc()
            rc = 1
    return {"rc": rc or 0, "out": out.getvalue(), "err": err.getvalue()}


for line in sys.stdin:
    request = json.loads(line)
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(readable)
        # the requests' pipe is the parent's alone
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        with os.fdopen(writable, "w") as answer:
            json.dump(run(request), answer)
        os._exit(0)
    os.close(writable)
    with os.fdopen(readable) as answer:
        text = answer.read()
    _, status = os.waitpid(pid, 0)
    if not text:
        text = json.dumps({"rc": 1, "out": "", "err": "the command's process ended with status %d" % status})
    sys.stdout.write(text.replace("\n", " ") + "\n")
    sys.stdout.flush()
