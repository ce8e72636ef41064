/**
 * Which transport a pipeline runs on, with precedence: call option > env
 * `REMOTEMEDIA_TRANSPORT` > `remotemedia.config.json` > default `inproc`;
 * and the dynamic loading of the chosen transport package, so a user only
 * installs the transports they use.
 *
 * @since 0.1.0
 */
import { readFile } from "node:fs/promises"
import { resolve as resolvePath } from "node:path"
import { Context, Effect, Layer, Scope } from "effect"
import { TransportUnavailable } from "./PipelineError.js"
import { Transport } from "./Transport.js"

/**
 * The transports this project ships, by name, and their packages.
 *
 * @category models
 * @since 0.1.0
 */
export const KnownTransports = {
  inproc: "@remotemedia/transport-inproc",
  ipc: "@remotemedia/transport-ipc",
  iceoryx: "@remotemedia/transport-iceoryx",
  ray: "@remotemedia/transport-ray"
} as const

/**
 * Where a transport choice came from.
 *
 * @category models
 * @since 0.1.0
 */
export type SelectionSource = "option" | "env" | "config" | "default"

/**
 * A resolved transport choice.
 *
 * @category models
 * @since 0.1.0
 */
export interface TransportSelection {
  /** A known name (`inproc`, `ipc`, `iceoryx`, `ray`) or a package specifier. */
  readonly name: string
  /** The package that provides it. */
  readonly packageName: string
  readonly source: SelectionSource
  /** Options for the transport, from the config file's `transportOptions`. */
  readonly options: unknown
}

/**
 * Inputs to selection; `env` and `cwd` default to the process's.
 *
 * @category models
 * @since 0.1.0
 */
export interface SelectionInput {
  readonly transport?: string | undefined
  readonly configFile?: string | undefined
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  readonly cwd?: string | undefined
}

/** Names a transport package: a known name, or an npm package specifier. */
const packageFor = (name: string): string | undefined =>
  name in KnownTransports
    ? KnownTransports[name as keyof typeof KnownTransports]
    : name.startsWith("@") || name.includes("/") || name.startsWith("remotemedia-transport-")
    ? name
    : undefined

const unknownName = (name: string, source: SelectionSource) =>
  new TransportUnavailable({
    transport: name,
    packageName: "",
    detail: `unknown transport name '${name}' (from ${source}); known: ${Object.keys(KnownTransports).join(", ")}, or a package name`
  })

interface ConfigFile {
  readonly transport?: unknown
  readonly transportOptions?: unknown
}

const readConfig = (path: string, required: boolean): Effect.Effect<ConfigFile | undefined, TransportUnavailable> =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (e) => e as NodeJS.ErrnoException
  }).pipe(
    Effect.matchEffect({
      onFailure: (e) =>
        e.code === "ENOENT" && !required
          ? Effect.succeed(undefined)
          : Effect.fail(configError(path, `cannot read it (${e.message})`)),
      onSuccess: (text) =>
        Effect.try({
          try: () => JSON.parse(text) as unknown,
          catch: (e) => configError(path, `not valid JSON (${(e as Error).message})`)
        }).pipe(
          Effect.flatMap((json) =>
            typeof json === "object" && json !== null && !Array.isArray(json)
              ? Effect.succeed(json as ConfigFile)
              : Effect.fail(configError(path, "expected a JSON object"))
          )
        )
    })
  )

const configError = (path: string, why: string) =>
  new TransportUnavailable({ transport: "(config)", packageName: "", detail: `config file ${path}: ${why}` })

/**
 * Resolves which transport to use.
 *
 * @category selection
 * @since 0.1.0
 */
export const select = (input: SelectionInput = {}): Effect.Effect<TransportSelection, TransportUnavailable> =>
  Effect.gen(function*() {
    const env = input.env ?? process.env
    // An empty variable is unset, as for REMOTEMEDIA_TRANSPORT.
    const configEnv = env["REMOTEMEDIA_CONFIG"] || undefined
    const configPath = input.configFile ?? configEnv ?? resolvePath(input.cwd ?? process.cwd(), "remotemedia.config.json")
    const config = yield* readConfig(configPath, input.configFile !== undefined || configEnv !== undefined)
    const options = config?.transportOptions
    const envName = env["REMOTEMEDIA_TRANSPORT"]
    const pick = (name: string, source: SelectionSource) => {
      const packageName = packageFor(name)
      return packageName === undefined
        ? Effect.fail(unknownName(name, source))
        : Effect.succeed<TransportSelection>({ name, packageName, source, options })
    }
    if (input.transport !== undefined) return yield* pick(input.transport, "option")
    if (envName !== undefined && envName !== "") return yield* pick(envName, "env")
    if (config?.transport !== undefined) {
      if (typeof config.transport !== "string") return yield* configError(configPath, "'transport' must be a string")
      return yield* pick(config.transport, "config")
    }
    return yield* pick("inproc", "default")
  })

/**
 * What a transport package exports.
 *
 * @category models
 * @since 0.1.0
 */
export interface TransportModule {
  readonly layer: (options?: unknown) => Layer.Layer<Transport, TransportUnavailable>
}

/**
 * Imports the selected transport package and returns its layer. A package
 * that is not installed yields `TransportUnavailable` naming it.
 *
 * @category selection
 * @since 0.1.0
 */
export const load = (
  selection: TransportSelection
): Effect.Effect<Layer.Layer<Transport, TransportUnavailable>, TransportUnavailable> =>
  Effect.tryPromise({
    try: () => import(selection.packageName) as Promise<Partial<TransportModule>>,
    catch: (e) => {
      const err = e as NodeJS.ErrnoException
      const missing = err.code === "ERR_MODULE_NOT_FOUND" || err.code === "MODULE_NOT_FOUND"
      return new TransportUnavailable({
        transport: selection.name,
        packageName: selection.packageName,
        detail: missing
          ? `package ${selection.packageName} is not installed (selected by ${selection.source})`
          : `package ${selection.packageName} failed to load: ${err.message}`
      })
    }
  }).pipe(
    Effect.flatMap((mod) =>
      typeof mod.layer === "function"
        ? Effect.succeed(mod.layer(selection.options))
        : Effect.fail(
          new TransportUnavailable({
            transport: selection.name,
            packageName: selection.packageName,
            detail: `package ${selection.packageName} does not export a transport layer(options) function`
          })
        )
    )
  )

/** Transports built for selections, by package and options, for the life of the process. */
const built = new Map<string, Promise<Transport["Service"]>>()
const processScope = Scope.makeUnsafe()

/**
 * The transport a selection names, built once per process and shared by
 * every run that selects the same package with the same options: a started
 * interpreter or a warm worker pool then serves them all, instead of each
 * run building (and tearing down) its own. What it holds lives until the
 * process exits (transports keep no idle handle that would keep it alive). A
 * build that fails is not kept: the next run tries again.
 *
 * @category selection
 * @since 0.1.0
 */
export const acquire = (selection: TransportSelection): Effect.Effect<Transport["Service"], TransportUnavailable> =>
  Effect.suspend(() => {
    const key = `${selection.packageName}\u0000${JSON.stringify(selection.options ?? null)}`
    let service = built.get(key)
    if (service === undefined) {
      service = Effect.runPromise(
        Effect.flatMap(load(selection), (layer) => Layer.buildWithScope(layer, processScope)).pipe(
          Effect.map((context) => Context.get(context, Transport))
        )
      )
      built.set(key, service)
      service.catch(() => built.delete(key))
    }
    const pending = service
    return Effect.tryPromise({
      try: () => pending,
      catch: (e) =>
        e instanceof TransportUnavailable
          ? e
          : new TransportUnavailable({ transport: selection.name, packageName: selection.packageName, detail: String(e) })
    })
  })
