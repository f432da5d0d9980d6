package gocodec

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	c "wasmplug.test/conformance"
)

// TestPythonCorpus checks byte-exactness against Python's protobuf (upb): $WASMPLUG_CORPUS holds
// records (u32 length, input, u32 length, expected) written by gocodec_test.py from random
// messages; expected is Python's SerializeToString(deterministic=True) after parsing input. Go
// must decode input and encode exactly expected, and decode expected back to the same message.
func TestPythonCorpus(t *testing.T) {
	path := os.Getenv("WASMPLUG_CORPUS")
	if path == "" {
		t.Skip("WASMPLUG_CORPUS not set (gocodec_test.py sets it)")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	next := func() []byte {
		n := binary.LittleEndian.Uint32(data)
		b := data[4 : 4+n]
		data = data[4+n:]
		return b
	}
	count := 0
	for len(data) > 0 {
		in, want := next(), next()
		var m c.AllTypes
		if err := m.Unmarshal(in); err != nil {
			t.Fatalf("record %d: decode: %v\ninput %x", count, err, in)
		}
		got, err := m.Marshal()
		if err != nil {
			t.Fatalf("record %d: encode: %v", count, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("record %d: Go encoding differs from Python's\ninput  %x\npython %x\ngo     %x", count, in, want, got)
		}
		count++
	}
	t.Logf("%d messages byte-identical", count)
}
