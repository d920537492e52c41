import { describe, expect, it } from 'vitest'
import type { ListedSubscription } from '../workflows/reconciliation.ts'
import { differences, isOverdue } from './reconciliation.ts'

const listed: ListedSubscription = {
  id: 'sub-1',
  status: 'Subscribed',
  planId: 'team',
  quantity: 5,
  termEndDate: '2026-12-31',
  created: '2026-11-01T00:00:00Z',
}
const same = { status: 'Subscribed', planId: 'team', quantity: 5, termEndDate: '2026-12-31' }

describe('differences', () => {
  it('finds none when the service sees what Microsoft lists', () => {
    expect(differences(listed, same)).toEqual([])
    expect(differences({ ...listed, quantity: undefined }, { ...same, quantity: undefined })).toEqual([])
  })

  it("names each field that differs with Microsoft's value and the service's", () => {
    expect(differences({ ...listed, status: 'Suspended', quantity: 9 }, same)).toEqual([
      { field: 'status', microsoft: 'Suspended', service: 'Subscribed' },
      { field: 'quantity', microsoft: 9, service: 5 },
    ])
  })

  it('counts a value one side lacks: the term Microsoft set at activation, the seats a flat plan drops', () => {
    expect(differences(listed, { ...same, termEndDate: undefined })).toEqual([
      { field: 'termEndDate', microsoft: '2026-12-31', service: undefined },
    ])
    expect(differences({ ...listed, planId: 'basic', quantity: undefined }, same)).toEqual([
      { field: 'planId', microsoft: 'basic', service: 'team' },
      { field: 'quantity', microsoft: undefined, service: 5 },
    ])
  })
})

describe('isOverdue', () => {
  const day = 86_400_000
  const pending = { ...listed, status: 'PendingFulfillmentStart' as const }
  const now = Date.parse('2026-11-10T00:00:00Z')

  it('is true for a purchase still pending past the deadline, and only then', () => {
    expect(isOverdue(pending, 7 * day, now)).toBe(true)
    expect(isOverdue(pending, 10 * day, now)).toBe(false)
  })

  it('is false once activated, and when Microsoft does not say when it was bought', () => {
    expect(isOverdue(listed, 0, now)).toBe(false)
    expect(isOverdue({ ...pending, created: undefined }, 0, now)).toBe(false)
  })
})
