/**
 * `node -r ./tests/helpers/registerTs.js`: lets a child node process require tsgrad's TypeScript
 * sources directly. Each .ts file is transpiled when required (types dropped, no type check), so a
 * test can measure memory or kill a process without building first. Transpiled files are cached in
 * the system's temp folder by a hash of their source, so later children start fast. Used by
 * tests/helpers/child.ts.
 */
const { createHash } = require('crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('fs');
const { tmpdir } = require('os');
const { join } = require('path');

const cacheDir = join(tmpdir(), 'tsgrad-registerTs-cache');
let ts = null; // loaded only when a file is not cached yet

function transpile(source, filename) {
  ts = ts || require('typescript');
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true };
  return ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
}

require.extensions['.ts'] = (module, filename) => {
  const source = readFileSync(filename, 'utf8');
  const cached = join(cacheDir, `${createHash('sha1').update(filename).update('\0').update(source).digest('hex')}.js`);
  let output;
  try {
    output = readFileSync(cached, 'utf8');
  } catch {
    output = transpile(source, filename);
    mkdirSync(cacheDir, { recursive: true });
    const temp = `${cached}.${process.pid}.tmp`;
    writeFileSync(temp, output);
    renameSync(temp, cached);
  }
  module._compile(output, filename);
};
