#!/usr/bin/env python3
"""The matrixc benchmark (run through bench/run.sh or `make bench`).

For synthetic matrices of 10, 100, 1,000 and 10,000 cells (bench/genmatrix.py,
with the shipped hooks when lua/ has them) it times four commands:

    check        `matrixc check` on an up-to-date generated/
    gen-same     `matrixc generate` with nothing to change
    gen-empty    `matrixc generate` into an empty directory
    list-json    `matrixc list --json`

and `check` on the shipped matrix. Each command runs once untimed, then at
least MIN_RUNS times and until MIN_SECONDS have passed (at most MAX_RUNS).
Wall time is taken around spawn and wait of the process (no shell in
between). Peak resident memory comes from RSS_RUNS (3) more runs under GNU
time (`/usr/bin/time -f %M`; the harness says so when it is missing:
apt-get install time); it cannot come from the timed runs, since a child
forked from Python starts with Python's resident size. The hooks' share is
measured by timing `check` on the same matrix without `hooks:`; with
BENCH_CALLGRIND=1 it is also counted in instructions under valgrind
(repeatable on a busy machine). When a size fails with its hooks, every
command is measured without them, so the size still has figures.

Environment: MATRIXC (binary), SIZES ("10 100 1000 10000"), BENCH_WORK
(scratch directory), CHECKSUMS (the checksums table), MIN_RUNS, MAX_RUNS,
MIN_SECONDS, RSS_RUNS, BENCH_CALLGRIND. The budgets are read off, not
enforced: the exit status is 0 unless the benchmark itself could not run.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
HOOKS = ['lua/python2.lua', 'lua/quirks.lua']

COMMANDS = [  # (name, argv after matrixc, writes a new tree in each run)
    ('check', ['check'], False),
    ('gen-same', ['generate', '-q'], False),
    ('gen-empty', ['generate', '-q', '-o'], True),
    ('list-json', ['list', '--json'], False),
]


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_float(name, default):
    return float(os.environ.get(name, default))


class Failed(Exception):
    pass


GNU_TIME = '/usr/bin/time'


def run_once(argv, cwd, rss=False):
    """One run: its wall time in seconds, or with rss its peak resident
    memory in KiB (through GNU time, whose own few hundred KiB are the
    floor). Output goes to /dev/null; stderr is kept for the message when
    the command fails."""
    err_path = os.path.join(cwd, '.bench-stderr')
    rss_path = os.path.join(cwd, '.bench-rss')
    if rss:
        argv = [GNU_TIME, '-f', '%M', '-o', rss_path] + argv
    with open(os.devnull, 'wb') as null, open(err_path, 'wb') as err:
        t0 = time.perf_counter_ns()
        code = subprocess.call(argv, cwd=cwd, stdout=null, stderr=err)
        t1 = time.perf_counter_ns()
    if code != 0:
        with open(err_path, encoding='utf-8', errors='replace') as f:
            first = f.readline().strip()
        raise Failed('exit %d: %s' % (code, first))
    if rss:
        with open(rss_path, encoding='utf-8') as f:
            return int(f.read().split()[-1])
    return (t1 - t0) / 1e9


def have_gnu_time():
    return os.access(GNU_TIME, os.X_OK)


def fresh_argv(argv, cwd, fresh):
    """argv, ending in a new empty output directory when fresh. The
    trees stay until the end of the benchmark: on ext4 a file created
    soon after many were deleted costs a scan over the recently deleted
    inodes, so deleting between runs would time ext4, not matrixc."""
    if not fresh:
        return argv
    n = 0
    while os.path.exists(os.path.join(cwd, 'fresh-%d' % n)):
        n += 1
    return argv + ['fresh-%d' % n]


def measure(matrixc, args, cwd, fresh):
    """Wall time over repeated runs, then peak RSS over RSS_RUNS more."""
    min_runs, max_runs = env_int('MIN_RUNS', 5), env_int('MAX_RUNS', 30)
    min_seconds = env_float('MIN_SECONDS', 1.5)
    argv = [matrixc] + args
    times = []
    start = time.monotonic()
    for i in range(max_runs + 1):
        t = run_once(fresh_argv(argv, cwd, fresh), cwd)
        if i == 0:
            continue  # warm-up: page cache, dynamic loader
        times.append(t)
        if len(times) >= min_runs and time.monotonic() - start >= min_seconds:
            break
    rss = []
    for _ in range(env_int('RSS_RUNS', 3) if have_gnu_time() else 0):
        rss.append(run_once(fresh_argv(argv, cwd, fresh), cwd, rss=True))
    q = statistics.quantiles(times, n=4) if len(times) > 1 else times * 3
    return {'median': statistics.median(times), 'min': min(times),
            'max': max(times), 'q1': q[0], 'q3': q[2], 'runs': len(times),
            'rss': max(rss) if rss else None}


def callgrind_ir(matrixc, cwd):
    """Instructions executed by one `check`, counted by callgrind."""
    out = os.path.join(cwd, '.callgrind.out')
    r = subprocess.run(['valgrind', '--tool=callgrind',
                        '--callgrind-out-file=' + out, matrixc, 'check'],
                       cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        raise Failed('exit %d under valgrind' % r.returncode)
    with open(out, encoding='utf-8') as f:
        for line in f:
            if line.startswith('summary:') or line.startswith('totals:'):
                return int(line.split()[1])
    raise Failed('no instruction count in ' + out)


# --- setting up the matrices -------------------------------------------------

def shipped_hooks():
    return [h for h in HOOKS if os.path.isfile(os.path.join(REPO, h))]


def make_matrix(work, cells, hooks, checksums):
    d = os.path.join(work, '%d%s' % (cells, '' if hooks else '-nohooks'))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    subprocess.run([sys.executable, os.path.join(HERE, 'genmatrix.py'),
                    str(cells), d, checksums] +
                   (['--hooks'] + hooks if hooks else []), check=True)
    if os.path.isdir(os.path.join(REPO, 'lua')):
        shutil.copytree(os.path.join(REPO, 'lua'), os.path.join(d, 'lua'))
    return d


def make_shipped(work):
    d = os.path.join(work, 'shipped')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for f in ('matrix.yaml', 'matrix.lock.json'):
        shutil.copy(os.path.join(REPO, f), d)
    if os.path.isdir(os.path.join(REPO, 'lua')):
        shutil.copytree(os.path.join(REPO, 'lua'), os.path.join(d, 'lua'))
    return d


def populate(matrixc, d):
    """generate once, so that check and gen-same see an up-to-date tree;
    returns the number of cells (Dockerfiles) it wrote."""
    run_once([matrixc, 'generate', '-q'], d)
    n = 0
    for _, _, files in os.walk(os.path.join(d, 'generated')):
        n += files.count('Dockerfile')
    return n


# --- printing ----------------------------------------------------------------

def ms(s):
    if s >= 1:
        return '%.2f s' % s
    if s >= 0.01:
        return '%.0f ms' % (s * 1e3)
    return '%.1f ms' % (s * 1e3)


def us(s):
    return '%.1f us' % (s * 1e6) if s < 1e-3 else '%.2f ms' % (s * 1e3)


def row(cells, name, m):
    if 'error' in m:
        return '%6s  %-10s  FAILED: %s' % (cells, name, m['error'])
    rss = '%7.1f MB' % (m['rss'] / 1024) if m['rss'] else '       n/a'
    return '%6s  %-10s  %9s  %9s  %9s  %9s  %4d  %9s  %s' % (
        cells, name, ms(m['median']), ms(m['min']), ms(m['max']),
        ms(m['q3'] - m['q1']), m['runs'],
        us(m['median'] / cells) if isinstance(cells, int) else '-', rss)


HEADER = ('%6s  %-10s  %9s  %9s  %9s  %9s  %4s  %9s  %10s' %
          ('cells', 'command', 'median', 'min', 'max', 'IQR', 'runs',
           'per cell', 'peak RSS'))


def verdict(ok):
    return 'met' if ok else 'MISSED'


def budgets(results, shipped, hook_share):
    print('\nBudgets (read off, not enforced):')
    if shipped and 'error' not in shipped:
        print('  check on the shipped matrix <= 5 ms median: %s -> %s' %
              (ms(shipped['median']), verdict(shipped['median'] <= 0.005)))
    big = results.get(10000, {}).get('check')
    if big and 'error' not in big:
        print('  check on 10,000 cells <= 1 s median: %s -> %s' %
              (ms(big['median']), verdict(big['median'] <= 1.0)))
        if big['rss']:
            print('  check on 10,000 cells <= 200 MB peak RSS: %.1f MB -> %s'
                  % (big['rss'] / 1024, verdict(big['rss'] <= 200 * 1024)))
    elif big:
        print('  check on 10,000 cells: FAILED (%s) -> MISSED' % big['error'])
        bare_big = results[10000].get('check-bare')
        if bare_big and 'error' not in bare_big:
            print('  check on 10,000 cells without hooks <= 1 s median, '
                  '200 MB: %s, %.1f MB -> %s' % (
                      ms(bare_big['median']), (bare_big['rss'] or 0) / 1024,
                      verdict(bare_big['median'] <= 1.0 and
                              (bare_big['rss'] or 0) <= 200 * 1024)))
    sizes = sorted(results)
    for name in [c[0] for c in COMMANDS] + ['check-bare']:
        ratios = []
        for a, b in zip(sizes, sizes[1:]):
            ma, mb = results[a].get(name), results[b].get(name)
            if ma and mb and 'error' not in ma and 'error' not in mb:
                ratios.append((a, b, mb['median'] / ma['median'] * a / b * 10))
        if ratios:
            worst = max(r for _, _, r in ratios)
            print('  %-10s 10x cells <= 12x time: %s -> %s' % (
                name, ', '.join('%d->%d %.1fx' % r for r in ratios),
                verdict(worst <= 12)))
    for cells, share, how in hook_share:
        print('  hooks <= 1/5 of check at %d cells: %.0f%% (%s) -> %s' %
              (cells, share * 100, how, verdict(share <= 0.2)))


MARKER = '.matrixc-bench'


def clear_work(work):
    """Remove the scratch directory, but only one this harness made."""
    if not os.path.exists(work):
        return
    if os.listdir(work) and not os.path.exists(os.path.join(work, MARKER)):
        sys.exit('bench: %s is not empty and not a benchmark directory; '
                 'set BENCH_WORK elsewhere' % work)
    shutil.rmtree(work)


def bare(matrixc, work, cells, checksums, res, hook_share, use_cg, d):
    """The same matrix without hooks: check, for the hooks' share; every
    command when the run with hooks failed, so the size still has figures
    for the compiler itself."""
    b = make_matrix(work, cells, [], checksums)
    failed = 'error' in res['check']
    try:
        populate(matrixc, b)
    except Failed as e:
        print(row(cells, 'check-bare', {'error': str(e)}))
        return
    for name, args, fresh in COMMANDS if failed else COMMANDS[:1]:
        try:
            m = measure(matrixc, args, b, fresh)
        except Failed as e:
            m = {'error': str(e)}
        print(row(cells, name + '-bare', m) + '   (no hooks)', flush=True)
        res[name + '-bare'] = m
        if not failed and 'error' not in m:
            hook_share.append((cells, 1 - m['median'] /
                               res['check']['median'], 'wall time'))
    if use_cg and not failed:
        try:
            with_h = callgrind_ir(matrixc, d)
            without = callgrind_ir(matrixc, b)
        except Failed as e:
            print('%6s  %-10s  FAILED: %s' % (cells, 'callgrind', e))
            return
        print('%6s  %-10s  %d instructions with hooks, %d without' % (
            cells, 'callgrind', with_h, without))
        hook_share.append((cells, 1 - without / with_h, 'instructions'))


def main():
    matrixc = os.path.abspath(os.environ.get(
        'MATRIXC', os.path.join(REPO, 'build', 'matrixc')))
    if not os.access(matrixc, os.X_OK):
        sys.exit('bench: no matrixc at %s (set MATRIXC, or run make bench)'
                 % matrixc)
    sizes = [int(s) for s in os.environ.get(
        'SIZES', '10 100 1000 10000').split()]
    work = os.path.abspath(os.environ.get(
        'BENCH_WORK', os.path.join(REPO, 'build', 'bench', 'work')))
    checksums = os.environ.get('CHECKSUMS', os.path.join(
        REPO, '..', 'shared', 'data', 'cpython-source-checksums.tsv'))
    use_cg = os.environ.get('BENCH_CALLGRIND') == '1'
    if use_cg and not shutil.which('valgrind'):
        sys.exit('bench: BENCH_CALLGRIND=1 needs valgrind '
                 '(apt-get install valgrind)')
    if not have_gnu_time():
        print('bench: %s is missing, so peak memory is not measured; '
              'install it with: apt-get install time' % GNU_TIME,
              file=sys.stderr)
    hooks = shipped_hooks()
    clear_work(work)  # before anything is timed
    os.makedirs(work)
    open(os.path.join(work, MARKER), 'w').close()
    version = subprocess.run([matrixc, '--version'], capture_output=True,
                             text=True).stdout.strip()
    print('matrixc benchmark: %s (%s)' % (matrixc, version))
    print('machine: %d CPUs, load average %s at start' % (
        os.cpu_count(), ' '.join('%.2f' % x for x in os.getloadavg())))
    print('hooks: %s' % (' '.join(hooks) if hooks else 'none (lua/ has none)'))
    print('wall time over repeated runs (first run discarded), IQR = '
          'interquartile range;\npeak RSS = the largest of %d more runs '
          'under GNU time (%%M)\n' % env_int('RSS_RUNS', 3))
    print(HEADER)
    results, hook_share = {}, []
    shipped = None
    if os.path.isfile(os.path.join(REPO, 'matrix.yaml')):
        d = make_shipped(work)
        try:
            n = populate(matrixc, d)
            shipped = measure(matrixc, ['check'], d, False)
            print(row(n, 'check', shipped) + '   (the shipped matrix)')
        except Failed as e:
            shipped = {'error': str(e)}
            print(row('-', 'check', shipped) + '   (the shipped matrix)')
    for cells in sizes:
        res = results[cells] = {}
        d = make_matrix(work, cells, hooks, checksums)
        try:
            n = populate(matrixc, d)
            if n != cells:
                print('%6s  (the matrix has %d cells)' % (cells, n))
            for name, args, fresh in COMMANDS:
                try:
                    res[name] = measure(matrixc, args, d, fresh)
                except Failed as e:
                    res[name] = {'error': str(e)}
                print(row(cells, name, res[name]), flush=True)
        except Failed as e:
            for name, _, _ in COMMANDS:
                res[name] = {'error': str(e)}
            print(row(cells, 'generate', res['check']), flush=True)
        if hooks:
            bare(matrixc, work, cells, checksums, res, hook_share, use_cg, d)
    budgets(results, shipped, hook_share)
    clear_work(work)
    print('\nmachine: load average %s at the end' %
          ' '.join('%.2f' % x for x in os.getloadavg()))


if __name__ == '__main__':
    main()
