/**
 * TransportSuite: the scenarios every transport must pass, registered as
 * vitest `describe`/`it` blocks by {@link transportSuite}. A transport's
 * `test/conformance.test.ts` calls it with a layer providing its `Transport`;
 * each scenario runs the pipeline through core's executor with that layer
 * and checks outputs, errors and lifecycle events. Python nodes are created
 * from `remotemedia.testing` through the Python bridge.
 *
 * Lifecycle is observed through log files the fixture nodes write (so it is
 * visible whichever process runs them); scenarios that look at the caller's
 * own Python objects afterwards run only for transports that share them
 * (elsewhere they are reported as skipped).
 *
 * The transport under test (or a package it imports) must register the
 * input resolver that turns Python object handles into node references.
 *
 * @since 0.1.0
 */
import { describe, it } from "@effect/vitest"
import type { Transport, TransportUnavailable } from "@remotemedia/core"
import { Effect, type Layer } from "effect"
import { fixtures, type Fixtures, type PythonOptions } from "./PythonFixtures.js"
import * as Scenarios from "./internal/scenarios.js"

/**
 * What the transport under test can do; the suite runs the scenarios that apply.
 *
 * @category models
 * @since 0.1.0
 */
export interface Capabilities {
  /**
   * Python instances run as the caller's own objects (in-process): their state
   * afterwards, and Python-only values passed by reference, can be inspected.
   */
  readonly sharesCallerObjects: boolean
}

/**
 * Options of the suite.
 *
 * @category models
 * @since 0.1.0
 */
export interface SuiteOptions {
  /** How to start the embedded interpreter (default: the bridge finds the venv). */
  readonly python?: PythonOptions | undefined
  /** Per-scenario timeout in milliseconds. Default 30 000. */
  readonly timeout?: number | undefined
}

/**
 * A scenario body: runs with the fixtures, inside the transport's layer.
 *
 * @category models
 * @since 0.1.0
 */
export type Body = (fx: Fixtures) => Effect.Effect<void, unknown, Transport.Transport>

/**
 * Registers one scenario; one that `requires` a capability the transport
 * lacks is registered as skipped, so the report shows it.
 *
 * @category models
 * @since 0.1.0
 */
export type Register = (title: string, body: Body, requires?: ReadonlyArray<keyof Capabilities>) => void

/**
 * Registers the conformance scenarios for a transport.
 *
 * @category suites
 * @since 0.1.0
 */
export const transportSuite = (
  name: string,
  layer: () => Layer.Layer<Transport.Transport, TransportUnavailable>,
  capabilities: Capabilities,
  options: SuiteOptions = {}
): void => {
  const timeout = options.timeout ?? 30_000
  const test: Register = (title, body, requires = []) =>
    it.effect.skipIf(requires.some((capability) => !capabilities[capability]))(
      title,
      () =>
        Effect.gen(function*() {
          const fx = yield* Effect.promise(() => fixtures(options.python))
          yield* body(fx).pipe(Effect.provide(layer()))
        }),
      timeout
    )
  describe(`${name} transport conformance`, () => {
    describe("stateful instances (FR-001, FR-002)", () => Scenarios.instances(test))
    describe("chains and mixed pipelines (FR-003, FR-009)", () => Scenarios.mixed(test))
    describe("lifecycle", () => Scenarios.lifecycle(test, capabilities))
    describe("validation (FR-010)", () => Scenarios.validation(test, capabilities))
    describe("manifests (FR-005, FR-012)", () => Scenarios.manifests(test))
    describe("errors", () => Scenarios.errors(test, capabilities))
    describe("0..N outputs, generators and sources", () => Scenarios.outputs(test))
    describe("streaming", () => Scenarios.streaming(test, capabilities))
    describe("data round trips", () => Scenarios.data(test))
    describe("graphs: fan-out, fan-in, several sources and sinks", () => Scenarios.graphs(test, capabilities))
  })
}
