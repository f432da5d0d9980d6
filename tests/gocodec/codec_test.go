// Unit tests of the generated stdlib-only codec (conformance.proto, see the golden files) and the
// wire package. Byte-exactness against Python's protobuf is checked by TestPythonCorpus.
package gocodec

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"wasmplug.dev/guest/wire"
	c "wasmplug.test/conformance"
)

func ptr[T any](v T) *T { return &v }

func mustMarshal(t *testing.T, m interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodings(t *testing.T) {
	cases := []struct {
		name string
		msg  *c.AllTypes
		hex  string
	}{
		{"empty", &c.AllTypes{}, ""},
		{"int32 -1 is 10 bytes", &c.AllTypes{FInt32: -1}, "28ffffffffffffffffff01"},
		{"sint32 -1 zigzag", &c.AllTypes{FSint32: -1}, "7001"},
		{"sint64 min", &c.AllTypes{FSint64: math.MinInt64}, "78ffffffffffffffffff01"},
		{"string", &c.AllTypes{FString: "hi"}, "4a026869"},
		{"float -0 is present", &c.AllTypes{FFloat: float32(math.Copysign(0, -1))}, "1500000080"},
		{"double", &c.AllTypes{FDouble: 1.5}, "09000000000000f83f"},
		{"fixed32", &c.AllTypes{FFixed32: 1}, "3d01000000"},
		{"enum negative", &c.AllTypes{FEnum: c.Color_BLUE}, "8001fdffffffffffffffff01"},
		{"packed varints", &c.AllTypes{RInt32: []int32{1, 2, 300}}, "ca01040102ac02"},
		{"packed fixed", &c.AllTypes{RFixed32: []uint32{1, 2}}, "da01080100000002000000"},
		{"unpacked", &c.AllTypes{RUnpacked: []int32{1, 2}}, "b00201b00202"},
		{"repeated strings", &c.AllTypes{RString: []string{"a", ""}}, "ea010161ea0100"},
		{"optional zero is present", &c.AllTypes{OInt32: ptr(int32(0))}, "e80200"},
		{"optional empty bytes", &c.AllTypes{OBytes: []byte{}}, "920300"},
		{"oneof zero is present", &c.AllTypes{Choice: &c.AllTypes_CInt32{CInt32: 0}}, "900500"},
		{"oneof nil message is empty", &c.AllTypes{Choice: &c.AllTypes_CNested{}}, "a20500"},
		{"map entries in upb order, defaults written", &c.AllTypes{MInt32: map[int32]string{2: "b", -1: "", 0: "z"}},
			"ea030d08ffffffffffffffffff011200" + "ea030508021201" + "62" + "ea030508001201" + "7a"},
		{"map bool keys", &c.AllTypes{MBool: map[bool]bool{true: false, false: true}}, "ba0404080110" + "00" + "ba04040800" + "1001"},
		{"map message value nil", &c.AllTypes{MNested: map[string]*c.AllTypes_Nested{"k": nil}}, "d20405" + "0a016b1200"},
		{"nested", &c.AllTypes{FNested: &c.AllTypes_Nested{A: 1, Inner: &c.AllTypes_Nested{B: "x"}}}, "8a01070801" + "1a03120178"},
		{"max field number", &c.AllTypes{Last: "z"}, "faffffff0f017a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := hex.EncodeToString(mustMarshal(t, tc.msg))
			if got != tc.hex {
				t.Fatalf("Marshal = %s, want %s", got, tc.hex)
			}
			if n := tc.msg.Size(); n != len(tc.hex)/2 {
				t.Fatalf("Size = %d, want %d", n, len(tc.hex)/2)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	in := &c.AllTypes{
		FDouble: -2.5, FFloat: 3, FInt64: -5, FUint64: math.MaxUint64, FInt32: math.MinInt32,
		FFixed64: 7, FFixed32: 8, FBool: true, FString: "héllo", FBytes: []byte{0, 1},
		FUint32: math.MaxUint32, FSfixed32: -9, FSfixed64: -10, FSint32: math.MinInt32,
		FSint64: math.MaxInt64, FEnum: 99, FNestedEnum: c.AllTypes_NESTED_ONE,
		RDouble: []float64{1, math.Inf(-1)}, RSint64: []int64{-1, 1}, REnum: []c.Color{c.Color_RED, -7},
		RNested: []*c.AllTypes_Nested{{A: 1}, {}}, RBytes: [][]byte{{}, {1}},
		OString: ptr(""), OEnum: ptr(c.Color_GREEN), ONested: &c.AllTypes_Nested{},
		MSint64: map[int64]int32{-3: -4}, MEnum: map[string]c.Color{"x": 12345},
		MNested: map[string]*c.AllTypes_Nested{"n": {E: []c.AllTypes_NestedEnum{1, 0, 5}}},
		Choice:  &c.AllTypes_CNested{CNested: &c.AllTypes_Nested{B: "in oneof"}},
		Other:   &c.AllTypes_DRecursive{DRecursive: &c.AllTypes{FInt32: 1}},
		Child:   &c.AllTypes{Children: []*c.AllTypes{{Last: "deep"}}},
	}
	b := mustMarshal(t, in)
	var out c.AllTypes
	if err := out.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if b2 := mustMarshal(t, &out); !bytes.Equal(b, b2) {
		t.Fatalf("re-encoding differs")
	}
	// Both encoded: their size caches (unexported, set by encoding) agree too.
	if !reflect.DeepEqual(in, &out) {
		t.Fatalf("round trip differs:\n in %+v\nout %+v", in, &out)
	}
}

func TestUnknownFieldsSurvive(t *testing.T) {
	// field 1000 varint, field 1001 fixed64, field 1002 bytes, field 1003 group, field 1004 fixed32
	unknown, _ := hex.DecodeString("c03e05" + "c93e0102030405060708" + "d23e026869" + "db3e0801dc3e" + "e53e01020304")
	known := mustMarshal(t, &c.AllTypes{FInt32: 1})
	var m c.AllTypes
	if err := m.Unmarshal(append(append([]byte{}, unknown...), known...)); err != nil {
		t.Fatal(err)
	}
	if m.FInt32 != 1 {
		t.Fatalf("FInt32 = %d", m.FInt32)
	}
	// Known fields first, then unknown fields in the order they came (like upb).
	if got, want := mustMarshal(t, &m), append(append([]byte{}, known...), unknown...); !bytes.Equal(got, want) {
		t.Fatalf("got %x want %x", got, want)
	}
}

func TestWrongWireTypeIsUnknown(t *testing.T) {
	b, _ := hex.DecodeString("2d01000000") // field 5 (int32) as fixed32
	var m c.AllTypes
	if err := m.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if m.FInt32 != 0 || !bytes.Equal(mustMarshal(t, &m), b) {
		t.Fatalf("wrong wire type should be kept as an unknown field")
	}
}

func TestPackedAndUnpackedBothRead(t *testing.T) {
	b, _ := hex.DecodeString("c80101c80102" + "ca01020304") // r_int32 unpacked 1, 2 then packed 3, 4
	var m c.AllTypes
	if err := m.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.RInt32, []int32{1, 2, 3, 4}) {
		t.Fatalf("RInt32 = %v", m.RInt32)
	}
	// r_unpacked (written unpacked) also accepts packed input.
	b, _ = hex.DecodeString("b202020506")
	if err := m.Unmarshal(b); err != nil || !reflect.DeepEqual(m.RUnpacked, []int32{5, 6}) {
		t.Fatalf("RUnpacked = %v, %v", m.RUnpacked, err)
	}
}

func TestMergeSemantics(t *testing.T) {
	a := mustMarshal(t, &c.AllTypes{FNested: &c.AllTypes_Nested{A: 1}, RInt32: []int32{1}, FString: "a"})
	b := mustMarshal(t, &c.AllTypes{FNested: &c.AllTypes_Nested{B: "x"}, RInt32: []int32{2}, FString: "b"})
	var m c.AllTypes
	if err := m.Unmarshal(append(a, b...)); err != nil {
		t.Fatal(err)
	}
	if m.FNested.A != 1 || m.FNested.B != "x" || !reflect.DeepEqual(m.RInt32, []int32{1, 2}) || m.FString != "b" {
		t.Fatalf("merge: %+v", &m)
	}
}

func TestMalformedInputIsAnError(t *testing.T) {
	cases := map[string]struct {
		hex string
		err error
	}{
		"truncated varint":   {"28ff", wire.ErrTruncated},
		"truncated bytes":    {"4a0561", wire.ErrTruncated},
		"field number zero":  {"0001", wire.ErrInvalidTag},
		"wire type 6":        {"2e", wire.ErrInvalidTag},
		"invalid utf-8":      {"4a01ff", wire.ErrInvalidUTF8},
		"varint overflow":    {"28ffffffffffffffffff7f", wire.ErrOverflow},
		"lone end group":     {"0c", wire.ErrGroup},
		"mismatched group":   {"0b14", wire.ErrGroup},
		"unterminated group": {"0b", wire.ErrTruncated},
		"bad nested":         {"8a01024a01", wire.ErrTruncated},
		"truncated fixed64":  {"0901", wire.ErrTruncated},
		"packed fixed32 odd": {"da010301000000", wire.ErrTruncated},
	}
	for name, tc := range cases {
		b, _ := hex.DecodeString(tc.hex)
		var m c.AllTypes
		if err := m.Unmarshal(b); !errors.Is(err, tc.err) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.err)
		}
	}
}

// nestedChildren is AllTypes{Child: {Child: ...}} with levels messages below the top one.
func nestedChildren(levels int) *c.AllTypes {
	top := &c.AllTypes{}
	for m, i := top, 0; i < levels; i++ {
		m.Child = &c.AllTypes{}
		m = m.Child
	}
	return top
}

// The limit is upb's: messages (map entries and groups too) down to wire.MaxDepth levels below the
// top one decode and encode; one level more is ErrDepth both ways, never a stack overflow.
func TestDepthLimit(t *testing.T) {
	for _, levels := range []int{wire.MaxDepth, wire.MaxDepth + 1, 5000} {
		want := error(nil)
		if levels > wire.MaxDepth {
			want = wire.ErrDepth
		}
		// Encoded by hand, so that the decoder sees input deeper than the encoder would write.
		var enc []byte
		for i := 0; i < levels; i++ {
			e := wire.NewEncoder(make([]byte, 0, len(enc)+8))
			e.Tag(90, wire.BytesType)
			e.Bytes(enc)
			enc, _ = e.Finish()
		}
		var out c.AllTypes
		if err := out.Unmarshal(enc); !errors.Is(err, want) {
			t.Errorf("decode %d levels: err = %v, want %v", levels, err, want)
		}
		got, err := nestedChildren(levels).Marshal()
		if !errors.Is(err, want) {
			t.Errorf("encode %d levels: err = %v, want %v", levels, err, want)
		}
		if want == nil && !bytes.Equal(got, enc) {
			t.Errorf("encode %d levels: %d bytes, want %d", levels, len(got), len(enc))
		}
	}
}

// A map entry is a level of its own: a message map value is two levels below the map's message.
func TestDepthLimitCountsMapEntries(t *testing.T) {
	for _, levels := range []int{wire.MaxDepth, wire.MaxDepth + 1} {
		// AllTypes{m_nested: {"k": Nested{inner: {inner: ...}}}}: the value is at level 2.
		v := &c.AllTypes_Nested{}
		for m, i := v, 2; i < levels; i++ {
			m.Inner = &c.AllTypes_Nested{}
			m = m.Inner
		}
		top := &c.AllTypes{MNested: map[string]*c.AllTypes_Nested{"k": v}}
		enc, err := top.Marshal()
		if levels > wire.MaxDepth {
			if !errors.Is(err, wire.ErrDepth) {
				t.Errorf("encode %d levels: err = %v, want ErrDepth", levels, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("encode %d levels: %v", levels, err)
		}
		var out c.AllTypes
		if err := out.Unmarshal(enc); err != nil {
			t.Errorf("decode %d levels: %v", levels, err)
		}
		// One more level below the value is one too many.
		last := v
		for last.Inner != nil {
			last = last.Inner
		}
		last.Inner = &c.AllTypes_Nested{}
		if _, err := top.Marshal(); !errors.Is(err, wire.ErrDepth) {
			t.Errorf("encode %d levels: err = %v, want ErrDepth", levels+1, err)
		}
	}
}

// Unknown groups count as levels as in upb.
func TestDepthLimitCountsGroups(t *testing.T) {
	for _, levels := range []int{wire.MaxDepth, wire.MaxDepth + 1} {
		// Field 999 (unknown) as levels nested groups: 0x3b = tag(999<<3|3) is two bytes, use 7.
		b := append(bytes.Repeat([]byte{7<<3 | 3}, levels), bytes.Repeat([]byte{7<<3 | 4}, levels)...)
		var out c.AllTypes_Nested
		err := out.Unmarshal(b)
		if levels > wire.MaxDepth != errors.Is(err, wire.ErrDepth) {
			t.Errorf("%d nested groups: err = %v", levels, err)
		}
	}
}

// The encoder writes strings as they are (as upb does); the decoder, like every proto3 parser, refuses
// invalid UTF-8, so a message holding it does not survive a round trip.
func TestInvalidUTF8IsWrittenAsItIsAndRefusedOnDecode(t *testing.T) {
	b, err := (&c.AllTypes{MString: map[string]string{"k": "\xff"}}).Marshal()
	if err != nil || !bytes.Contains(b, []byte("\x01k\x12\x01\xff")) {
		t.Fatalf("encode: %x, %v", b, err)
	}
	if err := new(c.AllTypes).Unmarshal(b); !errors.Is(err, wire.ErrInvalidUTF8) {
		t.Fatalf("decode: err = %v", err)
	}
}

func TestNamesAndGetters(t *testing.T) {
	n := &c.Names{Size_: 1, Marshal_: "m", ProtoName_: "p", XLeading: 2, SnakeCaseName: 3, CamelCaseName: 4,
		Kind: &c.Names_NamesKind{NamesKind: 5}}
	var out c.Names
	err := out.Unmarshal(mustMarshal(t, n))
	mustMarshal(t, &out) // sets the size cache, as encoding n did
	if err != nil || !reflect.DeepEqual(n, &out) {
		t.Fatalf("%v %+v", err, &out)
	}
	var nilMsg *c.AllTypes
	if nilMsg.GetFString() != "" || nilMsg.GetOInt32() != 0 || nilMsg.GetCNested() != nil || nilMsg.GetChild().GetFInt32() != 0 {
		t.Fatal("getters must be nil-safe")
	}
	if (&c.AllTypes{OInt32: ptr(int32(7))}).GetOInt32() != 7 || (&c.AllTypes{Choice: &c.AllTypes_CString{CString: "s"}}).GetCString() != "s" {
		t.Fatal("getters")
	}
	if c.Color(-3).String() != "BLUE" || c.Color(42).String() != "42" || c.Aliased_ALIASED_UNO.String() != "ALIASED_ONE" {
		t.Fatal("enum String")
	}
	if (&c.AllTypes_Nested{}).ProtoName() != "conformance.AllTypes.Nested" {
		t.Fatal("ProtoName")
	}
}

// Large values whose destination sits 1-15 bytes past their source modulo 64 are copied in pieces
// (see wire.appendBytes): every size and placement must still give exactly what append gives.
func TestLargeValuesEncodeExactly(t *testing.T) {
	src := make([]byte, 1<<20+128)
	for i := range src {
		src[i] = byte(i*7 + i>>9)
	}
	for _, n := range []int{4095, 4096, 4097, 65536 + 7, 1<<20 - 1, 1 << 20} {
		for _, shift := range []int{0, 1, 4, 15, 16, 40, 63} {
			v := src[shift : shift+n]
			for _, pre := range []int{0, 3, 64} {
				prefix := src[:pre]
				e := wire.NewEncoder(append(make([]byte, 0, pre+n+8), prefix...))
				e.Raw(v)
				e.Bytes(v)
				got, err := e.Finish()
				if err != nil {
					t.Fatal(err)
				}
				lenEnc := wire.NewEncoder(nil)
				lenEnc.Varint(uint64(n))
				size, _ := lenEnc.Finish()
				want := append(append(append(append([]byte(nil), prefix...), v...), size...), v...)
				if !bytes.Equal(got, want) {
					t.Fatalf("n=%d shift=%d prefix=%d: encoding differs", n, shift, pre)
				}
			}
		}
	}
}

// UnmarshalOwned decodes what Unmarshal decodes, with bytes and string fields as views of the input,
// each bytes field capped at its own length so that appending to one leaves the input alone.
func TestUnmarshalOwnedAliasesBytes(t *testing.T) {
	in := &c.AllTypes{FBytes: []byte("first"), RBytes: [][]byte{[]byte("r0"), {}, []byte("r2")},
		MInt64: map[int64][]byte{7: []byte("seven")}, OBytes: []byte("o"), FString: "copied",
		Choice: &c.AllTypes_CBytes{CBytes: []byte("choice")}}
	b := mustMarshal(t, in)
	var copied, owned c.AllTypes
	if err := copied.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	orig := append([]byte(nil), b...)
	if err := wire.UnmarshalOwned(b, &owned); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustMarshal(t, &owned), mustMarshal(t, &copied)) || owned.RBytes[1] == nil {
		t.Fatalf("owned %+v, copied %+v", &owned, &copied)
	}
	owned.FBytes = append(owned.FBytes, "!!!!!!!!"...)
	if !bytes.Equal(b, orig) {
		t.Fatal("appending to a field wrote into the input")
	}
	i := bytes.Index(b, []byte("seven"))
	b[i] = 'S'
	if string(owned.MInt64[7]) != "Seven" || string(copied.MInt64[7]) != "seven" {
		t.Fatal("bytes fields must alias the input (and only with UnmarshalOwned)")
	}
	b[bytes.Index(b, []byte("copied"))] = 'C' // what the input's owner must never do
	if owned.FString != "Copied" || copied.FString != "copied" {
		t.Fatal("strings must alias the input (and only with UnmarshalOwned)")
	}
	if err := wire.UnmarshalOwned(b[:len(b)-1], &c.AllTypes{}); err == nil {
		t.Fatal("truncated input must be an error")
	}
}

// The decoder's UTF-8 check (with its 16- and 8-bytes-at-a-time paths and its inline check of
// other characters) agrees with utf8.ValidString on random strings of valid and invalid pieces,
// long enough to reach every path at every alignment.
func TestUTF8CheckAgreesWithTheStandardLibrary(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	pieces := []string{"a", "abcdefghijklmnopq", "é", "ÿ", "\u07ff", "éжλß", "€", "\u0800", "\ud7ff",
		"\ue000", "\uffff", "😀", "\U00010000", "\U0010ffff", "\xc0\x80", "\xc1\xbf", "\xc2", "\x80",
		"\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf",
		"\xf0\x8f\xbf\xbf", "\xf5\x80\x80\x80", "\xff"}
	for i := 0; i < 100000; i++ {
		s := ""
		for n := r.Intn(40); n > 0; n-- {
			s += pieces[r.Intn(len(pieces))]
		}
		checkUTF8(t, s)
	}
	// Every piece pair after 0-33 bytes of ASCII and before 0-4 2-byte characters: each path at each
	// alignment, and each way of leaving a path (the end of the input included).
	for pad := 0; pad < 34; pad++ {
		for _, p := range pieces {
			for _, q := range pieces {
				checkUTF8(t, strings.Repeat("a", pad)+p+q+strings.Repeat("é", pad%5))
			}
		}
	}
}

// checkUTF8 encodes s and decodes it back: an error exactly when s is not valid UTF-8.
func checkUTF8(t *testing.T, s string) {
	t.Helper()
	b, err := (&c.AllTypes{FString: s}).Marshal()
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	var m c.AllTypes
	valid := utf8.ValidString(s)
	if err := m.Unmarshal(b); (err == nil) != valid || valid && m.FString != s {
		t.Fatalf("decode %q: err = %v, utf8.ValidString = %v", s, err, valid)
	}
}
