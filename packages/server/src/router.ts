/**
 * Route paths: literal segments, `:param` segments, and an optional trailing `*` (or `*name`)
 * that matches the rest. `/rooms/:room` matches `/rooms/lobby` and `/rooms/lobby/`.
 */
import { OrreryError } from '@orrery/protocol';

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'rest'; name: string };

/** A compiled path pattern. */
export interface PathPattern {
  readonly source: string;
  match(path: string): Record<string, string> | undefined | 'bad-encoding';
}

const EMPTY_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Compile `pattern`; throws `ORRERY_INVALID_OPTIONS` for a malformed one. */
export function compilePath(pattern: string): PathPattern {
  if (typeof pattern !== 'string' || !pattern.startsWith('/')) {
    throw new OrreryError('ORRERY_INVALID_OPTIONS', `route path must start with "/", got ${JSON.stringify(pattern)}`);
  }
  const parts = trimSlash(pattern).split('/').slice(1);
  const segments: Segment[] = [];
  const names = new Set<string>();
  parts.forEach((part, i) => {
    if (part.startsWith(':') || part.startsWith('*')) {
      const kind = part.startsWith(':') ? 'param' : 'rest';
      const name = part.slice(1) || (kind === 'rest' ? 'rest' : '');
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || names.has(name)) {
        throw new OrreryError('ORRERY_INVALID_OPTIONS', `route path ${pattern}: bad or repeated parameter "${part}"`);
      }
      if (kind === 'rest' && i !== parts.length - 1) {
        throw new OrreryError('ORRERY_INVALID_OPTIONS', `route path ${pattern}: "*" must be the last segment`);
      }
      names.add(name);
      segments.push({ kind, name });
    } else {
      segments.push({ kind: 'literal', value: part });
    }
  });
  const literalOnly = segments.every((s) => s.kind === 'literal');
  const normalized = trimSlash(pattern);
  return {
    source: pattern,
    match(path) {
      const p = trimSlash(path);
      if (literalOnly) return p === normalized ? EMPTY_PARAMS : undefined;
      return matchSegments(segments, p.split('/').slice(1));
    },
  };
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined | 'bad-encoding' {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.kind === 'rest') {
      const rest = parts.slice(i).join('/');
      const decoded = decode(rest);
      if (decoded === undefined) return 'bad-encoding';
      params[seg.name] = decoded;
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (seg.kind === 'literal') {
      if (part !== seg.value) return undefined;
    } else {
      if (part === '') return undefined;
      const decoded = decode(part);
      if (decoded === undefined) return 'bad-encoding';
      params[seg.name] = decoded;
    }
  }
  return parts.length === segments.length ? params : undefined;
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}
