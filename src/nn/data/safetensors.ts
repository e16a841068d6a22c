/**
 * The safetensors file format (tsgrad's tensors are float32), and atomic file writes.
 *
 * Layout: 8 bytes, the header's length N as a little-endian u64; N bytes of JSON,
 *   { "name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ...,
 *     "__metadata__": { "key": "string value", ... } }
 * padded with spaces to a multiple of 8 bytes; then the data: each tensor's values as little-endian
 * float32, row-major, at [begin, end) counted from the end of the header. The tensors cover the data
 * with no gaps or overlaps.
 *
 * Files from elsewhere (PyTorch) may hold other dtypes: `decodeSafetensors(..., { convert: true })`
 * reads F64, F16, BF16 and I64 too, as float32 tensors, and reports each tensor's dtype in the file.
 * The encoder writes F32, or I64 for the names given in `dtypes` (PyTorch's integer buffers).
 *
 * `writeFileAtomic` writes to a temporary file in the same folder, flushes it to disk (fsync) and
 * renames it over the target. A rename within one file system replaces the file in one step, so a
 * crash at any moment leaves either the old file or the new one, never a half-written file. The temp
 * file's name holds the writer's process id (`.<name>.<pid>.tmp`): a process killed mid-save leaves
 * its temp file behind, and the next save of the same file removes it once that process is gone.
 *
 * Names are kept as ordinary keys in objects without a prototype, so a tensor named `__proto__` or
 * `constructor` round-trips like any other.
 *
 * May import: ./errors, ./files, src/tensor, src/data (TensorData), node's fs and path.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'fs';
import { basename, dirname, join } from 'path';
import { TensorData } from '../../data';
import { Tensor } from '../../tensor';
import { DataFormatError } from './errors';
import { readDataFile } from './files';

/** Named tensors and string metadata: what a safetensors file holds. */
export interface SafetensorsContents {
  /** The tensors by name. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` strings ({} when the file has none). */
  metadata: Record<string, string>;
  /** Each tensor's dtype in the file ('F32', or with `convert` also 'F64', 'F16', 'BF16', 'I64'). */
  dtypes: Record<string, SafetensorsDtype>;
}

/** The dtypes tsgrad reads (converting all but F32 to float32) and writes (F32, I64). */
export type SafetensorsDtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64';

/** Bytes per value, and how to read value i of a tensor starting at byte `at`. */
const dtypeReaders: Record<SafetensorsDtype, { size: number; read: (bytes: Buffer, at: number) => number }> = {
  F32: { size: 4, read: (b, at) => b.readFloatLE(at) },
  F64: { size: 8, read: (b, at) => b.readDoubleLE(at) },
  F16: { size: 2, read: (b, at) => halfToNumber(b.readUInt16LE(at)) },
  BF16: { size: 2, read: (b, at) => bfloatToNumber(b.readUInt16LE(at)) },
  I64: { size: 8, read: (b, at) => Number(b.readBigInt64LE(at)) },
};

const dtypeWords: Record<SafetensorsDtype, string> = { F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16', I64: 'int64' };

/** Options of decodeSafetensors. */
export interface DecodeOptions {
  /** Read F64, F16, BF16 and I64 tensors too, converted to float32 (default false: F32 only). */
  convert?: boolean;
}

interface HeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * The bytes of a safetensors file holding `tensors` (in name order) and `metadata`; the tensors named
 * in `dtypes` as 'I64' are written as little-endian int64 (their values must be integers).
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}, dtypes: Record<string, 'F32' | 'I64'> = {}): Buffer {
  const names = Object.keys(tensors).sort();
  const header = Object.create(null) as Record<string, HeaderEntry | Record<string, string>>;
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new RangeError("encodeSafetensors: '__metadata__' is reserved and cannot name a tensor");
    const dtype = dtypeOf(dtypes, name);
    if (dtype === 'I64' && !tensors[name].data.toFlat().every(Number.isInteger)) throw new RangeError(`encodeSafetensors: tensor "${name}" is to be written as I64 but holds non-integer values`);
    const bytes = tensors[name].numel() * dtypeReaders[dtype].size;
    header[name] = { dtype, shape: tensors[name].shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8);
  const headerBytes = Buffer.byteLength(json);
  const out = Buffer.alloc(8 + headerBytes + offset);
  out.writeBigUInt64LE(BigInt(headerBytes), 0);
  out.write(json, 8, 'utf8');
  let at = 8 + headerBytes;
  for (const name of names) {
    const int64 = dtypeOf(dtypes, name) === 'I64';
    for (const value of tensors[name].data.toFlat()) at = int64 ? out.writeBigInt64LE(BigInt(value), at) : out.writeFloatLE(value, at);
  }
  return out;
}

/** Parses safetensors bytes; `file` names the source in error messages. */
export function decodeSafetensors(bytes: Buffer, file: string, options: DecodeOptions = {}): SafetensorsContents {
  if (bytes.length < 8) throw new DataFormatError(file, `byte ${bytes.length}`, 'the file ends inside the 8-byte header length; expected a safetensors file');
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (8 + headerLength > bytes.length) {
    throw new DataFormatError(file, 'byte 0', `header length ${headerLength} runs past the end of the file (${bytes.length} bytes); the file is truncated or not safetensors`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength));
  } catch (e) {
    throw new DataFormatError(file, 'byte 8', `the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DataFormatError(file, 'byte 8', `the header is ${describeJson(parsed)}; expected a JSON object of tensor entries`);
  }
  const header = parsed as Record<string, unknown>;
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = readMetadata(file, Object.prototype.hasOwnProperty.call(header, '__metadata__') ? header.__metadata__ : undefined);
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__').map(([name, entry]) => [name, checkEntry(file, name, entry, dataLength, options.convert ?? false)] as const);
  checkCoverage(file, entries.map(([name, e]) => [name, e.data_offsets]), dataLength, dataStart);
  const tensors = Object.create(null) as Record<string, Tensor>;
  const dtypes = Object.create(null) as Record<string, SafetensorsDtype>;
  for (const [name, entry] of entries) {
    const [begin, end] = entry.data_offsets;
    const { size, read } = dtypeReaders[entry.dtype];
    const values = new Float32Array((end - begin) / size);
    for (let i = 0; i < values.length; i++) values[i] = read(bytes, dataStart + begin + size * i);
    tensors[name] = new Tensor(TensorData.fromArray(values, entry.shape));
    dtypes[name] = entry.dtype;
  }
  return { tensors, metadata, dtypes };
}

/** Writes `tensors` and `metadata` to `file` atomically (see writeFileAtomic). */
export function saveSafetensors(file: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}, io?: AtomicWriteHooks): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata), io);
}

/** Reads a safetensors file (float32 tensors only, unless `convert`); a malformed file throws a DataFormatError. */
export function loadSafetensors(file: string, options: DecodeOptions = {}): SafetensorsContents {
  return decodeSafetensors(readDataFile(file), file, options);
}

/** Replaceable steps of `writeFileAtomic`, so tests can make a write or the rename fail like a crash would. */
export interface AtomicWriteHooks {
  /** Writes all of `bytes` to the open temp file. */
  write?: (fd: number, bytes: Buffer) => void;
  /** Moves the temp file over the target. */
  rename?: (from: string, to: string) => void;
}

/**
 * Writes `bytes` to `file` so that the old contents survive any failure: temp file in the same
 * folder → write → fsync → close → rename over `file` → fsync the folder (so the rename itself is on
 * disk). If a step throws, the temp file is removed and `file` is untouched.
 */
export function writeFileAtomic(file: string, bytes: Buffer, io: AtomicWriteHooks = {}): void {
  removeStaleTempFiles(file);
  const temp = tempFileName(file, process.pid);
  const write = io.write ?? writeAll;
  const rename = io.rename ?? renameSync;
  try {
    const fd = openSync(temp, 'w');
    try {
      write(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    rename(temp, file);
  } catch (e) {
    try { unlinkSync(temp); } catch { /* already gone */ }
    throw e;
  }
  syncFolder(dirname(file));
}

/** The temp file that process `pid` writes while saving `file`. */
export function tempFileName(file: string, pid: number): string {
  return join(dirname(file), `.${basename(file)}.${pid}.tmp`);
}

/**
 * Removes the temp files of `file` left by processes that no longer run (killed mid-save). A live
 * process's temp file is never touched: `process.kill(pid, 0)` tests that a process exists without
 * signalling it (EPERM: it exists, but belongs to another user).
 */
function removeStaleTempFiles(file: string): void {
  const prefix = `.${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return; // the folder cannot be listed: the save itself will report why
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pidText = name.slice(prefix.length, -'.tmp'.length);
    const pid = Number(pidText);
    if (!/^[0-9]+$/.test(pidText) || pid === process.pid || isRunning(pid)) continue;
    try { unlinkSync(join(dirname(file), name)); } catch { /* removed by another process meanwhile */ }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** fsync of a folder makes a rename durable on Linux; some systems do not allow it, which is harmless. */
function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* not supported here (e.g. Windows) */ }
}

function readMetadata(file: string, value: unknown): Record<string, string> {
  const metadata = Object.create(null) as Record<string, string>;
  if (value === undefined) return metadata;
  const ok = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
  if (!ok) throw new DataFormatError(file, 'header "__metadata__"', 'expected an object of string values');
  return Object.assign(metadata, value);
}

/** A JSON value's kind, for error messages: 'null', 'a number', 'an array', ... */
function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function checkEntry(file: string, name: string, entry: unknown, dataLength: number, convert: boolean): HeaderEntry {
  const e = entry as Partial<HeaderEntry>;
  const where = `header entry "${name}"`;
  if (typeof e !== 'object' || e === null) throw new DataFormatError(file, where, 'expected { dtype, shape, data_offsets }');
  const known = convert ? Object.keys(dtypeReaders) : ['F32'];
  if (!known.includes(e.dtype as string)) throw new DataFormatError(file, where, `dtype ${JSON.stringify(e.dtype)}; tsgrad reads only ${known.join(', ')}`);
  const dtype = e.dtype as SafetensorsDtype;
  const size = dtypeReaders[dtype].size;
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new DataFormatError(file, where, `shape ${JSON.stringify(e.shape)}; expected a list of sizes`);
  const offsets = e.data_offsets;
  const count = e.shape.reduce((a, b) => a * b, 1);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(Number.isInteger) || offsets[1] - offsets[0] !== count * size) {
    throw new DataFormatError(file, where, `data_offsets ${JSON.stringify(offsets)}; expected [begin, begin + ${count * size}] for shape [${e.shape.join(', ')}] of ${dtypeWords[dtype]}`);
  }
  if (offsets[0] < 0 || offsets[1] > dataLength) {
    throw new DataFormatError(file, where, `data_offsets ${JSON.stringify(offsets)} run past the data (${dataLength} bytes); the file is truncated`);
  }
  return { dtype, shape: e.shape, data_offsets: [offsets[0], offsets[1]] };
}

function dtypeOf(dtypes: Record<string, 'F32' | 'I64'>, name: string): 'F32' | 'I64' {
  return Object.prototype.hasOwnProperty.call(dtypes, name) ? dtypes[name] : 'F32';
}

/** IEEE half precision: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // subnormal
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 is the upper half of a float32. */
function bfloatToNumber(bits: number): number {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(bits << 16 >>> 0);
  return b.readFloatLE(0);
}

/** The tensors must tile the data exactly: sorted by begin, each starts where the previous ended. */
function checkCoverage(file: string, ranges: (readonly [string, [number, number]])[], dataLength: number, dataStart: number): void {
  const sorted = [...ranges].sort((a, b) => a[1][0] - b[1][0]);
  let expected = 0;
  for (const [name, [begin, end]] of sorted) {
    if (begin !== expected) throw new DataFormatError(file, `byte ${dataStart + begin}`, `tensor "${name}" starts at data offset ${begin}; expected ${expected} (no gaps or overlaps)`);
    expected = end;
  }
  if (expected !== dataLength) throw new DataFormatError(file, `byte ${dataStart + expected}`, `${dataLength - expected} bytes after the last tensor; expected the file to end here`);
}

