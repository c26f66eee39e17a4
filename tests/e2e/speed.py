# speed.py - small CPU-bound workloads, timed one by one (make e2e-speed).
# Written for this test; runs on 3.x (and 2.7). Prints "NAME<TAB>SECONDS".
import json
import random
import re
import time


def recurse(n):
    return n if n < 2 else recurse(n - 1) + recurse(n - 2)


def dict_strings():
    counts = {}
    for i in range(300000):
        key = "k%d" % (i % 7919)
        counts[key] = counts.get(key, 0) + len(key)
    parts = ["%s=%d" % item for item in sorted(counts.items())]
    text = ";".join(parts)
    return len(text.upper().replace("K", "key").split(";"))


def json_round_trips():
    doc = {"rows": [{"id": i, "name": "row %d" % i, "tags": ["x", "y", str(i)],
                     "ratio": i / 7.0, "ok": i % 3 == 0} for i in range(3000)]}
    for _ in range(15):
        doc = json.loads(json.dumps(doc, sort_keys=True))
    return len(doc["rows"])


def regex():
    lines = ["%d alice%d@host%d.example.org 192.168.%d.%d GET /p/%d" %
             (i, i, i % 13, i % 256, (i * 31) % 256, i) for i in range(30000)]
    text = "\n".join(lines)
    pat = re.compile(r"(\w+)@([\w.]+)\.org (\d+)\.(\d+)\.(\d+)\.(\d+) (GET|POST) (/\S+)")
    return sum(len(m.group(8)) for m in pat.finditer(text))


def sorting():
    rng = random.Random(1234)
    nums = [rng.random() for _ in range(150000)]
    words = ["%08x" % int(x * 4e9) for x in nums]
    pairs = sorted(zip(words, nums), key=lambda p: (p[0][2:], -p[1]))
    return sorted(nums)[0] + len(pairs)


WORKLOADS = [("recurse", lambda: recurse(30)), ("dict_strings", dict_strings),
             ("json", json_round_trips), ("regex", regex), ("sort", sorting)]

total = 0.0
for name, work in WORKLOADS:
    t0 = time.time()
    work()
    dt = time.time() - t0
    total += dt
    print("%s\t%.4f" % (name, dt))
print("total\t%.4f" % total)
