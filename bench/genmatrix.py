#!/usr/bin/env python3
"""Write a synthetic matrix of about CELLS cells into DIR, for bench/run.sh.

    genmatrix.py CELLS DIR CHECKSUMS_TSV [--hooks FILE...]

DIR gets matrix.yaml and matrix.lock.json. The versions are real CPython
releases with their real python.org URLs and sha256 (from the checksums
table), newest first; the newest release of each series is written as the
series ("3.13") and locked under that key, the others as exact versions
("3.12.4") locked under their own key, as a real lock file would be. The
variants mix PGO, LTO and extra configure flags. One exclude and one
include cancel out, one alias rule adds a tag per version, so the matrix
has exactly versions x variants cells, and the hooks (when given) skip
none of them: only releases whose PGO and LTO builds the quirks allow
(2.7.14 and later, 3.6.1 and later) are used.

The output is a pure function of the arguments, so every run of the
benchmark compiles the same inputs.
"""
import json
import sys

# (cells, versions, variants): many versions and many variants at each size
SHAPES = {10: (5, 2), 100: (20, 5), 1000: (50, 20), 10000: (125, 80)}


def fixture_bases():
    """Digests for the bases the hooks may pick: fixtures (the sha256 of a
    name), not any real image's."""
    import hashlib
    return {b: {'digest': 'sha256:' + hashlib.sha256(
        ('matrixc test fixture ' + b).encode()).hexdigest()}
        for b in ('debian:bookworm-slim', 'debian:bullseye-slim',
                  'debian:trixie-slim')}


def vkey(s):
    """Sort key of a CPython version string: 3.15.0b4 < 3.15.0."""
    head = s
    pre = (9, 0)  # a final release sorts after its pre-releases
    for i, ch in enumerate(s):
        if ch in 'abr' and i > 0 and s[i - 1].isdigit():
            head, tail = s[:i], s[i:]
            kind = tail.rstrip('0123456789')
            pre = ({'a': 0, 'b': 1, 'rc': 2}[kind], int(tail[len(kind):]))
            break
    return tuple(int(x) for x in head.split('.')) + pre


def usable(v):
    """Releases whose PGO and LTO builds the shipped quirks accept."""
    k = vkey(v)
    return k[:3] >= (2, 7, 14) if k[0] == 2 else k[:3] >= (3, 6, 1)


def read_releases(path):
    rel = {}
    with open(path, encoding='utf-8') as f:
        next(f)
        for line in f:
            version, url, sha = line.rstrip('\n').split('\t')
            rel[version] = (url, sha)
    return rel


def series_of(v):
    return '.'.join(v.split('.')[:2])


def variants(n):
    """n variants: wee, wee-optimized, wee-optimized-lto, then numbered
    ones cycling through the same flags plus extra configure flags."""
    flags = [{}, {'pgo': True}, {'pgo': True, 'lto': True}]
    extra = ['--with-computed-gotos', '--without-doc-strings',
             '--with-pymalloc']
    out = []
    for i in range(n):
        if i < 3:
            name = ['wee', 'wee-optimized', 'wee-optimized-lto'][i]
            out.append((name, flags[i], []))
        else:
            f = flags[i % 3]
            suffix = ['', '-pgo', '-pgo-lto'][i % 3]
            out.append(('v%02d%s' % (i, suffix), f, [extra[i % len(extra)]]))
    return out


def yaml_variant(name, f, conf):
    parts = ['%s: true' % k for k in ('pgo', 'lto') if f.get(k)]
    if conf:
        parts.append('configure: [%s]' % ', '.join('"%s"' % c for c in conf))
    return '  %s: { %s }\n' % (name, ', '.join(parts)) if parts \
        else '  %s: {}\n' % name


def main():
    args = sys.argv[1:]
    hooks = []
    if '--hooks' in args:
        i = args.index('--hooks')
        hooks, args = args[i + 1:], args[:i]
    cells, out_dir, tsv = int(args[0]), args[1], args[2]
    nversions, nvariants = SHAPES[cells]
    rel = read_releases(tsv)
    newest = {}
    for v in rel:
        s = series_of(v)
        if s not in newest or vkey(v) > vkey(newest[s]):
            newest[s] = v
    pool = sorted((v for v in rel if usable(v)), key=vkey, reverse=True)
    # one more than needed: the include adds it back
    chosen = pool[:nversions + 1]
    listed, extra = chosen[:nversions], chosen[nversions]
    vars_ = variants(nvariants)

    def spec(v):
        final = v[-1].isdigit() and vkey(v)[-2] == 9
        return series_of(v) if final and newest[series_of(v)] == v else v

    lock = {}
    for v in chosen:
        url, sha = rel[v]
        lock[spec(v)] = {'sha256': sha, 'url': url, 'version': v}
    y = ['# synthetic benchmark matrix: %d versions x %d variants\n'
         % (nversions, nvariants),
         'matrixc: 1\nimage: python\n',
         'registries:\n',
         '  - name: registry.gitlab.com/example/python\n',
         '    user: CI_REGISTRY_USER\n    password: CI_REGISTRY_PASSWORD\n',
         '  - name: docker.io/example/python\n',
         '    user: DOCKERHUB_USER\n    password: DOCKERHUB_TOKEN\n',
         'base: debian:bookworm-slim\n',
         'versions: [%s]\n' % ', '.join('"%s"' % spec(v) for v in listed),
         'variants:\n']
    y += [yaml_variant(*v) for v in vars_]
    # drop one cell of the listed versions, add one of another version
    y.append('exclude:\n  - { version: "%s", variant: %s }\n'
             % (spec(listed[-1]), vars_[-1][0]))
    y.append('include:\n  - { version: "%s", variant: %s }\n'
             % (spec(extra), vars_[0][0]))
    y.append('aliases:\n  - { variant: %s, tag: "{version}" }\n' % vars_[0][0])
    if hooks:
        y.append('hooks: [%s]\n' % ', '.join(hooks))
    y.append('ci:\n  image: docker:27\n  services: [docker:27-dind]\n'
             '  max_jobs: 100000\n')
    with open(out_dir + '/matrix.yaml', 'w', encoding='utf-8') as f:
        f.write(''.join(y))
    with open(out_dir + '/matrix.lock.json', 'w', encoding='utf-8') as f:
        f.write(json.dumps({'matrixc': 1, 'releases': lock,
                            'bases': fixture_bases()}, indent=2,
                           sort_keys=True) + '\n')


if __name__ == '__main__':
    main()
