/**
 * Wires the emulator's core together: state (loaded from the state file if there is one), clock,
 * timers, faults, identity, operations, webhooks, and the services the HTTP layer calls.
 * @module
 */
import type { Logger } from 'pino'
import { runtimeConfigOf, type ResolvedOptions } from '../options.ts'
import { createIdentity, type Identity } from '../identity/identity.ts'
import { webhookPayload } from '../webhooks/payload.ts'
import { createWebhookSender } from '../webhooks/sender.ts'
import type { ApiOperationId } from './api-operations.ts'
import { API_OPERATIONS } from './api-operations.ts'
import { createClock } from './clock.ts'
import type { CoreContext } from './context.ts'
import { createCustomer } from './customer.ts'
import { createFaultInjector, type FaultInjector } from './faults.ts'
import { createFulfillment, type Fulfillment } from './fulfillment.ts'
import { createMarketplace, type Marketplace } from './marketplace.ts'
import { createMetering, type Metering } from './metering.ts'
import { awaitsAnswer, createOperations } from './operations.ts'
import { createPersistence } from './persistence.ts'
import { emptyState } from './state.ts'
import { createTimers } from './timers.ts'
import type { JournalEntry } from './types.ts'

export type JournalRecord = Omit<JournalEntry, 'seq' | 'time' | 'kind'> & { apiOperationId: ApiOperationId }

/** What the HTTP layer needs; `marketplace` is also handed to tests. */
export interface EmulatorCore {
  options: ResolvedOptions
  marketplace: Marketplace
  fulfillment: Fulfillment
  metering: Metering
  identity: Identity
  faults: FaultInjector
  logger: Logger
  /** Files one API call in the journal. */
  record(entry: JournalRecord): void
  /** Resolves `true` after `ms`, `false` if the emulator stops or resets first. */
  sleep(ms: number): Promise<boolean>
  /** Cancels every timer and in-flight webhook, and writes the state file. */
  stop(): Promise<void>
}

export async function createEmulatorCore(
  options: ResolvedOptions,
  logger: Logger,
  baseUrl: () => string,
): Promise<EmulatorCore> {
  const persistence = createPersistence(options.stateFile, () => snapshot(), logger)
  const saved = await persistence.load()
  const state = saved?.state ?? emptyState(options.catalogue)
  const clock = createClock(saved?.clockOffsetMs)
  const timers = createTimers((err) => logger.error({ err }, 'emulator timer failed'))
  const faults = createFaultInjector(options.faults)
  const identity = await createIdentity({ ...options, privateJwk: saved?.signingKey, baseUrl })
  const snapshot = () => ({ signingKey: identity.privateJwk, clockOffsetMs: clock.offsetMs, state })

  const ctx: CoreContext = {
    state,
    config: runtimeConfigOf(options),
    clock,
    timers,
    publisherId: options.publisherId,
    logger,
    changed: () => persistence.save(),
    notify: (operation) =>
      webhooks.send(webhookPayload(operation, state.subscriptions[operation.subscriptionId]!, clock.iso())),
  }
  const operations = createOperations(ctx)
  const webhooks = createWebhookSender({
    ...ctx,
    faults,
    sign: () => identity.signWebhookToken(),
    rejects(operationId) {
      // A 4xx answers ChangePlan/ChangeQuantity (docs/marketplace-contract.md §4.1); a Reinstate is refused
      // with DELETE instead.
      const operation = state.operations[operationId]
      if (!operation || !awaitsAnswer(operation) || operation.action === 'Reinstate') return false
      operations.fail(operation, 'The publisher answered the webhook with a 4xx.')
      return true
    },
  })
  operations.resume()
  webhooks.resume()

  const marketplace = createMarketplace({
    ctx,
    customer: createCustomer(ctx, operations),
    faults,
    webhooksSettled: () => webhooks.settled(),
    reset() {
      timers.clearAll()
      webhooks.clear()
      Object.assign(state, emptyState(options.catalogue))
      clock.advance(-clock.offsetMs)
      faults.set(options.faults)
      ctx.changed()
    },
  })

  return {
    options,
    marketplace,
    fulfillment: createFulfillment(ctx, operations),
    metering: createMetering(ctx),
    identity,
    faults,
    logger,
    record(entry) {
      const kind = API_OPERATIONS[entry.apiOperationId]
      state.journal.push({ seq: state.journal.length + 1, time: clock.iso(), kind, ...entry })
      ctx.changed()
    },
    sleep: (ms) => timers.sleep(ms),
    async stop() {
      timers.close()
      webhooks.clear()
      await webhooks.settled()
      await persistence.flush()
    },
  }
}
