// `npm run diagram`: writes the lifecycle's statechart (machines/subscription/machine.md) from the machine.
import { writeFileSync } from 'node:fs'
import { toMarkdown } from '../machines/subscription/diagram.ts'

const target = new URL('../machines/subscription/machine.md', import.meta.url)
writeFileSync(target, toMarkdown())
console.log(`wrote ${target.pathname}`)
