package dynamostate

import (
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/state"
)

// TestWriteError covers the item DynamoDB returns with a failed condition
// (ReturnValuesOnConditionCheckFailure=ALL_OLD), which dynalite never sends.
func TestWriteError(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := New(nil, "t", WithClock(func() time.Time { return now }))
	item := func(ver string, expMs int64) map[string]types.AttributeValue {
		m := map[string]types.AttributeValue{
			KeyAttribute: &types.AttributeValueMemberS{Value: "k"},
			attrVersion:  &types.AttributeValueMemberS{Value: ver},
			attrValue:    &types.AttributeValueMemberB{Value: []byte{0, 1, 2}},
		}
		if expMs != 0 {
			m[attrExpiryMs] = &types.AttributeValueMemberN{Value: strconv.FormatInt(expMs, 10)}
		}
		return m
	}
	tests := []struct {
		name        string
		err         error
		ours        string
		wantNil     bool
		wantCurrent *state.Item
		wantOther   bool
	}{
		{name: "no item returned", err: &types.ConditionalCheckFailedException{}},
		{
			name:        "live item",
			err:         &types.ConditionalCheckFailedException{Item: item("v1", 0)},
			ours:        "mine",
			wantCurrent: &state.Item{Value: []byte{0, 1, 2}, Version: "v1"},
		},
		{
			name:        "live item with expiry",
			err:         &types.ConditionalCheckFailedException{Item: item("v1", now.UnixMilli()+1)},
			wantCurrent: &state.Item{Value: []byte{0, 1, 2}, Version: "v1", ExpiresAt: time.UnixMilli(now.UnixMilli() + 1)},
		},
		{name: "expired item is not current", err: &types.ConditionalCheckFailedException{Item: item("v1", now.UnixMilli())}},
		{name: "our own write reported by a retry", err: &types.ConditionalCheckFailedException{Item: item("mine", 0)}, ours: "mine", wantNil: true},
		{name: "other error", err: errors.New("boom"), wantOther: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.writeError("put", "k", tc.err, tc.ours)
			switch {
			case tc.wantNil:
				require.NoError(t, err)
			case tc.wantOther:
				require.Error(t, err)
				require.NotErrorIs(t, err, state.ErrConflict)
			default:
				var ce *state.ConflictError
				require.ErrorAs(t, err, &ce)
				require.Equal(t, tc.wantCurrent, ce.Current)
			}
		})
	}
}

func TestKeyMustBeUTF8(t *testing.T) {
	s := New(nil, "t")
	ctx := t.Context()
	bad := "a\xffb"
	_, err := s.Get(ctx, bad)
	require.ErrorIs(t, err, state.ErrInvalid)
	_, err = s.Put(ctx, bad, []byte("v"), state.PutOptions{})
	require.ErrorIs(t, err, state.ErrInvalid)
	require.ErrorIs(t, s.Delete(ctx, bad, ""), state.ErrInvalid)
}

func TestNoAmbiguousRetry(t *testing.T) {
	o := dynamodb.Options{Retryer: retry.NewStandard()}
	noAmbiguousRetry(&o)
	tests := []struct {
		name  string
		err   error
		retry bool
	}{
		{"throttled: nothing written", &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}, true},
		{"request limit: nothing written", &smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{"connection reset: maybe written", &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, false},
		{"server error: maybe written", &smithy.GenericAPIError{Code: "InternalServerError"}, false},
		{"conditional check failed", &types.ConditionalCheckFailedException{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.retry, o.Retryer.IsErrorRetryable(tc.err))
		})
	}
	_, ok := o.Retryer.(aws.RetryerV2)
	require.True(t, ok, "the wrapped retryer must keep the V2 interface the SDK prefers")
}
