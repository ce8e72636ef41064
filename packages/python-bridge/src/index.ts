/**
 * @remotemedia/python-bridge: CPython embedded in the Node.js process.
 * {@link start} the interpreter, then work with live Python objects through
 * {@link PyObject} handles; RuntimeData values (including `Tensor` and
 * `Audio`, without copying their memory) convert both ways.
 *
 * @since 0.1.0
 */
export * as Interpreter from "./Interpreter.js"
export * as JsCalls from "./JsCalls.js"
export * as PythonApi from "./PythonApi.js"
export * as PythonInput from "./PythonInput.js"
export * as RuntimeHost from "./RuntimeHost.js"

export { CancelToken } from "./CancelToken.js"
export { Python, start, type StartInfo, type StartOptions } from "./Interpreter.js"
export { type Args, isPyObject, type Kwargs, PyObject } from "./PyObject.js"
export { runScript, type ScriptOptions } from "./PythonApi.js"
export { PythonNode, pythonObject } from "./PythonInput.js"
export {
  type BridgeError,
  PyObjectReleased,
  PythonBridgeError,
  PythonConversionError,
  PythonError,
  PythonStartError
} from "./PythonError.js"
