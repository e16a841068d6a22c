/**
 * From tsgrad to PyTorch and back.
 *
 * `exportToTorch(model, dir)` writes two files:
 *   - model.safetensors: the parameters and buffers under the names and layouts that PyTorch's
 *     `state_dict()` gives the equivalent torch.nn.Module ('0.weight', 'bn.running_mean',
 *     'bn.num_batches_tracked' as int64, ...);
 *   - model.py: that torch.nn.Module, with `build()`, `load(folder)` (build, then
 *     `load_state_dict(strict=True)` from model.safetensors) and `save(model, file)`, reading and
 *     writing safetensors with nothing beyond torch.
 * `loadFromTorch(model, file)` reads a safetensors file that PyTorch wrote for the equivalent model.
 *
 * How a module is translated: every layer of layers.ts and activations.ts and Sequential has a
 * torch.nn twin. A module of the user's own (a class with its own forward) is translated when it
 * has a `torchForward()` method giving that forward in PyTorch (see `TorchForward`); its fields
 * become attributes of the same name. Any other module is refused by name.
 *
 * Layouts need no change: Linear's weight is [out, in] and Conv2d's [out, in/groups, kh, kw] in
 * both. tsgrad's BatchNorm does not count batches, so num_batches_tracked is exported as 0 and
 * dropped on import (PyTorch reads it only when momentum is None, which tsgrad does not offer).
 *
 * May import: ./module, ./layers, ./activations, ./checkpoint (CheckpointError), ./data (safetensors), src/tensor, node's fs and path.
 */
import { mkdirSync } from 'fs';
import { join as joinPath } from 'path';
import { pythonFloat, pythonTuple, Tensor } from '../tensor';
import { encodeSafetensors, loadSafetensors, writeFileAtomic } from './data';
import { GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh } from './activations';
import { AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d } from './layers';
import { CheckpointError } from './checkpoint';
import { Buffer, Module, Parameter, Sequential, type StateDict } from './module';

/** A module of the user's own that can be exported: it gives its forward in PyTorch. */
export interface TorchForward {
  /**
   * The Python lines of the equivalent `forward`, starting with its `def forward(self, ...):` line,
   * indented by 4 spaces below it. Children are `self.<field>`; `torch` and `F`
   * (torch.nn.functional) are imported.
   */
  torchForward(): string[];
}

/** One tensor of the exported state dict. */
export interface TorchTensorName {
  /** The name in PyTorch's state_dict, e.g. 'features.1.running_mean'. */
  torch: string;
  /** The name in tsgrad's stateDict, e.g. 'features.1.runningMean'; null for a tensor tsgrad lacks (num_batches_tracked). */
  tsgrad: string | null;
  /** The dtype PyTorch keeps it in. */
  dtype: 'F32' | 'I64';
  /** Its shape. */
  shape: number[];
}

/** What `exportToTorch` wrote. */
export interface TorchExport {
  /** The path of model.safetensors. */
  weights: string;
  /** The path of model.py. */
  python: string;
  /** Every tensor, in state_dict order. */
  names: TorchTensorName[];
}

/** The Python source and the state dict names of a model; what exportToTorch writes. */
export interface TorchTranslation {
  /** The text of model.py. */
  python: string;
  /** Every tensor, in state_dict order. */
  names: TorchTensorName[];
}

const WEIGHTS_FILE = 'model.safetensors';
const PYTHON_FILE = 'model.py';

/**
 * Writes `dir/model.safetensors` (PyTorch's state_dict names, layouts and dtypes) and `dir/model.py`
 * (the equivalent torch.nn.Module). Throws, writing nothing, if a module cannot be translated.
 */
export function exportToTorch(model: Module, dir: string): TorchExport {
  const { python, names } = translateToTorch(model);
  const state = model.stateDict();
  const tensors = Object.create(null) as Record<string, Tensor>;
  const dtypes = Object.create(null) as Record<string, 'F32' | 'I64'>;
  for (const n of names) {
    tensors[n.torch] = n.tsgrad === null ? Tensor.zeros(n.shape) : state[n.tsgrad];
    dtypes[n.torch] = n.dtype;
  }
  const bytes = encodeSafetensors(tensors, { format: 'pt', producer: 'tsgrad exportToTorch' }, dtypes);
  mkdirSync(dir, { recursive: true });
  const weights = joinPath(dir, WEIGHTS_FILE);
  const pythonFile = joinPath(dir, PYTHON_FILE);
  writeFileAtomic(weights, bytes);
  writeFileAtomic(pythonFile, globalThis.Buffer.from(python, 'utf8'));
  return { weights, python: pythonFile, names };
}

/**
 * Loads a safetensors file that PyTorch wrote for the equivalent model (its state_dict names) into
 * `model`. Every name, shape and dtype is checked before anything is written; a failed load throws
 * and leaves the model as it was. F64, F16 and BF16 tensors are converted to float32 and
 * num_batches_tracked is dropped, each with a note; the notes are returned. A malformed file throws
 * a DataFormatError, one that does not fit the model a CheckpointError, as loadCheckpoint does.
 */
export function loadFromTorch(model: Module, file: string): string[] {
  const names = stateNames(model);
  const { tensors, dtypes } = loadSafetensors(file, { convert: true });
  const expected = new Map(names.map((n) => [n.torch, n]));
  const missing = names.filter((n) => !hasKey(tensors, n.torch)).map((n) => n.torch);
  const unexpected = Object.keys(tensors).filter((k) => !expected.has(k));
  const badDtypes: string[] = [];
  const notes: string[] = [];
  const state = Object.create(null) as StateDict;
  for (const n of names) {
    if (!hasKey(tensors, n.torch)) continue;
    const dtype = dtypes[n.torch];
    if (n.tsgrad === null) {
      if (dtype !== 'I64') badDtypes.push(`${n.torch}: ${dtype}, expected I64`);
      else notes.push(`${n.torch}: dropped (tsgrad's BatchNorm does not count batches)`);
      continue;
    }
    if (dtype === 'I64') badDtypes.push(`${n.torch}: I64, expected a float dtype`);
    else if (dtype !== 'F32') notes.push(`${n.torch}: ${dtype} converted to float32`);
    state[n.tsgrad] = tensors[n.torch];
  }
  const problems = [
    ...(missing.length ? [`missing keys: ${missing.join(', ')}`] : []),
    ...(unexpected.length ? [`unexpected keys: ${unexpected.join(', ')}`] : []),
    ...(badDtypes.length ? [`dtype mismatch: ${badDtypes.join('; ')}`] : []),
  ];
  if (problems.length) throw new CheckpointError(file, `${problems.join('. ')} (for ${model.constructor.name}, in PyTorch's names)`, 'loadFromTorch');
  try {
    model.checkStateDict(state); // every shape, before anything is copied
  } catch (e) {
    throw new CheckpointError(file, (e as Error).message, 'loadFromTorch');
  }
  model.loadStateDict(state);
  return notes;
}

/** The PyTorch state_dict names of `model`'s tensors (no Python needed: a module without torchForward is fine). */
export function stateNames(model: Module): TorchTensorName[] {
  return new Translator(false).run(model).names;
}

/** model.py's text and the state dict names, without writing anything. */
export function translateToTorch(model: Module): TorchTranslation {
  return new Translator(true).run(model);
}

// ---- the translation ----------------------------------------------------------------------------

type Pair = number | [number, number];

/** Walks a module tree once, collecting Python class definitions and state dict names. */
class Translator {
  private readonly classes: string[] = [];
  private readonly classNames = new Map<string, string>(); // class body → Python class name
  private readonly names: TorchTensorName[] = [];

  /** @param withPython false: only the names are wanted, so torchForward is not required */
  constructor(private readonly withPython: boolean) {}

  run(model: Module): TorchTranslation {
    const root = this.module(model, '');
    checkCovers(model, this.names);
    const python = this.withPython ? pythonFile(model.constructor.name, this.classes, root) : '';
    return { python, names: this.names };
  }

  /** The Python expression that constructs `m`; records its tensors under `prefix`. */
  private module(m: Module, prefix: string): string {
    const layer = this.layer(m, prefix);
    if (layer !== null) return layer;
    if (m instanceof Sequential) {
      const items = m.layers.map((child, i) => this.module(child, join(prefix, String(i))));
      return `nn.Sequential(${indentList(items)})`;
    }
    return this.userModule(m, prefix);
  }

  /** A built-in layer: its torch.nn twin, or null for any other module. */
  private layer(m: Module, prefix: string): string | null {
    if (m instanceof Linear) {
      this.tensor(prefix, 'weight', m.weight);
      if (m.bias) this.tensor(prefix, 'bias', m.bias);
      return `nn.Linear(${m.inFeatures}, ${m.outFeatures}, bias=${py(m.bias !== null)})`;
    }
    if (m instanceof Conv2d) {
      this.tensor(prefix, 'weight', m.weight);
      if (m.bias) this.tensor(prefix, 'bias', m.bias);
      const o = m.options;
      return `nn.Conv2d(${m.inChannels}, ${m.outChannels}, kernel_size=${pair(m.kernelSize)}, stride=${pair(o.stride ?? 1)}, ` +
        `padding=${pair(o.padding ?? 0)}, dilation=${pair(o.dilation ?? 1)}, groups=${o.groups ?? 1}, bias=${py(m.bias !== null)})`;
    }
    if (m instanceof BatchNorm1d || m instanceof BatchNorm2d) {
      if (m.weight && m.bias) {
        this.tensor(prefix, 'weight', m.weight);
        this.tensor(prefix, 'bias', m.bias);
      }
      if (m.runningMean && m.runningVar) {
        this.tensor(prefix, 'running_mean', m.runningMean, 'runningMean');
        this.tensor(prefix, 'running_var', m.runningVar, 'runningVar');
        this.names.push({ torch: join(prefix, 'num_batches_tracked'), tsgrad: null, dtype: 'I64', shape: [] });
      }
      const kind = m instanceof BatchNorm1d ? 'BatchNorm1d' : 'BatchNorm2d';
      return `nn.${kind}(${m.numFeatures}, eps=${py(m.eps)}, momentum=${py(m.momentum)}, affine=${py(m.weight !== null)}, ` +
        `track_running_stats=${py(m.runningMean !== null)})`;
    }
    if (m instanceof MaxPool2d) return `nn.MaxPool2d(${size(m.kernelSize)}, stride=${size(m.stride ?? m.kernelSize)}, padding=${size(m.padding)})`;
    if (m instanceof AvgPool2d) return `nn.AvgPool2d(${size(m.kernelSize)}, stride=${size(m.stride ?? m.kernelSize)}, padding=${size(m.padding)})`;
    if (m instanceof Dropout) return `nn.Dropout(p=${py(m.p)})`;
    if (m instanceof Flatten) return `nn.Flatten(${m.startDim}, ${m.endDim})`;
    if (m instanceof ReLU) return 'nn.ReLU()';
    if (m instanceof Tanh) return 'nn.Tanh()';
    if (m instanceof Sigmoid) return 'nn.Sigmoid()';
    if (m instanceof GELU) return "nn.GELU(approximate='tanh')";
    if (m instanceof Softmax) return `nn.Softmax(dim=${m.dim})`;
    if (m instanceof LogSoftmax) return `nn.LogSoftmax(dim=${m.dim})`;
    return null;
  }

  /** A class of the user's own: a Python class with the same fields and the forward it gives. */
  private userModule(m: Module, prefix: string): string {
    const name = m.constructor.name;
    const where = prefix ? ` (at '${prefix}')` : '';
    const forward = this.withPython ? torchForwardOf(m, name, where) : [];
    const init: string[] = [];
    for (const [field, value] of Object.entries(m)) {
      const items = Array.isArray(value) ? value : [value];
      if (!items.some(isPart)) continue;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field) || PYTHON_KEYWORDS.has(field)) {
        throw new Error(`exportToTorch: ${name}${where} has field '${field}', which is not a Python attribute name; rename it`);
      }
      if (value instanceof Buffer) {
        this.names.push({ torch: join(prefix, field), tsgrad: join(prefix, field), dtype: 'F32', shape: [...value.shape] });
        init.push(`self.register_buffer('${field}', torch.zeros(${pythonTuple(value.shape)}))`);
      } else {
        init.push(`self.${field} = ${this.field(value, join(prefix, field), `${name}.${field}${where}`)}`);
      }
    }
    if (!this.withPython) return '';
    const body = ['def __init__(self):', '    super().__init__()', ...init.map((l) => `    ${l.replace(/\n/g, '\n    ')}`), '', ...forward];
    return `${this.defineClass(name, body)}()`;
  }

  /** The Python value of one field: a child module, a parameter, or a list of them. */
  private field(value: unknown, path: string, label: string): string {
    if (Array.isArray(value)) {
      if (value.every((v) => v instanceof Module)) return `nn.ModuleList([${indentList(value.map((v, i) => this.module(v as Module, join(path, String(i)))))}])`;
      if (value.every((v) => v instanceof Parameter)) {
        return `nn.ParameterList([${indentList(value.map((v, i) => this.own(v as Parameter, join(path, String(i)))))}])`;
      }
      throw new Error(`exportToTorch: ${label} is an array of buffers or of mixed parts; PyTorch has lists of modules (ModuleList) and of parameters (ParameterList) only`);
    }
    if (value instanceof Module) return this.module(value, path);
    return this.own(value as Parameter, path);
  }

  private own(p: Parameter, path: string): string {
    this.names.push({ torch: path, tsgrad: path, dtype: 'F32', shape: [...p.shape] });
    return `nn.Parameter(torch.zeros(${pythonTuple(p.shape)}))`;
  }

  /** Records a layer's tensor; `tsgradName` when tsgrad names the field otherwise. */
  private tensor(prefix: string, torchName: string, t: Tensor, tsgradName = torchName): void {
    this.names.push({ torch: join(prefix, torchName), tsgrad: join(prefix, tsgradName), dtype: 'F32', shape: [...t.shape] });
  }

  /** Adds a Python class (once per distinct body) and returns its name. */
  private defineClass(name: string, body: string[]): string {
    const text = body.flatMap((l) => l.split('\n')).map((l) => (l ? `    ${l}` : '')).join('\n');
    const known = this.classNames.get(text);
    if (known) return known;
    const taken = new Set(this.classNames.values());
    let pyName = name;
    for (let i = 2; taken.has(pyName) || RESERVED_NAMES.has(pyName); i++) pyName = `${name}_${i}`;
    this.classNames.set(text, pyName);
    this.classes.push(`class ${pyName}(nn.Module):\n${text}\n`);
    return pyName;
  }
}

function torchForwardOf(m: Module, name: string, where: string): string[] {
  const hook = (m as Partial<TorchForward>).torchForward;
  if (typeof hook !== 'function') {
    throw new Error(
      `exportToTorch: ${name}${where} is a module of your own, and tsgrad cannot translate its forward; ` +
      `give ${name} a torchForward() method returning the same forward in PyTorch (see nn.TorchForward), or build it from tsgrad's layers and Sequential`,
    );
  }
  const lines = hook.call(m);
  if (!Array.isArray(lines) || !lines.every((l) => typeof l === 'string') || !/^def forward\(self\b/.test(lines[0] ?? '')) {
    throw new Error(`exportToTorch: ${name}.torchForward() must return Python lines starting with 'def forward(self, ...):'; got ${JSON.stringify(lines)}`);
  }
  return lines;
}

/** The names found must be exactly the model's stateDict (a tied or unusual part is refused by name). */
function checkCovers(model: Module, names: TorchTensorName[]): void {
  const own = Object.keys(model.stateDict());
  const found = names.map((n) => n.tsgrad).filter((n): n is string => n !== null);
  const extra = found.filter((n, i) => !own.includes(n) || found.indexOf(n) !== i);
  const lost = own.filter((n) => !found.includes(n));
  if (extra.length || lost.length) {
    throw new Error(
      `exportToTorch (${model.constructor.name}): the translation does not match the model's stateDict` +
      `${extra.length ? `; found twice or not in it (a tensor shared by two layers?): ${extra.join(', ')}` : ''}` +
      `${lost.length ? `; not translated: ${lost.join(', ')}` : ''}`,
    );
  }
}

function pythonFile(modelName: string, classes: string[], root: string): string {
  return `${PYTHON_HEADER.replace('MODEL', modelName)}
${classes.join('\n\n')}

def build():
    """The model, with freshly initialized weights; load() fills them in."""
    return ${root.replace(/\n/g, '\n    ')}
${PYTHON_FOOTER}`;
}

const PYTHON_HEADER = `"""MODEL, exported from tsgrad: the torch.nn.Module and its weights (model.safetensors).

    import model                       # with this folder on sys.path
    net = model.load('this/folder')    # build() + load_state_dict(strict=True), in eval mode
    model.save(net, 'trained.safetensors')

Safetensors are read and written here with nothing beyond torch (a JSON header, then raw
little-endian data), so the safetensors package is not needed.
"""
import json
import os
import struct
import sys

import torch
from torch import nn
import torch.nn.functional as F

`;

const PYTHON_FOOTER = `

DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64}


def read_safetensors(path):
    """The tensors of a safetensors file, by name."""
    if sys.byteorder != 'little':
        raise RuntimeError('read_safetensors: this reader needs a little-endian machine')
    with open(path, 'rb') as f:
        data = f.read()
    (length,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + length])
    header.pop('__metadata__', None)
    start = 8 + length
    tensors = {}
    for name, entry in header.items():
        begin, end = entry['data_offsets']
        dtype = DTYPES[entry['dtype']]
        raw = bytearray(data[start + begin:start + end])
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.zeros(0, dtype=dtype)
        tensors[name] = flat.reshape(entry['shape'])
    return tensors


def write_safetensors(tensors, path):
    """Writes tensors (a dict, e.g. a state_dict) as a safetensors file."""
    if sys.byteorder != 'little':
        raise RuntimeError('write_safetensors: this writer needs a little-endian machine')
    names = {dtype: name for name, dtype in DTYPES.items()}
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        raw = _bytes_of(t)
        header[name] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode('utf8')
    text += b' ' * (-(len(text) + 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))


def _bytes_of(t):
    """The raw bytes of a contiguous CPU tensor (through numpy when it is there, which torch mostly brings)."""
    flat = t.reshape(-1).view(torch.uint8)
    try:
        return flat.numpy().tobytes()
    except (ImportError, RuntimeError):
        return bytes(flat.tolist())


def load(folder=os.path.dirname(os.path.abspath(__file__)), weights='model.safetensors'):
    """build(), then load_state_dict(strict=True) from folder/weights; returned in eval mode."""
    net = build()
    net.load_state_dict(read_safetensors(os.path.join(folder, weights)), strict=True)
    return net.eval()


def save(net, path):
    """Writes net.state_dict() as a safetensors file that tsgrad's nn.loadFromTorch reads."""
    write_safetensors(net.state_dict(), path)
`;

const PYTHON_KEYWORDS = new Set(('False None True and as assert async await break class continue def del elif else except finally for from ' +
  'global if import in is lambda nonlocal not or pass raise return try while with yield self').split(' '));
const RESERVED_NAMES = new Set(['build', 'load', 'save', 'read_safetensors', 'write_safetensors', 'DTYPES', 'torch', 'nn', 'F']);

function isPart(value: unknown): boolean {
  return value instanceof Parameter || value instanceof Buffer || value instanceof Module;
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function hasKey(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** A JavaScript value as Python source (floats as PyTorch prints them: 1e-05, 0.1, 2.0). */
function py(value: number | boolean): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return pythonFloat(value);
}

/** A pooling size as given: one number stays a number (so PyTorch prints it as tsgrad does). */
function size(p: Pair): string {
  return typeof p === 'number' ? String(p) : pythonTuple(p);
}

function pair(p: Pair): string {
  return pythonTuple(typeof p === 'number' ? [p, p] : p);
}

function indentList(items: string[]): string {
  if (items.length === 0) return '';
  return `\n${items.map((item) => `    ${item.replace(/\n/g, '\n    ')},`).join('\n')}\n`;
}
