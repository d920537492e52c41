/** Percentiles of a sample of durations, in whole milliseconds (one decimal below 10 ms). */
export interface Latency {
  n: number
  p50: number
  p95: number
  p99: number
  max: number
}

export function latency(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b)
  const round = (x: number) => (x < 10 ? Math.round(x * 10) / 10 : Math.round(x))
  const at = (q: number) => round(s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN)
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(s.at(-1) ?? NaN) }
}
