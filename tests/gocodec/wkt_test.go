package gocodec

import (
	"math"
	"reflect"
	"testing"
	"time"

	"wasmplug.dev/guest/wkt/anypb"
	"wasmplug.dev/guest/wkt/durationpb"
	"wasmplug.dev/guest/wkt/fieldmaskpb"
	"wasmplug.dev/guest/wkt/structpb"
	"wasmplug.dev/guest/wkt/timestamppb"
	"wasmplug.dev/guest/wkt/wrapperspb"
	c "wasmplug.test/conformance"
)

func TestTimestamp(t *testing.T) {
	tm := time.Date(2024, 2, 29, 12, 30, 0, 123456789, time.UTC)
	ts := timestamppb.New(tm)
	if ts.Seconds != tm.Unix() || ts.Nanos != 123456789 || !ts.AsTime().Equal(tm) || !ts.IsValid() {
		t.Fatalf("%+v", ts)
	}
	before := timestamppb.New(time.Date(1969, 12, 31, 23, 59, 59, 5, time.UTC))
	if before.Seconds != -1 || before.Nanos != 5 {
		t.Fatalf("pre-epoch: %+v", before)
	}
	if (&timestamppb.Timestamp{Nanos: -1}).IsValid() {
		t.Fatal("negative nanos must be invalid")
	}
}

func TestDuration(t *testing.T) {
	for _, d := range []time.Duration{0, 1500 * time.Millisecond, -1500 * time.Millisecond, math.MaxInt64, math.MinInt64} {
		if got := durationpb.New(d).AsDuration(); got != d {
			t.Fatalf("%v -> %v", d, got)
		}
	}
	if durationpb.New(-1500*time.Millisecond).Nanos != -5e8 {
		t.Fatal("nanos carry the sign")
	}
	if (&durationpb.Duration{Seconds: 1 << 62}).AsDuration() != math.MaxInt64 {
		t.Fatal("saturate")
	}
}

func TestStruct(t *testing.T) {
	in := map[string]any{"n": 1.5, "s": "x", "b": true, "z": nil, "l": []any{1.0, "two"}, "o": map[string]any{"k": "v"}}
	s, err := structpb.NewStruct(in)
	if err != nil {
		t.Fatal(err)
	}
	b := mustMarshal(t, s)
	var out structpb.Struct
	if err := out.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if got := out.AsMap(); !reflect.DeepEqual(got, in) {
		t.Fatalf("%v", got)
	}
	// The messages are protobuf-go's (fmt's %q and %T), built without fmt.
	if _, err := structpb.NewValue(struct{ A int }{}); err == nil || err.Error() != "structpb: invalid type struct { A int }" {
		t.Fatalf("unsupported type: %v", err)
	}
	if _, err := structpb.NewValue([]int{1}); err == nil || err.Error() != "structpb: invalid type []int" {
		t.Fatalf("unsupported type: %v", err)
	}
	if _, err := structpb.NewStruct(map[string]any{"k\xff\"": 1}); err == nil || err.Error() != `structpb: invalid UTF-8 in key "k\xff\""` {
		t.Fatalf("bad key: %v", err)
	}
	if _, err := structpb.NewValue("\xfe"); err == nil || err.Error() != `structpb: invalid UTF-8 in string "\xfe"` {
		t.Fatalf("bad string: %v", err)
	}
}

func TestAny(t *testing.T) {
	a, err := anypb.New(&c.AllTypes_Nested{A: 7})
	if err != nil {
		t.Fatal(err)
	}
	if a.TypeUrl != "type.googleapis.com/conformance.AllTypes.Nested" || !a.MessageIs(&c.AllTypes_Nested{}) {
		t.Fatalf("%+v", a)
	}
	var n c.AllTypes_Nested
	if err := a.UnmarshalTo(&n); err != nil || n.A != 7 {
		t.Fatalf("%v %+v", err, &n)
	}
	want := `anypb: mismatched message type: got "conformance.AllTypes.Nested", want "conformance.AllTypes"`
	if err := a.UnmarshalTo(&c.AllTypes{}); err == nil || err.Error() != want {
		t.Fatalf("type mismatch: %v", err)
	}
	if (&anypb.Any{TypeUrl: "no.slash"}).MessageName() != "no.slash" {
		t.Fatal("MessageName without a '/'")
	}
}

func TestWrappersAndFieldMask(t *testing.T) {
	if wrapperspb.String("s").Value != "s" || wrapperspb.Int64(-1).Value != -1 || len(fieldmaskpb.New("a", "b.c").Paths) != 2 {
		t.Fatal("helpers")
	}
}
