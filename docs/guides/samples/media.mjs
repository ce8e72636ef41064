import { Audio, executePipelineWithInput, Tensor, VideoFrame } from "@remotemedia/core"
import { start } from "@remotemedia/python-bridge"

const python = start({ paths: ["."] })
const Inspect = await (await python.import("media_nodes")).get("Inspect")
const inspect = await Inspect.call([], { name: "inspect" })

const items = [
  new Audio(new Float32Array(320), 16_000, 1),
  new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]),
  new VideoFrame(new Uint8Array(2 * 2 * 3), 2, 2, "rgb24"),
  { text: "hi", n: 3n, raw: new Uint8Array([1, 2]) }
]
for (const out of await executePipelineWithInput([inspect], items)) console.log(out)
