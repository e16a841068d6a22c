/**
 * The browser build: bundles src/index.ts with esbuild into one ES module, dist/browser/tsgrad.js,
 * that a page imports as it is (`import * as tsgrad from './tsgrad.js'`). Everything is inside:
 * gpu.js's browser build (chosen by its package.json `browser` field), the fast backend's
 * WebAssembly (base64 in src/data/fast/wasmBinary.ts), and @viz-js/viz for graph pictures.
 *
 * Two substitutions, both printed as the build runs:
 * - the platform seam src/platform/node.ts becomes src/platform/browser.ts (same exports);
 * - the Node built-ins only the file readers of src/nn/data use (fs, path, zlib, buffer) become
 *   stubs whose every function throws, naming itself: a page loads data with `fetch`.
 *
 * Run by `npm run build` after tsc; `node scripts/buildBrowser.mjs` alone works too.
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nodeOnly = ['fs', 'path', 'zlib', 'buffer'];

/** src/platform/node.ts → src/platform/browser.ts. */
const browserSeam = {
  name: 'browser-seam',
  setup(b) {
    b.onResolve({ filter: /platform\/node$/ }, () => ({ path: join(root, 'src', 'platform', 'browser.ts') }));
  },
};

/** A number, string or boolean, or an object of only those, as JSON; undefined for anything else. */
function plainData(value) {
  const primitive = (v) => ['number', 'string', 'boolean'].includes(typeof v);
  if (primitive(value)) return JSON.stringify(value);
  const isPlain = value !== null && typeof value === 'object' && Object.values(value).every(primitive);
  return isPlain ? JSON.stringify(value) : undefined;
}

/**
 * `fs`, `path`, `zlib`, `buffer` → an ES module with the same export names as Node's (read from
 * Node itself as the build runs): every function throws when called, naming itself; plain data
 * (such as `buffer.constants`) is copied, so that module-level reads of it still work.
 */
const nodeStubs = {
  name: 'node-only-stubs',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${nodeOnly.join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path.replace(/^node:/, ''), namespace: 'node-only' }));
    b.onLoad({ filter: /.*/, namespace: 'node-only' }, async (args) => {
      const real = await import(`node:${args.path}`);
      const lines = [
        `const unavailable = (name) => () => { throw new Error("${args.path}." + name + ": Node's ${args.path} is not in tsgrad's browser build; in a page, load data with fetch (see docs/browser.md)"); };`,
      ];
      for (const [name, value] of Object.entries(real)) {
        if (name === 'default' || !/^[A-Za-z_$][\w$]*$/.test(name)) continue;
        const data = plainData(value);
        lines.push(`export const ${name} = ${data === undefined ? `unavailable('${name}')` : data};`);
      }
      return { loader: 'js', contents: lines.join('\n') };
    });
  },
};

const result = await build({
  entryPoints: [join(root, 'src', 'index.ts')],
  outfile: join(root, 'dist', 'browser', 'tsgrad.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  legalComments: 'eof',
  plugins: [browserSeam, nodeStubs],
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
console.log(`dist/browser/tsgrad.js: ${(bytes / 2 ** 20).toFixed(1)} MiB (platform seam: src/platform/browser.ts; stubs for ${nodeOnly.join(', ')})`);
