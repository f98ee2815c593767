/**
 * Running a Standard Schema and describing its issues.
 *
 * `validate` may answer synchronously (zod, valibot for schemas without async refinements) or
 * with a Promise; callers keep the synchronous answer on their fast path and fall back to
 * awaiting only when the schema itself is async.
 */
import type { StandardSchemaV1 } from './standard-schema.js';

/** The result of one validation, sync or async (as the schema gives it). */
export type SchemaResult<T> = StandardSchemaV1.Result<T> | Promise<StandardSchemaV1.Result<T>>;

/** Validate `value` with `schema`, without wrapping a synchronous answer in a Promise. */
export function runSchema<T>(schema: StandardSchemaV1<unknown, T>, value: unknown): SchemaResult<T> {
  return schema['~standard'].validate(value);
}

/** True when a validation result is still pending. */
export function isPending<T>(result: SchemaResult<T>): result is Promise<StandardSchemaV1.Result<T>> {
  return typeof (result as { then?: unknown }).then === 'function';
}

/** The dotted path of an issue (`items.2.text`), or `(root)`. */
export function issuePath(issue: StandardSchemaV1.Issue): string {
  const path = issue.path;
  if (path === undefined || path.length === 0) return '(root)';
  let out = '';
  for (const segment of path) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    out += (out === '' ? '' : '.') + String(key);
  }
  return out;
}

/**
 * `path: message` for each issue, joined with `; ` — at most `maxIssues` of them, then
 * `(+N more)`.
 *
 * @example formatIssues(result.issues) // 'text: Too small: expected string to have >=1 characters'
 */
export function formatIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>, maxIssues = 3): string {
  if (issues.length === 0) return '(no issue given)';
  const shown = issues.slice(0, maxIssues).map((issue) => `${issuePath(issue)}: ${issue.message}`);
  const more = issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')} (+${more} more)` : shown.join('; ');
}
