/**
 * Optional persistence: the whole state (and the signing key, so tokens stay valid across restarts) as
 * one JSON file, loaded at start and saved shortly after each change. Writes go to a temporary file
 * renamed over the old one, so a crash never leaves half a file.
 * @module
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import type { JWK } from 'jose'
import type { Logger } from 'pino'
import { z } from 'zod'
import { catalogueSchema } from './catalogue.ts'
import type { State } from './state.ts'

const SAVE_DELAY_MS = 50

const savedSchema = z.object({
  version: z.literal(1),
  signingKey: z.looseObject({ kty: z.literal('RSA'), d: z.string() }),
  state: z.object({
    offers: catalogueSchema,
    subscriptions: z.record(z.string(), z.looseObject({ id: z.string() })),
    operations: z.record(z.string(), z.looseObject({ id: z.string() })),
    purchaseTokens: z.record(z.string(), z.object({ subscriptionId: z.string(), expiresAt: z.string() })),
    usage: z.array(z.looseObject({})),
    journal: z.array(z.looseObject({})),
    webhooks: z.array(z.looseObject({})),
  }),
  clockOffsetMs: z.number(),
})

export interface Saved {
  signingKey: JWK
  clockOffsetMs: number
  state: State
}

export interface Persistence {
  /** The saved state, or undefined when there is no file yet. A file that is not a valid state throws. */
  load(): Promise<Saved | undefined>
  /** Saves soon (changes in quick succession are written once). */
  save(): void
  /** Writes what is pending now. */
  flush(): Promise<void>
}

export function createPersistence(stateFile: string | undefined, snapshot: () => Saved, logger: Logger): Persistence {
  if (!stateFile)
    return { load: () => Promise.resolve(undefined), save: () => undefined, flush: () => Promise.resolve() }
  const file = stateFile
  let timer: NodeJS.Timeout | undefined
  let writing = Promise.resolve()

  function write(): Promise<void> {
    clearTimeout(timer)
    timer = undefined
    const text = JSON.stringify({ version: 1, savedAt: new Date().toISOString(), ...snapshot() }, null, 2)
    writing = writing
      .then(async () => {
        await writeFile(`${file}.tmp`, text)
        await rename(`${file}.tmp`, file)
      })
      .catch((err: unknown) => logger.error({ err, file }, 'could not save the emulator state'))
    return writing
  }

  return {
    async load() {
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        throw new Error(`${file} is not valid JSON: fix or delete it.`)
      }
      const parsed = savedSchema.safeParse(json)
      if (!parsed.success) throw new Error(`${file} is not an emulator state file:\n${z.prettifyError(parsed.error)}`)
      return parsed.data as unknown as Saved
    },
    save() {
      timer ??= setTimeout(() => void write(), SAVE_DELAY_MS)
    },
    flush: () => (timer ? write() : writing),
  }
}
