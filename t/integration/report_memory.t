#!/usr/bin/python3
"""report_memory.t - an aggregate report of 200,000 records is built in
memory that does not grow with the records.

t/tools/reportbuild fills one report with 200,000 distinct records and
builds it with the reporter's own code (rjob_build: XML written as a
stream, validated as it goes, gzipped on the fly) under an address-space
limit (RLIMIT_AS) of what it has mapped once the records are in memory
plus 32 MB.  The former tree-building writer needed about 1.7 GB more for
this report (it aborted with "out of memory" under the same limit); the
streaming one needs a few buffers and the compressed output (~3 MB).
Also checked without any limit: the resident peak grows by less than
16 MB while the report is built, and the report validates (rc=0), in
both formats (RFC 7489 with 20,000 records, to keep the test short).

No timing is asserted (the benchmark figures are in the README).  A
sanitizer build maps terabytes of shadow memory, where an address-space
limit means nothing (the tool exits 77), and its quarantine keeps freed
memory resident: there the memory checks are skipped, the reports must
still be built and valid.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import tap  # noqa: E402

TOOL = os.path.join(HERE, "..", "tools", "reportbuild")


def build(*args):
    p = subprocess.run([TOOL] + list(args), capture_output=True, text=True,
                       timeout=300)
    fig = dict(re.findall(r"(\w+)=(\S+)", p.stdout))
    if p.returncode not in (0, 77):
        tap.diag("reportbuild %s: rc %d %s %s" % (" ".join(args),
                 p.returncode, p.stdout.strip(), p.stderr.strip()[-300:]))
    return p.returncode, fig


def growth_kb(fig):
    return int(fig["rss_peak_kb"]) - int(fig["rss_before_kb"])


rc, fig = build("-m", "32", "200000")
if rc == 77:
    tap.skip("address-space limit in a sanitizer build", 2)
else:
    tap.is_(rc, 0, "200,000 records built and valid within +32 MB of "
            "address space")
    tap.is_(fig.get("records"), "200000", "all 200,000 records in it")

for fmt, n in (("9990", "200000"), ("7489", "20000")):
    rc, fig = build("-f", fmt, n)
    tap.is_(rc, 0, "RFC %s report of %s records built and valid" % (fmt, n))
    if fig.get("sanitizer") == "1":
        tap.skip("resident size in a sanitizer build (quarantine)")
        continue
    tap.ok("rss_peak_kb" in fig and growth_kb(fig) < 16 * 1024,
           "RFC %s: resident peak grew by %s kB (< 16 MB) while building"
           % (fmt, growth_kb(fig) if "rss_peak_kb" in fig else "?"))

sys.exit(tap.done_testing())
