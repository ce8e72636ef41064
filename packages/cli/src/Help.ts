// Help: the usage texts of `remotemedia`, `remotemedia run` and `remotemedia validate`.

/** The top-level usage. */
export const mainHelp = `Usage: remotemedia <command> [options]

Run media/ML pipelines of Python and TypeScript nodes.

Commands:
  run <target>              run a pipeline: a manifest (*.json), a Python script (*.py) or module:attr
  validate <manifest.json>  check a manifest, reporting every problem with its JSON path

Options:
  -h, --help     show this help (also after a command: remotemedia run --help)
  -V, --version  print the version

Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C).
`

/** The JSON form of values JSON has no form for (inputs and outputs). */
const binaryForms = `Values JSON cannot write are one-key objects (inputs and outputs alike):
  {"$bytes": "<base64>"}                                      Uint8Array (Python bytes)
  {"$bigint": "123"}                                          bigint (Python int beyond 2^53)
  {"$number": "NaN"}                                          also "Infinity", "-Infinity"
  {"$tensor": {"dtype": "float32", "shape": [2], "data": "<base64>"}}
                                                              Tensor (numpy array); data: the elements'
                                                              little-endian bytes; dtype: float32, float64,
                                                              int8..int64, uint8..uint64
  {"$audio": {"sampleRate": 16000, "channels": 1, "samples": "<base64>"}}
                                                              Audio; samples: interleaved float32 LE bytes
  {"$video": {"width": 2, "height": 2, "format": "rgb24", "data": "<base64>"}}
                                                              VideoFrame; format: rgb24, bgr24, rgba, bgra,
                                                              gray8, yuv420p
  {"$opaque": "module.Type"}                                  a Python object with no JS form (output only)
  {"$object": {...}}                                          a plain object whose only key is one of these tags
Any other object is a plain object.`

/** Usage of `remotemedia run`. */
export const runHelp = `Usage: remotemedia run <target> [options] [-- script args]

Targets:
  pipeline.json   a manifest v1 file
  script.py       a Python script (arguments after -- become its sys.argv[1:])
  module:attr     a Python module (importable from the working directory) and the attribute
                  naming a remotemedia.Pipeline, a Node, or a list of nodes (e.g. my_nodes:pipeline)

Options:
  --transport <name>    inproc | ipc | iceoryx | ray (default: env REMOTEMEDIA_TRANSPORT, then the
                        config file's "transport", then inproc)
  --input <json>        one input item, a JSON value (repeat for several items, in order;
                        a value starting with "-" goes as --input=-4)
  --input-file <file>   input items as JSON lines, one item per line (blank lines skipped;
                        "-" reads stdin)
  --config <file>       the config file to use instead of ./remotemedia.config.json
                        ({"transport": "ipc", "transportOptions": {...}})
  --metrics             after the run, print its metrics (per node: items in/out, errors,
                        process time p50/p99) as one JSON object on stderr
  --verbose             say which transport runs; JavaScript stacks on failures
  -h, --help            show this help

A script runs inside this runtime, as "python script.py" would (__name__ == "__main__", sys.argv,
its directory first on sys.path), on a Python thread of its own: its remotemedia.execute_pipeline*
calls run on this process's executor (on --transport when they name none), with the script's own
node objects on inproc. The command exits with the script's status (sys.exit code; 1 and the
traceback on stderr for an uncaught exception). Ctrl-C stops its runs (every node cleaned up),
raises KeyboardInterrupt in it and exits with 130.

Without --input or --input-file the pipeline runs once without input (a source node produces
the items; otherwise the first node receives ""). Each output is printed on stdout as one JSON
line as soon as it is produced, in order. On a terminal, a progress line (items in/out, rate)
shows on stderr for runs of more than 100 items or 1 s. Ctrl-C stops the run between items,
cleans up every node and exits with 130; a second Ctrl-C exits at once.

${binaryForms}
`

/** Usage of `remotemedia validate`. */
export const validateHelp = `Usage: remotemedia validate <manifest.json>

Checks a manifest v1 file without running it. Every problem is printed on stderr, one per line,
as <JSON path>: <problem> (e.g. nodes[1].node_type: Expected string), and the exit code is 1;
a valid manifest prints its name and node ids on stdout, exit code 0. Shape and type problems
are all listed; when there are none, the first semantic problem (version, duplicate ids,
connections) is.

Options:
  -h, --help   show this help
`
