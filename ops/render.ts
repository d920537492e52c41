/**
 * Human output of the operator CLI: plain tables (cli-table3 without colours or borders, so they read
 * well in a terminal, a log and `grep`) and "key: value" blocks. `--json` bypasses all of this.
 * @module
 */
import Table from 'cli-table3'

type Cell = string | number | boolean | null | undefined

/** A borderless table with a header row; empty cells show as `-`. */
export function table(head: string[], rows: Cell[][]): string {
  const t = new Table({
    head,
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  })
  t.push(...rows.map((row) => row.map(cell)))
  return t.toString()
}

/** `key: value` lines, aligned, skipping absent values. */
export function fields(entries: [string, Cell][]): string {
  const present = entries.filter(([, v]) => v !== undefined && v !== null && v !== '')
  const width = Math.max(0, ...present.map(([k]) => k.length))
  return present.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${String(v)}`).join('\n')
}

function cell(value: Cell): string {
  return value === undefined || value === null || value === '' ? '-' : String(value)
}
