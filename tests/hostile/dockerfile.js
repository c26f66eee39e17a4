// dockerfile.js - read a generated Dockerfile with dockerfile-ast, the
// parser behind the pinned dockerfile-utils linter.
//
//   node dockerfile.js values DOCKERFILE EXPECTED.json
//     every ENV and ARG named in EXPECTED.json ("env", "arg") has exactly
//     that value in every stage, with each '$' escaped so that Docker does
//     not expand it (dockerfile-ast leaves the '\$' escape in place, since
//     it does no expansion; Docker reads '\$' as '$'); no other ENV or ARG
//     appears besides the ones matrixc always writes.
//   node dockerfile.js run DOCKERFILE
//     prints the shell command of the RUN instruction that calls
//     ./configure, line continuations joined, as Docker hands it to sh -c.
'use strict';
const ast = require(process.env.TOOLS + '/node_modules/dockerfile-ast');
const fs = require('fs');

const [mode, file, expectedFile] = process.argv.slice(2);
const df = ast.DockerfileParser.parse(fs.readFileSync(file, 'utf8'));
const builtin = new Set(['PKG_PROXY', 'PYTHON_MIRROR', 'PYTHON_VERSION',
  'REVISION', 'CREATED']);

function values() {
  const want = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
  const seen = { ENV: {}, ARG: {} };
  let bad = 0;
  for (const ins of df.getInstructions()) {
    const k = ins.getKeyword();
    if (k !== 'ENV' && k !== 'ARG') continue;
    for (const p of ins.getProperties()) {
      const raw = p.getValue() || '';
      if (/(^|[^\\])(\\\\)*\$/.test(raw.replace(/\\\$/g, ''))) {
        console.log(`# ${k} ${p.getName()}: unescaped $ in ${JSON.stringify(raw)}`);
        bad++;
      }
      (seen[k][p.getName()] = seen[k][p.getName()] || []).push(raw.replace(/\\\$/g, '$'));
    }
  }
  for (const [k, key] of [['ENV', 'env'], ['ARG', 'arg']]) {
    for (const [name, value] of Object.entries(want[key] || {})) {
      const got = seen[k][name] || [];
      if (!got.length || got.some(v => v !== value)) {
        console.log(`# ${k} ${name}: got ${JSON.stringify(got)}, want ${JSON.stringify(value)}`);
        bad++;
      }
    }
    for (const name of Object.keys(seen[k]))
      if (!(name in (want[key] || {})) && !builtin.has(name)) {
        console.log(`# unexpected ${k} ${name}`);
        bad++;
      }
  }
  process.exit(bad ? 1 : 0);
}

function run() {
  for (const ins of df.getInstructions())
    if (ins.getKeyword() === 'RUN' && /\.\/configure/.test(ins.getArgumentsContent())) {
      process.stdout.write(ins.getArgumentsContent() + '\n');
      return;
    }
  process.exit(1);
}

if (mode === 'values') values();
else if (mode === 'run') run();
else { console.error('usage: dockerfile.js values|run DOCKERFILE [EXPECTED.json]'); process.exit(2); }
