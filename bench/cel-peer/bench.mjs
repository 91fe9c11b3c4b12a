// The peer of bench/cel_bench.c: the same expressions (bench/cel-exprs.txt) through
// @marcbachmann/cel-js, parsed once and evaluated in a loop; the context literal is evaluated
// by cel-js itself. Prints a "METHOD peer ..." line, then "RESULT peer name=N evals_per_s=E
// parse_us=P result=R" lines; the loop is the C side's: an untimed warm-up of a fifth of the
// measurement (the JIT compiles the hot functions), then batches of 1000 until SECONDS of CPU.
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

// Evaluations of fn in batches of 1000 until budget seconds of CPU time: [rate, last result].
function runFor (fn, budget) {
  let n = 0
  let result
  const t0 = now()
  let t
  do {
    for (let i = 0; i < 1000; i++, n++) result = fn(ctx)
    t = now()
  } while (t - t0 < budget)
  return [n / (t - t0), result]
}

function measure (name, expr) {
  const fn = parse(expr)
  runFor(fn, seconds / 5) // warm-up
  const [rate, result] = runFor(fn, seconds)
  console.log(`RESULT peer name=${name} evals_per_s=${Math.round(rate)} ` +
              `parse_us=${parseUs(expr, seconds / 4).toFixed(2)} result=${result}`)
}

console.log(`METHOD peer @marcbachmann/cel-js on node ${process.version}: parse() once; per ` +
            `evaluation the returned function on the context object; batches of 1000 until ` +
            `${seconds.toFixed(2)} s of process CPU time (process.cpuUsage: every thread, the ` +
            `JIT and the collector included) after ${(seconds / 5).toFixed(2)} s of untimed ` +
            `warm-up`)

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
