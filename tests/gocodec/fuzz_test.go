package gocodec

import (
	"bytes"
	"testing"

	"wasmplug.dev/guest/wire"
	"wasmplug.dev/guest/wkt/structpb"
	c "wasmplug.test/conformance"
)

// message is what the generated types implement.
type message interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// fuzzUnmarshal: no input panics; whatever decodes re-encodes, and that encoding is a fixed point.
func fuzzUnmarshal(f *testing.F, newMsg func() message, seeds ...message) {
	for _, s := range seeds {
		b, err := s.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x0b, 0x0c})
	f.Add([]byte{0xea, 0x03, 0x02, 0x08})
	f.Fuzz(func(t *testing.T, b []byte) {
		m := newMsg()
		err := m.Unmarshal(b)
		// UnmarshalOwned (bytes fields alias the input) decodes the same message, or fails the same way.
		owned := newMsg()
		errOwned := wire.UnmarshalOwned(append([]byte(nil), b...), owned.(wire.Message))
		if (err == nil) != (errOwned == nil) {
			t.Fatalf("Unmarshal: %v, UnmarshalOwned: %v", err, errOwned)
		}
		if err != nil {
			return
		}
		enc, err := m.Marshal()
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if encOwned, err := owned.Marshal(); err != nil || !bytes.Equal(enc, encOwned) {
			t.Fatalf("UnmarshalOwned decoded another message: %x vs %x (%v)", encOwned, enc, err)
		}
		m2 := newMsg()
		if err := m2.Unmarshal(enc); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		enc2, err := m2.Marshal()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not a fixed point: %x vs %x (%v)", enc, enc2, err)
		}
	})
}

func FuzzUnmarshalAllTypes(f *testing.F) {
	fuzzUnmarshal(f, func() message { return new(c.AllTypes) },
		&c.AllTypes{FInt32: -1, FString: "x", RInt32: []int32{1, 2}, MInt32: map[int32]string{1: "a"},
			Choice: &c.AllTypes_CNested{CNested: &c.AllTypes_Nested{A: 1}}, OBool: ptr(false)},
		&c.AllTypes{Child: &c.AllTypes{Children: []*c.AllTypes{{Last: "z"}}}, MNested: map[string]*c.AllTypes_Nested{"": {}}},
	)
}

func FuzzUnmarshalNames(f *testing.F) {
	fuzzUnmarshal(f, func() message { return new(c.Names) }, &c.Names{Size_: 1, Kind: &c.Names_NamesKind{NamesKind: 2}})
}

func FuzzUnmarshalStructValue(f *testing.F) {
	v, _ := structpb.NewValue(map[string]any{"a": []any{1.0, "s", nil, true}})
	fuzzUnmarshal(f, func() message { return new(structpb.Value) }, v)
}

// FuzzDecoder drives the wire decoder directly, field by field.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte{0x08, 0x01, 0x12, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := wire.NewDecoder(b)
		for d.Next() {
			switch d.Num() % 4 {
			case 0:
				d.Skip()
			case 1:
				old := d.EnterMessage()
				for d.More() {
					d.Varint()
				}
				d.LeaveMessage(old)
			default:
				_ = d.Unknown(nil)
			}
		}
	})
}
