//go:build wasip1

// Test guest shaped like a go-plugin-built plugin: no wasmplug_abi marker, so the host
// must trap (not return an error reply) when a host function raises.
package main

import "unsafe"

var pinned = map[uint32][]byte{}
var reply []byte

//go:wasmexport malloc
func malloc(size uint32) uint32 {
	if size == 0 {
		return 0
	}
	buf := make([]byte, size)
	p := uint32(uintptr(unsafe.Pointer(&buf[0])))
	pinned[p] = buf
	return p
}

//go:wasmexport free
func free(ptr uint32) { delete(pinned, ptr) }

//go:wasmimport env host_echo
func hostEcho(ptr, size uint32) uint64

//go:wasmexport call_host_echo
func callHostEcho(ptr, size uint32) uint64 {
	v := hostEcho(ptr, size)
	rp, rs := uint32(v>>32), uint32(v)&^(1<<31)
	if rs == 0 {
		return 0
	}
	reply = append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(uintptr(rp))), rs)...)
	return uint64(uintptr(unsafe.Pointer(&reply[0])))<<32 | uint64(rs)
}

func main() {}
