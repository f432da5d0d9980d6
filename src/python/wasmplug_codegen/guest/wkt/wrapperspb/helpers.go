package wrapperspb

// Double wraps v.
func Double(v float64) *DoubleValue { return &DoubleValue{Value: v} }

// Float wraps v.
func Float(v float32) *FloatValue { return &FloatValue{Value: v} }

// Int64 wraps v.
func Int64(v int64) *Int64Value { return &Int64Value{Value: v} }

// UInt64 wraps v.
func UInt64(v uint64) *UInt64Value { return &UInt64Value{Value: v} }

// Int32 wraps v.
func Int32(v int32) *Int32Value { return &Int32Value{Value: v} }

// UInt32 wraps v.
func UInt32(v uint32) *UInt32Value { return &UInt32Value{Value: v} }

// Bool wraps v.
func Bool(v bool) *BoolValue { return &BoolValue{Value: v} }

// String wraps v.
func String(v string) *StringValue { return &StringValue{Value: v} }

// Bytes wraps v.
func Bytes(v []byte) *BytesValue { return &BytesValue{Value: v} }
