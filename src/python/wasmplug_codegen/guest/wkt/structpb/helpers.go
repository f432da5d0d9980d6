package structpb

import (
	"encoding/base64"
	"errors"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// NewStruct converts a map[string]any (as NewValue converts each value).
func NewStruct(v map[string]any) (*Struct, error) {
	x := &Struct{Fields: make(map[string]*Value, len(v))}
	for k, v := range v {
		if !utf8.ValidString(k) {
			return nil, errors.New("structpb: invalid UTF-8 in key " + strconv.Quote(k))
		}
		var err error
		if x.Fields[k], err = NewValue(v); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// AsMap converts x to a map[string]any (see Value.AsInterface).
func (x *Struct) AsMap() map[string]any {
	f := x.GetFields()
	out := make(map[string]any, len(f))
	for k, v := range f {
		out[k] = v.AsInterface()
	}
	return out
}

// NewList converts a []any (as NewValue converts each value).
func NewList(v []any) (*ListValue, error) {
	x := &ListValue{Values: make([]*Value, len(v))}
	for i, v := range v {
		var err error
		if x.Values[i], err = NewValue(v); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// AsSlice converts x to a []any (see Value.AsInterface).
func (x *ListValue) AsSlice() []any {
	vs := x.GetValues()
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v.AsInterface()
	}
	return out
}

// NewValue converts a Go value like protobuf-go's structpb.NewValue: nil; bool;
// all integer and float types (as numbers); string (valid UTF-8); []byte
// (base64 string); map[string]any; []any; *Value, *Struct, *ListValue as they are.
func NewValue(v any) (*Value, error) {
	switch v := v.(type) {
	case nil:
		return NewNullValue(), nil
	case bool:
		return NewBoolValue(v), nil
	case int:
		return NewNumberValue(float64(v)), nil
	case int8:
		return NewNumberValue(float64(v)), nil
	case int16:
		return NewNumberValue(float64(v)), nil
	case int32:
		return NewNumberValue(float64(v)), nil
	case int64:
		return NewNumberValue(float64(v)), nil
	case uint:
		return NewNumberValue(float64(v)), nil
	case uint8:
		return NewNumberValue(float64(v)), nil
	case uint16:
		return NewNumberValue(float64(v)), nil
	case uint32:
		return NewNumberValue(float64(v)), nil
	case uint64:
		return NewNumberValue(float64(v)), nil
	case float32:
		return NewNumberValue(float64(v)), nil
	case float64:
		return NewNumberValue(v), nil
	case string:
		if !utf8.ValidString(v) {
			return nil, errors.New("structpb: invalid UTF-8 in string " + strconv.Quote(v))
		}
		return NewStringValue(v), nil
	case []byte:
		return NewStringValue(base64.StdEncoding.EncodeToString(v)), nil
	case map[string]any:
		s, err := NewStruct(v)
		if err != nil {
			return nil, err
		}
		return NewStructValue(s), nil
	case []any:
		l, err := NewList(v)
		if err != nil {
			return nil, err
		}
		return NewListValue(l), nil
	case *Value:
		return v, nil
	case *Struct:
		return NewStructValue(v), nil
	case *ListValue:
		return NewListValue(v), nil
	default:
		return nil, errors.New("structpb: invalid type " + reflect.TypeOf(v).String())
	}
}

// AsInterface converts x to nil, bool, float64, string, map[string]any or []any.
// NaN and infinities are returned as the strings "NaN", "Infinity", "-Infinity".
func (x *Value) AsInterface() any {
	switch k := x.GetKind().(type) {
	case *Value_NumberValue:
		switch {
		case math.IsNaN(k.NumberValue):
			return "NaN"
		case math.IsInf(k.NumberValue, 1):
			return "Infinity"
		case math.IsInf(k.NumberValue, -1):
			return "-Infinity"
		}
		return k.NumberValue
	case *Value_StringValue:
		return k.StringValue
	case *Value_BoolValue:
		return k.BoolValue
	case *Value_StructValue:
		return k.StructValue.AsMap()
	case *Value_ListValue:
		return k.ListValue.AsSlice()
	}
	return nil
}

// NewNullValue returns a null Value.
func NewNullValue() *Value { return &Value{Kind: &Value_NullValue{NullValue: NullValue_NULL_VALUE}} }

// NewBoolValue returns a bool Value.
func NewBoolValue(v bool) *Value { return &Value{Kind: &Value_BoolValue{BoolValue: v}} }

// NewNumberValue returns a number Value.
func NewNumberValue(v float64) *Value { return &Value{Kind: &Value_NumberValue{NumberValue: v}} }

// NewStringValue returns a string Value.
func NewStringValue(v string) *Value { return &Value{Kind: &Value_StringValue{StringValue: v}} }

// NewStructValue returns a struct Value.
func NewStructValue(v *Struct) *Value { return &Value{Kind: &Value_StructValue{StructValue: v}} }

// NewListValue returns a list Value.
func NewListValue(v *ListValue) *Value { return &Value{Kind: &Value_ListValue{ListValue: v}} }
