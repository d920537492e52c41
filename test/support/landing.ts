/**
 * A buyer's browser, reduced to what the landing page needs: open the landing URL, submit the
 * confirmation form, follow the redirect to the progress page.
 */
export async function confirmPurchase(
  landingUrl: string,
  contact = { email: 'buyer@fabrikam.example', name: 'Pat Buyer' },
) {
  const page = await fetch(landingUrl)
  const html = await page.text()
  if (page.status !== 200) throw new Error(`landing page answered ${page.status}: ${html.slice(0, 300)}`)
  const form = new URLSearchParams()
  for (const [, name, value] of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
    form.set(name!, decodeEntities(value!))
  }
  form.set('email', contact.email)
  form.set('name', contact.name)
  const { origin } = new URL(landingUrl)
  const confirmed = await fetch(`${origin}/landing`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin, cookie: cookiesOf(page) },
    body: form,
  })
  if (confirmed.status !== 303)
    throw new Error(`confirm answered ${confirmed.status}: ${(await confirmed.text()).slice(0, 300)}`)
  return new URL(confirmed.headers.get('location')!, origin).toString()
}

/** The subscription as the progress page reports it (its JSON variant). */
export async function progress(
  statusUrl: string,
): Promise<{ saasSubscriptionStatus: string; step: string } & Record<string, unknown>> {
  const res = await fetch(statusUrl, { headers: { accept: 'application/json' } })
  if (!res.ok) throw new Error(`status page answered ${res.status}`)
  return (await res.json()) as { saasSubscriptionStatus: string; step: string }
}

function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')
}

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}
