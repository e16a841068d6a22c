/**
 * A seeded, bounded fuzz test of every reader: IDX (plain and gzipped), Kaggle CSV, the npm digits
 * JSON, safetensors and checkpoints. Each mutant of a valid file (bytes flipped, cut, inserted,
 * repeated; header fields and metadata replaced by odd JSON values) must either load or throw a
 * named error for that file (DataFormatError, or CheckpointError for a checkpoint that does not fit),
 * never another error type, a hang or a crash; and a checkpoint load that fails must leave the model,
 * optimizer and scheduler as they were. The seed makes every run the same: a failure prints the
 * mutant's number, so it can be reproduced.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { Tensor, manualSeed, nn, optim, tensor } from '../src';
import { readDigitFile } from '../src/nn/data/npmMnist';

const { DataFormatError, SeededRandom } = nn.data;

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'tsgrad-fuzz-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ---- mutations ----------------------------------------------------------------------------------

/** Values that break assumptions when they replace a header field or a setting. */
const ODD_VALUES: unknown[] = [null, -1, 0, 1.5, 1e20, 2 ** 32, -0.5, '', 'x', 'F16', true, [], [1], [2, 2], [0, 1e15], [-4, 4], {}, { a: 1 }, '__proto__'];
/** Tokens that break assumptions when inserted into text. */
const ODD_TOKENS = ['', ',', ',,', '\n', '\r\n', '-1', '256', '1e309', 'NaN', 'null', '"', '[', ']', '{', '}', '0.5', '99999999999', ' ', '\u0000', 'é'];

function pick<T>(rng: InstanceType<typeof SeededRandom>, list: readonly T[]): T {
  return list[rng.int(0, list.length - 1)];
}

/** One random byte-level change: flip bytes, cut, insert, delete, repeat a range, or write a random 32-bit word. */
function mutateBytes(bytes: Buffer, rng: InstanceType<typeof SeededRandom>): Buffer {
  const at = rng.int(0, Math.max(0, bytes.length - 1));
  const span = rng.int(1, 16);
  switch (rng.int(0, 5)) {
    case 0: {
      const out = Buffer.from(bytes);
      for (let i = 0; i < span && out.length > 0; i++) out[rng.int(0, out.length - 1)] = rng.int(0, 255);
      return out;
    }
    case 1: return bytes.subarray(0, at);
    case 2: return Buffer.concat([bytes.subarray(0, at), Buffer.from(Array.from({ length: span }, () => rng.int(0, 255))), bytes.subarray(at)]);
    case 3: return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + span)]);
    case 4: return Buffer.concat([bytes.subarray(0, at + span), bytes.subarray(at)]);
    default: {
      const out = Buffer.from(bytes);
      const word = pick(rng, [0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff, rng.int(0, 0xffffffff)]);
      const offset = 4 * rng.int(0, Math.max(0, Math.floor(out.length / 4) - 1));
      if (offset + 4 <= out.length) out.writeUInt32BE(word, offset);
      return out;
    }
  }
}

/** One random text-level change: replace or delete a range, insert an odd token, repeat or cut a line. */
function mutateText(text: string, rng: InstanceType<typeof SeededRandom>): string {
  const at = rng.int(0, Math.max(0, text.length - 1));
  const span = rng.int(1, 8);
  switch (rng.int(0, 4)) {
    case 0: return text.slice(0, at) + pick(rng, ODD_TOKENS) + text.slice(at + span);
    case 1: return text.slice(0, at) + pick(rng, ODD_TOKENS) + text.slice(at);
    case 2: return text.slice(0, at) + text.slice(at + span);
    case 3: {
      const lines = text.split('\n');
      const i = rng.int(0, lines.length - 1);
      lines.splice(i, 0, lines[i]);
      return lines.join('\n');
    }
    default: return text.slice(0, at);
  }
}

/** Replaces one field of one entry of a JSON object (or the entry itself) with an odd value. */
function mutateJson(value: Record<string, unknown>, rng: InstanceType<typeof SeededRandom>): void {
  const keys = Object.keys(value);
  if (keys.length === 0) return;
  const key = pick(rng, keys);
  const entry = value[key];
  if (typeof entry === 'object' && entry !== null && !Array.isArray(entry) && rng.next() < 0.8) {
    const inner = entry as Record<string, unknown>;
    const field = pick(rng, Object.keys(inner).length ? Object.keys(inner) : ['x']);
    if (Array.isArray(inner[field]) && rng.next() < 0.5) (inner[field] as unknown[])[rng.int(0, 2)] = pick(rng, ODD_VALUES);
    else inner[field] = pick(rng, ODD_VALUES);
  } else if (rng.next() < 0.2) {
    delete value[key];
  } else {
    value[key] = pick(rng, ODD_VALUES);
  }
}

// ---- the outcome of one mutant ---------------------------------------------------------------------

type Outcome = 'loaded' | 'named error';

/** Runs `read` on `file`: a success or a named error for that file is fine; anything else is reported. */
function outcome(file: string, read: () => void, failures: string[], label: string): Outcome | null {
  try {
    read();
    return 'loaded';
  } catch (e) {
    const named = (e instanceof DataFormatError || e instanceof nn.CheckpointError) && e.message.includes(file);
    if (named) return 'named error';
    failures.push(`${label}: ${(e as Error).constructor?.name}: ${(e as Error).message}`);
    return null;
  }
}

/** Writes `count` mutants of a file with `mutate`, reads each, and returns what happened. */
function fuzz(name: string, seed: number, count: number, mutate: (rng: InstanceType<typeof SeededRandom>, index: number) => Buffer | string,
  read: (file: string) => void): { failures: string[]; counts: Record<Outcome, number> } {
  const rng = new SeededRandom(seed);
  const failures: string[] = [];
  const counts: Record<Outcome, number> = { loaded: 0, 'named error': 0 };
  const file = join(dir, name);
  for (let i = 0; i < count; i++) {
    writeFileSync(file, mutate(rng, i));
    const result = outcome(file, () => read(file), failures, `${name} mutant ${i} (seed ${seed})`);
    if (result) counts[result] += 1;
  }
  return { failures, counts };
}

// ---- valid files to start from ---------------------------------------------------------------------

function idxBytes(dims: number[], values: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(values)]);
}
const IMAGES = idxBytes([3, 2, 2], Array.from({ length: 12 }, (_, i) => i * 20));
const LABELS = idxBytes([3], [2, 0, 1]);
const CSV = ['label,pixel0,pixel1,pixel2,pixel3', '3,0,128,255,7', '9,1,2,3,4', '0,255,255,0,0', ''].join('\n');
const DIGITS = JSON.stringify({ data: Array.from({ length: 2 * 784 }, (_, i) => Math.round(((i * 37) % 1000) / 1000 * 1000) / 1000) });

class Net extends nn.Module {
  fc1 = new nn.Linear(3, 4);
  bn = new nn.BatchNorm1d(4);
  fc2 = new nn.Linear(4, 2);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.bn.forward(this.fc1.forward(x)).relu());
  }
}

function run(): { model: Net; optimizer: optim.Adam; scheduler: optim.OneCycleLR } {
  manualSeed(1);
  const model = new Net();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  return { model, optimizer, scheduler: new optim.OneCycleLR(optimizer, { maxLr: 0.02, totalSteps: 20 }) };
}

/** A checkpoint of `run()` after two training steps, as bytes. */
function checkpointBytes(): Buffer {
  const r = run();
  for (let i = 0; i < 2; i++) {
    const loss = r.model.forward(Tensor.rand([5, 3])).crossEntropy(tensor([0, 1, 0, 1, 1]));
    r.optimizer.zeroGrad();
    loss.backward();
    r.optimizer.step();
    r.scheduler.step();
  }
  const file = join(dir, 'base.safetensors');
  nn.saveCheckpoint(file, r, { epoch: '1' });
  const { tensors, metadata } = nn.data.loadSafetensors(file);
  return nn.data.encodeSafetensors(tensors, metadata);
}

/** Parses a safetensors file's header, lets `edit` change it, and writes it back with a correct length. */
function editHeader(bytes: Buffer, edit: (header: Record<string, unknown>) => void): Buffer {
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + length)) as Record<string, unknown>;
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length), 0);
  return Buffer.concat([prefix, json, bytes.subarray(8 + length)]);
}

/** A safetensors file whose whole header is `value` (null, a number, an array...), with the data of `bytes`. */
function replaceHeader(bytes: Buffer, value: unknown): Buffer {
  const length = Number(bytes.readBigUInt64LE(0));
  const json = Buffer.from(JSON.stringify(value));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length), 0);
  return Buffer.concat([prefix, json, bytes.subarray(8 + length)]);
}

/** A change to a checkpoint's metadata: one field of the optimizer's or scheduler's JSON, or a metadata string. */
function mutateCheckpointMetadata(bytes: Buffer, rng: InstanceType<typeof SeededRandom>): Buffer {
  return editHeader(bytes, (header) => {
    const metadata = header.__metadata__ as Record<string, string>;
    const key = pick(rng, ['optimizer', 'optimizer', 'scheduler', 'format', 'epoch']);
    if (key === 'format' || key === 'epoch' || rng.next() < 0.1) {
      metadata[key] = rng.next() < 0.5 ? pick(rng, ODD_TOKENS) : mutateText(metadata[key] ?? '', rng);
      return;
    }
    const state = JSON.parse(metadata[key]) as Record<string, unknown>;
    mutateJson({ state } as Record<string, unknown>, rng);
    metadata[key] = JSON.stringify(state);
  });
}

// ---- the readers ----------------------------------------------------------------------------------

describe('fuzz: every mutant loads or throws a named error for its file', () => {
  const expectClean = ({ failures, counts }: ReturnType<typeof fuzz>): void => {
    expect(failures).toEqual([]);
    expect(counts['named error']).toBeGreaterThan(0);
  };

  it('IDX images and labels, plain (80 mutants)', () => {
    writeFileSync(join(dir, 'images-base'), IMAGES);
    writeFileSync(join(dir, 'labels-base'), LABELS);
    expectClean(fuzz('images-idx3-ubyte', 11, 40, (rng) => mutateBytes(IMAGES, rng), (f) => { nn.data.loadIdx(f, join(dir, 'labels-base')); }));
    expectClean(fuzz('labels-idx1-ubyte', 12, 40, (rng) => mutateBytes(LABELS, rng), (f) => { nn.data.loadIdx(join(dir, 'images-base'), f); }));
  });

  it('IDX gzipped: mutated data gzipped, and mutated gzip bytes (80 mutants)', () => {
    expectClean(fuzz('gz-data-images.gz', 13, 40, (rng) => gzipSync(mutateBytes(IMAGES, rng)), (f) => { nn.data.readIdx(f, nn.data.IMAGES_MAGIC); }));
    const gz = gzipSync(IMAGES);
    expectClean(fuzz('gz-bytes-images.gz', 14, 40, (rng) => mutateBytes(gz, rng), (f) => { nn.data.readIdx(f, nn.data.IMAGES_MAGIC); }));
  });

  it('Kaggle CSV (60 mutants)', () => {
    expectClean(fuzz('train.csv', 15, 60, (rng) => mutateText(rng.next() < 0.3 ? mutateText(CSV, rng) : CSV, rng), (f) => { nn.data.loadKaggleCsv(f); }));
  });

  it('npm digits JSON (60 mutants)', () => {
    const wholeValues = ['null', '[]', '"data"', '1', '{}', '{"data":null}', '{"data":[0.5]}'];
    const mutate = (rng: InstanceType<typeof SeededRandom>, i: number): string => (i < wholeValues.length ? wholeValues[i] : mutateText(DIGITS, rng));
    expectClean(fuzz('digits.json', 16, 60, mutate, (f) => { readDigitFile(f); }));
  });

  it('safetensors: bytes and header fields (80 mutants)', () => {
    const bytes = nn.data.encodeSafetensors({ a: tensor([[1, 2], [3, 4]]), b: tensor([5]), c: tensor([]) }, { note: 'x' });
    expectClean(fuzz('bytes.safetensors', 17, 40, (rng) => mutateBytes(bytes, rng), (f) => { nn.data.loadSafetensors(f); }));
    // The first mutants replace the whole header by each odd value in turn; the rest change one field.
    const mutateHeader = (rng: InstanceType<typeof SeededRandom>, i: number): Buffer =>
      (i < ODD_VALUES.length ? replaceHeader(bytes, ODD_VALUES[i]) : editHeader(bytes, (h) => mutateJson(h, rng)));
    expectClean(fuzz('header.safetensors', 18, 40, mutateHeader, (f) => { nn.data.loadSafetensors(f); }));
  });

  it('checkpoints: bytes, header fields and optimizer/scheduler metadata (90 mutants); a failed load changes nothing', () => {
    const bytes = checkpointBytes();
    const snapshot = (r: ReturnType<typeof run>): string => nn.data.encodeSafetensors({ ...r.model.stateDict(), ...r.optimizer.stateDict().buffers }).toString('base64') +
      JSON.stringify([r.optimizer.hyperparameters(), r.optimizer.stateDict().steps, r.scheduler.stateDict(), r.optimizer.lr]);
    const changed: string[] = [];
    const load = (f: string): void => {
      const target = run();
      const before = snapshot(target);
      try {
        nn.loadCheckpoint(f, target);
      } catch (e) {
        if (snapshot(target) !== before) changed.push(`${f}: ${(e as Error).message}`);
        throw e;
      }
    };
    const mutants: [number, (rng: InstanceType<typeof SeededRandom>, i: number) => Buffer][] = [
      [19, (rng) => mutateBytes(bytes, rng)],
      [20, (rng, i) => (i < 4 ? replaceHeader(bytes, ODD_VALUES[i]) : editHeader(bytes, (h) => mutateJson(h, rng)))],
      [21, (rng) => mutateCheckpointMetadata(bytes, rng)],
    ];
    for (const [seed, mutate] of mutants) expectClean(fuzz(`checkpoint-${seed}.safetensors`, seed, 30, mutate, load));
    expect(changed).toEqual([]);
  });
});
