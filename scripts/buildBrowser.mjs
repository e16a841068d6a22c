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

/** `fs`, `path`, `zlib`, `buffer` → a module whose every export throws when called. */
const nodeStubs = {
  name: 'node-only-stubs',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${nodeOnly.join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path.replace(/^node:/, ''), namespace: 'node-only' }));
    b.onLoad({ filter: /.*/, namespace: 'node-only' }, (args) => ({
      loader: 'js',
      contents: `
        const unavailable = (name) => () => {
          throw new Error("${args.path}." + name + ": Node's ${args.path} is not in tsgrad's browser build; in a page, load data with fetch (see docs/browser.md)");
        };
        module.exports = new Proxy({}, { get: (_, name) => (name === '__esModule' ? false : unavailable(String(name))) });
      `,
    }));
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
