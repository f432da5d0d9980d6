// A separate module on purpose: it imports our generated Go guest SDK for go-plugin's greet.proto, whose
// go_package is go-plugin's own import path, so it must not live in the interop module that requires
// go-plugin (the package path would be ambiguous). builders.build_our_plugin builds it in a go.work with
// the generated modules, offline.
module wasmplug.dev/tests/interop/ourplugin

go 1.24
