/**
 * Opening data files safely: every reader goes through `readDataFile`, which checks that the path is
 * a regular file of a readable size before reading a byte, so a folder, a FIFO (which would block the
 * read forever) or a device such as /dev/zero (which never ends) gets a named error at once.
 *
 * May import: ./errors, node's fs and buffer.
 */
import { constants } from 'buffer';
import { readFileSync, statSync } from 'fs';
import { DataFormatError } from './errors';

/** The largest file a reader takes: what one Node Buffer can hold. */
export const MAX_FILE_BYTES = constants.MAX_LENGTH;

/** Throws a DataFormatError unless `file` is a regular file of at most MAX_FILE_BYTES; returns its size. */
export function checkRegularFile(file: string): number {
  let size: number;
  let kind: string;
  try {
    const stat = statSync(file);
    size = stat.size;
    kind = stat.isFile() ? 'file' : stat.isDirectory() ? 'folder' : stat.isFIFO() ? 'FIFO (named pipe)' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'device' : stat.isSocket() ? 'socket' : 'special file';
  } catch (e) {
    throw new DataFormatError(file, 'open', `cannot read the file (${(e as Error).message})`);
  }
  if (kind !== 'file') throw new DataFormatError(file, 'open', `this is a ${kind}, not a regular file; expected a data file`);
  if (size > MAX_FILE_BYTES) throw new DataFormatError(file, 'open', `the file has ${size} bytes; a reader takes at most ${MAX_FILE_BYTES} (one Node Buffer)`);
  return size;
}

/** The bytes of a regular data file (see checkRegularFile); any failure is a DataFormatError naming the file. */
export function readDataFile(file: string): Buffer {
  checkRegularFile(file);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new DataFormatError(file, 'open', `cannot read the file (${(e as Error).message})`);
  }
}

/** The text of a regular data file as UTF-8 (see readDataFile). */
export function readDataText(file: string): string {
  const bytes = readDataFile(file);
  try {
    return bytes.toString('utf8');
  } catch (e) {
    throw new DataFormatError(file, 'open', `cannot decode the file as text (${(e as Error).message})`);
  }
}
