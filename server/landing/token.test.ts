import { describe, expect, it } from 'vitest'
import { isResolvableToken, landingPathFor, safeReturnPath, tokenFromUrl } from './token.ts'

describe('tokenFromUrl', () => {
  it.each([
    ['ab%2Bcd%2Fef%3D', 'ab+cd/ef='],
    ['x%252By', 'x%2By'],
    ['a+b', 'a+b'],
    ['%E2%9C%93', '✓'],
  ])('?token=%s → %s', (raw, token) => {
    expect(tokenFromUrl(`https://x.example/landing?token=${raw}`)).toBe(token)
  })

  it.each(['', '?token', '?token=', '?token=%20%20', '?token=%E0%A4%A', '?xtoken=a', '?token%3Da'])(
    '%s → none',
    (q) => {
      expect(tokenFromUrl(`https://x.example/landing${q}`)).toBeUndefined()
    },
  )

  it('round-trips through landingPathFor', () => {
    for (const token of ['ab+cd/ef==', 'x%2By', 'a b&c=d#e']) {
      expect(tokenFromUrl(`https://x.example${landingPathFor(token)}`)).toBe(token)
    }
  })
})

describe('isResolvableToken', () => {
  it.each(['abc', 'ab+cd/ef==', 'x%2By', 'A-Z_a.z~0'])('%s can be sent to Resolve', (token) => {
    expect(isResolvableToken(token)).toBe(true)
  })
  it.each(['✓', 'abcé', 'a b', 'a\tb', 'a\u0000b', ''])('%j cannot', (token) => {
    expect(isResolvableToken(token)).toBe(false)
  })
})

describe('safeReturnPath', () => {
  const base = 'https://saas.contoso.example'
  it.each([
    ['/landing?token=a%2Bb', '/landing?token=a%2Bb'],
    ['/landing', '/landing'],
  ])('%s is kept', (value, path) => expect(safeReturnPath(value, base)).toBe(path))

  it.each([
    undefined,
    '',
    'landing',
    'https://evil.example/landing',
    '//evil.example',
    '/\\evil.example',
    '/\t/evil.example',
    '/.//evil.example',
    'javascript:alert(1)',
  ])('%j is refused', (value) => expect(safeReturnPath(value, base)).toBeUndefined())
})
