// Reads an async iterable a chunk at a time: the values already available now, up to a limit, never waiting for more.

/** How many microtask turns a next value may take and still count as already available. */
const TURNS = 8

/**
 * The values of `iterable` in arrays of at most `max`: each array holds the
 * first value awaited, then every further value that arrives within a few
 * microtask turns (a generator over data in memory fills whole arrays at
 * about the cost of iterating it; a live source's values come one by one,
 * as they arrive, with no added wait). At most one value is read ahead of
 * the caller.
 */
export async function* asyncChunks<A>(iterable: AsyncIterable<A>, max: number): AsyncGenerator<Array<A>> {
  const iterator = iterable[Symbol.asyncIterator]()
  let pending: Promise<IteratorResult<A>> | undefined = iterator.next()
  try {
    for (;;) {
      const first: IteratorResult<A> = await pending
      pending = undefined
      if (first.done === true) return
      const chunk: Array<A> = [first.value]
      while (chunk.length < max) {
        const next: Promise<IteratorResult<A>> = pending = iterator.next()
        let result: IteratorResult<A> | undefined
        // A rejection is seen when the next chunk awaits `pending`.
        next.then((r) => (result = r), () => undefined)
        for (let turn = 0; turn < TURNS && result === undefined; turn++) await Promise.resolve()
        if (result === undefined) break
        pending = undefined
        if (result.done === true) {
          yield chunk
          return
        }
        chunk.push(result.value)
      }
      pending ??= iterator.next()
      yield chunk
    }
  } finally {
    // A value still being awaited keeps `return()` waiting for it (a live source may never produce it): then end the
    // iterator once it arrives, without waiting here; otherwise let it run its `finally` blocks before the stream ends.
    if (pending === undefined) await iterator.return?.()
    else void pending.then(() => iterator.return?.(), () => undefined)
  }
}
