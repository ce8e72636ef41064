/**
 * @remotemedia/conformance: the scenarios every transport must pass. A
 * transport's `test/conformance.test.ts` calls
 * `transportSuite(name, () => layer(), capabilities)`.
 *
 * @since 0.1.0
 */
export * as PythonFixtures from "./PythonFixtures.js"
export * as TransportSuite from "./TransportSuite.js"

export { type Capabilities, type SuiteOptions, transportSuite } from "./TransportSuite.js"
