#!/usr/bin/env python3
"""The worst matrix.yaml under the 4 MiB file limit (run by bench/run.sh
after bench.py, or alone: MATRIXC=build/matrixc python3 bench/worst.py).

Each shape was once quadratic in the loader (issue 20, section 2): it must
be rejected, with a matrix.yaml position, in well under a second.

    env-95k      95,000 env keys of the same length (3.9 MB): 19.5 s once
    anchors-100k 99,900 anchors, aliases to the oldest: minutes once
    hash-chain   99 mappings of 1000 keys that share one hash chain

Each runs once untimed, then MIN_RUNS (5) times; the median CPU time
(user + system, which the load of a shared machine does not inflate) is
read off against the budget (0.5 s), not enforced, with the wall time
beside it. tests/unit/test_loader.c
checks the same shapes' outcomes and messages.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LIMIT = 4 << 20
HEAD = 'matrixc: 1\nimage: python\nbase: debian:bookworm-slim\n'


def env_95k():
    lines = [HEAD + 'versions: ["3.13"]\nvariants: {wee: {}}\nenv:\n']
    size, i = len(lines[0]), 0
    while size + 40 < LIMIT:
        line = '  K%08d: v%016d\n' % (i, i)
        lines.append(line)
        size += len(line)
        i += 1
    return ''.join(lines)


def anchors_100k():
    out = [HEAD]
    for m in range(100):
        out.append('a%d: [%s]\n' % (m, ', '.join(
            '&n%d_%d x' % (m, i) for i in range(999))))
    size, m = sum(map(len, out)), 0
    row = ', '.join('*n0_%d' % i for i in range(999))
    while size + len(row) + 16 < LIMIT:
        line = 'b%d: [%s]\n' % (m, row)
        out.append(line)
        size += len(line)
        m += 1
    return ''.join(out)


def fnv(s):
    h = 1469598103934665603
    for ch in s.encode():
        h = ((h ^ ch) * 1099511628211) & (2**64 - 1)
    return h


def hash_chain():
    keys, i = [], 0
    while len(keys) < 1000:
        k = 'k%d' % i
        if fnv(k) & 2047 == 0:
            keys.append(k)
        i += 1
    out = [HEAD]
    for m in range(99):
        out.append('x%d:\n' % m)
        out.extend('  %s: %020d\n' % (k, 0) for k in keys)
    return ''.join(out)


SHAPES = [('env-95k', env_95k), ('anchors-100k', anchors_100k),
          ('hash-chain', hash_chain)]


def run(matrixc, d):
    """One `matrixc check` in d: its wall time, CPU time (user + system,
    from wait4: the machine's load does not add to it), exit status and
    first line of stderr."""
    with open(os.path.join(d, '.stderr'), 'wb') as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([matrixc, 'check'], cwd=d,
                             stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        secs = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    with open(os.path.join(d, '.stderr'), encoding='utf-8',
              errors='replace') as f:
        first = f.readline().rstrip('\n')
    return secs, ru.ru_utime + ru.ru_stime, p.returncode, first


def main():
    matrixc = os.path.abspath(os.environ.get(
        'MATRIXC', os.path.join(REPO, 'build', 'matrixc')))
    work = os.path.abspath(os.environ.get(
        'BENCH_WORK', os.path.join(REPO, 'build', 'bench', 'work'))) + '-worst'
    runs = int(os.environ.get('MIN_RUNS', 5))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    print('\nThe worst matrix.yaml under the 4 MiB limit: rejected, in '
          'CPU time (user + system)\n<= 0.5 s median; wall time beside it:')
    print('%-13s  %9s  %9s  %9s  %s' % ('shape', 'bytes', 'CPU', 'wall',
                                        'status, first line'))
    for name, make in SHAPES:
        d = os.path.join(work, name)
        os.makedirs(d)
        text = make()
        with open(os.path.join(d, 'matrix.yaml'), 'w') as f:
            f.write(text)
        run(matrixc, d)
        results = [run(matrixc, d) for _ in range(runs)]
        wall = statistics.median(r[0] for r in results)
        cpu = statistics.median(r[1] for r in results)
        _, _, status, first = results[-1]
        print('%-13s  %9d  %6.0f ms  %6.0f ms  %d, %s -> %s' % (
            name, len(text), cpu * 1e3, wall * 1e3, status, first[:80],
            'met' if status == 2 and cpu <= 0.5 else 'MISSED'))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
