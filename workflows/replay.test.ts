/**
 * Recorded histories (test/fixtures/histories, made by test/integration/replay.test.ts with
 * RECORD_HISTORIES=1) replay against the current workflow code. A change that fails here would break
 * subscriptions already running in production: guard it with `patched()` instead. `before-convergence.*`
 * were recorded before `CONVERGENCE_PATCH` (workflows/subscription.ts): they replay on the legacy path;
 * `before-ledger.*` before `LEDGER_PATCH` (no report to the usage ledger); `before-local-decide.*` before
 * `DECIDE_LOCALLY_PATCH` (workflows/effects.ts: a customer's change decided by an activity);
 * `before-provision-adopted.*` before `PROVISION_ADOPTED_PATCH` (an adopted Subscribed one not provisioned);
 * `before-batches.*` before `BATCHES_PATCH` (workflows/reconciliation.ts: five pages checked one per activity,
 * four at once, so that the third check was scheduled while two were running, which two at once would not do).
 * Keep such files when re-recording; they stand for runs still open in production.
 */
import { readdirSync, readFileSync } from 'node:fs'
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker'
import { beforeAll, expect, it } from 'vitest'
import { workflowsPath } from '../worker/create-worker.ts'

const fixtures = new URL('../test/fixtures/histories/', import.meta.url)
const names = readdirSync(fixtures).filter((f) => f.endsWith('.json'))

let bundle: WorkflowBundleWithSourceMap
beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') })
  bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') })
}, 60_000)

it('has recorded histories to replay', () => {
  expect(names.length).toBeGreaterThanOrEqual(2)
})

it.each(names)('replays %s', async (name) => {
  const history: unknown = JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'))
  await Worker.runReplayHistory({ workflowBundle: bundle }, history, name)
})
