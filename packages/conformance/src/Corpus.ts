/**
 * Corpus: manifests modeled on upstream's real ones (`corpus/*.json`, each
 * naming its original in `_modeled_on`), run end to end through core's
 * executor on a transport, on inputs generated here: synthesized speech for
 * VAD pipelines, tones for resamplers, a short video (made with PyAV by
 * `corpus/helpers/make_video.py`) for media-file pipelines, text and numbers
 * for the rest. A transport's `test/corpus.test.ts` calls
 * {@link corpusSuite}.
 *
 * Each entry asserts its outcome: the outputs of a manifest that runs, or
 * the exact error of one that cannot run here (a node type not bundled, an
 * unknown one, a manifest core rejects). Where such a manifest has nodes
 * that are bundled, its `bundled part` (those nodes and the connections
 * between them) is run on real input as well and its outputs checked.
 * docs/CORPUS.md tabulates the outcomes.
 *
 * @since 0.1.0
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import {
  Audio,
  Executor,
  Manifest,
  PythonEnvironment,
  type RuntimeData,
  type Transport,
  type TransportUnavailable
} from "@remotemedia/core"
import { Effect, type Layer } from "effect"

type Data = RuntimeData.RuntimeData
type Doc = Record<string, unknown> & { readonly nodes: ReadonlyArray<{ readonly id: string }> }

const corpusDir = fileURLToPath(new URL("../corpus/", import.meta.url))

/** A corpus file: the manifest (unwrapped from upstream's `{manifest, input_data}` test form) and that form's input. */
const load = (file: string, media: string): { readonly manifest: Doc; readonly inputData?: ReadonlyArray<Data> } => {
  const doc = JSON.parse(readFileSync(join(corpusDir, file), "utf8").replaceAll("${MEDIA}", media)) as Record<string, unknown>
  return "manifest" in doc
    ? { manifest: doc["manifest"] as Doc, inputData: doc["input_data"] as ReadonlyArray<Data> }
    : { manifest: doc as Doc }
}

/** The manifest cut down to `keep` and the connections between those nodes. */
const bundledPart = (manifest: Doc, keep: ReadonlyArray<string>): Doc => {
  const connections = (manifest["connections"] ?? []) as ReadonlyArray<{ readonly from: string; readonly to: string }>
  return {
    ...manifest,
    nodes: manifest.nodes.filter((n) => keep.includes(n.id)),
    connections: connections.filter((c) => keep.includes(c.from) && keep.includes(c.to))
  }
}

// ---------------------------------------------------------------- inputs

/** Deterministic noise in [-1, 1). */
const noise = (seed: number) => {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 31 - 1
  }
}

const VOWELS = [[[700, 80], [1220, 90], [2600, 120]], [[300, 60], [2300, 100], [3000, 120]], [[500, 70], [900, 80], [2500, 120]], [[400, 60], [2000, 90], [2550, 120]]] as const

/** A voiced syllable: a glottal pulse train through three formant resonators, faded in and out. */
const syllable = (rate: number, seconds: number, f0: number, formants: ReadonlyArray<readonly [number, number]>): Float64Array => {
  const n = Math.floor(rate * seconds)
  const rand = noise(f0)
  let signal = new Float64Array(n)
  let phase = 0
  let previous = 0
  for (let i = 0; i < n; i++) {
    phase += f0 * (1 + 0.05 * Math.sin(2 * Math.PI * 3 * i / rate)) / rate
    signal[i] = Math.floor(phase) - previous + 0.02 * rand()
    previous = Math.floor(phase)
  }
  for (const [frequency, bandwidth] of formants) {
    const r = Math.exp(-Math.PI * bandwidth / rate)
    const a1 = -2 * r * Math.cos(2 * Math.PI * frequency / rate)
    const a2 = r * r
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = signal[i]! - a1 * (out[i - 1] ?? 0) - a2 * (out[i - 2] ?? 0)
    signal = out
  }
  let peak = 0
  for (let i = 0; i < n; i++) {
    signal[i]! *= 0.5 * (1 - Math.cos(2 * Math.PI * i / n))
    peak = Math.max(peak, Math.abs(signal[i]!))
  }
  return signal.map((v) => v / peak * 0.5)
}

const RATE = 16_000
/** 1 s of silence, 2 s of speech-like syllables, 1 s of silence, at 16 kHz mono. */
const utterance = (): Float32Array => {
  const out = new Float32Array(4 * RATE)
  for (let i = 0; i < 8; i++) out.set(syllable(RATE, 0.25, 110 + 10 * i, VOWELS[i % 4]!), RATE + i * RATE / 4)
  return out
}

/** A sine at `hz` of `seconds`, interleaved over `channels`. */
const tone = (hz: number, rate: number, channels: number, seconds: number): Float32Array => {
  const frames = Math.round(rate * seconds)
  const out = new Float32Array(frames * channels)
  for (let i = 0; i < frames; i++) out.fill(0.5 * Math.sin(2 * Math.PI * hz * i / rate), i * channels, (i + 1) * channels)
  return out
}

/** `samples` as 100 ms Audio blocks. */
const blocks = (samples: Float32Array, rate: number, channels: number): ReadonlyArray<Audio> => {
  const step = rate / 10 * channels
  const out: Array<Audio> = []
  for (let at = 0; at < samples.length; at += step) out.push(new Audio(samples.slice(at, at + step), rate, channels))
  return out
}

const speech = (): ReadonlyArray<Audio> => blocks(utterance(), RATE, 1)
const stereoTone48k = (): ReadonlyArray<Audio> => blocks(tone(440, 48_000, 2, 1), 48_000, 2)

/** The corpus's test clip, written once per suite by the PyAV helper. */
const makeClip = (): string => {
  const found = PythonEnvironment.find()
  if (found._tag === "NotFound") throw new Error(`the corpus needs a Python: ${found.reason}`)
  const path = join(mkdtempSync(join(tmpdir(), "remotemedia-corpus-")), "clip.mp4")
  execFileSync(found.python, [join(corpusDir, "helpers", "make_video.py"), path])
  return path
}

// ---------------------------------------------------------------- checks

const audios = (out: ReadonlyArray<Data>): ReadonlyArray<Audio> => out.filter((o): o is Audio => o instanceof Audio)

const events = (out: ReadonlyArray<Data>) =>
  out.filter((o): o is { readonly [k: string]: Data } => typeof o === "object" && o !== null && "is_speech_start" in o)

/** The frequency of a mono (or first-channel) signal from its zero crossings. */
const frequency = (audio: ReadonlyArray<Audio>): number => {
  let crossings = 0
  let frames = 0
  let last = 0
  for (const a of audio) {
    for (let i = 0; i < a.frames; i++) {
      const v = a.samples[i * a.channels]!
      if ((last < 0 && v >= 0) || (last >= 0 && v < 0)) crossings++
      last = v
    }
    frames += a.frames
  }
  return crossings / 2 / (frames / audio[0]!.sampleRate)
}

const frames = (audio: ReadonlyArray<Audio>) => audio.reduce((n, a) => n + a.frames, 0)

/** VAD output on {@link speech}: events for every 512-sample window, speech found from about 1 s to 3 s, the audio passed on whole. */
const vadHeardSpeech = (out: ReadonlyArray<Data>): void => {
  const ev = events(out)
  assert.strictEqual(ev.length, 4 * RATE / 512 | 0, "one event per 512-sample window")
  const starts = ev.filter((e) => e["is_speech_start"] === true).map((e) => e["timestamp_ms"] as number)
  const ends = ev.filter((e) => e["is_speech_end"] === true).map((e) => e["timestamp_ms"] as number)
  assert.strictEqual(starts.length, 1, `one speech start (${starts.join(", ")})`)
  assert.strictEqual(ends.length, 1, `one speech end (${ends.join(", ")})`)
  assert.isTrue(starts[0]! >= 900 && starts[0]! <= 1_600, `speech starts near 1 s: ${starts[0]} ms`)
  assert.isTrue(ends[0]! >= 3_000 && ends[0]! <= 3_800, `speech ends after 3 s: ${ends[0]} ms`)
  assert.strictEqual(frames(audios(out)), 4 * RATE, "the audio passes through whole")
}

/** The media-file prefix: 16 kHz mono blocks of exactly 32000 frames holding the clip's 880 Hz tone. */
const bufferedClip = (out: ReadonlyArray<Data>): void => {
  const a = audios(out)
  assert.strictEqual(a.length, out.length, "only audio reaches the buffer (video frames dropped)")
  assert.strictEqual(a.length, 2, "4.5 s at 16 kHz fill two 32000-frame blocks")
  for (const block of a) assert.deepStrictEqual([block.sampleRate, block.channels, block.frames], [16_000, 1, 32_000])
  assert.approximately(frequency(a), 880, 15, "the 880 Hz tone survives decoding, downmix and resampling")
}

// ---------------------------------------------------------------- entries

/** What runs: the manifest with the caller's input (`input`) or as a source pipeline (`source`). */
interface Run {
  readonly input?: () => ReadonlyArray<Data>
  readonly source?: true
  readonly check: (out: ReadonlyArray<Data>, input: ReadonlyArray<Data>) => void
}

/** Why it cannot run here: a node's initialize fails with this Python error naming the type, or core rejects the manifest. */
type Failure =
  | { readonly node: string; readonly pyType: "NodeNotBundledError" | "NodeTypeNotFoundError"; readonly nodeType: string }
  | { readonly manifest: string }

interface Entry {
  readonly file: string
  /** Whether the connections link the nodes into one chain (undefined when core rejects the manifest). */
  readonly chain?: boolean
  readonly runs?: Run
  readonly fails?: Failure
  /** The bundled nodes of a manifest that fails, run on their own. */
  readonly part?: Run & { readonly keep: ReadonlyArray<string> }
}

const text = (): ReadonlyArray<Data> => ["hello corpus", "second line", 42]
const same = (out: ReadonlyArray<Data>, input: ReadonlyArray<Data>) => assert.deepStrictEqual(out, input)
const echoed = (out: ReadonlyArray<Data>) => assert.deepStrictEqual(out, ["Echo #1: hello corpus", "Echo #2: second line", 42])
const notBundled = (node: string, nodeType: string): Failure => ({ node, pyType: "NodeNotBundledError", nodeType })
const unknown = (node: string, nodeType: string): Failure => ({ node, pyType: "NodeTypeNotFoundError", nodeType })
const vadPart = (id: string) => ({ keep: [id], input: speech, check: vadHeardSpeech })
const clipPart = { keep: ["MediaReader_0", "AudioSource_1", "Resample_2", "AudioBuffer_3"], source: true as const, check: bufferedClip }
const dockerDialect: Failure = { manifest: "Invalid manifest at version: unsupported version '1.0.0' (expected 'v1')" }

/** Every corpus entry and its expected outcome. */
const entries: ReadonlyArray<Entry> = [
  { file: "ui-e2e-passthrough.json", chain: true, runs: { input: () => [...text(), ...stereoTone48k().slice(0, 2)], check: same } },
  { file: "cli-test-passthrough.json", chain: true, runs: { input: stereoTone48k, check: same } },
  { file: "runtime-passthrough-test.json", chain: true, runs: { input: text, check: same } },
  { file: "runtime-python-node-wasm.json", chain: true, runs: { check: same } },
  { file: "archive-python-calculator-wasm.json", chain: true, runs: { check: (out) => assert.deepStrictEqual(out, [7, 17.5, -7]) } },
  { file: "docker-echo-node.json", chain: true, runs: { input: text, check: echoed } },
  { file: "docker-secure-node.json", chain: true, runs: { input: text, check: echoed } },
  { file: "core-local-vad-remote-tts.json", chain: true, fails: notBundled("tts_remote", "RemotePipelineNode"), part: vadPart("vad") },
  { file: "remote-local-vad-remote-tts.json", chain: true, fails: notBundled("tts_there", "RemotePipelineNode"), part: vadPart("vad_here") },
  { file: "core-microservices-composition.json", chain: true, fails: notBundled("stt", "RemotePipelineNode") },
  { file: "runtime-core-passthrough-remote-echo.json", chain: true, fails: notBundled("far", "RemotePipelineNode") },
  {
    file: "nextjs-vad-s2s.json",
    chain: true,
    fails: notBundled("assistant", "LFM2AudioNode"),
    part: {
      keep: ["chunker", "vad", "utterances"],
      input: speech,
      check: (out) => {
        const [utt, ...rest] = audios(out)
        assert.strictEqual(out.length, 1, "one utterance comes out of the accumulator")
        assert.deepStrictEqual([utt!.sampleRate, utt!.channels, rest.length], [RATE, 1, 0])
        assert.isTrue(utt!.frames % 512 === 0, "made of the chunker's 512-sample chunks")
        assert.isTrue(utt!.durationSeconds >= 2 && utt!.durationSeconds <= 3.3, `the 2 s of speech plus pre-roll and trailing silence: ${utt!.durationSeconds} s`)
      }
    }
  },
  { file: "nextjs-simple-s2s.json", chain: true, fails: notBundled("understand", "LFM2AudioNode") },
  { file: "rust-whisper.json", chain: true, fails: notBundled("Transcribe_4", "RustWhisperTranscriber"), part: clipPart },
  { file: "rust-whisperx.json", chain: true, fails: notBundled("Transcribe_4", "WhisperXTranscriber"), part: clipPart },
  { file: "docker-simple-node.json", chain: true, fails: notBundled("torch_box", "SimplePyTorchNode") },
  { file: "docker-minimal-test.json", chain: true, fails: notBundled("tiny_box", "SimplePyTorchNode") },
  {
    file: "archive-multiprocess-manifest.json",
    chain: true,
    fails: notBundled("stt", "WhisperNode"),
    part: {
      keep: ["chunks"],
      input: speech,
      check: (out) => {
        const a = audios(out)
        assert.strictEqual(a.length, Math.floor(4 * RATE / 1024), "every whole 1024-sample chunk of the 4 s")
        assert.isTrue(a.every((c) => c.samples.length === 1024 && c.sampleRate === RATE))
      }
    }
  },
  { file: "aws-local-orchestration-remote-gpu.json", chain: true, fails: notBundled("stt", "RemotePipelineNode"), part: vadPart("vad") },
  { file: "aws-multi-gpu-pipeline.json", chain: false, fails: notBundled("asr_small", "RemotePipelineNode"), part: vadPart("vad") },
  { file: "cli-voice-assistant.json", chain: true, fails: notBundled("stt", "WhisperSTT"), part: vadPart("vad") },
  {
    file: "archive-whisper-remote-execution.json",
    chain: true,
    fails: notBundled("asr", "WhisperNode"),
    part: {
      keep: ["down"],
      input: stereoTone48k,
      check: (out) => {
        const a = audios(out)
        assert.strictEqual(a.length, 10, "one block out per block in")
        assert.isTrue(a.every((b) => b.sampleRate === RATE && b.channels === 2 && b.frames === 1600), "100 ms at 16 kHz, still stereo")
        assert.approximately(frequency(a), 440, 5)
      }
    }
  },
  {
    file: "archive-whisper-with-capabilities.json",
    chain: true,
    fails: notBundled("asr", "WhisperNode"),
    part: {
      keep: ["mono16k"],
      input: stereoTone48k,
      check: (out) => {
        const a = audios(out)
        assert.isTrue(a.every((b) => b.sampleRate === RATE && b.channels === 1), "16 kHz mono")
        assert.isTrue(frames(a) > 15_900 && frames(a) <= RATE, `about 1 s at 16 kHz: ${frames(a)} frames`)
        assert.approximately(frequency(a), 440, 5)
      }
    }
  },
  { file: "archive-gpu-pipeline.json", chain: true, fails: unknown("describe", "LLMInferenceNode") },
  {
    file: "runtime-multi-environment.json",
    chain: true,
    fails: unknown("in-wasi", "FileProcessor"),
    part: {
      keep: ["in-browser"],
      input: () => [4, 9.5, -2],
      // SimpleCalculator is CalculatorNode: "multiply" by the default operand 0
      check: (out) => assert.deepStrictEqual(out, [0, 0, 0])
    }
  },
  {
    file: "archive-simple-calc-wasm.json",
    chain: true,
    runs: { input: () => [5, 7.5, -3, [1, 2], "text"], check: (out) => assert.deepStrictEqual(out, [16, 23.5, -8, [4, 7], "text"]) }
  },
  { file: "runtime-calc-with-input.json", chain: true, runs: { check: (out) => assert.deepStrictEqual(out, [13, 23, 7]) } },
  { file: "archive-wasm-test-manifest.json", chain: true, runs: { source: true, check: (out) => assert.deepStrictEqual(out, ["ABC", "ABC"]) } },
  { file: "archive-simple-python-wasm.json", chain: true, fails: unknown("snippet", "Python") },
  {
    file: "runtime-python-text-wasm.json",
    chain: true,
    runs: {
      check: (out) =>
        assert.deepStrictEqual(out, [
          { original_text: "Hello corpus", operations: ["uppercase", "word_count"], results: { uppercase: "HELLO CORPUS", word_count: 2 }, processed_by: "TextProcessorNode[ops]", node_config: {} },
          { original_text: "Second Line", operations: ["lowercase", "char_count"], results: { lowercase: "second line", char_count: 11 }, processed_by: "TextProcessorNode[ops]", node_config: {} }
        ])
    }
  },
  {
    file: "hello-pipeline.json",
    chain: true,
    runs: {
      input: () => [{ text: "Hello corpus" }, "not a request"],
      check: (out) =>
        assert.deepStrictEqual(out, [
          {
            original_text: "Hello corpus",
            operations: ["uppercase"],
            results: { uppercase: "HELLO CORPUS" },
            processed_by: "TextProcessorNode[shout]",
            node_config: { operation: "uppercase", prefix: "OUT: " },
            processed_text: "OUT: HELLO CORPUS"
          },
          { error: "Input must be a dictionary", input: "not a request", processed_by: "TextProcessorNode[shout]" }
        ])
    }
  },
  { file: "docker-mixed-executors.json", fails: { manifest: "Invalid manifest at connections[0].from: unknown node 'mic'" }, part: vadPart("vad") },
  { file: "webrtc-vad-bidirectional.json", fails: { manifest: "Invalid manifest at connections[0].to: unknown node 'tts'" } },
  { file: "webrtc-loopback.json", fails: { manifest: "Invalid manifest at nodes: a pipeline needs at least one node" } },
  ...[
    "docker-advanced-pipeline.json",
    "docker-development-pipeline.json",
    "docker-multiprocess-pipeline.json",
    "docker-gpu-accelerated-pipeline.json",
    "docker-microservices-pipeline.json",
    "docker-mixed-execution-pipeline.json",
    "docker-production-pipeline.json",
    "docker-resource-constrained-pipeline.json",
    "docker-simple-test.json"
  ].map((file): Entry => ({ file, fails: dockerDialect }))
]

// ---------------------------------------------------------------- suite

/**
 * Options of the suite.
 *
 * @category models
 * @since 0.1.0
 */
export interface CorpusOptions {
  /** Per-entry timeout in milliseconds. Default 60 000. */
  readonly timeout?: number | undefined
}

const execute = (manifest: Doc, run: Run, inputData: ReadonlyArray<Data> | undefined) => {
  const input = run.input?.() ?? inputData ?? []
  const outputs = run.source ? Executor.executePipeline(manifest) : Executor.executePipelineWithInput(manifest, input)
  return Effect.map(outputs, (out) => {
    assert.isTrue(Array.isArray(out), "one sink: outputs in order")
    run.check(out as ReadonlyArray<Data>, input)
  })
}

const assertFailure = (error: unknown, failure: Failure): void => {
  const e = error as { readonly _tag?: string; readonly message?: string; readonly nodeId?: string }
  if ("manifest" in failure) {
    assert.strictEqual(e._tag, "ManifestError", e.message)
    assert.strictEqual(e.message?.split("\n")[0], failure.manifest)
    return
  }
  assert.strictEqual(e._tag, "NodeInitializeError", e.message)
  assert.strictEqual(e.nodeId, failure.node)
  const naming = failure.pyType === "NodeNotBundledError"
    ? `NodeNotBundledError: Node type '${failure.nodeType}'`
    : `NodeTypeNotFoundError: Unknown node type '${failure.nodeType}'`
  assert.include(e.message, naming)
}

/**
 * Registers one test per corpus entry (and one per bundled part) on the
 * transport `layer` provides.
 *
 * @category suites
 * @since 0.1.0
 */
export const corpusSuite = (
  name: string,
  layer: () => Layer.Layer<Transport.Transport, TransportUnavailable>,
  options: CorpusOptions = {}
): void => {
  const timeout = options.timeout ?? 60_000
  let clip: string | undefined
  const media = () => (clip ??= makeClip())
  describe(`${name} transport: the upstream-modeled manifest corpus`, () => {
    for (const entry of entries) {
      const verdict = entry.runs ? "runs end to end" : `fails: ${"manifest" in entry.fails! ? "manifest rejected" : entry.fails!.pyType}`
      it.effect(`${entry.file} ${verdict}`, () =>
        Effect.gen(function*() {
          const { inputData, manifest } = load(entry.file, media())
          if (entry.chain !== undefined) {
            const decoded = yield* Manifest.decodeManifest(manifest)
            assert.strictEqual(decoded.linear, entry.chain, "graph shape as upstream's")
          }
          if (entry.runs) return yield* execute(manifest, entry.runs, inputData)
          const error = yield* Effect.flip(Executor.executePipelineWithInput(manifest, text()))
          assertFailure(error, entry.fails!)
        }).pipe(Effect.provide(layer())), timeout)
      const part = entry.part
      if (part) {
        it.effect(`${entry.file}: its bundled part (${part.keep.join(" -> ")}) runs end to end`, () =>
          Effect.gen(function*() {
            const { manifest } = load(entry.file, media())
            yield* execute(bundledPart(manifest, part.keep), part, undefined)
          }).pipe(Effect.provide(layer())), timeout)
      }
    }
  })
}
