// `npm run build`: the production programs as plain JavaScript in dist/, run with `node` alone.
//
// - TypeScript is compiled by tsc with the project's own tsconfig (same checks as `npm run typecheck`),
//   relative `.ts` imports rewritten to `.js`, starting from the programs' entry points only (no tests).
// - The workflow code is bundled once, here, into dist/workflow-bundle.js: the worker loads it with
//   `workflowBundle: { codePath }` instead of running webpack at every start (Temporal's advice for
//   production), and the bundle is exactly the code that was built. A second bundle,
//   dist/workflow-bundle-traced.js, adds the OpenTelemetry workflow interceptors for workers with traces
//   on (observability/tracing.ts): interceptors can only be added by bundling.
//
// Usage: node scripts/build.mjs [outDir]   (default dist/)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker'

const root = fileURLToPath(new URL('..', import.meta.url))
const outDir = resolve(root, process.argv[2] ?? 'dist')

/** The programs that run in production; everything they import is compiled with them. */
const ENTRY_POINTS = ['server/main.ts', 'worker/main.ts', 'ops/main.ts']
/** In outDir, where `worker/create-worker.ts` looks for them: without and with traces. */
const WORKFLOW_BUNDLES = {
  'workflow-bundle.js': [],
  // The module WORKFLOW_INTERCEPTORS_MODULE of observability/tracing.ts names.
  'workflow-bundle-traced.js': [
    createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
  ],
}

rmSync(outDir, { recursive: true, force: true })
mkdirSync(outDir, { recursive: true })

const started = performance.now()
const configFile = ts.readConfigFile(resolve(root, 'tsconfig.json'), ts.sys.readFile)
if (configFile.error) fail([configFile.error])
const parsed = ts.parseJsonConfigFileContent(
  {
    ...configFile.config,
    compilerOptions: {
      ...configFile.config.compilerOptions,
      noEmit: false,
      outDir,
      rootDir: root,
      rewriteRelativeImportExtensions: true,
      sourceMap: true,
    },
    include: undefined,
    files: ENTRY_POINTS,
  },
  ts.sys,
  root,
)
const program = ts.createProgram(parsed.fileNames, parsed.options)
const emitted = program.emit()
const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics]
if (diagnostics.length > 0 || emitted.emitSkipped) fail(diagnostics)
const compiledMs = performance.now() - started

for (const [file, workflowInterceptorModules] of Object.entries(WORKFLOW_BUNDLES)) {
  const { code } = await bundleWorkflowCode({
    workflowsPath: resolve(root, 'workflows/index.ts'),
    workflowInterceptorModules,
    logger: new DefaultLogger('WARN'),
  })
  writeFileSync(resolve(outDir, file), code)
}

console.log(
  `Built ${ENTRY_POINTS.map((e) => e.replace(/\.ts$/, '.js')).join(', ')} and ${Object.keys(WORKFLOW_BUNDLES).join(', ')} in ` +
    `${outDir} (compile ${Math.round(compiledMs)} ms, bundle ${Math.round(performance.now() - started - compiledMs)} ms)`,
)

function fail(diagnostics) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }
  console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host))
  console.error('Build failed: fix the errors above.')
  process.exit(1)
}
