"""wasmplug's Pants backend: plugin_proto_library and wasm_plugin."""


def rules():
    return []


def target_types():
    return []
