#!/usr/bin/env python3
"""imagetools_inspect.py REF: what `docker buildx imagetools inspect
--format '{{json .Image}}' REF` prints, read with skopeo from a registry
without TLS (tests/lib/registry.sh), for the tests' stand-in docker.

As buildx does (util/imagetools/printers.go and loader.go):
- the image config, json.MarshalIndent'ed with two spaces, of a manifest
  or of an index with one platform;
- for an index of several, a map from each platform, as containerd
  normalizes it (linux/arm64/v8 is linux/arm64), to its config;
  attestation manifests (unknown/unknown) are no platform;
- REF absent: "ERROR: REF: not found" on stderr, status 1; any other
  failure: "ERROR: " and skopeo's message, status 1.
"""
import json
import subprocess
import sys


def fail(msg):
    print("ERROR: " + msg, file=sys.stderr)
    sys.exit(1)


def skopeo(ref, *args):
    p = subprocess.run(["skopeo", "inspect", "--tls-verify=false", *args,
                        "docker://" + ref], capture_output=True, text=True)
    if p.returncode:
        err = p.stderr.strip()
        if "manifest unknown" in err or "name unknown" in err:
            fail(sys.argv[1] + ": not found")
        fail(err)
    return json.loads(p.stdout)


def normal(p):
    arch, variant = p.get("architecture", ""), p.get("variant", "")
    if (arch, variant) in (("arm64", "v8"), ("amd64", "v1")):
        variant = ""
    if arch == "arm" and not variant:
        variant = "v7"
    return "/".join(x for x in (p.get("os", ""), arch, variant) if x)


def main():
    ref = sys.argv[1]
    raw = skopeo(ref, "--raw")
    if "manifests" not in raw:
        out = skopeo(ref, "--config")
    else:
        repo = ref.rsplit(":", 1)[0]
        out = {}
        for m in raw["manifests"]:
            p = m.get("platform") or {}
            if p.get("os") == "unknown":
                continue
            out[normal(p)] = skopeo(repo + "@" + m["digest"], "--config")
        out = dict(sorted(out.items()))
        if len(out) == 1:
            out = next(iter(out.values()))
    print(json.dumps(out, indent=2))


main()
