/**
 * CPU accounting of the bench's processes: what each one (HTTP server, worker, Temporal server, this process
 * with the load generator and the emulator) spends on a piece of work. On two shared cores, throughput
 * follows total CPU, so these figures say what limits a rate.
 * @module
 */
import { readFileSync } from 'node:fs'
import type { Service } from './service.ts'

/** CPU time a process has used so far, in ms (Linux: utime + stime of /proc/<pid>/stat, 10 ms ticks). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** CPU ms per process, summed over what an account has run. */
export type CpuAccount = Map<string, number>

/**
 * The service's first server and worker, the Temporal server when it runs on this machine (`temporalPid`),
 * and this process; `accounted` adds the CPU each spends while `body` runs to `account`.
 */
export function cpuAccounting(service: Service, temporalPid?: number) {
  const pids: Record<string, number | undefined> = {
    server: service.servers[0]!.process.pid,
    worker: service.workers[0]!.process.pid,
    temporal: temporalPid,
    bench: process.pid,
  }
  const processes = Object.entries(pids).filter((e): e is [string, number] => e[1] !== undefined)
  return async function accounted<T>(account: CpuAccount, body: () => Promise<T>): Promise<T> {
    const before = processes.map(([, pid]) => cpuMs(pid))
    const result = await body()
    processes.forEach(([name, pid], i) => account.set(name, (account.get(name) ?? 0) + cpuMs(pid) - before[i]!))
    return result
  }
}

/** The account divided by `n` (intakes, changes), per process, in ms to one decimal. */
export function perUnit(account: CpuAccount, n: number): Record<string, number> {
  return Object.fromEntries([...account].map(([name, ms]) => [name, +(ms / n).toFixed(1)]))
}
