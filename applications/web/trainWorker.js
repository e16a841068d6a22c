// The cpu device with threads: a Web Worker that owns a Trainer. Off the page's thread tsgrad may
// block in Atomics.wait, so its fast backend can hand half of each large matrix product to a second
// worker over shared WebAssembly memory (only in a cross-origin isolated page: see serveWeb.mjs).
// Messages in: create, steps, evaluate, predict; each is answered with { id, result } or { id, error }.
import * as tsgrad from '/dist/tsgrad.js';
import { Trainer } from './training.js';

let trainer = null;

const handlers = {
  async create({ options }) {
    tsgrad.setFastThreads(options.threads ?? 2);
    trainer = await Trainer.create(options);
    return { device: trainer.deviceName, crossOriginIsolated: self.crossOriginIsolated };
  },
  async steps({ count }) {
    const records = [];
    for (let i = 0; i < count; i++) {
      records.push(trainer.step());
      await new Promise((resolve) => setTimeout(resolve, 0)); // lets the helper worker start
    }
    return records;
  },
  evaluate: ({ count }) => trainer.evaluate(count),
  predict: ({ pixels }) => trainer.predict(pixels),
};

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ id: data.id, result: await handlers[data.type](data) });
  } catch (error) {
    self.postMessage({ id: data.id, error: String(error?.stack ?? error) });
  }
};
