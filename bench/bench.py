#!/usr/bin/env python3
"""The matrixc benchmark (run through bench/run.sh or `make bench`).

For synthetic matrices of 10, 100, 1,000 and 10,000 cells (bench/genmatrix.py,
with the shipped hooks when lua/ has them) it times four commands (and
`check` without hooks, for the hooks' cost):

    check        `matrixc check` on an up-to-date generated/
    gen-same     `matrixc generate` with nothing to change
    gen-empty    `matrixc generate` into an empty directory
    list-json    `matrixc list --json`

and `check` on the shipped matrix, after the process floor: `true` and
`matrixc --version`, timed the same way. Each command runs once untimed, then at
least MIN_RUNS times and until MIN_SECONDS have passed (at most MAX_RUNS).
Wall time is taken around spawn and wait of the process (no shell in
between). Peak resident memory comes from RSS_RUNS (3) more runs under GNU
time (`/usr/bin/time -f %M`; the harness says so when it is missing:
apt-get install time); it cannot come from the timed runs, since a child
forked from Python starts with Python's resident size. The hooks' cost,
printed per cell, needs valgrind (unless BENCH_CALLGRIND=0): the
instructions spent inside the hook phase (hooks_run), counted by
callgrind, and the wall time they stand for (check's median times their
share of its instructions). `check` on the same matrix with `hooks: []`
is timed in runs alternating with it and counted too, for reference: the
difference of the two medians is noise at large sizes (it was negative). With valgrind, every command of every size is also counted
in instructions, so that the growth from size to size can be read without
the machine's noise. When a size fails with its hooks, every command is
measured without them, so the size still has figures.

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


def repeat(run_all):
    """The times of repeated calls of run_all (a tuple of wall times, one
    per side), the first call discarded as warm-up (page cache, dynamic
    loader): at least MIN_RUNS calls and MIN_SECONDS, at most MAX_RUNS.
    Returns one list of times per side."""
    min_runs, max_runs = env_int('MIN_RUNS', 5), env_int('MAX_RUNS', 30)
    min_seconds = env_float('MIN_SECONDS', 1.5)
    sides = None
    start = time.monotonic()
    for i in range(max_runs + 1):
        ts = run_all()
        if i == 0:
            sides = tuple([] for _ in ts)
            continue
        for side, t in zip(sides, ts):
            side.append(t)
        if len(sides[0]) >= min_runs and time.monotonic() - start >= min_seconds:
            break
    return sides


def summary(times, rss=None):
    q = statistics.quantiles(times, n=4) if len(times) > 1 else times * 3
    return {'median': statistics.median(times), 'min': min(times),
            'max': max(times), 'q1': q[0], 'q3': q[2], 'runs': len(times),
            'rss': max(rss) if rss else None, 'times': times}


def peak_rss(matrixc, args, cwd, fresh):
    """Peak resident memory of RSS_RUNS runs under GNU time (none without
    it)."""
    argv = [matrixc] + args
    return [run_once(fresh_argv(argv, cwd, fresh), cwd, rss=True)
            for _ in range(env_int('RSS_RUNS', 3) if have_gnu_time() else 0)]


def floor(matrixc, cwd):
    """The process floor, timed like the commands: /bin/true (spawn,
    exec, exit) and `matrixc --version` (that, plus loading matrixc's
    libraries). What a command takes above the second is its work."""
    true = shutil.which('true') or '/bin/true'
    out = []
    for name, argv in (('true', [true]), ('--version', [matrixc, '--version'])):
        try:
            times, = repeat(lambda: (run_once(argv, cwd),))
            out.append((name, summary(times)))
        except Failed as e:
            out.append((name, {'error': str(e)}))
    return dict(out)


def measure(matrixc, args, cwd, fresh):
    """Wall time over repeated runs, then peak RSS over RSS_RUNS more."""
    argv = [matrixc] + args
    times, = repeat(lambda: (run_once(fresh_argv(argv, cwd, fresh), cwd),))
    return summary(times, peak_rss(matrixc, args, cwd, fresh))


def callgrind_ir(matrixc, cwd, phase=None, args=('check',)):
    """Instructions executed by one run of matrixc with args (`check`),
    counted by callgrind: the total, and with phase the inclusive count of
    that function (through callgrind_annotate), else None."""
    out = os.path.join(cwd, '.callgrind.out')
    r = subprocess.run(['valgrind', '--tool=callgrind',
                        '--callgrind-out-file=' + out, matrixc] + list(args),
                       cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        raise Failed('exit %d under valgrind' % r.returncode)
    total = None
    with open(out, encoding='utf-8') as f:
        for line in f:
            if line.startswith('summary:') or line.startswith('totals:'):
                total = int(line.split()[1])
                break
    if total is None:
        raise Failed('no instruction count in ' + out)
    inside = None
    if phase:
        a = subprocess.run(['callgrind_annotate', '--inclusive=yes', out],
                           capture_output=True, text=True)
        for line in a.stdout.splitlines():
            if (':%s ' % phase) in line:
                inside = int(line.split()[0].replace(',', ''))
                break
    os.unlink(out)
    return total, inside


def count_instructions(matrixc, d, res, hooks):
    """Each command's instructions under callgrind, into res[name]['ir']
    (with the hook phase's for check, when there are hooks), for the
    growth budget: the machine's load changes the times, not these."""
    for name, args, fresh in COMMANDS:
        m = res.get(name)
        if not m or 'error' in m or 'ir' in m:  # check: see measure_share
            continue
        phase = 'hooks_run' if name == 'check' and hooks else None
        try:
            m['ir'], m['ir_phase'] = callgrind_ir(
                matrixc, d, phase, fresh_argv(list(args), d, fresh))
        except Failed as e:
            print('%6s  %-10s  FAILED under callgrind: %s' % ('', name, e))


def measure_pair(matrixc, with_dir, bare_dir):
    """`check` with and without hooks, in alternate runs, so that a change
    in the machine's load hits both sides alike."""
    argv = [matrixc, 'check']
    sides = repeat(lambda: (run_once(argv, with_dir),
                            run_once(argv, bare_dir)))
    return [summary(side) for side in sides]


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
    """The shipped matrix, with its hook files."""
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


def budgets(results, shipped, hook_share, base):
    print('\nBudgets (read off, not enforced):')
    if shipped and 'error' not in shipped:
        print('  check on the shipped matrix <= 5 ms median: %s -> %s' %
              (ms(shipped['median']), verdict(shipped['median'] <= 0.005)))
        if all('error' not in base[k] for k in base):
            print('    (on this machine `true` takes %s and `matrixc '
                  '--version` %s, so check\'s own work is %s)' % (
                      ms(base['true']['median']),
                      ms(base['--version']['median']),
                      ms(shipped['median'] - base['--version']['median'])))
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
    # growth from the fastest run of each size: the machine's noise only
    # ever adds time, so the minimum is the steadiest estimate of the cost
    # (the medians' ratios are shown beside it). The minimum is taken over
    # as many runs on both sides (the smaller size gets more runs in its
    # MIN_SECONDS, and the least of more runs is lower by chance alone)
    sizes = sorted(results)
    for name in [c[0] for c in COMMANDS] + ['check-bare']:
        ratios = []
        for a, b in zip(sizes, sizes[1:]):
            ma, mb = results[a].get(name), results[b].get(name)
            if ma and mb and 'error' not in ma and 'error' not in mb:
                k = min(len(ma['times']), len(mb['times']))
                fast_a, fast_b = min(ma['times'][:k]), min(mb['times'][:k])
                ratios.append((a, b, fast_b / fast_a * a / b * 10,
                               mb['median'] / ma['median'] * a / b * 10))
        if ratios:
            worst = max(r[2] for r in ratios)
            print('  %-10s 10x cells <= 12x time: %s -> %s' % (
                name, ', '.join('%d->%d %.1fx (median %.1fx)' % r
                                for r in ratios),
                verdict(worst <= 12)))
    # the same in instructions (callgrind), which the machine's load does
    # not change: a wall-time ratio near 12x with an instruction ratio far
    # below it is noise
    irs = {name: {n: results[n][name]['ir'] for n in sizes
                  if 'ir' in results[n].get(name, {})}
           for name in [c[0] for c in COMMANDS]}
    irs['check-bare'] = {sh['cells']: sh['ir_bare'] for sh in hook_share
                         if isinstance(sh['cells'], int) and 'ir_bare' in sh}
    for name, by_size in irs.items():
        counted = sorted(by_size)
        ratios = [(a, b, by_size[b] / by_size[a] * a / b * 10)
                  for a, b in zip(counted, counted[1:])]
        if ratios:
            print('  %-10s 10x cells <= 12x instructions: %s -> %s' % (
                name, ', '.join('%d->%d %.1fx' % r for r in ratios),
                verdict(max(r[2] for r in ratios) <= 12)))
    for sh in hook_share:
        print('  hooks at %s cells: %s per cell -> not a budget, printed '
              'for reference' % (sh['cells'], per_cell(sh)))


MARKER = '.matrixc-bench'


def clear_work(work):
    """Remove the scratch directory, but only one this harness made."""
    if not os.path.exists(work):
        return
    if os.listdir(work) and not os.path.exists(os.path.join(work, MARKER)):
        sys.exit('bench: %s is not empty and not a benchmark directory; '
                 'set BENCH_WORK elsewhere' % work)
    shutil.rmtree(work)


def without_hooks(d):
    """A copy of the matrix directory d with `hooks: []` (its inputs and
    generated/: not the trees gen-empty left, nor the harness's files)."""
    b = d + '-nohooks'
    shutil.rmtree(b, ignore_errors=True)
    shutil.copytree(d, b, ignore=shutil.ignore_patterns(
        'fresh-*', '.bench-*', '.callgrind.out*'))
    path = os.path.join(b, 'matrix.yaml')
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join('hooks: []' if l.startswith('hooks:') else l
                           for l in lines))
    return b


def measure_share(matrixc, cells, d, res, shares, use_cg, note='',
                  label=None):
    """`check` on the matrix in d and the hooks' cost in it: timed in
    runs that alternate with the same matrix without hooks (res['check']
    and res['check-bare'], and their rows), and with use_cg counted in
    instructions, with the instructions spent inside hooks_run. When the
    run with hooks failed (res['check'] holds the error), every command is
    measured without them, so the size still has figures for the compiler
    itself."""
    tail = '   (%s)' % note.rstrip(', ') if note else ''
    b = without_hooks(d)
    failed = 'error' in res.get('check', {})
    try:
        populate(matrixc, b)
    except Failed as e:
        print(row(cells, 'check-bare', {'error': str(e)}))
        if not failed:  # check still gets its figures, alone
            res['check'] = measure(matrixc, ['check'], d, False)
            print(row(cells, 'check', res['check']) + tail, flush=True)
        return
    if failed:
        for name, args, fresh in COMMANDS:
            try:
                m = measure(matrixc, args, b, fresh)
            except Failed as e:
                m = {'error': str(e)}
            print(row(cells, name + '-bare', m) + '   (no hooks)', flush=True)
            res[name + '-bare'] = m
        return
    try:
        with_h, bare_m = measure_pair(matrixc, d, b)
        with_h['rss'] = max(peak_rss(matrixc, ['check'], d, False),
                            default=None)
    except Failed as e:
        res['check'] = {'error': str(e)}
        print(row(cells, 'check', res['check']) + tail)
        return
    res['check'], res['check-bare'] = with_h, bare_m
    print(row(cells, 'check', with_h) + tail, flush=True)
    print(row(cells, 'check-bare', bare_m) + '   (%sno hooks)' % note,
          flush=True)
    share = {'cells': label or cells, 'n': cells,
             'with': with_h['median'],
             'bare': bare_m['median'],
             'wall': 1 - bare_m['median'] / with_h['median']}
    if use_cg:
        try:
            share['ir_with'], share['ir_hooks'] = callgrind_ir(
                matrixc, d, 'hooks_run')
            with_h['ir'], with_h['ir_phase'] = (share['ir_with'],
                                                share['ir_hooks'])
            share['ir_bare'], _ = callgrind_ir(matrixc, b)
        except Failed as e:
            print('%6s  %-10s  FAILED: %s' % (cells, 'callgrind', e))
    shares.append(share)


def hooks_wall(s):
    """The wall time of the hook phase, in seconds, or None without
    callgrind: check's median wall time times hooks_run's share of its
    instructions. Never negative, unlike (with hooks - without): at 1,000
    cells and more the hooks are a few percent of check, less than the
    spread of two medians, and that difference came out as -37 us a cell."""
    if not s.get('ir_hooks') or not s.get('ir_with'):
        return None
    return s['with'] * s['ir_hooks'] / s['ir_with']


def per_cell(s):
    """The hooks' cost per cell: the instructions inside hooks_run, and
    the wall time they stand for (hooks_wall)."""
    n = s['n']
    wall = hooks_wall(s)
    if wall is None:
        return ('n/a (needs valgrind: a difference of two wall-time '
                'medians is noise)')
    return '%.1f K instructions in hooks_run, about %s wall' % (
        s['ir_hooks'] / n / 1e3, us(wall / n))


def print_shares(shares):
    if not shares:
        return
    print('\nThe hooks\' cost in check. "in hooks_run": the instructions of '
          'the hook phase\n(Lua state, loading, running, closing), counted '
          'by callgrind; "its wall time":\ncheck\'s median wall time times '
          'hooks_run\'s share of the instructions (low where the CPU has SHA-NI,\n'
          'which valgrind hides: hashing counts more instructions there than '
          'its time).\n"with - without": '
          'instructions of check with hooks and without, for reference\n'
          '(the longer Dockerfiles the hooks\' flags make count there too); '
          'the medians of\nalternate runs with and without hooks are given, '
          'not their difference, which\nis noise at this size and can be '
          'negative.')
    print('%12s  %-14s  %-14s  %-32s  %-22s  %s' % (
        'cells', 'in hooks_run', 'its wall time', 'with - without (instr.)',
        'medians with / without', 'per cell'))
    for s in shares:
        medians = '%s / %s' % (ms(s['with']), ms(s['bare']))
        wall = hooks_wall(s)
        if 'ir_with' in s:
            ir = '%.2f M  (%.1f M / %.1f M)' % (
                (s['ir_with'] - s['ir_bare']) / 1e6, s['ir_with'] / 1e6,
                s['ir_bare'] / 1e6)
            inside = ('%.2f M' % (s['ir_hooks'] / 1e6)
                      if s['ir_hooks'] else 'n/a')
        else:
            ir, inside = 'n/a (no valgrind)', 'n/a'
        print('%12s  %-14s  %-14s  %-32s  %-22s  %s' % (
            s['cells'], inside, ms(wall) if wall is not None else 'n/a', ir,
            medians, per_cell(s)))


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
    cg = os.environ.get('BENCH_CALLGRIND', '')
    use_cg = cg != '0' and bool(shutil.which('valgrind'))
    if cg == '1' and not use_cg:
        sys.exit('bench: BENCH_CALLGRIND=1 needs valgrind '
                 '(apt-get install valgrind)')
    if not use_cg and cg != '0':
        print('bench: valgrind is missing, so the hooks\' cost is measured '
              'in wall time only; install it with: apt-get install valgrind',
              file=sys.stderr)
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
    base = floor(matrixc, work)
    for name, note in (('true', 'spawn, exec and exit: the floor'),
                       ('--version', 'matrixc loading its libraries only')):
        print(row('-', name, base[name]) + '   (%s)' % note)
    results, hook_share = {}, []
    shipped = None
    if os.path.isfile(os.path.join(REPO, 'matrix.yaml')):
        d = make_shipped(work)
        try:
            n = populate(matrixc, d)
            if hooks:
                res = {}
                measure_share(matrixc, n, d, res, hook_share, use_cg,
                              'the shipped matrix, ', '%d (shipped)' % n)
                shipped = res.get('check')
            else:
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
                if name == 'check' and hooks:
                    continue  # timed against the hook-less copy, below
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
            measure_share(matrixc, cells, d, res, hook_share, use_cg)
        if use_cg:
            count_instructions(matrixc, d, res, bool(hooks))
    print_shares(hook_share)
    budgets(results, shipped, hook_share, base)
    clear_work(work)
    print('\nmachine: load average %s at the end' %
          ' '.join('%.2f' % x for x in os.getloadavg()))


if __name__ == '__main__':
    main()
