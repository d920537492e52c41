/**
 * Every reference the code makes to docs/marketplace-contract.md (`docs/marketplace-contract.md §4.2`,
 * `§2.7, §2.8`, `§4–5`) names a section the document has, so a renumbering or a typo fails here instead of
 * leaving a reader at a dead end; and no comment cites "contract §…" without saying which file.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const DOC = join(ROOT, 'docs/marketplace-contract.md')
const SKIP = new Set(['node_modules', '.cache', '.data', '.git', 'dist', 'coverage'])

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return []
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.(ts|mts|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** `## 4. Webhook` → 4, `### 4.2 Events` → 4.2. */
const sections = new Set([...readFileSync(DOC, 'utf8').matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]!))

/** The section numbers of each reference: `§2.7, §2.8` → 2.7, 2.8; `§4–5` → 4, 5. */
function references(text: string): string[] {
  return [...text.matchAll(/marketplace-contract\.md\s+((?:§\d+(?:\.\d+)?(?:[–-]\d+(?:\.\d+)?)?(?:,\s*)?)+)/g)].flatMap(
    (m) => [...m[1]!.matchAll(/\d+(?:\.\d+)?/g)].map((n) => n[0]),
  )
}

// This file itself quotes the patterns it looks for.
const files = sourceFiles(ROOT)
  .filter((path) => path !== import.meta.filename)
  .map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }))

describe('docs/marketplace-contract.md references', () => {
  it('the document has numbered sections', () => {
    expect([...sections]).toEqual(expect.arrayContaining(['0', '1.4', '2.7', '4.2', '4.4', '5.1', '6', '6.1']))
  })

  it('every cited section exists', () => {
    const cited = files.flatMap(({ path, text }) => references(text).map((section) => ({ path, section })))
    expect(cited.length).toBeGreaterThan(10)
    expect(cited.filter(({ section }) => !sections.has(section))).toEqual([])
  })

  it('no comment cites "contract §" without naming the file', () => {
    const bare = files.filter(({ text }) => /(?<!marketplace-)contract §/.test(text)).map(({ path }) => path)
    expect(bare).toEqual([])
  })
})
