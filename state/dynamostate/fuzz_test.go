package dynamostate

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// FuzzDecode feeds arbitrary attribute values to the item decoder: whatever
// is stored in the table, reading it must return an item or an error, never
// panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("value"), "v1", "1800000000001", true, true)
	f.Add([]byte{}, "", "", false, false)
	f.Add([]byte{0, 0xff}, "v", "1e3", true, false)
	f.Add([]byte("x"), "v", "-9223372036854775808", false, true)
	now := time.UnixMilli(1_800_000_000_000)
	s := New(nil, "t", WithClock(func() time.Time { return now }))
	f.Fuzz(func(t *testing.T, value []byte, version, exp string, valueAsString, withExp bool) {
		av := map[string]types.AttributeValue{
			KeyAttribute: &types.AttributeValueMemberS{Value: "k"},
			attrVersion:  &types.AttributeValueMemberS{Value: version},
		}
		if valueAsString {
			av[attrValue] = &types.AttributeValueMemberS{Value: string(value)}
		} else {
			av[attrValue] = &types.AttributeValueMemberB{Value: value}
		}
		if withExp {
			av[attrExpiryMs] = &types.AttributeValueMemberN{Value: exp}
		}
		it, ok, err := s.decode("k", av)
		if err != nil || !ok {
			return
		}
		if valueAsString || it.Version != version || string(it.Value) != string(value) {
			t.Fatalf("decoded %+v", it)
		}
		if !it.ExpiresAt.IsZero() && !now.Before(it.ExpiresAt) {
			t.Fatalf("returned an expired item: %+v", it)
		}
		_ = s.writeError("put", "k", &types.ConditionalCheckFailedException{Item: av}, "ours")
	})
}
