/**
 * The browser test: the page of applications/web/ in Debian's chromium (headless, driven by
 * playwright-core; no browser is downloaded), with the bundle dist/browser/tsgrad.js built first
 * (`npm run test:browser` builds, .ci/run calls it after .ci/browser-setup.sh).
 *
 * It checks, in a real browser:
 * - the page loads with no error, and the bundle's API is there;
 * - the backward view steps to the end of the worked example, with x.grad and y.grad as in docs/autograd.md;
 * - a few training steps on cpu, cpu with threads (a Web Worker), and gpu (gpu.js WebGL2 on SwiftShader)
 *   each make the loss fall;
 * - gpu gradients of a whole MediumNet match cpu within 1e-4;
 * - the gpu's live textures stay flat over the steps (each step runs in tsgrad's `tidy`);
 * - a long run stays flat: 1,000 cpu steps (the fast backend's WebAssembly memory, and the JS heap)
 *   and SOAK_GPU_STEPS gpu steps (live textures and their bytes);
 * - a drawn digit gets 10 probabilities that sum to 1;
 * - a screenshot of the page is not blank (decoded and counted in the page itself).
 * Prints one line per check and ends with "browser: N passed, M failed"; exits 1 on any failure.
 *
 *   node tests/browser/run.mjs [--screenshot docs/figures/browser-page.png] [--chromium /usr/bin/chromium]
 */
import { chromium } from 'playwright-core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../scripts/serveWeb.mjs';

const argument = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const CHROMIUM = argument('--chromium', '/usr/bin/chromium');
const SCREENSHOT = argument('--screenshot', join(mkdtempSync(join(tmpdir(), 'tsgrad-browser-')), 'page.png'));
/** SwiftShader for WebGL2 and for a WebGPU adapter: these work on machines without a GPU. */
export const CHROMIUM_FLAGS = [
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader',
  '--no-sandbox', '--enable-precise-memory-info',
];
/** The long runs: steps and batch size per device (gpu on SwiftShader takes about 2.5 s per step). */
const SOAK = [['cpu', 1000, 4], ['gpu', Number(argument('--gpu-steps', 50)), 4]];

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
}

/** Loss falls: the mean of the last third of the steps is below the mean of the first third. */
function lossFalls(records) {
  const third = Math.max(1, Math.floor(records.length / 3));
  const mean = (rs) => rs.reduce((s, r) => s + r.loss, 0) / rs.length;
  return { ok: mean(records.slice(-third)) < mean(records.slice(0, third)), first: mean(records.slice(0, third)), last: mean(records.slice(-third)) };
}

export async function openPage() {
  const server = await startServer(0);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await page.goto(server.url);
  await page.waitForFunction(() => window.tsgradPage !== undefined, null, { timeout: 60_000 });
  await page.evaluate(() => window.tsgradPage.ready);
  return { server, browser, page, errors, close: async () => { await browser.close(); server.close(); } };
}

async function main() {
  const started = Date.now();
  const { page, errors, close } = await openPage();
  try {
    check('page loads cross-origin isolated', await page.evaluate(() => self.crossOriginIsolated));
    check('the bundle exports the API', await page.evaluate(() => ['Tensor', 'tensor', 'nn', 'optim', 'setDevice', 'traceBackward'].every((k) => k in window.tsgradPage.tsgrad)));

    const backward = await page.evaluate(async () => {
      const panel = window.tsgradPage.backward;
      const end = await panel.show(panel.lines.length);
      return { end, total: panel.lines.length, status: panel.status.textContent, svg: panel.picture.querySelectorAll('svg g.node').length };
    });
    check('backward view steps to the end', backward.end === 11 && backward.total === 11 && backward.svg > 0, `${backward.end}/${backward.total} events, ${backward.svg} graph nodes`);
    check('backward gives the docs gradients', backward.status.includes('x.grad = [1.3244') && backward.status.includes('y.grad = [2.6487'), backward.status);

    for (const [device, steps, batch] of [['cpu', 12, 32], ['cpu-threads', 12, 32], ['gpu', 6, 4]]) {
      const records = await page.evaluate(([d, n, b]) => window.tsgradPage.train(d, n, b), [device, steps, batch]);
      const falls = lossFalls(records);
      const ms = records.slice(1).reduce((s, r) => s + r.ms, 0) / (records.length - 1);
      check(`${device}: loss falls over ${steps} steps`, falls.ok, `${falls.first.toFixed(3)} → ${falls.last.toFixed(3)}, ${ms.toFixed(0)} ms/step (batch ${batch})`);
      if (device === 'gpu') {
        const live = records.map((r) => r.memory.liveBuffers);
        check('gpu: live textures do not pile up', live[live.length - 1] <= live[2] + 8, `live textures per step: ${live.join(' ')}`);
      }
    }
    const numbers = await page.evaluate(() => document.querySelector('#training .numbers').textContent);
    check('the training panel shows ms/step and GFLOP/s', /ms\/step/.test(numbers) && /GFLOP\/s/.test(numbers), numbers);

    const gradients = await page.evaluate(() => window.tsgradPage.compareGradients());
    check('gpu gradients match cpu within 1e-4', gradients.worst <= 1e-4, `largest difference ${gradients.worst.toExponential(2)} over ${gradients.values} values of ${gradients.parameters} parameters`);

    for (const [device, steps, batch] of SOAK) {
      const records = await page.evaluate(([d, n, b]) => window.tsgradPage.train(d, n, b), [device, steps, batch]);
      const at = (step) => records[Math.min(step, records.length) - 1].memory;
      const marks = [1, 10, 100, Math.floor(steps / 2), steps].filter((s, i, all) => s <= steps && all.indexOf(s) === i);
      const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
      const ms = records.slice(1).reduce((s, r) => s + r.ms, 0) / (records.length - 1);
      if (device === 'gpu') {
        // From step 3 on (Adam's state exists) the count may only fall (an earlier model's textures being collected).
        const most = (key) => Math.max(...records.slice(3).map((r) => r.memory[key]));
        const flat = most('liveBuffers') <= at(3).liveBuffers && most('liveBytes') <= at(3).liveBytes;
        const line = marks.map((s) => `step ${s}: ${at(s).liveBuffers} (${mib(at(s).liveBytes)} MiB)`).join(', ');
        check(`gpu: live textures flat over ${steps} steps`, flat, `${line}; ${ms.toFixed(0)} ms/step (batch ${batch})`);
      } else {
        const heapMax = (from, to) => Math.max(...records.slice(from, to).map((r) => r.memory.heapBytes ?? 0));
        const [early, late] = [heapMax(Math.floor(steps / 10), Math.floor(steps / 5)), heapMax(Math.floor(steps * 0.9), steps)];
        const flat = at(steps).wasmBytes === at(10).wasmBytes && late <= 1.5 * early;
        const line = marks.map((s) => `step ${s}: wasm ${mib(at(s).wasmBytes)} MiB, heap ${mib(at(s).heapBytes ?? 0)} MiB`).join(', ');
        check(`cpu: WebAssembly memory and JS heap flat over ${steps} steps`, flat,
          `${line}; heap max over steps ${Math.floor(steps / 10)}-${Math.floor(steps / 5)} ${mib(early)} MiB, over the last tenth ${mib(late)} MiB; ${ms.toFixed(1)} ms/step (batch ${batch})`);
      }
    }

    const probabilities = await page.evaluate(() => window.tsgradPage.drawing.stroke([[140, 50], [140, 230]]));
    const sum = probabilities ? probabilities.reduce((s, p) => s + p, 0) : 0;
    check('a drawn digit gets class probabilities', probabilities?.length === 10 && Math.abs(sum - 1) < 1e-4, probabilities ? `argmax ${probabilities.indexOf(Math.max(...probabilities))}` : 'none');

    const png = await page.screenshot({ fullPage: true });
    writeFileSync(SCREENSHOT, png);
    const colours = await page.evaluate(async (data) => {
      const image = await createImageBitmap(await (await fetch(`data:image/png;base64,${data}`)).blob());
      const canvas = new OffscreenCanvas(image.width, image.height);
      const pen = canvas.getContext('2d');
      pen.drawImage(image, 0, 0);
      const pixels = pen.getImageData(0, 0, image.width, image.height).data;
      const seen = new Set();
      for (let i = 0; i < pixels.length; i += 4 * 7) seen.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
      return { distinct: seen.size, width: image.width, height: image.height };
    }, png.toString('base64'));
    check('the screenshot is not blank', colours.distinct > 50, `${colours.width}x${colours.height}, ${colours.distinct} colours sampled, saved to ${SCREENSHOT}`);
    check('no errors in the page', errors.length === 0, errors.join(' | '));
  } finally {
    await close();
  }
  console.log(`browser: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (process.argv[1]?.endsWith('run.mjs')) await main();
