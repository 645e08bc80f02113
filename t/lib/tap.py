"""tap - minimal Test Anything Protocol producer for prove(1).

SYNOPSIS
    import tap
    tap.plan(3)                  # or nothing, then tap.done_testing()
    tap.ok(cond, "name")
    tap.is_(got, expected, "name")
    tap.like(got, r"regex", "name")
    tap.diag("free text")
    tap.skip("reason", count)    # count skipped tests, each "ok N # skip"
    tap.skip_all("reason")       # prints "1..0 # SKIP reason", exits 0
    sys.exit(tap.done_testing())

DESCRIPTION
    One module-level test counter per process.  Failing tests print the
    caller's file:line and the got/expected values as diagnostics on
    stderr.  done_testing() prints the plan when none was given, and
    returns (and exit_status() computes) the number of failures capped at
    254, or 255 when the number of tests run differs from the plan, like
    Test::More.  bail_out() prints "Bail out!" and exits 255.

    An atexit hook prints the trailing plan if the script forgets to call
    done_testing(), so a crashed script shows up as a plan mismatch rather
    than a pass.
"""

import atexit
import os
import re
import sys

_state = {"run": 0, "failed": 0, "planned": None, "done": False, "skip_all": False}


def _out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _escape(name):
    return str(name).replace("#", "\\#").replace("\n", " ")


def plan(count):
    if _state["planned"] is not None:
        raise RuntimeError("tap.plan() called twice")
    _state["planned"] = int(count)
    _out("1..%d" % int(count))


def diag(*msg):
    text = " ".join(str(m) for m in msg)
    for line in text.splitlines() or [""]:
        sys.stderr.write("# " + line + "\n")
    sys.stderr.flush()


def note(*msg):
    text = " ".join(str(m) for m in msg)
    for line in text.splitlines() or [""]:
        _out("# " + line)


def _where():
    frame = sys._getframe(1)
    while frame is not None:
        if os.path.basename(frame.f_code.co_filename) != "tap.py":
            return "%s line %d" % (frame.f_code.co_filename, frame.f_lineno)
        frame = frame.f_back
    return "?"


def ok(cond, name="", _depth_where=None):
    _state["run"] += 1
    n = _state["run"]
    if cond:
        _out("ok %d - %s" % (n, _escape(name)))
    else:
        _state["failed"] += 1
        _out("not ok %d - %s" % (n, _escape(name)))
        diag("  Failed test '%s'" % name)
        diag("  at %s" % (_depth_where or _where()))
    return bool(cond)


def is_(got, expected, name=""):
    good = got == expected
    ok(good, name, _where())
    if not good:
        diag("         got: %r" % (got,))
        diag("    expected: %r" % (expected,))
    return good


def isnt(got, unexpected, name=""):
    good = got != unexpected
    ok(good, name, _where())
    if not good:
        diag("         got: %r" % (got,))
        diag("    expected: anything else")
    return good


def like(got, pattern, name=""):
    good = got is not None and re.search(pattern, str(got)) is not None
    ok(good, name, _where())
    if not good:
        diag("                  %r" % (got,))
        diag("    doesn't match '%s'" % pattern)
    return good


def unlike(got, pattern, name=""):
    good = got is None or re.search(pattern, str(got)) is None
    ok(good, name, _where())
    if not good:
        diag("                  %r" % (got,))
        diag("          matches '%s'" % pattern)
    return good


def skip(reason, count=1):
    for _ in range(count):
        _state["run"] += 1
        _out("ok %d # skip %s" % (_state["run"], _escape(reason)))


def skip_all(reason):
    _state["skip_all"] = True
    _state["done"] = True
    _out("1..0 # SKIP %s" % _escape(reason))
    sys.exit(0)


def bail_out(reason):
    _state["done"] = True
    _out("Bail out!  %s" % _escape(reason))
    sys.exit(255)


def exit_status():
    planned = _state["planned"]
    if planned is not None and planned != _state["run"]:
        return 255
    return min(_state["failed"], 254)


def done_testing(count=None):
    if count is not None and count != _state["run"]:
        ok(False, "planned to run %d but done_testing() expects %d"
           % (_state["run"], count))
    if _state["planned"] is None:
        _state["planned"] = _state["run"]
        _out("1..%d" % _state["run"])
    elif _state["planned"] != _state["run"]:
        diag("Looks like you planned %d tests but ran %d."
             % (_state["planned"], _state["run"]))
    _state["done"] = True
    if _state["failed"]:
        diag("Looks like you failed %d test(s) of %d."
             % (_state["failed"], _state["run"]))
    return exit_status()


def failed():
    return _state["failed"]


def _at_exit():
    if not _state["done"] and not _state["skip_all"]:
        if _state["planned"] is None:
            # Crash or forgotten done_testing(): make prove see a failure.
            _out("1..%d" % (_state["run"] + 1))
            _out("not ok %d - script ended without done_testing()"
                 % (_state["run"] + 1))


atexit.register(_at_exit)
