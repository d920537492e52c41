// Loaded with NODE_OPTIONS="--import ./bench/cpu-prof-hook.mjs" (node refuses --cpu-prof there): profiles the
// process with the inspector from SIGUSR2 on (so start-up and set-up stay out), and writes CPU_PROF_FILE when
// the process ends on SIGTERM/SIGINT.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'

const session = new Session()
session.connect()
process.on('SIGUSR2', () => session.post('Profiler.enable', () => session.post('Profiler.start')))
let written = false
const write = () => {
  if (written) return
  written = true
  session.post('Profiler.stop', (err, { profile }) => {
    if (!err) writeFileSync(process.env.CPU_PROF_FILE ?? `cpu-${process.pid}.cpuprofile`, JSON.stringify(profile))
  })
}
for (const signal of ['SIGTERM', 'SIGINT']) process.prependListener(signal, write)
