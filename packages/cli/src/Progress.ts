// Progress: one updating line on stderr (items in and out, rate) while a long run goes, only when stderr is a terminal.

/** Start showing once this many items went in, or once the run is this old. */
const SHOW_AFTER_ITEMS = 100
const SHOW_AFTER_MS = 1_000
const REFRESH_MS = 250

/** The progress line's text. */
export const progressLine = (itemsIn: number, itemsOut: number, elapsedMs: number): string => {
  const seconds = elapsedMs / 1000
  const rate = seconds > 0 ? itemsOut / seconds : 0
  return `${itemsIn} in, ${itemsOut} out, ${rate.toFixed(rate < 10 ? 1 : 0)} items/s, ${seconds.toFixed(1)} s`
}

/** Counts items in and out of a run and redraws the progress line while it runs. */
export class Progress {
  private itemsIn = 0
  private itemsOut = 0
  private shown = false
  private readonly startedAt = performance.now()
  private readonly timer: NodeJS.Timeout | undefined

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.timer = stream.isTTY ? setInterval(() => this.draw(), REFRESH_MS).unref() : undefined
  }

  countIn(): void {
    this.itemsIn++
  }

  countOut(): void {
    this.itemsOut++
  }

  /** Erases the line (before other output on the terminal, and at the end). */
  clear(): void {
    if (this.shown) this.stream.write("\r\u001b[K")
    this.shown = false
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.clear()
  }

  private draw(): void {
    const elapsed = performance.now() - this.startedAt
    if (this.itemsIn <= SHOW_AFTER_ITEMS && elapsed < SHOW_AFTER_MS) return
    this.stream.write(`\r\u001b[K${progressLine(this.itemsIn, this.itemsOut, elapsed)}`)
    this.shown = true
  }
}
