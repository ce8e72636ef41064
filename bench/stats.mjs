// Shared by the benchmark runners: medians, alternated A/B pairs, and time formatting.
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
/** Runs `a` and `b` alternately `k` times each (so drift on this shared machine hits both alike); their medians. */
export const pair = (k, a, b) => {
  const as = []
  const bs = []
  for (let i = 0; i < k; i++) {
    as.push(a())
    bs.push(b())
  }
  return [median(as), median(bs)]
}
export const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`)
