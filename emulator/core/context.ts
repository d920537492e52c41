import type { Logger } from 'pino'
import type { RuntimeConfig } from '../options.ts'
import type { Clock } from './clock.ts'
import type { State } from './state.ts'
import type { Timers } from './timers.ts'
import type { Operation } from './types.ts'

/** What the core's modules share: the state, the settings of the moment and the side effects. */
export interface CoreContext {
  readonly state: State
  /** Mutable: the driver may change it at any time, so read it when needed, never copy it. */
  readonly config: RuntimeConfig
  readonly clock: Clock
  readonly timers: Timers
  readonly publisherId: string
  readonly logger: Logger
  /** Marks the state as changed: the state file (if any) is saved soon after. */
  changed(): void
  /** Sends the operation's webhook, with the subscription as it is at this moment. */
  notify(operation: Operation): void
}
