import { executePipeline } from "@remotemedia/core"
import { start } from "@remotemedia/python-bridge"

const python = start({ paths: ["."] })
const mod = await python.import("shapes")
const node = async (cls) => (await mod.get(cls)).call([], { name: cls.toLowerCase() })
const where = await node("Where")

const source = { id: "lines", isSource: true, *process() { yield "hello there"; yield "skip me" } }
const out = await executePipeline([source, await node("Split"), await node("Shout"), where])
console.log(out)
console.log("Where ran on:", await where.getJs("thread_list"))
