/**
 * Per-node run metrics (items in and out, errors, time spent in process
 * with p50/p99), collected by the executor when `metrics: true`.
 *
 * @since 0.1.0
 */

/**
 * Time spent in `process`, per item, in milliseconds.
 *
 * @category models
 * @since 0.1.0
 */
export interface ProcessTime {
  readonly p50: number
  readonly p99: number
  readonly mean: number
  readonly max: number
  readonly total: number
}

/**
 * One node's figures. Stages a transport fused are reported under their
 * joined ids (`a+b`) unless the transport times each node itself.
 *
 * @category models
 * @since 0.1.0
 */
export interface NodeMetrics {
  readonly nodeId: string
  readonly itemsIn: number
  readonly itemsOut: number
  readonly errors: number
  readonly processTime: ProcessTime
}

/**
 * A whole run's figures.
 *
 * @category models
 * @since 0.1.0
 */
export interface PipelineMetrics {
  readonly pipeline: string
  readonly totalMs: number
  readonly nodes: ReadonlyArray<NodeMetrics>
}

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

/**
 * One stage's live counters.
 *
 * @category constructors
 * @since 0.1.0
 */
export class NodeCounter {
  itemsIn = 0
  itemsOut = 0
  errors = 0
  readonly times: Array<number> = []
  constructor(readonly nodeId: string) {}

  summary(): NodeMetrics {
    const sorted = [...this.times].sort((a, b) => a - b)
    const total = sorted.reduce((a, b) => a + b, 0)
    return {
      nodeId: this.nodeId,
      itemsIn: this.itemsIn,
      itemsOut: this.itemsOut,
      errors: this.errors,
      processTime: {
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        mean: sorted.length === 0 ? 0 : total / sorted.length,
        max: sorted.at(-1) ?? 0,
        total
      }
    }
  }
}

/**
 * Mutable counters for one run; stages update them from their own fibers.
 *
 * @category constructors
 * @since 0.1.0
 */
export class Collector {
  private readonly counters = new Map<string, NodeCounter>()
  private readonly startedAt = performance.now()

  constructor(readonly pipeline: string) {}

  /** The counter for a stage (fused stages share one). */
  node(nodeId: string): NodeCounter {
    let c = this.counters.get(nodeId)
    if (!c) {
      c = new NodeCounter(nodeId)
      this.counters.set(nodeId, c)
    }
    return c
  }

  /** Records one item's time in a node. */
  readonly recordItemTime = (nodeId: string, ms: number): void => {
    this.node(nodeId).times.push(ms)
  }

  summary(): PipelineMetrics {
    return {
      pipeline: this.pipeline,
      totalMs: performance.now() - this.startedAt,
      nodes: [...this.counters.values()].map((c) => c.summary())
    }
  }
}
