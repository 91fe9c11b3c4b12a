// The peer of bench/cel_bench.c: the same expressions (bench/cel-exprs.txt) through
// @marcbachmann/cel-js, parsed once and evaluated in a loop; the context literal is evaluated
// by cel-js itself. Prints "RESULT peer name=N evals_per_s=E parse_us=P result=R" lines.
// Usage: node bench.mjs EXPRS_FILE [SECONDS_PER_MEASUREMENT]
import {readFileSync} from 'node:fs'
import {parse, evaluate} from '@marcbachmann/cel-js'

const [file, secondsArg] = process.argv.slice(2)
const seconds = Number(secondsArg || 2)
let ctx = {}

// Process CPU time (all threads: the JIT and the collector count), as the C side measures.
function now () {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

function parseUs (expr, budget) {
  let n = 0
  const t0 = now()
  let t
  do {
    for (let i = 0; i < 50; i++, n++) parse(expr)
    t = now()
  } while (t - t0 < budget)
  return (t - t0) / n * 1e6
}

function measure (name, expr) {
  const fn = parse(expr)
  let n = 0
  let result
  const t0 = now()
  let t
  do {
    for (let i = 0; i < 1000; i++, n++) result = fn(ctx)
    t = now()
  } while (t - t0 < seconds)
  console.log(`RESULT peer name=${name} evals_per_s=${Math.round(n / (t - t0))} ` +
              `parse_us=${parseUs(expr, seconds / 4).toFixed(2)} result=${result}`)
}

for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (line.startsWith('#') || !line.includes('\t')) continue
  const tab = line.indexOf('\t')
  const name = line.slice(0, tab)
  const expr = line.slice(tab + 1)
  if (name === 'context') {
    const v = evaluate(expr)
    ctx = v instanceof Map ? Object.fromEntries(v) : v
  } else {
    measure(name, expr)
  }
}
