/**
 * @remotemedia/conformance: the scenarios every transport must pass. A
 * transport's `test/conformance.test.ts` calls
 * `transportSuite(name, () => layer(), capabilities)`, and its
 * `test/plainScripts.test.ts` calls `plainScriptSuite(name, capabilities)`;
 * the CLI's tests run `pythonScriptSuite` for every way Python meets the runtime;
 * `test/corpus.test.ts` calls `corpusSuite(name, () => layer())` on the
 * upstream-modeled manifest corpus.
 *
 * @since 0.1.0
 */
export * as Corpus from "./Corpus.js"
export * as PlainScripts from "./PlainScripts.js"
export * as PythonFixtures from "./PythonFixtures.js"
export * as PythonScripts from "./PythonScripts.js"
export * as TransportSuite from "./TransportSuite.js"

export { type CorpusOptions, corpusSuite } from "./Corpus.js"
export { type Capabilities, type SuiteOptions, transportSuite } from "./TransportSuite.js"
export { plainScriptSuite, type ScriptCapabilities } from "./PlainScripts.js"
export { pythonScriptSuite, type PythonScriptMode } from "./PythonScripts.js"
