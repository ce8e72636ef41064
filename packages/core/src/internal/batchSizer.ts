// batchSizer: how many waiting items a stage takes in one call, adapted to how long its items take (a time budget per batch).

/**
 * Sizes a stage's batches so one call takes about `targetMs`: it starts at
 * one item, doubles after each full batch that fit the budget, and shrinks at
 * once to what fits when items get slower. Cheap items soon travel in batches
 * of `max` (per-call costs paid once per batch); slow ones go one by one, so
 * their outputs flow as each is done and a stop lands between items. With an
 * unbounded target, every batch may hold `max` items.
 */
export class BatchSizer {
  private size: number

  constructor(private readonly max: number, private readonly targetMs: number) {
    this.size = Number.isFinite(targetMs) ? 1 : max
  }

  /** The most items the next call may take. */
  get limit(): number {
    return this.size
  }

  /** A call took `ms` for `items` items. */
  record(items: number, ms: number): void {
    if (!Number.isFinite(this.targetMs) || items === 0) return
    const perItem = ms / items
    const fits = perItem > 0 ? Math.floor(this.targetMs / perItem) : this.max
    const grown = items >= this.size ? this.size * 2 : this.size
    this.size = Math.max(1, Math.min(this.max, fits, grown))
  }
}
