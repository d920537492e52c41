/**
 * The purchase token of the landing URL, and the return paths of the sign-in round trip.
 * @module
 */

/**
 * The `token` query parameter, percent-decoded exactly once, as Microsoft's Resolve expects it.
 *
 * Read from the raw query string on purpose: form decoding (`URLSearchParams`, Hono's `c.req.query`)
 * turns a literal `+` into a space, and decoding the already-decoded value again would corrupt a token
 * that contains `%`. `?token=ab%2Bcd%2Fef%3D` gives `ab+cd/ef=`; `?token=x%252By` gives `x%2By`.
 * Undefined when the parameter is missing, blank or not valid percent-encoding.
 */
export function tokenFromUrl(url: string): string | undefined {
  const query = new URL(url).search.slice(1)
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=')
    if (eq < 0 || pair.slice(0, eq) !== 'token') continue
    let value: string
    try {
      value = decodeURIComponent(pair.slice(eq + 1))
    } catch {
      return undefined
    }
    return value.trim() === '' ? undefined : value
  }
  return undefined
}

/**
 * Whether a token can be what Microsoft issues, and so be sent to Resolve at all. Microsoft's tokens are
 * URL-safe printable ASCII, and Resolve takes the token in an HTTP header (`x-ms-marketplace-token`),
 * where anything else cannot even be sent: such a link is simply not valid.
 */
export function isResolvableToken(token: string): boolean {
  return /^[\x21-\x7e]+$/.test(token)
}

/** The landing URL for a token, encoded so that `tokenFromUrl` gives the same token back. */
export function landingPathFor(token: string): string {
  return `/landing?token=${encodeURIComponent(token)}`
}

/**
 * A path on this site to return to after sign-in, or undefined. Only same-origin relative paths pass, so
 * the callback can never be used to send a buyer to another site (`//evil.example`, `/\evil.example`,
 * `https://…`).
 */
export function safeReturnPath(value: string | undefined, publicUrl: string): string | undefined {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return undefined
  try {
    const base = new URL(publicUrl)
    const target = new URL(value, base)
    const path = target.pathname + target.search
    // Checked again after normalisation: `/.//evil.example` becomes the protocol-relative `//evil.example`.
    if (target.origin !== base.origin || path.startsWith('//')) return undefined
    return path
  } catch {
    return undefined
  }
}
