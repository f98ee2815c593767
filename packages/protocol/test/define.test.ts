import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as zm from 'zod/mini';
import {
  defineProtocol,
  formatIssues,
  isPending,
  isProtocol,
  isStandardSchema,
  runSchema,
  truncateUtf8,
  utf8ByteLength,
  type StandardSchemaV1,
} from '@orrery/protocol';
import { chat, mini } from './fixtures.js';

describe('defineProtocol', () => {
  it('indexes each section by name', () => {
    expect(isProtocol(chat)).toBe(true);
    expect([...chat.clientSchemas.keys()]).toEqual(['say', 'typing']);
    expect([...chat.serverSchemas.keys()]).toEqual(['said', 'stamped']);
    expect([...chat.requestSpecs.keys()]).toEqual(['history', 'ping']);
    expect([...mini.clientSchemas.keys()]).toEqual(['say']);
  });

  it('accepts any Standard Schema, not only zod', () => {
    const even: StandardSchemaV1<number> = {
      '~standard': {
        version: 1,
        vendor: 'hand-written',
        validate: (v) => (typeof v === 'number' && v % 2 === 0 ? { value: v } : { issues: [{ message: 'not even' }] }),
      },
    };
    const p = defineProtocol({ client: { n: even } });
    expect(p.clientSchemas.get('n')).toBe(even);
  });

  it('refuses what is not a Standard Schema, with the path', () => {
    expect(() => defineProtocol({ client: { say: {} as StandardSchemaV1 } })).toThrow(
      expect.objectContaining({ code: 'ORRERY_INVALID_OPTIONS', message: expect.stringContaining('client.say is not a Standard Schema') }),
    );
    expect(() => defineProtocol({ requests: { h: { input: z.string(), output: 5 as unknown as StandardSchemaV1 } } })).toThrow(
      expect.objectContaining({ message: expect.stringContaining('requests.h.output') }),
    );
    expect(() => defineProtocol({ server: [] as unknown as Record<string, StandardSchemaV1> })).toThrow(
      expect.objectContaining({ code: 'ORRERY_INVALID_OPTIONS' }),
    );
  });

  it('refuses empty names and built-in error codes', () => {
    expect(() => defineProtocol({ client: { '': z.string() } })).toThrow(expect.objectContaining({ message: 'defineProtocol: client has an empty name' }));
    expect(() => defineProtocol({ requests: { h: { input: z.string(), output: z.string(), errors: ['TIMEOUT'] } } })).toThrow(
      expect.objectContaining({ message: 'defineProtocol: requests.h.errors: TIMEOUT is a built-in code; pick another name' }),
    );
    expect(() => defineProtocol({ requests: { h: { input: z.string(), output: z.string(), errors: [''] } } })).toThrow(
      expect.objectContaining({ code: 'ORRERY_INVALID_OPTIONS' }),
    );
  });
});

describe('schema helpers', () => {
  it('recognises zod and zod/mini schemas', () => {
    expect(isStandardSchema(z.string())).toBe(true);
    expect(isStandardSchema(zm.string())).toBe(true);
    expect(isStandardSchema({ '~standard': { version: 2, validate() {} } })).toBe(false);
    expect(isStandardSchema(null)).toBe(false);
  });

  it('keeps a synchronous answer synchronous', () => {
    const result = runSchema(z.object({ a: z.number() }), { a: 1 });
    expect(isPending(result)).toBe(false);
    expect(result).toEqual({ value: { a: 1 } });
  });

  it('reports async schemas as pending', async () => {
    const slow = z.string().refine(async (s) => s.length > 1);
    const result = runSchema(slow, 'ab');
    expect(isPending(result)).toBe(true);
    expect(await result).toEqual({ value: 'ab' });
  });

  it('formats issues with their paths', () => {
    const result = runSchema(z.object({ items: z.array(z.object({ text: z.string() })), n: z.number() }), { items: [{ text: 1 }], n: 'x' });
    if (isPending(result) || result.issues === undefined) throw new Error('expected issues');
    expect(formatIssues(result.issues)).toBe('items.0.text: Invalid input: expected string, received number; n: Invalid input: expected number, received string');
    expect(formatIssues(result.issues, 1)).toMatch(/^items\.0\.text: .* \(\+1 more\)$/);
    expect(formatIssues([{ message: 'bad' }])).toBe('(root): bad');
    expect(formatIssues([{ message: 'bad', path: [{ key: 'a' }, 0] }])).toBe('a.0: bad');
  });
});

describe('truncateUtf8', () => {
  it('leaves short text alone and cuts long text to the byte limit with an ellipsis', () => {
    expect(truncateUtf8('short', 123)).toBe('short');
    const cut = truncateUtf8('x'.repeat(200), 123);
    expect(utf8ByteLength(cut)).toBe(123);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('never splits a multi-byte character or a surrogate pair', () => {
    for (const unit of ['é', '€', '😀']) {
      const cut = truncateUtf8(unit.repeat(100), 123);
      expect(utf8ByteLength(cut)).toBeLessThanOrEqual(123);
      expect(cut.slice(0, -1)).toBe(unit.repeat([...cut].length - 1));
    }
  });
});
