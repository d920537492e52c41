/**
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and sums self time by where the code lives: an npm package
 * (`hono`, `pino`, `@temporalio/client`, …), a project folder (`server/`, `marketplace/`, …), node's own
 * internals, or idle/GC. Enough to see where an HTTP request's time goes without a profiler UI.
 * @module
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]
  const project =
    /\/work\/[^/]+\/([^/]+)\//.exec(url) ??
    /file:\/\/.*?\/(server|marketplace|config|workflows|activities|machines|worker|temporal|observability|emulator|bench|test)\//.exec(
      url,
    )
  return project ? project[1] + '/' : url
}

/** Self time in ms by place, largest first, with the share of the busy (non-idle) time. */
export function summarize(file: string, top = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const own = (place: string) => !place.startsWith('node:') && !place.startsWith('(native')
  const totals = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    // Node's internals (streams, fetch, timers) are charged to the nearest package or folder that called them.
    let node = byId.get(id)!
    let place = placeOf(node.callFrame.url, node.callFrame.functionName)
    for (let up = parent.get(node.id); !own(place) && up !== undefined; up = parent.get(up)) {
      const p = byId.get(up)!
      const candidate = placeOf(p.callFrame.url, p.callFrame.functionName)
      if (own(candidate) && !candidate.startsWith('(')) {
        place = `${candidate} (via node)`
        break
      }
      node = p
    }
    totals.set(place, (totals.get(place) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  })
  const busy = [...totals].filter(([p]) => p !== '(idle)').reduce((a, [, ms]) => a + ms, 0)
  return {
    busyMs: Math.round(busy),
    idleMs: Math.round(totals.get('(idle)') ?? 0),
    places: [...totals]
      .filter(([p]) => p !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([place, ms]) => ({ place, ms: Math.round(ms), share: +(ms / busy).toFixed(3) })),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of process.argv.slice(2)) console.log(file, JSON.stringify(summarize(file), null, 1))
}
