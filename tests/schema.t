#!/bin/sh
# docs/matrix.schema.json agrees with matrixc, on every golden case:
#   - a matrix.yaml that matrixc accepts (no matrix.yaml error in the
#     case's stderr) validates against the schema;
#   - one whose errors in matrix.yaml include a schema error (unknown key,
#     wrong kind or type, missing key) fails validation.
# Other errors (a bad name, version or flag: grammars the schema does not
# spell out) and YAML syntax errors are not compared.
# YAML is read as matrixc reads it (YAML 1.2 booleans: only true and false).
here=$(cd "$(dirname "$0")" && pwd)
exec python3 - "$here/cases" "$(dirname "$here")/docs/matrix.schema.json" <<'EOF'
import json, os, re, sys
import yaml, jsonschema

cases, schema_path = sys.argv[1], sys.argv[2]
schema = json.load(open(schema_path))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

class Loader(yaml.SafeLoader):
    pass
# YAML 1.2 booleans, as libyaml's scalars read by matrixc: yes/no/on/off
# are strings
Loader.yaml_implicit_resolvers = {
    k: [(t, r) for t, r in v if t != 'tag:yaml.org,2002:bool']
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
Loader.add_implicit_resolver('tag:yaml.org,2002:bool',
                             re.compile(r'^(?:true|false)$'), list('tf'))

SCHEMA_ERROR = re.compile(
    r"^matrix\.yaml:\d+:\d+: error: (unknown key |missing required key |"
    r".* must be (a mapping|a list|a string|true or false|a whole number)|"
    r"an alias needs a 'tag'|matrixc must be the number 1|"
    r"unsupported schema version|variants cannot be empty|"
    r"versions cannot be empty)")
ANY_ERROR = re.compile(r"^matrix\.yaml(:\d+:\d+)?: error: ")

n = 0
fails = 0
for name in sorted(os.listdir(cases)):
    d = os.path.join(cases, name)
    path = os.path.join(d, 'matrix.yaml')
    if not os.path.isfile(path):
        continue
    err = ''
    if os.path.exists(os.path.join(d, 'stderr')):
        err = open(os.path.join(d, 'stderr'), errors='replace').read()
    lines = err.splitlines()
    schema_err = any(SCHEMA_ERROR.match(l) for l in lines)
    any_err = any(ANY_ERROR.match(l) for l in lines)
    if any_err and not schema_err:
        continue
    try:
        doc = yaml.load(open(path, 'rb'), Loader=Loader)
    except Exception:
        continue  # not YAML PyYAML reads; matrixc said so too
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    n += 1
    if schema_err:
        ok = bool(errors)
        what = "fails validation, as matrixc rejects it"
    else:
        ok = not errors
        what = "validates, as matrixc accepts it"
    print(("ok" if ok else "not ok") + " %d - %s: %s" % (n, name, what))
    if not ok:
        fails += 1
        for e in errors[:3]:
            print("# %s: %s" % (list(e.path), e.message))
print("1..%d" % n)
sys.exit(1 if fails else 0)
EOF
