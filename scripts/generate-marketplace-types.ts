// Regenerates the TypeScript types of Microsoft's OpenAPI files (marketplace/openapi/*.json, copied
// unchanged from microsoft/commercial-marketplace-openapi, MIT). Run after updating those files:
//   npm run generate:types
import { readFile, writeFile } from 'node:fs/promises'
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript'

const specs = [
  ['saasapi.v2.json', 'saas.d.ts'],
  ['meteringapi.v1.json', 'metering.d.ts'],
] as const

for (const [json, dts] of specs) {
  const source = new URL(`../marketplace/openapi/${json}`, import.meta.url)
  const ast = await openapiTS(JSON.parse(await readFile(source, 'utf8')) as OpenAPI3)
  const banner = `// Generated from ${json} by scripts/generate-marketplace-types.ts. Do not edit.\n`
  await writeFile(new URL(`../marketplace/openapi/${dts}`, import.meta.url), banner + astToString(ast))
}
