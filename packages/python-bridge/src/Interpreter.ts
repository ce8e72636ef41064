/**
 * The embedded CPython interpreter: {@link start} it once, then import
 * modules, evaluate expressions, run statements and convert values.
 *
 * One interpreter runs per process, on one dedicated thread that the bridge
 * owns (Python's main thread). Every operation is queued to that thread and
 * returns a Promise; the JS thread never holds the GIL, so timers and I/O keep
 * running while Python works, and Python threads run whenever the bridge
 * thread is idle. Worker threads that import this package share the same
 * interpreter. A pending call keeps the process alive; an idle bridge never
 * does.
 *
 * ## Values (core's RuntimeData)
 *
 * | JS | Python | back to JS |
 * | --- | --- | --- |
 * | `null`, `undefined` | `None` | `null` |
 * | `boolean` | `bool` | `boolean` |
 * | `number`: safe integer / other (and `-0`) | `int` / `float` | `number` |
 * | `bigint` | `int` | `number` if \|x\| <= 2^53 - 1, else `bigint` |
 * | `string` (any, lone surrogates too) | `str` | `string` |
 * | `Uint8Array` (copied) | `bytes` | `Uint8Array` (from bytes, bytearray, memoryview) |
 * | `Array` | `list` (tuples come back as arrays too) | `Array` |
 * | plain object | `dict` with `str` keys | plain object (a `"type"` key is just a key) |
 * | `Tensor` | `numpy.ndarray`, same dtype and shape, **same memory** | `Tensor` over the array's memory |
 * | other typed arrays | 1-D `numpy.ndarray`, same memory | `Tensor` |
 * | `Audio` | `remotemedia.Audio(samples=<float32 ndarray, same memory>, sample_rate, channels)` | `Audio` |
 * | `VideoFrame` (pixels copied) | `remotemedia.VideoFrame(data=bytes, width, height, format)` | `VideoFrame` |
 * | `PyObject` | that very object | |
 * | `CancelToken` | a token whose `is_set()` turns true on `cancel()` | `CancelToken` sharing the flag |
 * | | numpy scalars (`np.float32(1)`) | `number` / `bigint` / `boolean` |
 * | | anything else | `PyObject` handle |
 *
 * Tensors and audio cross without copying. JS to Python: numpy views the
 * typed array's memory, and the JS memory stays alive until Python lets go
 * of the last view (on the main thread; worker threads copy, because a
 * worker's heap dies with the worker while Python may keep a view). Python to
 * JS: the `Tensor` views the ndarray's memory through an external
 * `ArrayBuffer` that holds the array until JS collects it; arrays that are
 * strided or read-only are copied once first. Writes on either side are seen
 * by the other. Do not transfer (detach) an ArrayBuffer that Python still
 * views.
 *
 * Arrays and plain objects may nest 1,000 levels below each argument; deeper
 * data, or data that refers back to itself, is rejected with a
 * `PythonConversionError` naming the place (and the cycle) in a short message.
 *
 * `Tensor`, `Audio` and `VideoFrame` are recognised as instances of
 * `@remotemedia/core`'s classes (registered with the native module when this
 * package loads), so a plain object with `samples` and `sampleRate` stays a
 * plain object. A second copy of core (its CJS build beside the ESM one) is
 * recognised by class name plus fields.
 *
 * @since 0.1.0
 */
import { Audio, PythonEnvironment, type RuntimeData as RD, Tensor, VideoFrame } from "@remotemedia/core"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { isMainThread } from "node:worker_threads"
import { native, NativeRef, type StartInfo as NativeStartInfo, Want } from "./internal/native.js"
import { type Args, bridged, type Kwargs, PyObject } from "./PyObject.js"
import { serveExecutor } from "./PythonApi.js"
import { fromNative, PythonStartError } from "./PythonError.js"

/**
 * Options of {@link start}.
 *
 * @category models
 * @since 0.1.0
 */
export interface StartOptions {
  /**
   * The virtual environment to use. Default: found as every transport finds
   * Python (core's `PythonEnvironment`): env `REMOTEMEDIA_PYTHON` /
   * `REMOTEMEDIA_VENV`, else `VIRTUAL_ENV`, else the nearest `python/.venv`
   * walking up from the working directory, then from this package.
   */
  readonly venv?: string | undefined
  /** An interpreter inside a virtual environment: that venv is used (as a transport's `python` option). */
  readonly python?: string | undefined
  /** Directories to put in front of `sys.path`, in order. */
  readonly paths?: ReadonlyArray<string> | undefined
  /**
   * How many Python threads serve calls (counts only for the call that
   * starts the interpreter). Default: the CPU count, at most 8. Calls run on
   * the main one unless made on behalf of an object (`RuntimeHost.callJs`'s
   * `on`), whose calls all run, in order, on one thread picked for it.
   */
  readonly threads?: number | undefined
}

/**
 * What runs: versions and paths of the interpreter.
 *
 * @category models
 * @since 0.1.0
 */
export interface StartInfo {
  /** `platform.python_version()`, e.g. `3.11.7`. */
  readonly version: string
  /** `sys.executable` (the venv's python). */
  readonly executable: string
  /** `sys.prefix` (the venv). */
  readonly prefix: string
  /** `sys.base_prefix` (the installation libpython belongs to). */
  readonly basePrefix: string
  /** The libpython file this process uses. */
  readonly libpython: string
  /** The venv directory. */
  readonly venv: string | undefined
  /** The venv's site-packages directory. */
  readonly sitePackages: string | undefined
  /** How many Python threads serve calls. */
  readonly threads: number
}

let registered = false

/** Tells the native module (once per module copy and thread) which classes values convert to and from. */
const register = (): void => {
  if (registered) return
  native.init(
    { objectPrototype: Object.prototype, PyObject, refKey: NativeRef, Tensor, Audio, VideoFrame },
    isMainThread
  )
  registered = true
}

const toInfo = (info: NativeStartInfo): StartInfo => ({
  version: info.version,
  executable: info.executable,
  prefix: info.prefix,
  basePrefix: info.basePrefix,
  libpython: info.libpython,
  venv: info.venv,
  sitePackages: info.sitePackages,
  threads: info.threads
})

/**
 * The running interpreter.
 *
 * @category models
 * @since 0.1.0
 */
export class Python {
  /** What runs. */
  readonly info: StartInfo

  /** @internal */
  constructor(info: StartInfo) {
    this.info = info
  }

  /** `import module` (dotted names import the submodule). */
  import(module: string): Promise<PyObject> {
    return bridged(() => native.importModule(module))
  }

  /**
   * Evaluates an expression in `__main__`'s namespace, with `locals` (JS
   * values or handles) added as names; comprehensions and lambdas see them.
   */
  eval(expr: string, locals?: Readonly<Record<string, unknown>>): Promise<PyObject> {
    return bridged(() => native.evaluate(expr, locals, Want.Handle))
  }

  /** {@link Python.eval}, converted to a JS value. */
  evalJs(expr: string, locals?: Readonly<Record<string, unknown>>): Promise<RD.RuntimeData> {
    return bridged(() => native.evaluate(expr, locals, Want.Value))
  }

  /**
   * Runs statements in `globals` (a dict handle), by default in `__main__`'s
   * namespace (where {@link Python.eval} looks names up).
   */
  exec(code: string, globals?: PyObject): Promise<void> {
    return bridged(() => native.execute(code, globals))
  }

  /** Converts a JS value to a Python object (see the table in the module doc). */
  fromJs(value: unknown): Promise<PyObject> {
    return bridged(() => native.fromJs(value))
  }

  /** `callable(*args, **kwargs)` as a handle. */
  call(callable: PyObject, args: Args = [], kwargs?: Kwargs): Promise<PyObject> {
    return callable.call(args, kwargs)
  }
}

let running: Python | undefined

/**
 * Starts the embedded interpreter, or returns the running one. Idempotent:
 * later calls add their `paths` to `sys.path`, and fail if they ask for a
 * different venv (one process holds one interpreter). Throws
 * {@link PythonStartError} naming what was tried when no usable venv is found
 * or Python cannot start.
 *
 * @category constructors
 * @since 0.1.0
 */
export const start = (options: StartOptions = {}): Python => {
  register()
  const explicit = options.venv === undefined && options.python === undefined && running !== undefined
    ? { venv: running.info.venv }
    : { venv: options.venv, python: options.python }
  const search = PythonEnvironment.find(explicit, { requireVenv: true, packageDir: dirname(fileURLToPath(import.meta.url)) })
  if (search._tag === "NotFound") {
    throw new PythonStartError({ reason: search.reason, tried: [...search.tried] })
  }
  const paths = (options.paths ?? []).map((p) => resolve(p))
  let info: NativeStartInfo
  try {
    info = native.start(search.venv, paths, options.threads) // requireVenv: a found environment has one
  } catch (error) {
    throw fromNative(error, { tried: search.tried })
  }
  running ??= new Python(toInfo(info))
  // Python code may run pipelines from here on (remotemedia.execute_pipeline); worker threads leave that to the main one.
  if (isMainThread) serveExecutor()
  return running
}
