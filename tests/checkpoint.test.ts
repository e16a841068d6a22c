/**
 * Checkpoints: the safetensors layout byte by byte, a model + optimizer + scheduler round trip that
 * continues training identically, malformed files, and the interrupted save (a failing write or
 * rename) that must leave the previous checkpoint intact.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Tensor, manualSeed, nn, optim, tensor } from '../src';

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'tsgrad-ckpt-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class Net extends nn.Module {
  conv = new nn.Conv2d(1, 2, 3);
  bn = new nn.BatchNorm2d(2);
  fc = new nn.Linear(8, 3);
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.bn.forward(this.conv.forward(x)).relu().maxPool2d(2).flatten(1));
  }
}

/** A fresh model, optimizer and scheduler; the same seed gives the same weights. */
function setup(seed: number): { model: Net; optimizer: optim.Adam; scheduler: optim.OneCycleLR } {
  manualSeed(seed);
  const model = new Net();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  const scheduler = new optim.OneCycleLR(optimizer, { maxLr: 0.02, totalSteps: 10 });
  return { model, optimizer, scheduler };
}

function trainStep(s: ReturnType<typeof setup>, seed: number): number {
  manualSeed(seed);
  const x = Tensor.rand([4, 1, 6, 6]);
  const loss = s.model.forward(x).crossEntropy(tensor([0, 1, 2, 1]));
  s.optimizer.zeroGrad();
  loss.backward();
  s.optimizer.step();
  s.scheduler.step();
  return loss.item();
}

describe('safetensors format', () => {
  it('writes an 8-byte little-endian header length, a JSON header padded to 8 bytes, then little-endian float32', () => {
    const bytes = nn.data.encodeSafetensors({ b: tensor([1.5, -2]), a: tensor([[0.25]]) }, { note: 'hi' });
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength));
    expect(header).toEqual({
      __metadata__: { note: 'hi' },
      a: { dtype: 'F32', shape: [1, 1], data_offsets: [0, 4] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    });
    const data = bytes.subarray(8 + headerLength);
    expect([data.readFloatLE(0), data.readFloatLE(4), data.readFloatLE(8)]).toEqual([0.25, 1.5, -2]);
    const back = nn.data.decodeSafetensors(bytes, 'memory');
    expect(back.metadata).toEqual({ note: 'hi' });
    expect(back.tensors.b.toArray()).toEqual([1.5, -2]);
    expect(back.tensors.a.shape).toEqual([1, 1]);
  });

  it('malformed files are errors naming the file, the place and what was expected', () => {
    const good = nn.data.encodeSafetensors({ w: tensor([1, 2, 3]) });
    const headerLength = Number(good.readBigUInt64LE(0));
    expect(() => nn.data.decodeSafetensors(good.subarray(0, 5), 'f')).toThrow('f: byte 5: the file ends inside the 8-byte header length; expected a safetensors file');
    expect(() => nn.data.decodeSafetensors(good.subarray(0, 20), 'f')).toThrow(`f: byte 0: header length ${headerLength} runs past the end of the file (20 bytes); the file is truncated or not safetensors`);
    expect(() => nn.data.decodeSafetensors(good.subarray(0, good.length - 4), 'f')).toThrow('f: header entry "w": data_offsets [0,12] run past the data (8 bytes); the file is truncated');
    const withHeader = (header: object, data = Buffer.alloc(0)): Buffer => {
      const json = Buffer.from(JSON.stringify(header));
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(json.length));
      return Buffer.concat([length, json, data]);
    };
    expect(() => nn.data.decodeSafetensors(withHeader({ w: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, Buffer.alloc(2)), 'f')).toThrow('f: header entry "w": dtype "F16"; tsgrad reads only F32');
    expect(() => nn.data.decodeSafetensors(withHeader({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, Buffer.alloc(4)), 'f')).toThrow('f: header entry "w": data_offsets [0,4]; expected [begin, begin + 8] for shape [2] of float32');
    expect(() => nn.data.decodeSafetensors(withHeader({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, Buffer.alloc(8)), 'f')).toThrow(/f: byte \d+: tensor "w" starts at data offset 4; expected 0 \(no gaps or overlaps\)/);
    const bad = Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{x}')]);
    expect(() => nn.data.decodeSafetensors(bad, 'f')).toThrow(/^f: byte 8: the header is not valid JSON/);
  });
});

describe('checkpoints', () => {
  it('a saved and reloaded run continues exactly like the uninterrupted one', () => {
    const a = setup(1);
    for (let i = 0; i < 3; i++) trainStep(a, 100 + i);
    const file = join(dir, 'run.safetensors');
    nn.saveCheckpoint(file, a, { epoch: '3' });

    const b = setup(2); // different initial weights: everything must come from the file
    const metadata = nn.loadCheckpoint(file, b);
    expect(metadata.epoch).toBe('3');
    expect(b.scheduler.lastEpoch).toBe(3);
    expect(b.optimizer.lr).toBe(a.optimizer.lr);
    expect(b.optimizer.betas).toEqual(a.optimizer.betas);
    for (let i = 3; i < 6; i++) expect(trainStep(b, 100 + i)).toBe(trainStep(a, 100 + i));
    for (const [name, t] of Object.entries(a.model.stateDict())) expect(b.model.stateDict()[name].toArray()).toEqual(t.toArray());
  });

  it('names tensors model.* and optimizer.*, and keeps the optimizer and scheduler state in __metadata__', () => {
    const s = setup(1);
    trainStep(s, 1);
    const file = join(dir, 'names.safetensors');
    nn.saveCheckpoint(file, s);
    const { tensors, metadata } = nn.data.loadSafetensors(file);
    expect(Object.keys(tensors)).toContain('model.bn.runningMean');
    expect(Object.keys(tensors)).toContain('optimizer.0.expAvgSq');
    expect(metadata.format).toBe(nn.CHECKPOINT_FORMAT);
    expect(JSON.parse(metadata.optimizer)).toMatchObject({ kind: 'Adam', steps: [1, 1, 1, 1, 1, 1] });
    expect(JSON.parse(metadata.scheduler)).toEqual({ kind: 'OneCycleLR', lastEpoch: 1 });
  });

  it('loading errors say what is missing', () => {
    const s = setup(1);
    const modelOnly = join(dir, 'model-only.safetensors');
    nn.saveCheckpoint(modelOnly, { model: s.model });
    expect(() => nn.loadCheckpoint(modelOnly, s)).toThrow(`loadCheckpoint: ${modelOnly}: holds no optimizer state (it was saved without an optimizer)`);
    const plain = join(dir, 'plain.safetensors');
    nn.data.saveSafetensors(plain, { w: tensor([1]) });
    expect(() => nn.loadCheckpoint(plain, s)).toThrow(`${plain}: metadata "format": undefined; expected "tsgrad-checkpoint-1" (a file written by saveCheckpoint)`);
    class Other extends nn.Module { fc = new nn.Linear(8, 4); forward(x: Tensor): Tensor { return x; } }
    expect(() => nn.loadCheckpoint(modelOnly, { model: new Other() })).toThrow(/loadStateDict \(Other\): unexpected keys: bn.bias, .*conv.weight. shape mismatch: fc.weight: checkpoint \[3,8\], model \[4,8\]/);
  });

  describe('an interrupted save leaves the previous checkpoint intact', () => {
    let file = '';
    let before: Buffer;
    beforeEach(() => {
      file = join(mkdtempSync(join(dir, 'crash-')), 'model.safetensors');
      nn.saveCheckpoint(file, setup(1));
      before = readFileSync(file);
    });
    const filesIn = (path: string): string[] => readdirSync(join(path, '..'));

    it('a write that fails halfway (disk full, crash) does not touch the old file and leaves no temp file', () => {
      const halfThenFail = (fd: number, bytes: Buffer): void => {
        writeSync(fd, bytes, 0, bytes.length >> 1);
        throw new Error('ENOSPC: simulated crash during write');
      };
      const s = setup(2);
      expect(() => nn.saveCheckpoint(file, s, {}, { write: halfThenFail })).toThrow('ENOSPC: simulated crash during write');
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(filesIn(file)).toEqual(['model.safetensors']);
      const reloaded = setup(3);
      nn.loadCheckpoint(file, reloaded);
      expect(reloaded.model.fc.weight.toArray()).toEqual(setup(1).model.fc.weight.toArray());
    });

    it('a crash after the write but before the rename keeps the old file', () => {
      const crash = (): void => { throw new Error('simulated crash before rename'); };
      expect(() => nn.saveCheckpoint(file, setup(2), {}, { rename: crash })).toThrow('simulated crash before rename');
      expect(readFileSync(file).equals(before)).toBe(true);
    });

    it('a completed save replaces the file in one rename', () => {
      nn.saveCheckpoint(file, setup(2));
      expect(readFileSync(file).equals(before)).toBe(false);
      expect(filesIn(file)).toEqual(['model.safetensors']);
    });
  });

  it('a garbage file is refused without changing the model', () => {
    const file = join(dir, 'garbage.safetensors');
    writeFileSync(file, 'not a checkpoint at all');
    const s = setup(1);
    const weight = s.model.fc.weight.toArray();
    expect(() => nn.loadCheckpoint(file, s)).toThrow(/garbage.safetensors: byte 0: header length \d+ runs past the end of the file/);
    expect(s.model.fc.weight.toArray()).toEqual(weight);
  });
});
