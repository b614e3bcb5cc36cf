import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A file under test/fixtures (see test/fixtures/README.md for where each one came from). */
export function fixturePath(relative: string): string {
  return path.resolve(__dirname, '../fixtures', relative);
}

export function fixture(relative: string): string {
  return readFileSync(fixturePath(relative), 'utf8');
}
