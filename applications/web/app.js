// The page: wires the three panels to tsgrad and exposes `window.tsgradPage`, which the browser
// test (tests/browser/run.mjs) drives. Training runs on the page's thread for 'cpu' (one thread)
// and 'gpu' (gpu.js WebGL2), and in a Web Worker for 'cpu-threads', the only place where the fast
// backend may use a second thread. Each step runs in tsgrad's `tidy` (training.js), which frees the
// step's tensors, GPU textures included, when it returns; between steps the page yields to repaint.
import * as tsgrad from '/dist/tsgrad.js';
import { BackwardPanel } from './backwardPanel.js';
import { DrawPanel } from './drawPanel.js';
import { Chart } from './chart.js';
import { GPU_MAX_BATCH, Trainer, gradientsOn, useDevice } from './training.js';

const DIGITS = new URL('/digits/', location.href).href;
const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A Trainer on this thread, with the async face of WorkerTrainer. */
class LocalTrainer {
  static async create(options) {
    const local = new LocalTrainer();
    local.trainer = await Trainer.create({ ...options, digitsUrl: DIGITS });
    local.device = local.trainer.deviceName;
    return local;
  }
  async step() {
    await nextTurn();
    if (tsgrad.getDevice() !== this.device) useDevice(this.device === 'cpu' ? 'cpu' : 'gpu'); // another panel may have switched
    return this.trainer.step();
  }
  async evaluate(count) { return this.trainer.evaluate(count); }
  async predict(pixels) { return this.trainer.predict(pixels); }
  stop() {}
}

/** A Trainer in trainWorker.js (the cpu device with threads). */
class WorkerTrainer {
  static async create(options) {
    const remote = new WorkerTrainer();
    remote.worker = new Worker(new URL('./trainWorker.js', import.meta.url), { type: 'module' });
    remote.calls = new Map();
    remote.worker.onmessage = ({ data }) => {
      const call = remote.calls.get(data.id);
      remote.calls.delete(data.id);
      if (data.error) call.reject(new Error(data.error)); else call.resolve(data.result);
    };
    const created = await remote.call('create', { options: { ...options, device: 'cpu', threads: 2, digitsUrl: DIGITS } });
    remote.device = `cpu, threads${created.crossOriginIsolated ? '' : ' (not isolated: one thread)'}`;
    return remote;
  }
  call(type, message) {
    const id = Math.random();
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, type, id });
    });
  }
  async step() { return (await this.call('steps', { count: 1 }))[0]; }
  evaluate(count) { return this.call('evaluate', { count }); }
  predict(pixels) { return this.call('predict', { pixels }); }
  stop() { this.worker.terminate(); }
}

/** Panel 2: train on the chosen device, with live curves and numbers. */
class TrainingPanel {
  constructor(root) {
    this.root = root;
    this.device = root.querySelector('select');
    this.batch = root.querySelector('input[name=batch]');
    this.button = root.querySelector('.train');
    this.status = root.querySelector('.status');
    this.numbers = root.querySelector('.numbers');
    this.lossChart = new Chart(root.querySelector('canvas.loss'), 'loss');
    this.accuracyChart = new Chart(root.querySelector('canvas.accuracy'), 'batch accuracy', [0, 1]);
    this.trainer = null;
    this.running = false;
    this.button.onclick = () => (this.running ? (this.running = false) : void this.train(Infinity));
    this.device.onchange = () => { this.trainer?.stop(); this.trainer = null; };
  }

  async ensureTrainer() {
    if (this.trainer) return this.trainer;
    const gpu = this.device.value === 'gpu';
    if (gpu && Number(this.batch.value) > GPU_MAX_BATCH) this.batch.value = String(GPU_MAX_BATCH); // see GPU_MAX_BATCH
    const options = { device: gpu ? 'gpu' : 'cpu', batchSize: Number(this.batch.value) };
    this.status.textContent = 'loading the 10,000 digits and compiling kernels...';
    this.trainer = this.device.value === 'cpu-threads' ? await WorkerTrainer.create(options) : await LocalTrainer.create(options);
    this.lossChart.clear();
    this.accuracyChart.clear();
    return this.trainer;
  }

  /** Trains `steps` steps (or until Stop), then tests on `heldOut` held-out digits; returns the records. */
  async train(steps, heldOut = 1000) {
    const trainer = await this.ensureTrainer();
    this.running = true;
    this.button.textContent = 'Stop';
    const records = [];
    try {
      for (let i = 0; i < steps && this.running; i++) {
        const record = await trainer.step();
        records.push(record);
        this.show(trainer, record);
      }
      this.status.textContent = heldOut > 0
        ? `held-out accuracy (${heldOut} digits): ${((await trainer.evaluate(heldOut)) * 100).toFixed(1)}%`
        : `trained ${records.length} steps`;
    } finally {
      this.running = false;
      this.button.textContent = 'Train';
    }
    return records;
  }

  show(trainer, { step, loss, accuracy, ms, gflops, memory }) {
    this.lossChart.add(step, loss);
    this.accuracyChart.add(step, accuracy);
    this.numbers.textContent = `device ${trainer.device} · step ${step} · loss ${loss.toFixed(3)} · ` +
      `${ms.toFixed(0)} ms/step · ${gflops.toFixed(2)} GFLOP/s` +
      (memory.liveBuffers ? ` · ${memory.liveBuffers} textures live (${(memory.liveBytes / 2 ** 20).toFixed(1)} MiB)` : '');
  }
}

const backward = new BackwardPanel(document.querySelector('#backward'));
const training = new TrainingPanel(document.querySelector('#training'));
const drawing = new DrawPanel(document.querySelector('#draw'), async (pixels) => (training.trainer ? training.trainer.predict(pixels) : null));
document.querySelector('#environment').textContent =
  `cross-origin isolated: ${self.crossOriginIsolated ? 'yes (threads possible in a worker)' : 'no (one thread)'} · ` +
  `WebGL2: ${tsgrad.nn ? (document.createElement('canvas').getContext('webgl2') ? 'yes' : 'no') : '?'} · ` +
  `WebGPU: ${navigator.gpu ? 'yes' : 'no'}`;

/** What the browser test drives. */
window.tsgradPage = {
  tsgrad,
  ready: backward.load(),
  backward,
  drawing,
  /** Trains `steps` steps on 'cpu', 'cpu-threads' or 'gpu' with a fresh model; returns the records. */
  async train(device, steps, batchSize = 64, heldOut = 0) {
    training.trainer?.stop();
    training.trainer = null;
    training.device.value = device;
    training.batch.value = String(batchSize);
    return training.train(steps, heldOut);
  },
  /** The largest |gpu − cpu| over all parameter gradients of one seeded model and batch. */
  async compareGradients() {
    const cpu = await gradientsOn('cpu', DIGITS);
    const gpu = await gradientsOn('gpu', DIGITS);
    let worst = 0;
    cpu.forEach((values, k) => values.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - gpu[k][i])); }));
    useDevice('cpu');
    return { worst, parameters: cpu.length, values: cpu.reduce((n, v) => n + v.length, 0) };
  },
};
