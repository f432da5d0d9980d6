//go:build wasip1

// Command extismguest is the extism peer guest of wasmplug's benchmark suite:
// an Extism plugin written in plain Go (GOOS=wasip1, -buildmode=c-shared,
// //go:wasmexport) that imports the Extism kernel functions from the
// "extism:host/env" module directly, so it needs no go-pdk.
//
// Exports (Extism convention: () -> i32, 0 = success):
//
//	noop  does nothing, sets no output
//	echo  output = input (any length, copied 8 bytes per kernel call,
//	      the way go-pdk's Input()/Output() do)
package main

// Kernel offsets are addresses in Extism's own memory, not in ours.

//go:wasmimport extism:host/env input_length
func extismInputLength() uint64

//go:wasmimport extism:host/env input_load_u8
func extismInputLoadU8(offset uint64) uint32

//go:wasmimport extism:host/env input_load_u64
func extismInputLoadU64(offset uint64) uint64

//go:wasmimport extism:host/env alloc
func extismAlloc(length uint64) uint64

//go:wasmimport extism:host/env store_u8
func extismStoreU8(offset uint64, value uint32)

//go:wasmimport extism:host/env store_u64
func extismStoreU64(offset uint64, value uint64)

//go:wasmimport extism:host/env output_set
func extismOutputSet(offset uint64, length uint64)

//go:wasmexport noop
func noop() int32 { return 0 }

//go:wasmexport echo
func echo() int32 {
	n := extismInputLength()
	if n == 0 {
		return 0
	}
	dst := extismAlloc(n)
	i := uint64(0)
	for ; i+8 <= n; i += 8 {
		extismStoreU64(dst+i, extismInputLoadU64(i))
	}
	for ; i < n; i++ {
		extismStoreU8(dst+i, extismInputLoadU8(i))
	}
	extismOutputSet(dst, n)
	return 0
}

func main() {}
