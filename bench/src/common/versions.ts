/**
 * Installed versions of the packages under test, read from node_modules (for the report).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../node_modules/', import.meta.url));

/** The installed version of `name`, or `'?'` when it cannot be read. */
export function packageVersion(name: string): string {
  try {
    const json = JSON.parse(readFileSync(`${root}${name}/package.json`, 'utf8')) as { version?: unknown };
    return typeof json.version === 'string' ? json.version : '?';
  } catch {
    return '?';
  }
}
