//! `cargo test`: the Python side of the bridge without Node. All tests share
//! the process's one interpreter, started with the project venv.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;

use crate::cancel::CancelFlag;
use crate::convert::{from_python, to_python};
use crate::error::BridgeError;
use crate::handle::PyHandle;
use crate::ops::{self, Outcome, Want};
use crate::runtime::{self, RuntimeInfo, StartOptions};
use crate::value::{BigInt, DType, ForeignMemory, Memory, NdArray, Origin, Value};

fn venv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../python/.venv")
}

fn python() -> RuntimeInfo {
    runtime::start(&StartOptions {
        venv: Some(venv()),
        paths: vec![],
        threads: None,
    })
    .expect("python starts")
}

/// Value -> Python -> Value on the Python thread.
fn round_trip(value: Value) -> Value {
    python();
    runtime::run_blocking(move |py| {
        let object = to_python(py, value).expect("to python");
        from_python(&object).expect("from python")
    })
    .unwrap()
}

fn eval_value(source: &'static str) -> Result<Value, BridgeError> {
    python();
    runtime::run_blocking(move |py| {
        let object = ops::eval(py, source, None)?;
        match Outcome::of(&object, Want::Value)? {
            Outcome::Value(v) => Ok(v),
            _ => unreachable!(),
        }
    })
    .unwrap()
}

#[test]
fn starts_once_with_the_venv_and_runs_on_its_own_thread() {
    let info = python();
    let venv = venv().canonicalize().unwrap();
    assert_eq!(info.venv.as_deref(), Some(venv.to_str().unwrap()));
    assert_eq!(
        info.prefix,
        venv.to_str().unwrap(),
        "site found pyvenv.cfg next to sys.executable"
    );
    assert!(info.libpython.contains("libpython3"), "{}", info.libpython);
    assert!(info.version.starts_with("3."));
    // Idempotent, and the same venv again is fine.
    let again = runtime::start(&StartOptions {
        venv: Some(venv.clone()),
        paths: vec![],
        threads: None,
    })
    .unwrap();
    assert_eq!(again.prefix, info.prefix);
    // Another venv is refused.
    let other = runtime::start(&StartOptions {
        venv: Some(PathBuf::from("/")),
        paths: vec![],
        threads: None,
    });
    assert!(
        matches!(other, Err(BridgeError::VenvConflict { .. })),
        "{other:?}"
    );

    let (thread_name, is_main) = runtime::run_blocking(|py| {
        let threading = py.import("threading").unwrap();
        let current = threading.call_method0("current_thread").unwrap();
        let main = threading.call_method0("main_thread").unwrap();
        (
            std::thread::current().name().map(str::to_owned),
            current.is(&main),
        )
    })
    .unwrap();
    assert_eq!(thread_name.as_deref(), Some(runtime::THREAD_NAME));
    assert!(
        is_main,
        "the Python thread initialized Python, so it is Python's main thread"
    );
    assert!(!runtime::on_python_thread());
}

#[test]
fn imports_c_extensions_from_stdlib_and_venv() {
    python();
    let files = runtime::run_blocking(|py| -> PyResult<(f64, String)> {
        let math = py.import("math")?;
        let numpy = py.import("numpy")?;
        Ok((
            math.getattr("sqrt")?.call1((2.0,))?.extract()?,
            numpy.getattr("__file__")?.extract()?,
        ))
    })
    .unwrap()
    .unwrap();
    assert!((files.0 - std::f64::consts::SQRT_2).abs() < 1e-12);
    assert!(
        files.1.contains("/python/.venv/"),
        "numpy from the venv: {}",
        files.1
    );
}

#[test]
fn scalars_and_strings_round_trip() {
    let cases = vec![
        Value::None,
        Value::Bool(true),
        Value::Int(-(1 << 53) + 1),
        Value::Int(i64::MIN),
        Value::Float(0.1),
        Value::Str("héllo 👋 𝄞 中文".into()),
        Value::Utf16(vec![0x61, 0xD800, 0x62]),
        Value::Bytes((0..=255).collect()),
    ];
    for case in cases {
        let expected = format!("{case:?}");
        assert_eq!(format!("{:?}", round_trip(case)), expected);
    }
}

#[test]
fn big_integers_round_trip() {
    for big in [
        BigInt {
            negative: false,
            words: vec![0, 1],
        },
        BigInt {
            negative: true,
            words: vec![5, 0, 7],
        },
    ] {
        let back = round_trip(Value::BigInt(big.clone()));
        match back {
            Value::BigInt(b) => assert_eq!(b.magnitude_bytes(), big.magnitude_bytes()),
            other => panic!("expected a bigint, got {other:?}"),
        }
    }
    match eval_value("2**64").unwrap() {
        Value::BigInt(b) => assert_eq!(b.words, vec![0, 1]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn nested_structures_keep_lists_and_dicts() {
    let value = Value::Dict(vec![
        ("type".into(), Value::Str("audio".into())),
        (
            "items".into(),
            Value::List(vec![
                Value::Int(1),
                Value::List(vec![]),
                Value::Dict(vec![]),
            ]),
        ),
    ]);
    assert_eq!(
        format!("{:?}", round_trip(value)),
        r#"{"type": Str("audio"), "items": [Int(1), [], {}]}"#
    );
    // tuples read as lists; dicts with non-str keys stay Python objects
    assert_eq!(
        format!("{:?}", eval_value("(1, (2,))").unwrap()),
        "[Int(1), [Int(2)]]"
    );
    assert_eq!(
        format!("{:?}", eval_value("{1: 2}").unwrap()),
        "Object(builtins.dict)"
    );
}

fn conversion_error(source: &'static str) -> BridgeError {
    python();
    runtime::run_blocking(move |py| {
        let object = ops::eval(py, source, None).unwrap();
        from_python(&object).unwrap_err()
    })
    .unwrap()
}

#[test]
fn reference_cycles_fail_naming_the_cycle_once() {
    let err = conversion_error("(lambda l: (l.append(l), l)[1])([])");
    assert_eq!(err.shape_problem(), Some("cycle"));
    assert_eq!(
        err.to_string(),
        "cannot convert [0]: cyclic data, it refers back to the value itself (a cycle cannot be converted)"
    );
    // The outermost cycle is named, even when the limit is reached below it.
    let err = conversion_error(
        "(lambda d: (d['items'].append(d), d)[1])({'items': [(lambda: (v := 1, [v := [v] for _ in range(990)], v)[2])()]})",
    );
    assert_eq!(
        err.to_string(),
        "cannot convert .items[1]: cyclic data, it refers back to the value itself (a cycle cannot be converted)"
    );
}

#[test]
fn over_deep_data_fails_with_a_shortened_path() {
    let err =
        conversion_error("(lambda: (v := 1, [v := {'k': [v]} for _ in range(3000)], v)[2])()");
    assert_eq!(err.shape_problem(), Some("depth"));
    let text = err.to_string();
    assert_eq!(
        text,
        "cannot convert .k[0].k[0]…(993 more levels)…[0].k[0].k: nested deeper than 1000 levels"
    );
    // 1000 levels below the root still cross.
    let ok = eval_value("(lambda: (v := 1, [v := [v] for _ in range(1001)], v)[2])()");
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn cancel_tokens_are_seen_by_python_while_it_runs_and_round_trip() {
    python();
    let flag = CancelFlag::new();
    let setter = flag.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        setter.cancel();
    });
    let (polls, back) = runtime::run_blocking(move |py| {
        let wait = ops::eval(
            py,
            "lambda token: (lambda n: (n, token))(sum(1 for _ in iter(token.is_set, True)))",
            None,
        )
        .unwrap();
        let token = to_python(py, Value::Cancel(flag)).unwrap();
        assert_eq!(token.repr().unwrap().to_string(), "CancelToken(pending)");
        let result = wait.call1((token,)).unwrap();
        let (polls, token): (u64, Bound<'_, PyAny>) = result.extract().unwrap();
        (polls, from_python(&token).unwrap())
    })
    .unwrap();
    assert!(polls > 0, "Python polled until the other thread cancelled");
    match back {
        Value::Cancel(flag) => assert!(flag.is_cancelled(), "the same flag came back"),
        other => panic!("expected a cancel token, got {other:?}"),
    }
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_ne_bytes()).collect()
}

#[test]
fn foreign_memory_becomes_an_ndarray_without_a_copy() {
    python();
    let memory = ForeignMemory::copied(&f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    let address = memory.as_ptr() as usize;
    let (numpy_address, repr) = runtime::run_blocking(move |py| {
        let array = to_python(
            py,
            Value::Array(NdArray {
                dtype: DType::Float32,
                shape: vec![2, 3],
                memory: Memory::Foreign(memory),
            }),
        )
        .unwrap();
        let interface = array.getattr("__array_interface__").unwrap();
        let data: (usize, bool) = interface.get_item("data").unwrap().extract().unwrap();
        assert!(!data.1, "writable");
        (data.0, array.repr().unwrap().to_string())
    })
    .unwrap();
    assert_eq!(numpy_address, address);
    assert_eq!(
        repr,
        "array([[1., 2., 3.],\n       [4., 5., 6.]], dtype=float32)"
    );
}

#[test]
fn ndarrays_are_leased_without_a_copy_unless_strided_or_read_only() {
    python();
    let (same, transposed_copied, readonly_copied, shape) = runtime::run_blocking(|py| {
        let np = py.import("numpy").unwrap();
        let check = |source: &str| {
            let array = ops::eval(py, source, None).unwrap();
            let address: usize = array
                .getattr("__array_interface__")
                .unwrap()
                .get_item("data")
                .unwrap()
                .get_item(0)
                .unwrap()
                .extract()
                .unwrap();
            match from_python(&array).unwrap() {
                Value::Array(a) => (
                    a.memory.as_ptr() as usize == address,
                    a.shape.clone(),
                    a.dtype,
                ),
                other => panic!("{other:?}"),
            }
        };
        let _ = np;
        let (same, shape, dtype) =
            check("__import__('numpy').arange(12, dtype='int16').reshape(3, 4)");
        assert_eq!(dtype, DType::Int16);
        let (t, _, _) = check("__import__('numpy').arange(12.0).reshape(3, 4).T");
        let (r, _, _) =
            check("(lambda a: (a.setflags(write=False), a)[1])(__import__('numpy').zeros(4))");
        (same, !t, !r, shape)
    })
    .unwrap();
    assert!(same);
    assert!(transposed_copied);
    assert!(readonly_copied);
    assert_eq!(shape, vec![3, 4]);
    // dtypes core has no name for stay Python objects; numpy scalars become numbers
    assert_eq!(
        format!(
            "{:?}",
            eval_value("__import__('numpy').zeros(2, dtype='float16')").unwrap()
        ),
        "Object(numpy.ndarray)"
    );
    assert_eq!(
        format!(
            "{:?}",
            eval_value("__import__('numpy').float32(1.5)").unwrap()
        ),
        "Float(1.5)"
    );
    assert_eq!(
        format!("{:?}", eval_value("__import__('numpy').int64(7)").unwrap()),
        "Int(7)"
    );
}

#[test]
fn audio_round_trips_as_remotemedia_audio() {
    python();
    let memory = ForeignMemory::copied(&f32_bytes(&[0.5, -0.5, 0.25, -0.25]));
    let address = memory.as_ptr() as usize;
    let (class, back) = runtime::run_blocking(move |py| {
        let audio = to_python(
            py,
            Value::Audio {
                samples: NdArray {
                    dtype: DType::Float32,
                    shape: vec![4],
                    memory: Memory::Foreign(memory),
                },
                sample_rate: 16000,
                channels: 2,
            },
        )
        .unwrap();
        (
            crate::handle::type_name(&audio),
            from_python(&audio).unwrap(),
        )
    })
    .unwrap();
    assert_eq!(class, "remotemedia.data.Audio");
    match back {
        Value::Audio {
            samples,
            sample_rate,
            channels,
        } => {
            assert_eq!((sample_rate, channels), (16000, 2));
            assert_eq!(
                samples.memory.as_ptr() as usize,
                address,
                "still the same memory"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn exceptions_carry_type_message_and_full_traceback() {
    python();
    runtime::run_blocking(|py| {
        ops::exec(
            py,
            "def outer():\n    inner()\n\ndef inner():\n    raise ValueError('bad value')\n",
            None,
        )
        .unwrap();
        let err = ops::eval(py, "outer()", None).err().unwrap();
        let BridgeError::Python(e) = err else {
            panic!("{err:?}")
        };
        assert_eq!(e.py_type, "ValueError");
        assert_eq!(e.module, "builtins");
        assert_eq!(e.message, "bad value");
        assert!(
            e.traceback
                .starts_with("Traceback (most recent call last):"),
            "{}",
            e.traceback
        );
        assert!(e.traceback.contains("in inner"), "{}", e.traceback);
        assert!(
            e.traceback.contains("raise ValueError('bad value')"),
            "source lines: {}",
            e.traceback
        );
        assert!(
            !e.traceback.contains("remotemedia-bridge"),
            "{}",
            e.traceback
        );
        assert!(e.traceback.trim_end().ends_with("ValueError: bad value"));
    })
    .unwrap();
}

#[test]
fn calls_take_positional_and_keyword_arguments() {
    python();
    let result = runtime::run_blocking(|py| {
        let builtins = PyHandle::new(&py.import("builtins").unwrap().into_any());
        let sorted = ops::call(
            py,
            &builtins,
            Some("sorted"),
            vec![Value::List(vec![
                Value::Int(3),
                Value::Int(1),
                Value::Int(2),
            ])],
            Some(vec![("reverse".into(), Value::Bool(true))]),
        )
        .unwrap();
        format!("{:?}", from_python(&sorted).unwrap())
    })
    .unwrap();
    assert_eq!(result, "[Int(3), Int(2), Int(1)]");
}

#[test]
fn handles_released_off_thread_are_freed_on_the_python_thread() {
    python();
    let handle = runtime::run_blocking(|py| {
        ops::exec(
            py,
            "import weakref\nclass Probe: pass\nprobe_freed = []\n_p = Probe()\nweakref.finalize(_p, probe_freed.append, True)\n",
            None,
        )
        .unwrap();
        let probe = ops::eval(py, "_p", None).unwrap();
        ops::exec(py, "del _p", None).unwrap();
        PyHandle::new(&probe)
    })
    .unwrap();
    assert_eq!(handle.type_name(), "__main__.Probe");
    drop(handle); // on this (non-Python) thread: shipped to the Python thread
    let freed = eval_value("probe_freed").unwrap();
    assert_eq!(format!("{freed:?}"), "[Bool(true)]");
}

#[test]
fn views_of_lent_memory_come_back_as_ranges_of_it() {
    python();
    let origin: Origin = Arc::new("the lender's buffer");
    let memory = ForeignMemory::copied(&f32_bytes(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]))
        .with_origin(origin.clone());
    let (row, whole, unlent) = runtime::run_blocking(move |py| {
        let array = to_python(
            py,
            Value::Array(NdArray {
                dtype: DType::Float32,
                shape: vec![2, 3],
                memory: Memory::Foreign(memory),
            }),
        )
        .unwrap();
        let describe = |value: Value| match value {
            Value::Array(NdArray {
                memory: Memory::Origin(range),
                shape,
                ..
            }) => Some((range.offset, shape, Arc::ptr_eq(&range.origin, &origin))),
            _ => None,
        };
        let row = describe(from_python(&array.get_item(1).unwrap()).unwrap());
        let whole = describe(from_python(&array).unwrap());
        let copy = array.call_method0("copy").unwrap();
        let unlent = matches!(
            from_python(&copy).unwrap(),
            Value::Array(NdArray {
                memory: Memory::Python(_),
                ..
            })
        );
        (row, whole, unlent)
    })
    .unwrap();
    assert_eq!(row, Some((12, vec![3], true)), "row 1 starts 3 floats in");
    assert_eq!(whole, Some((0, vec![2, 3], true)));
    assert!(unlent, "a copy is Python's own memory");
}

#[test]
fn venv_problems_are_reported_before_anything_starts() {
    let dir = std::env::temp_dir().join(format!("rm-bridge-venv-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::write(dir.join("pyvenv.cfg"), "version = 3.99.0\n").unwrap();
    std::fs::write(dir.join("bin/python"), "").unwrap();
    let err = super::runtime::start(&StartOptions {
        venv: Some(dir.clone()),
        paths: vec![],
        threads: None,
    });
    // Either refused up front (no site-packages for this Python), or, when
    // another test booted first, refused as a different venv.
    match err {
        Err(BridgeError::Venv { reason, .. }) => {
            assert!(reason.contains("made with Python 3.99.0"), "{reason}")
        }
        Err(BridgeError::VenvConflict { .. }) => {}
        other => panic!("{other:?}"),
    }
    python(); // a good venv still starts
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn awaitable_results_are_awaited_together_on_the_event_loop_thread() {
    python();
    runtime::run_blocking(|py| {
        ops::exec(
            py,
            "import asyncio, threading\n\
             async def _rm_where(x):\n    await asyncio.sleep(0.05)\n    return (x, threading.current_thread().name)\n\
             async def _rm_fails():\n    raise KeyError('gone')\n",
            None,
        )
    })
    .unwrap()
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let t0 = std::time::Instant::now();
    for i in 0..50_i64 {
        let tx = tx.clone();
        runtime::run_blocking(move |py| {
            let coroutine = ops::eval(py, &format!("_rm_where({i})"), None).unwrap();
            assert!(ops::is_awaitable(&coroutine));
            ops::await_on_loop(py, &coroutine, move |_py, result| {
                let _ = tx.send(result.and_then(|v| {
                    v.extract::<(i64, String)>()
                        .map_err(|e| BridgeError::conversion(e.to_string()))
                }));
            });
        })
        .unwrap();
    }
    let mut got: Vec<(i64, String)> = (0..50).map(|_| rx.recv().unwrap().unwrap()).collect();
    let elapsed = t0.elapsed();
    got.sort();
    assert_eq!(got[0], (0, "remotemedia-asyncio".into()));
    assert!(
        got.iter()
            .all(|(_, thread)| thread == "remotemedia-asyncio")
    );
    assert_eq!(got.len(), 50);
    assert!(
        elapsed < std::time::Duration::from_millis(1500),
        "50 x 50 ms took {elapsed:?}: not overlapped"
    );

    let (tx, rx) = std::sync::mpsc::channel();
    runtime::run_blocking(move |py| {
        assert!(!ops::is_awaitable(&ops::eval(py, "(1, 2)", None).unwrap()));
        let coroutine = ops::eval(py, "_rm_fails()", None).unwrap();
        ops::await_on_loop(py, &coroutine, move |_py, result| {
            let _ = tx.send(result.map(|_| ()));
        });
    })
    .unwrap();
    match rx.recv().unwrap() {
        Err(BridgeError::Python(e)) => {
            assert_eq!(e.py_type, "KeyError");
            assert!(e.traceback.contains("_rm_fails"), "{}", e.traceback);
        }
        other => panic!("expected a Python error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn lanes_are_python_threads_and_handles_keep_theirs() {
    python();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(runtime::lanes(), cpus.min(runtime::MAX_THREADS));
    let mut idents = std::collections::HashSet::new();
    for lane in 0..runtime::lanes() {
        let (tx, rx) = std::sync::mpsc::channel();
        runtime::submit_on(
            lane,
            Box::new(move |py| {
                let ident: u64 = py
                    .import("threading")
                    .and_then(|t| t.call_method0("get_ident"))
                    .and_then(|i| i.extract())
                    .unwrap();
                let _ = tx.send((ident, runtime::on_python_thread()));
            }),
        )
        .unwrap();
        let (ident, on_python_thread) = rx.recv().unwrap();
        assert!(on_python_thread);
        idents.insert(ident);
    }
    assert_eq!(idents.len(), runtime::lanes(), "one thread per lane");
    let handle = runtime::run_blocking(|py| PyHandle::new(&py.None().into_bound(py))).unwrap();
    assert_eq!(handle.lane(), handle.lane(), "a handle keeps its lane");
    assert!(handle.lane() < runtime::lanes());
}

/// A JS side for `_remotemedia_js`: answers each call from a thread of its
/// own, after running Python on the lane the test names (as a JS function
/// calling back into Python would), or on the service thread.
struct LaneEcho {
    lane: Option<usize>,
}

impl crate::jscall::JsSink for LaneEcho {
    fn post(&self, call: crate::jscall::JsCall) {
        let lane = self.lane;
        std::thread::spawn(move || {
            let crate::jscall::JsCall { id, method, args } = call;
            let answer: runtime::Task = Box::new(move |py| {
                let result = match (method.as_str(), args) {
                    ("double", Value::Int(n)) => {
                        let doubled = py.eval(
                            &std::ffi::CString::new(format!("{n} * 2")).unwrap(),
                            None,
                            None,
                        );
                        Ok(Value::Int(doubled.unwrap().extract::<i64>().unwrap()))
                    }
                    (other, _) => Err(crate::jscall::JsFailure {
                        name: "NodeProcessError".into(),
                        message: format!("no method {other}"),
                        stack: Some("at js".into()),
                        exception: None,
                        details: Value::Dict(vec![("node".into(), Value::Str("n1".into()))]),
                    }),
                };
                // Settled off the lane, as the JS thread would.
                std::thread::spawn(move || crate::jscall::settle(id, result));
            });
            let settled = match lane {
                Some(lane) => runtime::submit_on(lane, answer),
                None => runtime::submit_service(answer),
            };
            assert!(settled.is_ok());
        });
    }
}

/// Runs `source` (statements that set `result`) on lane 0 and returns
/// `repr(result)`, failing after 20 s instead of hanging.
fn on_lane_zero(source: &'static str) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    runtime::submit_on(
        0,
        Box::new(move |py| {
            let scope = pyo3::types::PyDict::new(py);
            let code = std::ffi::CString::new(source).unwrap();
            let outcome = py
                .run(&code, Some(&scope), None)
                .map_err(|e| ops::exception(py, &e).to_string())
                .map(|()| {
                    let result = scope.get_item("result").unwrap().unwrap();
                    result.repr().unwrap().to_string()
                });
            let _ = tx.send(outcome);
        }),
    )
    .unwrap();
    rx.recv_timeout(std::time::Duration::from_secs(20))
        .expect("no deadlock: the call returned")
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn python_calls_into_js_wait_await_and_never_deadlock_a_lane() {
    python();
    // Nothing serves calls: a clear error, at once.
    crate::jscall::serve(None);
    let refused = on_lane_zero(
        "import _remotemedia_js\ntry:\n    _remotemedia_js.call('double', 1)\nexcept RuntimeError as e:\n    result = str(e)",
    );
    assert!(
        refused.contains("no JavaScript runtime serves calls"),
        "{refused}"
    );

    // The answer needs lane 0, where the caller waits: the waiting caller
    // serves its own lane meanwhile.
    crate::jscall::serve(Some(Arc::new(LaneEcho { lane: Some(0) })));
    let waited = on_lane_zero(
        "import _remotemedia_js\nresult = [_remotemedia_js.call('double', 21), _remotemedia_js.on_lane(), _remotemedia_js.serving()]",
    );
    assert_eq!(waited, "[42, True, True]");

    // Awaited from a loop on a thread of its own (a script run by the CLI);
    // failures raise JsError with the JS side's details. (Lane 0 only joins
    // the thread here, so the answers come from elsewhere.)
    crate::jscall::serve(Some(Arc::new(LaneEcho { lane: None })));
    let awaited = on_lane_zero(
        r#"
import asyncio, threading, _remotemedia_js
from remotemedia.errors import JsError

async def main():
    loop = asyncio.get_running_loop()
    ok = loop.create_future()
    _remotemedia_js.call_async("double", 8, ok)
    bad = loop.create_future()
    _remotemedia_js.call_async("nope", 0, bad)
    try:
        await bad
    except JsError as e:
        failure = (e.name, e.js_message, e.details["node"], e.js_stack)
    return [await ok, failure, _remotemedia_js.on_lane()]

out = []
t = threading.Thread(target=lambda: out.append(asyncio.run(main())))
t.start()
t.join(15)
result = out
"#,
    );
    assert_eq!(
        awaited,
        "[[16, ('NodeProcessError', 'no method nope', 'n1', 'at js'), False]]"
    );
    crate::jscall::serve(None);
}
