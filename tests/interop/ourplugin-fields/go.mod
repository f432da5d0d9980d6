// Built by builders.build_our_plugin against our Go guest SDK generated from go-plugin's
// tests/fields/proto/fields.proto (a separate module: see ../ourplugin/go.mod).
module wasmplug.dev/tests/interop/ourplugin-fields

go 1.24
