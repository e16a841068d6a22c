/**
 * tsgrad as an npm package: `npm pack` gives a tarball that installs into an empty folder and
 * imports, typed, from CommonJS, ESM and TypeScript, with nothing from the source tree.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, writeFileSync, readdirSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

const repo = resolve(__dirname, '..');
const run = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const program = `const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
const loss = a.matmul(Tensor.ones([2, 1])).relu().sum();
loss.backward();
console.log(JSON.stringify(a.grad.toArray()));`;

describe('the packed tarball', () => {
  let consumer = '';

  beforeAll(() => {
    const packDir = mkdtempSync(join(tmpdir(), 'tsgrad-pack-'));
    run('npm', ['pack', '--pack-destination', packDir, '--silent'], repo);
    const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz')) as string);
    consumer = mkdtempSync(join(tmpdir(), 'tsgrad-consumer-'));
    writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }');
    // --omit=optional skips gpu.js's optional `gl` native build, which a plain install does not need.
    run('npm', ['install', '--omit=optional', '--no-audit', '--no-fund', tarball], consumer);
  }, 180_000);

  it('imports from CommonJS', () => {
    writeFileSync(join(consumer, 'main.cjs'), `const { Tensor, tensor } = require('tsgrad');\n${program}`);
    expect(run('node', ['main.cjs'], consumer).trim()).toBe('[[1,1],[1,1]]');
  });

  it('imports from ESM', () => {
    writeFileSync(join(consumer, 'main.mjs'), `import { Tensor, tensor } from 'tsgrad';\n${program}`);
    expect(run('node', ['main.mjs'], consumer).trim()).toBe('[[1,1],[1,1]]');
  });

  it('is typed: a TypeScript consumer compiles, and a type error is caught', () => {
    writeFileSync(join(consumer, 'main.ts'), `import { Tensor, tensor } from 'tsgrad';\nconst t: Tensor = tensor([1, 2]);\nconst n: number = t.item();\nconsole.log(n);\n`);
    writeFileSync(join(consumer, 'bad.ts'), `import { tensor } from 'tsgrad';\nconst s: string = tensor([1]).item();\nconsole.log(s);\n`);
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = ['--strict', '--noEmit', '--module', 'commonjs', '--moduleResolution', 'node', '--types', 'node', '--typeRoots', join(repo, 'node_modules', '@types')];
    expect(() => run('node', [tsc, ...options, 'main.ts'], consumer)).not.toThrow();
    const failure = (() => {
      try { run('node', [tsc, ...options, 'bad.ts'], consumer); return ''; } catch (e) { return String((e as { stdout?: string }).stdout); }
    })();
    expect(failure).toMatch(/bad\.ts\(2,7\): error TS2322: Type 'number' is not assignable to type 'string'/);
  });

  it("shows the PyTorch surface: the engine's bookkeeping (id, viewOf, writing node) is not in the published types", () => {
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = ['--strict', '--noEmit', '--module', 'commonjs', '--moduleResolution', 'node', '--types', 'node', '--typeRoots', join(repo, 'node_modules', '@types')];
    writeFileSync(join(consumer, 'surface.ts'), [
      `import { tensor } from 'tsgrad';`,
      `const t = tensor([1, 2], { requiresGrad: true }).mul(2);`,
      `console.log(t.grad, t.gradFn, t.isLeaf, t.requiresGrad, t.retainsGrad, t.node, t.lock);`,
      `console.log(t.id);`,
      `console.log(t.viewOf);`,
      `t.node = null;`,
    ].join('\n'));
    const output = (() => {
      try { run('node', [tsc, ...options, 'surface.ts'], consumer); return ''; } catch (e) { return String((e as { stdout?: string }).stdout); }
    })();
    const errorLines = output.split('\n').filter((line) => line.includes('error TS')).map((line) => line.replace(/^surface\.ts\((\d+),.*$/, '$1'));
    expect(errorLines).toEqual(['4', '5', '6']);
  });
});
