/**
 * Composite: the transport of a standalone caller's runs. Core hands a
 * transport each group of consecutive Python nodes; this one splits a group
 * into runs of caller-owned nodes (fused into one chain in the caller's
 * worker, see {@link Attached}) and runs of other Python nodes (manifest
 * nodes, serialized instances), each delegated to the transport selected for
 * the run, acquired only when such a node is met.
 *
 * @since 0.1.0
 */
import { NodeInitializeError, type Pipeline, Transport, TransportSelection } from "@remotemedia/core"
import { Effect } from "effect"
import * as Attached from "./Attached.js"

/**
 * The transport of one run: live nodes to `worker`, others to the transport `selection` names.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (worker: Attached.AttachedWorker, selection: TransportSelection.TransportSelection): Transport.Transport["Service"] => {
  let inner: Transport.Transport["Service"] | undefined
  return Transport.Transport.of({
    name: `standalone+${selection.name}`,
    load: (nodes, report) =>
      Effect.gen(function*() {
        const stages: Array<Transport.Stage> = []
        for (const run of runs(nodes)) {
          if (run.live) {
            stages.push(...(yield* Attached.load(worker, run.nodes, report)))
            continue
          }
          inner ??= yield* TransportSelection.acquire(selection).pipe(
            Effect.mapError((cause) => new NodeInitializeError({ nodeId: run.nodes[0]!.id, cause }))
          )
          stages.push(...(yield* inner.load(run.nodes, report)))
        }
        return stages
      })
  })
}

interface Run {
  readonly live: boolean
  readonly nodes: Array<Pipeline.PipelineNode>
}

/** Consecutive nodes of one kind (caller-owned or not), in order. */
const runs = (nodes: ReadonlyArray<Pipeline.PipelineNode>): Array<Run> => {
  const out: Array<Run> = []
  for (const node of nodes) {
    const live = Attached.isLiveRef(node.ref)
    const last = out[out.length - 1]
    if (last !== undefined && last.live === live) last.nodes.push(node)
    else out.push({ live, nodes: [node] })
  }
  return out
}
