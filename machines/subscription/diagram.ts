/**
 * The lifecycle as a Mermaid state diagram, generated from the machine itself so that it cannot drift:
 * `npm run diagram` writes it to machine.md beside the machine, and diagram.test.ts fails when that file
 * is stale. Every state with its description, every transition that changes state with its event and
 * guard; transitions that stay in their state are listed under the state they belong to.
 * @module
 */
import type { AnyStateNode } from 'xstate'
import { subscriptionMachine } from './machine.ts'

type Guard = string | { type: string; params?: object } | ((...args: never[]) => unknown) | undefined

/** `effective & !converging`: guards as named in the machine's `setup()`. */
function guardText(guard: Guard): string {
  if (guard === undefined) return ''
  if (typeof guard === 'string') return guard
  if (typeof guard === 'object')
    return guard.params ? `${guard.type}(${Object.values(guard.params).join(', ')})` : guard.type
  const inner = (guard as { guards?: Guard[] }).guards ?? []
  // A composite inside another is bracketed, so `(a | b) & c` cannot be read as `a | (b & c)`.
  const parts = inner.map((g) => (typeof g === 'function' && g.name !== 'not' ? `(${guardText(g)})` : guardText(g)))
  if (guard.name === 'not') return `!${parts[0]}`
  return parts.join(guard.name === 'or' ? ' | ' : ' & ')
}

const idOf = (node: AnyStateNode) => node.path.join('_') || 'subscription'

interface Edge {
  from: AnyStateNode
  to?: AnyStateNode
  label: string
}

function edgesOf(node: AnyStateNode): Edge[] {
  const edges: Edge[] = []
  for (const [event, transitions] of node.transitions) {
    for (const t of transitions) {
      const guard = guardText(t.guard as Guard)
      const label = guard ? `${event} [${guard}]` : event
      if (t.target?.length) for (const to of t.target) edges.push({ from: node, to, label })
      // A handler that does nothing takes the event from the ancestors' handlers: the event is ignored.
      else edges.push({ from: node, label: t.actions.length ? label : `${label} (ignored)` })
    }
  }
  for (const t of node.always ?? []) {
    const guard = guardText(t.guard as Guard)
    const label = guard ? `always [${guard}]` : 'always'
    if (t.target?.length) for (const to of t.target) edges.push({ from: node, to, label })
    else edges.push({ from: node, label })
  }
  return edges
}

function render(node: AnyStateNode, indent: string, lines: string[], edges: Edge[]): void {
  for (const child of Object.values(node.states)) {
    const id = idOf(child)
    lines.push(`${indent}state "${child.key}" as ${id}`)
    if (Object.keys(child.states).length > 0) {
      lines.push(`${indent}state ${id} {`)
      lines.push(`${indent}  [*] --> ${idOf(child.states[child.config.initial as string]!)}`)
      render(child, `${indent}  `, lines, edges)
      lines.push(`${indent}}`)
    }
    if (child.type === 'final') lines.push(`${indent}${id} --> [*]`)
    edges.push(...edgesOf(child))
  }
}

/** The Mermaid source of the machine's statechart. */
export function toMermaid(): string {
  const root = subscriptionMachine.root
  const lines = ['stateDiagram-v2', `  [*] --> ${idOf(root.states[root.config.initial as string]!)}`]
  const edges: Edge[] = []
  render(root, '  ', lines, edges)
  for (const e of edges) if (e.to) lines.push(`  ${idOf(e.from)} --> ${idOf(e.to)} : ${e.label}`)
  return lines.join('\n')
}

/** The whole machine.md: the diagram, then each state's meaning and its transitions that keep the state. */
export function toMarkdown(): string {
  const root = subscriptionMachine.root
  const out = [
    '# The subscription lifecycle',
    '',
    '<!-- Generated from machine.ts by `npm run diagram`; machines/subscription/diagram.test.ts fails when it is stale. -->',
    '',
    root.description ?? '',
    '',
    'Step names (`stepOf`) are a public contract: see the note atop `machine.ts`.',
    '',
    '```mermaid',
    toMermaid(),
    '```',
    '',
    '## States',
    '',
  ]
  const visit = (node: AnyStateNode) => {
    for (const child of Object.values(node.states)) {
      out.push(`- **${child.path.join('.')}**: ${child.description ?? ''}`)
      visit(child)
    }
  }
  visit(root)
  out.push('', '## Handled without leaving the state', '')
  out.push('In every state that is not final (handled at the root):')
  for (const e of edgesOf(root)) out.push(`- ${e.label}${e.to ? ` → ${e.to.path.join('.')}` : ''}`)
  const stay = (node: AnyStateNode) => {
    for (const child of Object.values(node.states)) {
      const kept = edgesOf(child).filter((e) => !e.to)
      if (kept.length > 0) {
        out.push('', `${child.path.join('.')}:`)
        for (const e of kept) out.push(`- ${e.label}`)
      }
      stay(child)
    }
  }
  stay(root)
  return `${out.join('\n')}\n`
}
