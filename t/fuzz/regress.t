#!/usr/bin/python3
"""regress.t - replay the fuzz seed corpora and every kept crasher.

For each fuzz target t/fuzz/fuzz_NAME.c, the standalone build
t/fuzz/bin/fuzz_NAME (normal toolchain, built by make; sanitizers in an
--enable-asan build) runs every file of t/fuzz/corpus/fuzz_NAME/ and
t/fuzz/crashers/fuzz_NAME/.  A target passes when it exits 0, ran every
file ("done N"), and wrote nothing on stderr (no sanitizer report, no
failed invariant).  On failure the last input started is named.  Also
checks that every target has a seed corpus and that every crasher
directory belongs to a target.
"""

import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))
import tap  # noqa: E402


def files_in(d):
    if not os.path.isdir(d):
        return []
    return [f for f in os.listdir(d) if not f.startswith('.')
            and os.path.isfile(os.path.join(d, f))]


def replay(target):
    binary = os.path.join(HERE, 'bin', target)
    corpus = os.path.join(HERE, 'corpus', target)
    crashers = os.path.join(HERE, 'crashers', target)
    count = len(files_in(corpus)) + len(files_in(crashers))
    tap.ok(len(files_in(corpus)) > 0, '%s: has a seed corpus' % target)
    if not os.access(binary, os.X_OK):
        tap.ok(False, '%s: %s is built (run make)' % (target, binary))
        return
    dirs = [d for d in (corpus, crashers) if os.path.isdir(d)]
    env = dict(os.environ)
    env.pop('FUZZ_VERBOSE', None)
    p = subprocess.run([binary] + dirs, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600, env=env)
    out = p.stdout.decode('utf-8', 'replace').splitlines()
    err = p.stderr.decode('utf-8', 'replace')
    last = [line[4:] for line in out if line.startswith('run ')]
    good = p.returncode == 0 and not err and out and \
        out[-1] == 'done %d' % count
    tap.ok(good, '%s: %d inputs replayed cleanly' % (target, count))
    if not good:
        tap.diag('exit %d, last input: %s' % (p.returncode,
                                              last[-1] if last else '-'))
        for line in err.splitlines()[:40]:
            tap.diag(line)


def main():
    targets = sorted(os.path.basename(f)[:-2]
                     for f in glob.glob(os.path.join(HERE, 'fuzz_*.c')))
    tap.ok(len(targets) > 0, 'fuzz targets found')
    for t in targets:
        replay(t)
    for d in sorted(glob.glob(os.path.join(HERE, 'crashers', '*'))):
        name = os.path.basename(d)
        tap.ok(name in targets, 'crashers/%s belongs to a target' % name)
    return tap.done_testing()


if __name__ == '__main__':
    sys.exit(main())
