package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/knqyf263/go-plugin/tests/fields/proto"
	"github.com/knqyf263/go-plugin/types/known/emptypb"
)

// runFields checks a FieldTest plugin the way go-plugin's own tests/fields
// test checks its plugin: every scalar kind doubled, strings and bytes
// suffixed, a repeated field shifted, a map value incremented, a nested
// message replaced, an enum stepped; an empty request; error replies.
func runFields(path string) error {
	ctx := context.Background()
	p, err := proto.NewFieldTestPlugin(ctx)
	if err != nil {
		return err
	}
	plugin, err := p.Load(ctx, path)
	if err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	defer plugin.Close(ctx)

	empty, err := plugin.TestEmptyInput(ctx, &emptypb.Empty{})
	if err != nil {
		return fmt.Errorf("TestEmptyInput: %w", err)
	}
	if !empty.GetOk() {
		return fmt.Errorf("TestEmptyInput: ok = false")
	}

	got, err := plugin.Test(ctx, &proto.Request{
		A: 1.2, B: 3.4, C: 5, D: -6, E: 7, F: 8, G: 9, H: -10, I: 11, J: 12, K: 13, L: -14,
		M: false, N: "foo", O: []byte("hoge"), P: []string{"a", "b"},
		Q: map[string]*proto.IntValue{"key": {A: 15}},
		R: &proto.Request_Nested{A: "samurai"},
		S: proto.Enum_A,
	})
	if err != nil {
		return fmt.Errorf("Test: %w", err)
	}
	want := &proto.Response{
		A: 2.4, B: 6.8, C: 10, D: -12, E: 14, F: 16, G: 18, H: -20, I: 22, J: 24, K: 26, L: -28,
		M: true, N: "foobar", O: []byte("hogefuga"), P: []string{"b"},
		Q: map[string]*proto.IntValue{"key": {A: 16}},
		R: &proto.Response_Nested{A: "ninja"},
		S: proto.Enum_B,
	}
	// go-plugin's messages have no ProtoReflect; compare their encodings (one map
	// entry, so the encoding is deterministic).
	gotBytes, err := got.MarshalVT()
	if err != nil {
		return err
	}
	wantBytes, err := want.MarshalVT()
	if err != nil {
		return err
	}
	if !bytes.Equal(gotBytes, wantBytes) {
		return fmt.Errorf("Test:\n got  %+v\n want %+v", got, want)
	}

	for _, text := range []string{"error from plugin", ""} {
		_, err := plugin.TestError(ctx, &proto.ErrorRequest{ErrText: text})
		if err == nil {
			return fmt.Errorf("TestError(%q): no error", text)
		}
		if err.Error() != text {
			return fmt.Errorf("TestError(%q): error %q", text, err.Error())
		}
	}
	fmt.Println("ok fields")
	return nil
}
