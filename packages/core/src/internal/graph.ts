// graph: the shape of a pipeline's connections — topological order, cycles, single chains, and the chain segments the executor wires.
import { describeValue, isTsNode } from "../NodeRef.js"
import type { Connection, PipelineNode } from "../Pipeline.js"
import type { InputIssue } from "../PipelineError.js"

/**
 * Edges between node indices, analysed: predecessors and successors of each
 * node in connection order, and a topological order (ties broken by index).
 */
export interface Shape {
  readonly order: ReadonlyArray<number>
  readonly preds: ReadonlyArray<ReadonlyArray<number>>
  readonly succs: ReadonlyArray<ReadonlyArray<number>>
}

/** The outcome of {@link analyze}: a shape, or the nodes of one cycle in path order, from its lowest index. */
export type Analysis = { readonly _tag: "Acyclic"; readonly shape: Shape } | {
  readonly _tag: "Cyclic"
  readonly cycle: ReadonlyArray<number>
}

/** Topological order by Kahn's algorithm, lowest index first among ready nodes; a cycle found when some nodes never become ready. */
export const analyze = (count: number, edges: ReadonlyArray<readonly [number, number]>): Analysis => {
  const preds: Array<Array<number>> = Array.from({ length: count }, () => [])
  const succs: Array<Array<number>> = Array.from({ length: count }, () => [])
  for (const [from, to] of edges) {
    succs[from]!.push(to)
    preds[to]!.push(from)
  }
  const waiting = preds.map((p) => p.length)
  const ready: Array<number> = []
  for (let i = 0; i < count; i++) if (waiting[i] === 0) ready.push(i)
  const order: Array<number> = []
  while (ready.length > 0) {
    ready.sort((a, b) => a - b)
    const at = ready.shift()!
    order.push(at)
    for (const next of succs[at]!) if (--waiting[next]! === 0) ready.push(next)
  }
  if (order.length === count) return { _tag: "Acyclic", shape: { order, preds, succs } }
  // Every node left waits on another node left: walking predecessors among them must loop.
  const left = new Set<number>()
  for (let i = 0; i < count; i++) if (waiting[i]! > 0) left.add(i)
  const path: Array<number> = []
  const seenAt = new Map<number, number>()
  let at = Math.min(...left)
  while (!seenAt.has(at)) {
    seenAt.set(at, path.length)
    path.push(at)
    at = preds[at]!.find((p) => left.has(p))!
  }
  const cycle = path.slice(seenAt.get(at)).reverse()
  const first = cycle.indexOf(Math.min(...cycle))
  return { _tag: "Cyclic", cycle: [...cycle.slice(first), ...cycle.slice(0, first)] }
}

/** "a -> b -> a": a cycle's nodes, named, back to the first. */
export const describeCycle = (cycle: ReadonlyArray<number>, name: (i: number) => string): string =>
  [...cycle, cycle[0]!].map(name).join(" -> ")

/** The node indices in order when the edges link all nodes into one chain, else undefined. */
export const chainOrder = (count: number, shape: Shape): ReadonlyArray<number> | undefined => {
  const heads = shape.order.filter((i) => shape.preds[i]!.length === 0)
  if (heads.length !== 1) return undefined
  if (shape.preds.some((p) => p.length > 1) || shape.succs.some((s) => s.length > 1)) return undefined
  return shape.order.length === count ? shape.order : undefined
}

/**
 * Maximal chains: a node continues its predecessor's segment when it has
 * exactly one predecessor and that predecessor exactly one successor.
 * Segments come in topological order of their heads.
 */
export const segments = (shape: Shape): ReadonlyArray<ReadonlyArray<number>> => {
  const out: Array<Array<number>> = []
  const segmentOf = new Map<number, Array<number>>()
  for (const at of shape.order) {
    const p = shape.preds[at]!
    const joined = p.length === 1 && shape.succs[p[0]!]!.length === 1 ? segmentOf.get(p[0]!) : undefined
    const segment = joined ?? []
    if (joined === undefined) out.push(segment)
    segment.push(at)
    segmentOf.set(at, segment)
  }
  return out
}

/**
 * A graph pipeline's connections checked against its nodes: each end naming
 * an unknown node, a node connected to itself, a cycle (naming its nodes), a
 * TypeScript source node with incoming connections. Issue positions are
 * connection indices, except for a cycle's and a source node's (node
 * positions). The shape when there is no issue.
 */
export const checkGraph = (
  nodes: ReadonlyArray<PipelineNode>,
  connections: ReadonlyArray<Connection>
): { readonly issues: ReadonlyArray<InputIssue>; readonly shape?: Shape } => {
  const issues: Array<InputIssue> = []
  const index = new Map(nodes.map((n, i) => [n.id, i]))
  const edges: Array<readonly [number, number]> = []
  connections.forEach((c, position) => {
    const from = index.get(c.from)
    const to = index.get(c.to)
    const issue = (reason: string) => issues.push({ position, type: "connection", reason })
    if (from === undefined) issue(`connection from unknown node '${c.from}'`)
    if (to === undefined) issue(`connection to unknown node '${c.to}'`)
    if (from !== undefined && from === to) issue(`node '${c.from}' is connected to itself`)
    if (from !== undefined && to !== undefined && from !== to) edges.push([from, to])
  })
  if (issues.length > 0) return { issues }
  const analysis = analyze(nodes.length, edges)
  if (analysis._tag === "Cyclic") {
    const names = describeCycle(analysis.cycle, (i) => `'${nodes[i]!.id}'`)
    return { issues: [{ position: analysis.cycle[0]!, type: "cycle", reason: `the connections form a cycle: ${names}` }] }
  }
  for (const [from, to] of edges) {
    const node = nodes[to]!
    if (isTsNode(node.ref) && node.ref.isSource === true) {
      issues.push({
        position: to,
        type: describeValue(node.ref),
        reason: `source node '${node.id}' takes no input, but a connection from '${nodes[from]!.id}' leads into it`
      })
    }
  }
  return issues.length > 0 ? { issues } : { issues, shape: analysis.shape }
}
