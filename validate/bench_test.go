package validate_test

import "testing"

// BenchmarkValidate: the cost of checking one small valid order.
func BenchmarkValidate(b *testing.B) {
	s := orderSchema(b)
	doc := []byte(validOrder)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(doc); err != nil {
			b.Fatal(err)
		}
	}
}
