import { describe, expect, it } from 'vitest'
import { emptyReport, MAX_LISTED_FINDINGS, withPage, type Finding } from './reconciliation.ts'

const finding = (n: number, kind: Finding['kind']): Finding => ({ subscriptionId: `sub-${n}`, kind, message: kind })

describe('withPage', () => {
  it('adds the counts of each page and lists repairs and reports apart', () => {
    let report = emptyReport('run', 'api', '2026-01-01T00:00:00Z')
    report = withPage(report, {
      checked: 100,
      inSync: 98,
      findings: [finding(1, 'adopted'), finding(2, 'closedButActive')],
    })
    report = withPage(report, { checked: 60, inSync: 59, findings: [finding(3, 'statusObserved')] })
    expect(report.counts).toEqual({
      checked: 160,
      inSync: 157,
      repaired: { adopted: 1, statusObserved: 1, operationDelivered: 0 },
      reported: {
        pendingFulfillmentStart: 0,
        activationOverdue: 0,
        unknownSuspended: 0,
        unknownUnsubscribed: 0,
        closedButActive: 1,
      },
    })
    expect(report.repairs.map((f) => f.subscriptionId)).toEqual(['sub-1', 'sub-3'])
    expect(report.reports.map((f) => f.subscriptionId)).toEqual(['sub-2'])
  })

  it(`counts every finding but lists only the first ${MAX_LISTED_FINDINGS}`, () => {
    const findings = Array.from({ length: MAX_LISTED_FINDINGS + 5 }, (_, n) => finding(n, 'unknownUnsubscribed'))
    const report = withPage(emptyReport('run', 'api', ''), { checked: findings.length, inSync: 0, findings })
    expect(report.counts.reported.unknownUnsubscribed).toBe(MAX_LISTED_FINDINGS + 5)
    expect(report.reports).toHaveLength(MAX_LISTED_FINDINGS)
    expect(report.unlisted).toBe(5)
  })
})
