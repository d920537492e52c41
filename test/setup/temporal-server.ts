/**
 * Global setup of the integration tests: one real Temporal dev server (in memory, headless, on free
 * loopback ports) for the whole run. If the Temporal CLI cannot be provisioned the run fails here, with
 * the reason, instead of skipping anything.
 */
import type {} from 'vitest'
import type { TestProject } from 'vitest/node'
import { resolveTemporalCli } from '../../scripts/temporal-cli.mjs'
import { startDevServer } from '../../temporal/dev-server.ts'

/** Low enough that long-lived test workflows really continue as new. */
export const CONTINUE_AS_NEW_AFTER_EVENTS = 120

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string
    temporalCliPath: string
  }
}

export default async function setup(project: TestProject) {
  const cliPath = resolveTemporalCli()
  const server = await startDevServer({
    cliPath,
    uiPort: false,
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': CONTINUE_AS_NEW_AFTER_EVENTS },
  })
  project.provide('temporalAddress', server.address)
  project.provide('temporalCliPath', cliPath)
  return () => server.stop()
}
