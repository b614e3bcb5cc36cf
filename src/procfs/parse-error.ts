/** Thrown when a /proc or /sys file does not have the shape the kernel gives it. */
export class ProcfsParseError extends Error {
  readonly code = 'ERR_CANFORK_PROCFS_PARSE';

  constructor(
    message: string,
    /** The file that was parsed, when known. */
    readonly path?: string,
    /** 1-based line of the first thing that did not parse, when known. */
    readonly line?: number,
  ) {
    super(`${message}${path ? ` in ${path}` : ''}${line ? ` at line ${line}` : ''}`);
    this.name = 'ProcfsParseError';
  }
}
