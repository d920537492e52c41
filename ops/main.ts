#!/usr/bin/env node
// `saas-ops` (`npm run ops -- <command>`, or the package's bin once built): see `saas-ops --help`.
import { run } from './program.ts'

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
})
