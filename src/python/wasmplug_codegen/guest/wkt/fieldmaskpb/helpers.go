package fieldmaskpb

// New returns a FieldMask of the given paths.
func New(paths ...string) *FieldMask {
	return &FieldMask{Paths: append([]string(nil), paths...)}
}
