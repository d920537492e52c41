/**
 * Entra ID look-alike endpoints under `/identity/{tenantId}`: OpenID metadata, JWKS, and the v2.0
 * client-credentials token endpoint. Errors use Entra's OAuth shape (`error`, `error_description`).
 * Never faulted: fault injection is about the marketplace, not about sign-in.
 * @module
 */
import { Hono } from 'hono'
import { ACCESS_TOKEN_LIFETIME_S, MARKETPLACE_SCOPE, type Identity } from './identity.ts'

export function createIdentityRoutes(identity: Identity) {
  const app = new Hono()

  app.get('/:tenantId/v2.0/.well-known/openid-configuration', (c) =>
    c.json(identity.openIdConfiguration(c.req.param('tenantId'))),
  )

  app.get('/:tenantId/discovery/v2.0/keys', (c) => c.json(identity.jwks()))

  app.post('/:tenantId/oauth2/v2.0/token', async (c) => {
    const form: Record<string, unknown> = await c.req.parseBody().catch(() => ({}))
    const field = (name: string) => (typeof form[name] === 'string' ? form[name] : undefined)
    const refuse = (status: 400 | 401, error: string, description: string) =>
      c.json({ error, error_description: description }, status)

    if (field('grant_type') !== 'client_credentials') {
      return refuse(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.')
    }
    const clientId = field('client_id')
    if (!clientId) return refuse(400, 'invalid_request', 'The request body must contain client_id.')
    if (!field('client_secret') && !field('client_assertion')) {
      return refuse(401, 'invalid_client', 'The request body must contain client_secret or client_assertion.')
    }
    if (field('scope') !== MARKETPLACE_SCOPE) {
      return refuse(400, 'invalid_scope', `The scope must be ${MARKETPLACE_SCOPE} (the marketplace API).`)
    }
    const accessToken = await identity.issueAccessToken(c.req.param('tenantId'), clientId)
    return c.json({
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_LIFETIME_S,
      ext_expires_in: ACCESS_TOKEN_LIFETIME_S,
      access_token: accessToken,
    })
  })

  return app
}
