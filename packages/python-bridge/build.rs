//! Build script: Node-API linking (napi-build) and an rpath to the libpython
//! that pyo3 links against, so the loader picks that one even when another
//! libpython with the same soname is installed (Debian ships its own 3.11).

fn main() {
    napi_build::setup();

    let config = pyo3_build_config::get();
    if let Some(lib_dir) = config.lib_dir() {
        // Applies to the cdylib (the .node addon) and to `cargo test` binaries.
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib_dir}");
        println!("cargo:rustc-env=REMOTEMEDIA_LIBPYTHON_DIR={lib_dir}");
    } else {
        println!("cargo:rustc-env=REMOTEMEDIA_LIBPYTHON_DIR=");
    }
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
}
