//! Build script: Node-API linking for the addon (napi-build).

fn main() {
    napi_build::setup();
}
