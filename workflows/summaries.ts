/**
 * What the Temporal UI shows of a subscription, so operators read it without opening payloads: a one-line
 * summary on every activity ("suspendAccess · team × 10 · tenant 1234…"), and the workflow's current
 * details (status, plan, seats, tenant, the last decision, failing hooks) as Temporal markdown.
 * @module
 */
import type { Decision, SideEffect, SubscriptionFacts, SubscriptionView } from '../machines/subscription/index.ts'

const planOf = (s: Pick<SubscriptionFacts, 'planId' | 'quantity'>) =>
  s.quantity === undefined ? s.planId : `${s.planId} × ${s.quantity}`
const tenantOf = (s: SubscriptionFacts) => s.beneficiary?.tenantId ?? 'unknown tenant'

/** One line per activity, in Microsoft's and the vendor's words. */
export function summaryOf(effect: SideEffect): string {
  switch (effect.type) {
    case 'provision':
    case 'suspendAccess':
    case 'decideReinstatement':
      return `${effect.type} · ${planOf(effect.params.subscription)} · tenant ${tenantOf(effect.params.subscription)}`
    case 'deprovision':
      return `deprovision · data kept until ${effect.params.retainUntil.slice(0, 10)}`
    case 'applyChange': {
      const { previous, subscription } = effect.params
      return `applyChange · ${planOf(previous)} → ${planOf(subscription)}`
    }
    case 'notify':
      return `notify · ${effect.params.event}`
    case 'activate':
      return `Activate · ${planOf(effect.params)}`
    case 'decideChange': {
      const { change } = effect.params
      return `decideChange · customer ${change.action} to ${change.planId ?? change.quantity} · operation ${change.operationId}`
    }
    case 'acknowledgeOperation': {
      const { change } = effect.params
      return `PATCH ${change.accept === false ? 'Failure' : 'Success'} · ${change.action} · operation ${change.operationId}`
    }
    case 'acknowledgeReinstatement':
      return `PATCH Success · Reinstate · operation ${effect.params.operationId}`
    case 'requestChange':
      return `PATCH subscription · ${effect.params.planId !== undefined ? `plan ${effect.params.planId}` : `${effect.params.quantity} seats`} (vendor)`
    case 'requestCancellation':
      return 'DELETE subscription (vendor)'
    case 'resync':
      return `Get Subscription · after ${effect.params.reason}`
  }
}

/** The workflow's current details: where the subscription stands, in a few lines of markdown. */
export function detailsOf(view: SubscriptionView, last: Decision | undefined, failingHooks: string[]): string {
  const lines = [
    `**${view.saasSubscriptionStatus}** · step \`${view.step}\``,
    `Plan **${planOf(view)}** · offer ${view.offerId}`,
    `Tenant ${tenantOf(view)}${view.purchaser?.tenantId && view.purchaser.tenantId !== view.beneficiary?.tenantId ? ` (bought by ${view.purchaser.tenantId})` : ''}`,
  ]
  if (last) lines.push(`Last decision: ${last.event} → ${last.outcome}${last.reason ? ` (${last.reason})` : ''}`)
  if (view.failure) lines.push(`**Failed** ${view.failure.step}: ${view.failure.message}`)
  if (failingHooks.length > 0) lines.push(`**Failing hooks:** ${failingHooks.join(', ')}`)
  return lines.join('\n\n')
}
