/**
 * A subscription's lifecycle step and Microsoft's status, in the words of a buyer: what is happening,
 * and what they can do next. Operators' details (the failure's technical message) stay out of it.
 * @module
 */
import type { SubscriptionFacts, SubscriptionView } from '../../machines/subscription/index.ts'

export interface Progress {
  /** `working` pages refresh themselves; `failed` ones too, more slowly, to pick up a retry. */
  phase: 'working' | 'failed' | 'settled'
  heading: string
  message: string
  next: string
}

const PORTALS = 'the Azure portal or the Microsoft 365 admin center'
const NOT_CHARGED = 'You have not been charged: billing starts only once your subscription is active.'
const WE_RETRY =
  'Our team has been alerted and will finish it for you; there is nothing you need to do. ' +
  'This page checks again by itself. If it is urgent, contact our support and give them the subscription ID below.'

export function progressOf(view: SubscriptionView): Progress {
  const [step = '', inner] = view.step.split('.')
  switch (step) {
    case 'routing':
    case 'awaitingBuyer':
    case 'provisioning':
      return {
        phase: 'working',
        heading: 'Setting up your account',
        message: 'We are creating your account. This usually takes less than a minute.',
        next: 'Keep this page open: it updates by itself.',
      }
    case 'activating':
      return {
        phase: 'working',
        heading: 'Activating your subscription with Microsoft',
        message: 'Your account is ready. We are asking Microsoft to start your subscription; billing starts then.',
        next: 'Keep this page open: it updates by itself.',
      }
    case 'provisioningFailed':
      return {
        phase: 'failed',
        heading: 'We could not finish setting up your account',
        message: `Something went wrong on our side while creating your account. ${NOT_CHARGED}`,
        next: WE_RETRY,
      }
    case 'activationFailed':
      return {
        phase: 'failed',
        heading: 'Microsoft has not activated your subscription yet',
        message: `Your account is ready, but Microsoft did not confirm the activation. ${NOT_CHARGED}`,
        next: WE_RETRY,
      }
    case 'subscribed':
      return {
        phase: 'settled',
        heading: 'Your subscription is active',
        message:
          inner && inner !== 'idle'
            ? 'Your account is set up. A change to your plan or number of seats is being applied.'
            : 'Your account is set up and your subscription is active.',
        next: `You can close this page and start using the service. To change your plan or seats, or to cancel, use ${PORTALS}.`,
      }
    case 'suspended':
      return {
        phase: 'settled',
        heading: 'Your subscription is suspended',
        message: 'Microsoft suspended it because a payment was not received. Your data and settings are kept.',
        next: `Check your payment method in ${PORTALS}. The subscription is reinstated once the payment goes through.`,
      }
    case 'cancelling':
      return {
        phase: 'working',
        heading: 'Your subscription is being cancelled',
        message: 'The cancellation has been sent to Microsoft and is being completed.',
        next: 'You can close this page.',
      }
    case 'unsubscribed':
      return {
        phase: 'settled',
        heading: 'Your subscription is cancelled',
        message: view.retainUntil
          ? `It can no longer be used. Your data is kept until ${day(view.retainUntil)} in case you need it back.`
          : 'It can no longer be used.',
        next: 'To use the service again, buy a new subscription in Azure Marketplace or Microsoft AppSource.',
      }
    default:
      return {
        phase: 'settled',
        heading: 'Your subscription',
        message: `Its status at Microsoft is: ${statusWords(view.saasSubscriptionStatus)}.`,
        next: `To manage it, use ${PORTALS}.`,
      }
  }
}

export function statusWords(status: SubscriptionFacts['saasSubscriptionStatus']): string {
  switch (status) {
    case 'NotStarted':
    case 'PendingFulfillmentStart':
      return 'Purchased, waiting to be set up'
    case 'Subscribed':
      return 'Active'
    case 'Suspended':
      return 'Suspended (payment not received)'
    case 'Unsubscribed':
      return 'Cancelled'
    default:
      return String(status)
  }
}

const TERMS: Record<string, string> = { P1M: '1 month', P1Y: '1 year' }

/** `P1M` → "1 month", `P3Y` → "3 years", with the dates when Microsoft gave them. */
export function termWords(term: SubscriptionFacts['term'], autoRenew?: boolean): string | undefined {
  if (!term?.termUnit) return undefined
  const years = /^P(\d+)Y$/.exec(term.termUnit)?.[1]
  let words = TERMS[term.termUnit] ?? (years ? `${years} years` : term.termUnit)
  if (term.startDate && term.endDate) words += `, ${day(term.startDate)} to ${day(term.endDate)}`
  if (autoRenew !== undefined) words += autoRenew ? ', renews automatically' : ', does not renew'
  return words
}

export function seatsWords(quantity: number | undefined): string {
  return quantity === undefined ? 'Not priced per seat' : String(quantity)
}

/** The calendar day of an ISO date, as Microsoft gives it (no time-zone guesswork). */
function day(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}/.exec(iso)?.[0] ?? iso
}
