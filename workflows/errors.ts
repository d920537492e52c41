/**
 * Temporal wraps a failure in layers (WorkflowUpdateFailedError → ApplicationFailure → the activity's own
 * error); operators and API callers want the innermost cause's words. Pure, so workflows, activities and
 * the server can all use it.
 * @module
 */
export function messageOf(err: unknown): string {
  let e: unknown = err
  while (e instanceof Error && e.cause instanceof Error) e = e.cause
  return e instanceof Error ? e.message : String(e)
}
