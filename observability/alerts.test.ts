/**
 * Lint of the alert rules file. promtool is not on npm and building it from Prometheus' Go module takes
 * far longer than this suite may, so: the YAML is parsed strictly, each rule has what Alertmanager and a
 * person need, each expression is parsed by Prometheus' own PromQL grammar (@prometheus-io/lezer-promql),
 * and every metric, label and label value it names exists, so a renamed metric cannot leave an alert
 * that silently never fires.
 */
import { readFileSync } from 'node:fs'
import { parser } from '@prometheus-io/lezer-promql'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { httpMetrics } from './http-metrics.ts'
import { DECISION_OUTCOMES, registry, WEBHOOK_ACTIONS, WEBHOOK_OUTCOMES } from './metrics.ts'

interface Rule {
  alert: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
const file = parse(readFileSync(new URL('./alerts.yml', import.meta.url), 'utf8'), { uniqueKeys: true }) as {
  groups: { name: string; rules: Rule[] }[]
}
const rules = file.groups.flatMap((g) => g.rules)

httpMetrics() // registers http_requests_total and http_request_duration_seconds
/** Our metrics and their labels, as the registry has them (histograms also expose _bucket, _sum, _count). */
const ours = new Map<string, string[]>()
for (const metric of registry.getMetricsAsArray()) {
  const { name, labelNames = [] } = metric as unknown as { name: string; labelNames?: string[] }
  for (const suffix of ['', '_bucket', '_sum', '_count'])
    ours.set(name + suffix, [...labelNames, ...(suffix === '_bucket' ? ['le'] : [])])
}
/** Temporal SDK metrics (docs.temporal.io/references/sdk-metrics; seen on the worker's port by the build test). */
const TEMPORAL = {
  temporal_worker_task_slots_available: ['worker_type', 'task_queue', 'namespace'],
  temporal_activity_schedule_to_start_latency_bucket: ['le', 'task_queue', 'namespace', 'activity_type'],
}
/** Series every Prometheus has for each target. */
const PROMETHEUS = { up: ['job', 'instance'] }
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['job', 'instance']
/** Closed lists of label values, so a typo in a matcher is caught. */
const VALUES: Record<string, Record<string, readonly string[]>> = {
  saas_webhooks_total: { outcome: WEBHOOK_OUTCOMES, action: WEBHOOK_ACTIONS },
  saas_decisions_total: { outcome: DECISION_OUTCOMES },
}

const known = (metric: string): string[] | undefined =>
  ours.get(metric) ?? (TEMPORAL as Record<string, string[]>)[metric] ?? (PROMETHEUS as Record<string, string[]>)[metric]

/** The selectors of a PromQL expression: metric name and matchers; or the syntax errors. */
function selectors(expr: string) {
  const found: { metric: string; matchers: { label: string; value: string }[] }[] = []
  const errors: string[] = []
  const cursor = parser.parse(expr).cursor()
  do {
    if (cursor.type.isError)
      errors.push(`syntax error at ${cursor.from}: "${expr.slice(cursor.from, cursor.from + 20)}"`)
    if (cursor.name === 'VectorSelector') {
      const node = cursor.node
      const metric = node.getChild('Identifier')
      const matchers = node
        .getChild('LabelMatchers')
        ?.getChildren('UnquotedLabelMatcher')
        .map((m) => ({
          label: expr.slice(m.getChild('LabelName')!.from, m.getChild('LabelName')!.to),
          value: JSON.parse(expr.slice(m.getChild('StringLiteral')!.from, m.getChild('StringLiteral')!.to)) as string,
        }))
      found.push({ metric: metric ? expr.slice(metric.from, metric.to) : '', matchers: matchers ?? [] })
    }
  } while (cursor.next())
  return { found, errors }
}

describe('observability/alerts.yml', () => {
  it('is a rules file: named groups, uniquely named alerts, each with severity, summary and a valid `for`', () => {
    expect(file.groups.length).toBeGreaterThan(0)
    expect(new Set(file.groups.map((g) => g.name)).size).toBe(file.groups.length)
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length)
    for (const rule of rules) {
      expect(Object.keys(rule).sort(), rule.alert).toEqual(
        expect.arrayContaining(['alert', 'expr', 'labels', 'annotations']),
      )
      expect(rule.alert).toMatch(/^Saas[A-Z][A-Za-z0-9]+$/)
      expect(['page', 'ticket'], rule.alert).toContain(rule.labels?.severity)
      expect(rule.annotations?.summary, rule.alert).toBeTruthy()
      if (rule.for !== undefined) expect(rule.for, rule.alert).toMatch(/^\d+[smhd]$/)
    }
  })

  it('has expressions that parse as PromQL and name only metrics, labels and values that exist', () => {
    for (const rule of rules) {
      const { found, errors } = selectors(rule.expr)
      expect(errors, `${rule.alert}: ${rule.expr}`).toEqual([])
      expect(found.length, rule.alert).toBeGreaterThan(0)
      for (const { metric, matchers } of found) {
        const labels = known(metric)
        expect(labels, `${rule.alert}: unknown metric ${metric}`).toBeDefined()
        for (const { label, value } of matchers) {
          expect([...labels!, ...TARGET_LABELS], `${rule.alert}: ${metric} has no label ${label}`).toContain(label)
          const allowed = VALUES[metric]?.[label]
          if (allowed)
            for (const v of value.split('|')) expect(allowed, `${rule.alert}: ${metric}{${label}="${v}"}`).toContain(v)
        }
      }
    }
  })

  it('uses in its annotations only labels its expression keeps', () => {
    for (const rule of rules) {
      // Without aggregation every label of the series is kept; with it, only those it groups by.
      const tree = parser.parse(rule.expr)
      let aggregates = false
      tree.iterate({ enter: (n) => void (n.name === 'AggregateExpr' && (aggregates = true)) })
      const text = Object.values(rule.annotations ?? {}).join(' ')
      for (const [, label] of text.matchAll(/\$labels\.(\w+)/g))
        if (aggregates) expect(rule.expr, `${rule.alert}: $labels.${label}`).toMatch(new RegExp(`\\b${label}\\b`))
    }
  })

  it('alerts on each thing the issue names', () => {
    const exprs = rules.map((r) => r.expr).join('\n')
    for (const metric of [
      'saas_webhook_ack_seconds_bucket', // the acknowledgement creeping toward 10 s
      'saas_vendor_hook_oldest_failure_seconds', // a hook failing for hours
      'saas_reconciliation_drift_total', // drift found by reconciliation
      'saas_metering_oldest_pending_age_seconds', // usage hours nearing 24 h
      'saas_marketplace_requests_total{status="429"}', // Microsoft answering 429
    ])
      expect(exprs).toContain(metric)
  })
})
