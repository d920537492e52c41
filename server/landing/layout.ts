/**
 * The one page layout of the landing page, and how every page is sent.
 *
 * Plain HTML with a few inline styles: no script, no external asset, readable on a phone, usable with a
 * keyboard and a screen reader, and working in any browser (progress pages refresh with
 * `<meta http-equiv="refresh">`, not JavaScript). Every value goes through `hono/html`, which escapes it; only
 * the constant style sheet is inserted raw.
 * @module
 */
import type { Context } from 'hono'
import { html, raw } from 'hono/html'

export type Html = ReturnType<typeof html>

export interface Page {
  title: string
  body: Html
  /** Seconds after which the browser reloads the page by itself. */
  refresh?: number
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#f5f5f5}
main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem 3rem}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:1.25rem 1.5rem;margin:1rem 0}
h1{font-size:1.5rem;line-height:1.25;margin:.25rem 0 1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:0}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin-top:1rem}
input[type=email],input[type=text]{width:100%;font:inherit;padding:.55rem .6rem;border:1px solid #767676;border-radius:4px}
button,.button{display:inline-block;margin-top:1.25rem;font:inherit;font-weight:600;padding:.65rem 1.1rem;border:0;
 border-radius:4px;background:#0f6cbd;color:#fff;text-decoration:none;cursor:pointer}
:focus-visible{outline:3px solid #0f6cbd;outline-offset:2px}
.note{color:#4a4a4a;font-size:.95rem}
.error{color:#a4262c;font-weight:600}
.alert{border-left:4px solid #a4262c;padding-left:.75rem}
.ok{border-left:4px solid #107c10;padding-left:.75rem}
.busy{border-left:4px solid #0f6cbd;padding-left:.75rem}
`

export function layout(page: Page): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        ${page.refresh ? html`<meta http-equiv="refresh" content="${page.refresh}" />` : ''}
        <title>${page.title}</title>
        <style>
          ${raw(STYLE)}
        </style>
      </head>
      <body>
        <main>${page.body}</main>
      </body>
    </html>`
}

/**
 * Sends a page with the headers every landing page needs: never cached (they carry personal data, and the
 * URL a purchase token), never sending the token on in a `Referer`, never framed, forms only to this site
 * (and, when sign-in is on, redirects from a form to the sign-in provider, which browsers also check).
 */
export function send(c: Context, status: number, page: Page, formTargets: string[] = []) {
  c.header('Cache-Control', 'no-store')
  c.header('Referrer-Policy', 'no-referrer')
  c.header('X-Content-Type-Options', 'nosniff')
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'unsafe-inline'; form-action ${["'self'", ...formTargets].join(' ')}; ` +
      `frame-ancestors 'none'; base-uri 'none'`,
  )
  return c.html(layout(page), status as 200)
}
