/**
 * Keeps the workflow's search attributes and memo in step with the subscription, so operators can find
 * it in the Temporal UI by id, status, step, offer, plan, quantity, tenant, trial or test flag. Only what
 * changed is written, to keep the history short.
 * @module
 */
import * as wf from '@temporalio/workflow'
import { stepOf, type SubscriptionSnapshot } from '../machines/subscription/index.ts'
import { FailingHookKey, searchAttributesOf } from './search-attributes.ts'

export function upsertSearchable(snapshot: SubscriptionSnapshot, failingHooks: string[]): void {
  const { subscription, buyer } = snapshot.context
  const wanted = [
    ...searchAttributesOf(subscription, stepOf(snapshot)),
    // Absent unless a hook fails, so runs whose hooks all land write nothing more than before.
    ...(failingHooks.length > 0 || wf.workflowInfo().typedSearchAttributes.get(FailingHookKey) !== undefined
      ? [{ key: FailingHookKey, value: failingHooks.length > 0 ? failingHooks.join(',') : null }]
      : []),
  ]
  const { typedSearchAttributes: current, memo = {} } = wf.workflowInfo()
  const changed = wanted.filter(({ key, value }) => (current.get(key) ?? null) !== value)
  if (changed.length > 0) wf.upsertSearchAttributes(changed)

  const wantedMemo = {
    subscriptionName: subscription.name ?? null,
    buyerName: buyer?.name ?? null,
    buyerEmail: buyer?.email ?? subscription.beneficiary?.emailId ?? null,
  }
  const memoChanges = Object.entries(wantedMemo).filter(([k, v]) => (memo[k] ?? null) !== v)
  if (memoChanges.length > 0) wf.upsertMemo(Object.fromEntries(memoChanges))
}
