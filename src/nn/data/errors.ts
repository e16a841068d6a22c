/**
 * `DataFormatError`: a data file that cannot be read, naming the file, the place in it (a byte
 * offset or a line) and what was expected there.
 *
 * May import: nothing.
 */
export class DataFormatError extends Error {
  /**
   * @param file the path of the file
   * @param where the place in the file, e.g. 'byte 8' or 'line 3'
   * @param problem what was found and what was expected
   */
  constructor(readonly file: string, readonly where: string, readonly problem: string) {
    super(`${file}: ${where}: ${problem}`);
    this.name = 'DataFormatError';
  }
}
