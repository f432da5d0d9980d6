module wasmplug.dev/tests/interop

go 1.25.0

require github.com/knqyf263/go-plugin v0.9.0

require (
	github.com/tetratelabs/wazero v1.12.0 // indirect
	golang.org/x/sys v0.44.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
