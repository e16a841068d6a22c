/**
 * Reliability: loads that change nothing when they fail, optimizer and scheduler states checked on
 * load, safetensors edge cases, temp files of killed saves, learnMnist's resume settings, hostile
 * files (gzip bomb, FIFO, device, folder) and tensor sizes (memory measured in child processes).
 * docs/guarantees.md points at these tests by name.
 */
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createDeflateRaw, gzipSync } from 'zlib';
import { trainAndEvaluate, type MnistOptions } from '../applications/learnMnist';
import { MAX_CELLS } from '../src/data';
import { Tensor, manualSeed, nn, optim, tensor } from '../src';
import { MAX_FILE_BYTES } from '../src/nn/data/files';
import { readDigitFile } from '../src/nn/data/npmMnist';
import { tempFileName } from '../src/nn/data/safetensors';
import { lastJsonLine, PEAK_RSS_SOURCE, runChild, startChild } from './helpers/child';

const { DataFormatError } = nn.data;

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'tsgrad-reliability-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 5);
  bn = new nn.BatchNorm1d(5);
  fc2 = new nn.Linear(5, 3);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.bn.forward(this.fc1.forward(x)).relu());
  }
}

type Run = { model: Net; optimizer: optim.Optimizer; scheduler: optim.LRScheduler };

function adamRun(seed: number, totalSteps = 10): Run {
  manualSeed(seed);
  const model = new Net();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  return { model, optimizer, scheduler: new optim.OneCycleLR(optimizer, { maxLr: 0.02, totalSteps }) };
}

function train(run: Run, steps: number): void {
  for (let i = 0; i < steps; i++) {
    manualSeed(100 + i);
    const loss = run.model.forward(Tensor.rand([6, 4])).crossEntropy(tensor([0, 1, 2, 0, 1, 2]));
    run.optimizer.zeroGrad();
    loss.backward();
    run.optimizer.step();
    run.scheduler.step();
  }
}

/** Everything a load could change, as bytes and plain values: equal snapshots mean bit-for-bit equal state. */
function snapshot(run: Run): { model: Buffer; optimizer: Buffer; hyper: string; scheduler: string } {
  const { buffers, ...rest } = run.optimizer.stateDict();
  return {
    model: nn.data.encodeSafetensors(run.model.stateDict()),
    optimizer: nn.data.encodeSafetensors(buffers),
    hyper: JSON.stringify(rest),
    scheduler: JSON.stringify({ ...run.scheduler.stateDict(), lr: run.optimizer.lr }),
  };
}

/** A checkpoint of an Adam run after 3 steps. */
function savedAdamRun(name: string): string {
  const file = join(dir, name);
  const run = adamRun(1);
  train(run, 3);
  nn.saveCheckpoint(file, run);
  return file;
}

/** Rewrites a checkpoint with `edit` applied to its metadata and tensors. */
function editCheckpoint(file: string, name: string, edit: (c: nn.data.SafetensorsContents) => void): string {
  const contents = nn.data.loadSafetensors(file);
  edit(contents);
  const out = join(dir, name);
  writeFileSync(out, nn.data.encodeSafetensors(contents.tensors, contents.metadata));
  return out;
}

/** Runs `fn`, expects it to throw, and returns the error. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, got none');
}

describe('loadCheckpoint: a failed load changes nothing', () => {
  it('Adam checkpoint loaded with SGD: throws CheckpointError, model, optimizer and scheduler unchanged bit for bit', () => {
    const file = savedAdamRun('adam.safetensors');
    manualSeed(7);
    const model = new Net();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const target: Run = { model, optimizer, scheduler: new optim.OneCycleLR(optimizer, { maxLr: 0.2, totalSteps: 10 }) };
    train(target, 2);
    const before = snapshot(target);
    const error = thrown(() => nn.loadCheckpoint(file, target));
    expect(error).toBeInstanceOf(nn.CheckpointError);
    expect(error.message).toBe(`loadCheckpoint: ${file}: SGD.loadStateDict: the state was saved by Adam, not SGD`);
    expect(snapshot(target)).toEqual(before);
  });

  it.each([
    ['another model shape', (): Run => {
      const run = adamRun(3);
      run.model.fc2 = new nn.Linear(5, 4);
      run.optimizer = new optim.Adam(run.model.parameters(), { lr: 0.01 });
      run.scheduler = new optim.OneCycleLR(run.optimizer, { maxLr: 0.02, totalSteps: 10 });
      return run;
    }, /shape mismatch: fc2.weight: checkpoint \[3,5\], model \[4,5\]/],
    ['a scheduler of another kind', (): Run => {
      const run = adamRun(3);
      return { ...run, scheduler: new optim.StepLR(run.optimizer, { stepSize: 2 }) };
    }, /StepLR.loadStateDict: the state was saved by "OneCycleLR", not StepLR/],
    ['a one-cycle schedule shorter than the saved step count', (): Run => adamRun(3, 2), /lastEpoch 3 is past this schedule's end \(2 steps\)/],
    ['an optimizer over fewer parameters', (): Run => {
      const run = adamRun(3);
      run.optimizer = new optim.Adam(run.model.fc1.parameters(), { lr: 0.01 });
      return { ...run, scheduler: new optim.OneCycleLR(run.optimizer, { maxLr: 0.02, totalSteps: 10 }) };
    }, /the state has 6 parameters, this optimizer 2/],
  ])('%s: throws, names the file, changes nothing', (_name, make, message) => {
    const file = savedAdamRun('mismatch.safetensors');
    const target = make();
    train(target, 1);
    const before = snapshot(target);
    const error = thrown(() => nn.loadCheckpoint(file, target));
    expect(error).toBeInstanceOf(nn.CheckpointError);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(message);
    expect(snapshot(target)).toEqual(before);
  });

  it('a metadata check that throws stops the load before anything is written', () => {
    const file = savedAdamRun('checked.safetensors');
    const target = adamRun(9);
    const before = snapshot(target);
    expect(() => nn.loadCheckpoint(file, target, () => { throw new Error('not this run'); })).toThrow('not this run');
    expect(snapshot(target)).toEqual(before);
  });

  it('non-JSON optimizer or scheduler metadata is a DataFormatError naming the file and the key', () => {
    const file = savedAdamRun('json.safetensors');
    for (const key of ['optimizer', 'scheduler']) {
      const bad = editCheckpoint(file, `bad-${key}.safetensors`, (c) => { c.metadata[key] = '{"kind": "Adam",'; });
      const target = adamRun(2);
      const before = snapshot(target);
      const error = thrown(() => nn.loadCheckpoint(bad, target));
      expect(error).toBeInstanceOf(DataFormatError);
      expect(error.message).toMatch(new RegExp(`^${bad}: metadata "${key}": not valid JSON`));
      expect(snapshot(target)).toEqual(before);
    }
  });
});

describe('optimizer state is checked on load (kinds and ranges)', () => {
  const saved = (): { run: Run; state: optim.OptimizerState } => {
    const run = adamRun(5);
    train(run, 2);
    return { run, state: run.optimizer.stateDict() };
  };

  it.each([
    ['steps ["x", ...]', (s: optim.OptimizerState) => { (s.steps as unknown[])[0] = 'x'; }, 'steps[0] is "x"; expected an integer >= 0'],
    ['a fractional step', (s: optim.OptimizerState) => { s.steps[1] = 1.5; }, 'steps[1] is 1.5; expected an integer >= 0'],
    ['steps of the wrong length', (s: optim.OptimizerState) => { s.steps.pop(); }, 'the state has 5 parameters, this optimizer 6'],
    ['betas [2, 2]', (s: optim.OptimizerState) => { s.hyper.betas = [2, 2]; }, 'hyperparameter betas[0] must be a number in [0, 1), got 2'],
    ['betas of one number', (s: optim.OptimizerState) => { s.hyper.betas = [0.9]; }, 'hyperparameter betas must be two numbers, got [0.9]'],
    ['a negative lr', (s: optim.OptimizerState) => { s.hyper.lr = -0.1; }, 'hyperparameter lr must be a number >= 0, got -0.1'],
    ['a NaN lr', (s: optim.OptimizerState) => { s.hyper.lr = NaN; }, 'hyperparameter lr must be a number >= 0, got NaN'],
    ['eps as a string', (s: optim.OptimizerState) => { (s.hyper as Record<string, unknown>).eps = '1e-8'; }, 'hyperparameter eps must be a number >= 0, got "1e-8"'],
    ['a buffer holding NaN', (s: optim.OptimizerState) => { s.buffers['0.expAvg'] = Tensor.full(s.buffers['0.expAvg'].shape, NaN); }, "buffer '0.expAvg' holds NaN or infinite values"],
    ['a negative second moment', (s: optim.OptimizerState) => { s.buffers['1.expAvgSq'] = Tensor.full(s.buffers['1.expAvgSq'].shape, -1); }, "buffer '1.expAvgSq' holds negative values"],
    ['a buffer of another kind', (s: optim.OptimizerState) => { s.buffers['0.momentumBuffer'] = s.buffers['0.expAvg']; }, "unexpected buffer '0.momentumBuffer'"],
    ['a buffer of the wrong shape', (s: optim.OptimizerState) => { s.buffers['0.expAvg'] = Tensor.zeros([2]); }, "buffer '0.expAvg' has shape [2], parameter 0 has [5,4]"],
    ['a buffer for a parameter that never stepped', (s: optim.OptimizerState) => { s.steps[0] = 0; }, "buffer '0.expAvg' belongs to parameter 0, whose step count is 0"],
  ])('%s is refused and the optimizer keeps its state', (_name, corrupt, message) => {
    const { run, state } = saved();
    corrupt(state);
    const before = snapshot(run);
    expect(() => run.optimizer.loadStateDict(state)).toThrow(message);
    expect(snapshot(run)).toEqual(before);
  });

  it('the same corruptions in a checkpoint file are refused by loadCheckpoint (CheckpointError naming the file)', () => {
    const file = savedAdamRun('state.safetensors');
    const edits: [string, (o: Record<string, unknown>) => void][] = [
      ['steps', (o) => { (o.steps as unknown[])[0] = 'x'; }],
      ['betas', (o) => { (o.hyper as Record<string, unknown>).betas = [2, 2]; }],
      ['lr', (o) => { (o.hyper as Record<string, unknown>).lr = -1; }],
      ['nan', (o) => { (o.hyper as Record<string, unknown>).eps = null; }], // JSON writes NaN as null
    ];
    for (const [name, edit] of edits) {
      const bad = editCheckpoint(file, `state-${name}.safetensors`, (c) => {
        const o = JSON.parse(c.metadata.optimizer) as Record<string, unknown>;
        edit(o);
        c.metadata.optimizer = JSON.stringify(o);
      });
      const target = adamRun(6);
      const before = snapshot(target);
      const error = thrown(() => nn.loadCheckpoint(bad, target));
      expect(error).toBeInstanceOf(nn.CheckpointError);
      expect(error.message).toContain(bad);
      expect(snapshot(target)).toEqual(before);
    }
  });

  it('SGD settings are checked too: nesterov needs momentum, and must be a boolean', () => {
    const p = [Tensor.zeros([2], { requiresGrad: true })];
    const sgd = new optim.SGD(p, { lr: 0.1, momentum: 0.9 });
    const state = sgd.stateDict();
    expect(() => sgd.loadStateDict({ ...state, hyper: { ...state.hyper, momentum: 0, nesterov: true } })).toThrow('nesterov needs momentum > 0 and dampening 0');
    expect(() => sgd.loadStateDict({ ...state, hyper: { ...state.hyper, nesterov: 1 as unknown as boolean } })).toThrow('hyperparameter nesterov must be true or false, got 1');
    expect(() => sgd.loadStateDict(null as unknown as optim.OptimizerState)).toThrow(TypeError);
  });
});

describe('safetensors edge cases', () => {
  /** A safetensors file whose header is the given JSON text. */
  const withHeader = (name: string, json: string): string => {
    const padded = json + ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
    const bytes = Buffer.alloc(8 + padded.length);
    bytes.writeBigUInt64LE(BigInt(padded.length), 0);
    bytes.write(padded, 8);
    const file = join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };

  it.each([['null', 'null'], ['a number', '42'], ['an array', '[1, 2]'], ['a string', '"header"']])('a header that is %s is a DataFormatError', (kind, json) => {
    const file = withHeader(`header-${kind.replace(' ', '-')}.safetensors`, json);
    const error = thrown(() => nn.data.loadSafetensors(file));
    expect(error).toBeInstanceOf(DataFormatError);
    expect(error.message).toBe(`${file}: byte 8: the header is ${kind}; expected a JSON object of tensor entries`);
  });

  it('tensors named __proto__, constructor and toString round-trip as ordinary keys', () => {
    const tensors = Object.fromEntries([['__proto__', tensor([1, 2])], ['constructor', tensor([3])], ['toString', tensor([[4]])], ['w', tensor([5])]]);
    const file = join(dir, 'names.safetensors');
    nn.data.saveSafetensors(file, tensors, { hasOwnProperty: 'yes' });
    const back = nn.data.loadSafetensors(file);
    expect(Object.keys(back.tensors).sort()).toEqual(['__proto__', 'constructor', 'toString', 'w']);
    expect(back.tensors['__proto__'].toArray()).toEqual([1, 2]);
    expect(back.tensors['constructor'].toArray()).toEqual([3]);
    expect(back.tensors['toString'].toArray()).toEqual([[4]]);
    expect(back.metadata.hasOwnProperty).toBe('yes');
  });

  it('a checkpoint tensor named model.constructor is an unexpected key, not a property of Object.prototype', () => {
    const file = savedAdamRun('proto.safetensors');
    const bad = editCheckpoint(file, 'proto-bad.safetensors', (c) => { c.tensors['model.constructor'] = tensor([1]); });
    const target = adamRun(8);
    const before = snapshot(target);
    expect(() => nn.loadCheckpoint(bad, target)).toThrow('unexpected keys: constructor');
    expect(snapshot(target)).toEqual(before);
  });
});

describe('temp files of killed saves', () => {
  /** The pid of a process that has exited. */
  const deadPid = (): number => {
    const child = execFileSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    return Number(child.trim());
  };

  it('the next save removes a dead process\'s temp file and keeps a live process\'s', () => {
    const file = join(dir, 'planted.safetensors');
    const dead = tempFileName(file, deadPid());
    const live = tempFileName(file, process.ppid);
    const other = join(dir, '.other.safetensors.1.tmp');
    for (const f of [dead, live, other]) writeFileSync(f, 'partial');
    nn.data.saveSafetensors(file, { w: tensor([1]) });
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true); // another file's temp file is not this save's business
    expect(nn.data.loadSafetensors(file).tensors.w.toArray()).toEqual([1]);
  });

  it('a save killed with SIGKILL mid-write leaves the old file intact; the next save removes its temp file', async () => {
    const file = join(dir, 'killed.safetensors');
    nn.data.saveSafetensors(file, { w: tensor([1, 2, 3]) });
    const script = `
      const { writeSync } = require('fs');
      const { nn, tensor } = require('./src');
      nn.data.saveSafetensors(${JSON.stringify(file)}, { w: tensor([7, 8, 9, 10]) }, {}, {
        write: (fd, bytes) => {
          writeSync(fd, bytes, 0, bytes.length >> 1);
          console.log('writing');
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // blocks until killed
        },
      });`;
    const child = startChild(script);
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => { if (chunk.toString().includes('writing')) resolve(); });
        child.on('exit', (code) => reject(new Error(`the child exited (${code}) before writing`)));
      });
      expect(existsSync(tempFileName(file, child.pid as number))).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    const temp = tempFileName(file, child.pid as number);
    expect(existsSync(temp)).toBe(true);
    expect(nn.data.loadSafetensors(file).tensors.w.toArray()).toEqual([1, 2, 3]);
    nn.data.saveSafetensors(file, { w: tensor([4]) });
    expect(existsSync(temp)).toBe(false);
    expect(nn.data.loadSafetensors(file).tensors.w.toArray()).toEqual([4]);
  }, 60_000);
});

describe('learnMnist --resume refuses other settings', () => {
  const base: MnistOptions = { model: 'small', epochs: 2, batchSize: 32, trainLimit: 64, testLimit: 20, seed: 3, holdout: 100, progress: null, log: () => undefined };
  let file = '';
  beforeAll(async () => {
    file = join(dir, 'mnist.safetensors');
    await trainAndEvaluate({ ...base, save: file, stopAfter: 1 });
  }, 120_000);

  it.each([
    [{ lr: 0.01 }, ['--lr: the checkpoint has 0.012, this run 0.01']],
    [{ batchSize: 16, epochs: 3 }, ['--epochs: the checkpoint has 2, this run 3', '--batch-size: the checkpoint has 32, this run 16']],
    [{ seed: 4, augment: false }, ['--seed: the checkpoint has 3, this run 4', '--augment / --no-augment: the checkpoint has on, this run off']],
    [{ trainLimit: 320 }, ['--train-limit: the checkpoint has 64, this run 320']],
    [{ holdout: 200, model: 'medium' as const }, ['--model: the checkpoint has small, this run medium', '--holdout: the checkpoint has 100, this run 200']],
  ])('%j is refused, naming each flag', async (change, messages) => {
    const error = await trainAndEvaluate({ ...base, ...change, resume: file }).then(() => null, (e: Error) => e);
    expect(error?.message).toMatch(new RegExp(`^--resume ${file}: the run was saved with other settings`));
    for (const m of messages) expect(error?.message).toContain(m);
  }, 60_000);

  it('the same settings resume (where and how far it runs may change)', async () => {
    const lines: string[] = [];
    await trainAndEvaluate({ ...base, resume: file, testLimit: 10, log: (l) => lines.push(l) });
    expect(lines).toContain(`resumed from ${file} after epoch 1`);
  }, 120_000);
});

describe('hostile files', () => {
  /** An IDX images header for `count` images of 28x28. */
  const imagesHeader = (count: number): Buffer => {
    const header = Buffer.alloc(16);
    [2051, count, 28, 28].forEach((v, i) => header.writeUInt32BE(v, 4 * i));
    return header;
  };

  /** A raw deflate stream of `megabytes` MB of zeros after `head`, built 1 MB at a time. */
  const deflatedZeros = async (head: Buffer, megabytes: number): Promise<Buffer> => {
    const deflate = createDeflateRaw({ level: 9 });
    const chunks: Buffer[] = [];
    deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
    const done = new Promise((resolve) => deflate.on('end', resolve));
    deflate.write(head);
    const zeros = Buffer.alloc(1 << 20);
    for (let i = 0; i < megabytes; i++) deflate.write(zeros);
    deflate.end();
    await done;
    return Buffer.concat(chunks);
  };

  it('gzip bombs (2 MB inflating to 2 GB; one behind a 300 KB file name) are refused after inflating no more than the header declares', async () => {
    // gzip members concatenate: one member with the header and one image, then 2000 members of 1 MB of zeros each.
    const megabyte = gzipSync(Buffer.alloc(1 << 20));
    const members = Buffer.concat([gzipSync(Buffer.concat([imagesHeader(1), Buffer.alloc(784)])), ...Array.from({ length: 2000 }, () => megabyte)]);
    // One member whose header carries a long file name (FNAME), so that the first prefixes inflate to nothing.
    const name = Buffer.concat([Buffer.alloc(300_000, 'a'), Buffer.from([0])]);
    const named = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]), name, await deflatedZeros(Buffer.concat([imagesHeader(1), Buffer.alloc(784)]), 1000), Buffer.alloc(8)]);
    const files = [['members-images-idx3-ubyte.gz', members], ['named-images-idx3-ubyte.gz', named]] as const;
    for (const [fileName, bytes] of files) {
      writeFileSync(join(dir, fileName), bytes);
      expect(bytes.length).toBeLessThan(4e6);
    }
    // In a fresh process, so that the peak memory is this read's.
    const script = `
      const { nn } = require('./src');
      ${PEAK_RSS_SOURCE}
      const rss = process.memoryUsage().rss;
      const messages = ${JSON.stringify(files.map(([f]) => join(dir, f)))}.map((file) => {
        try { nn.data.readIdx(file, nn.data.IMAGES_MAGIC); return 'loaded'; } catch (e) { return e.name + ': ' + e.message; }
      });
      console.log(JSON.stringify({ messages, peak: peakRss() - rss }));`;
    const { messages, peak } = lastJsonLine<{ messages: string[]; peak: number }>(runChild(script));
    files.forEach(([fileName, bytes], i) => {
      expect(messages[i]).toBe(`DataFormatError: ${join(dir, fileName)}: gzip data (${bytes.length} bytes): inflates to more than the 800 bytes its IDX header declares; refused (a corrupt file or a gzip bomb)`);
    });
    expect(peak).toBeLessThan(64e6);
  }, 60_000);

  it('a .gz IDX file inflates normally when its size matches the header', () => {
    const file = join(dir, 'ok-images-idx3-ubyte.gz');
    writeFileSync(file, gzipSync(Buffer.concat([imagesHeader(2), Buffer.alloc(2 * 784, 7)])));
    const { dims, values } = nn.data.readIdx(file, nn.data.IMAGES_MAGIC);
    expect(dims).toEqual([2, 28, 28]);
    expect(values.every((v) => v === 7)).toBe(true);
  });

  const readers: [string, (file: string) => unknown][] = [
    ['readIdx', (f) => nn.data.readIdx(f, nn.data.IMAGES_MAGIC)],
    ['loadKaggleCsv', (f) => nn.data.loadKaggleCsv(f)],
    ['readDigitFile', (f) => readDigitFile(f)],
    ['loadSafetensors', (f) => nn.data.loadSafetensors(f)],
    ['loadCheckpoint', (f) => nn.loadCheckpoint(f, adamRun(1))],
  ];

  it.each(readers)('%s refuses a FIFO, a device and a folder at once, naming the file', (_name, read) => {
    const fifo = join(dir, 'fifo');
    if (!existsSync(fifo)) execFileSync('mkfifo', [fifo]);
    const folder = join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    for (const [path, kind] of [[fifo, 'FIFO (named pipe)'], ['/dev/zero', 'device'], [folder, 'folder']]) {
      const error = thrown(() => read(path));
      expect(error).toBeInstanceOf(DataFormatError);
      expect(error.message).toBe(`${path}: open: this is a ${kind}, not a regular file; expected a data file`);
    }
  });

  it('a file larger than one Node Buffer is refused before it is read (a sparse file, no disk used)', () => {
    const file = join(dir, 'huge-images-idx3-ubyte');
    writeFileSync(file, '');
    truncateSync(file, MAX_FILE_BYTES + 1);
    for (const read of [(f: string) => nn.data.readIdx(f, nn.data.IMAGES_MAGIC), (f: string) => nn.data.loadSafetensors(f)]) {
      const error = thrown(() => read(file));
      expect(error).toBeInstanceOf(DataFormatError);
      expect(error.message).toBe(`${file}: open: the file has ${MAX_FILE_BYTES + 1} bytes; a reader takes at most ${MAX_FILE_BYTES} (one Node Buffer)`);
    }
    rmSync(file);
  });

  it('the npm digits reader names the file for JSON null (it used to throw a TypeError)', () => {
    const file = join(dir, 'null.json');
    writeFileSync(file, 'null');
    expect(thrown(() => readDigitFile(file))).toBeInstanceOf(DataFormatError);
  });
});

describe('tensor sizes', () => {
  it.each([
    ['zeros', () => Tensor.zeros([1e6, 1e6]), 'zeros: shape [1000000,1000000] has 1000000000000 cells (4000000000000 bytes of float32); a tensor holds at most 2147483647 (2^31 - 1) cells'],
    ['full', () => Tensor.full([65536, 32768], 1), 'full: shape [65536,32768] has 2147483648 cells'],
    ['ones', () => Tensor.ones([3e9]), 'ones: shape [3000000000] has 3000000000 cells'],
    ['arange', () => Tensor.arange(0, 3e9), 'arange: shape [3000000000] has 3000000000 cells'],
    ['eye', () => Tensor.eye(50000), 'eye: shape [50000,50000] has 2500000000 cells'],
    ['rand', () => Tensor.rand([1e5, 1e5]), 'rand: shape [100000,100000] has 10000000000 cells'],
    ['randn', () => Tensor.randn([1e5, 1e5]), 'randn: shape [100000,100000] has 10000000000 cells'],
    ['a result', () => Tensor.zeros([1]).expand([1e5, 1e5]).exp(), 'result: shape [100000,100000] has 10000000000 cells'],
  ])('%s past MAX_CELLS is refused before allocating, naming the op and the size', (_name, make, message) => {
    expect(MAX_CELLS).toBe(2 ** 31 - 1);
    const error = thrown(make);
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toContain(message);
  });

  it('arange and eye refuse non-finite bounds and bad sizes', () => {
    expect(() => Tensor.arange(0, Infinity)).toThrow('arange: start and stop must be finite numbers, got 0 and Infinity');
    expect(() => Tensor.eye(2.5)).toThrow('eye: shape [2.5,2.5] must be a list of non-negative integers');
  });

  it.each([
    ['Tensor.arange(0, 5e7)', 5e7],
    ['Tensor.eye(7000)', 49e6],
    ['Tensor.zeros([5e7])', 5e7],
    ['Tensor.full([7000, 7000], 2)', 49e6],
  ])('%s in a process with a 200 MB heap peaks at under 1.5x the result', (expression, cells) => {
    // The old arange and eye built a JS array of every value: 5e7 numbers alone need 400 MB of heap.
    const script = `
      const { Tensor } = require('./src');
      ${PEAK_RSS_SOURCE}
      Tensor.zeros([1]).add(1);
      global.gc();
      const rss = process.memoryUsage().rss;
      const t = ${expression};
      const peak = peakRss() - rss;
      console.log(JSON.stringify({ peak, rss, shape: t.shape }));`;
    const result = runChild(script, ['--expose-gc', '--max-old-space-size=200']);
    const { peak, shape } = lastJsonLine<{ peak: number; shape: number[] }>(result);
    expect(shape.reduce((a, b) => a * b, 1)).toBe(cells);
    expect(peak).toBeLessThan(1.5 * cells * 4);
  }, 60_000);

  it('values are right at the edges', () => {
    expect(Tensor.arange(3).toArray()).toEqual([0, 1, 2]);
    expect(Tensor.arange(1, 0, -0.5).toArray()).toEqual([1, 0.5]);
    expect(Tensor.eye(3, 1).toArray()).toEqual([[1], [0], [0]]);
    expect(Tensor.eye(0).shape).toEqual([0, 0]);
    expect(Tensor.full([2], Math.PI).toArray()).toEqual([Math.fround(Math.PI), Math.fround(Math.PI)]);
  });
});

describe('the readers still read files written before these checks', () => {
  it('a checkpoint saved by saveCheckpoint loads into a matching run', () => {
    const file = savedAdamRun('roundtrip.safetensors');
    const target = adamRun(11);
    nn.loadCheckpoint(file, target);
    const source = adamRun(1);
    train(source, 3);
    expect(snapshot(target)).toEqual(snapshot(source));
    expect(readFileSync(file).length).toBeGreaterThan(0);
  });
});
