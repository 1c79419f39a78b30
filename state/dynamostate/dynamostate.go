// Package dynamostate is a [state.Store] on Amazon DynamoDB
// (github.com/aws/aws-sdk-go-v2/service/dynamodb).
//
// Typical use:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	client := dynamodb.NewFromConfig(cfg)
//	store := dynamostate.New(client, "faasport-state")
//	v, err := store.Put(ctx, "job/42", []byte("running"), state.PutOptions{IfAbsent: true, TTL: time.Minute})
//
// # Table
//
// One table with a string partition key named "pk" and no sort key;
// [CreateTable] makes it (on-demand billing). Each item holds:
//
//	pk             S  the key (with the WithPrefix prefix); keys must be valid UTF-8
//	v              B  the value (absent when the value is empty)
//	ver            S  an opaque random version
//	expires_at     N  expiry in Unix seconds, rounded up (only with a TTL)
//	expires_at_ms  N  expiry in Unix milliseconds (only with a TTL)
//
// Set [TTLAttribute] ("expires_at") as the table's Time to Live attribute so
// DynamoDB deletes expired items; CreateTable does that where the server
// supports it. DynamoDB deletes them late (often hours later), so every read
// and every condition also checks expires_at_ms against the Store's clock:
// an expired item is never returned and never blocks a write.
//
// # Round trips and conflicts
//
// Get is one strongly consistent GetItem; Put and Delete are one PutItem or
// DeleteItem with a condition expression. A failed condition asks DynamoDB
// for the item it failed on (ReturnValuesOnConditionCheckFailure=ALL_OLD)
// and reports it in state.ConflictError.Current when DynamoDB sends it;
// servers that do not (dynalite) leave Current nil, and the store never
// spends a second round trip to fill it.
//
// Conditional writes are not retried by the SDK after a network error (the
// first attempt may have succeeded, and a retry would then fail its own
// condition); throttling errors, which mean nothing was written, still are.
//
// The AWS SDK honours contexts as it is: a context's deadline or
// cancellation ends a request already sent and the SDK's retries, so a slow
// endpoint cannot hold a function past its deadline. It is a module of its
// own (github.com/faasport/faasport/state/dynamostate), so only functions
// that use it get the DynamoDB SDK in their module graph.
//
// Neighbours: state (the contract), state/memstate, state/redisstate,
// state/pgstate, testing/statetest.
package dynamostate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/faasport/faasport/state"
)

// Attribute names of the table layout.
const (
	// KeyAttribute is the table's partition key (type S).
	KeyAttribute = "pk"
	// TTLAttribute is the expiry in Unix seconds; make it the table's Time
	// to Live attribute.
	TTLAttribute = "expires_at"

	attrValue    = "v"
	attrVersion  = "ver"
	attrExpiryMs = "expires_at_ms"
)

// Store is a state.Store on one DynamoDB table. Create it with [New].
type Store struct {
	client *dynamodb.Client
	table  string
	prefix string
	now    func() time.Time
}

// Option configures a Store.
type Option func(*Store)

// WithPrefix puts prefix in front of every key, so several stores can share
// one table. It does not count towards state.MaxKeySize.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// WithClock sets the clock that decides expiry (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// New returns a Store on table, which must exist with the layout in the
// package documentation (see [CreateTable]).
func New(client *dynamodb.Client, table string, opts ...Option) *Store {
	s := &Store{client: client, table: table, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

var _ state.Store = (*Store)(nil)

// Get returns the item at key, or state.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (state.Item, error) {
	if err := state.CheckCall(ctx, key); err != nil {
		return state.Item{}, err
	}
	if err := checkUTF8(key); err != nil {
		return state.Item{}, err
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            map[string]types.AttributeValue{KeyAttribute: &types.AttributeValueMemberS{Value: s.prefix + key}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return state.Item{}, fmt.Errorf("dynamostate: get %q from table %q: %w", key, s.table, state.CallError(ctx, err))
	}
	it, ok, err := s.decode(key, out.Item)
	if err != nil {
		return state.Item{}, err
	}
	if !ok {
		return state.Item{}, state.ErrNotFound
	}
	return it, nil
}

// Put writes value at key if the conditions in o hold, else it returns a
// *state.ConflictError.
func (s *Store) Put(ctx context.Context, key string, value []byte, o state.PutOptions) (string, error) {
	if err := state.CheckPut(ctx, key, value, o); err != nil {
		return "", err
	}
	if err := checkUTF8(key); err != nil {
		return "", err
	}
	now := s.now()
	version := state.NewVersion()
	item := map[string]types.AttributeValue{
		KeyAttribute: &types.AttributeValueMemberS{Value: s.prefix + key},
		attrVersion:  &types.AttributeValueMemberS{Value: version},
	}
	if len(value) > 0 {
		item[attrValue] = &types.AttributeValueMemberB{Value: value}
	}
	if o.TTL > 0 {
		exp := now.Add(o.TTL)
		ms := exp.Add(time.Millisecond - 1).UnixMilli() // rounded up: never early
		item[TTLAttribute] = number((ms + 999) / 1000)
		item[attrExpiryMs] = number(ms)
	}
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: item}
	nowMs := number(now.UnixMilli())
	switch {
	case o.IfAbsent:
		in.ConditionExpression = aws.String("attribute_not_exists(#pk) OR #exp <= :now")
		in.ExpressionAttributeNames = map[string]string{"#pk": KeyAttribute, "#exp": attrExpiryMs}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":now": nowMs}
	case o.IfVersion != "":
		in.ConditionExpression = aws.String("#ver = :ver AND (attribute_not_exists(#exp) OR #exp > :now)")
		in.ExpressionAttributeNames = map[string]string{"#ver": attrVersion, "#exp": attrExpiryMs}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":ver": &types.AttributeValueMemberS{Value: o.IfVersion},
			":now": nowMs,
		}
	}
	if in.ConditionExpression == nil {
		if _, err := s.client.PutItem(ctx, in); err != nil {
			return "", fmt.Errorf("dynamostate: put %q in table %q: %w", key, s.table, state.CallError(ctx, err))
		}
		return version, nil
	}
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	_, err := s.client.PutItem(ctx, in, noAmbiguousRetry)
	if err != nil {
		return "", s.writeError("put", key, state.CallError(ctx, err), version)
	}
	return version, nil
}

// Delete removes key; with a non-empty ifVersion only if the current version
// equals it, else it returns a *state.ConflictError.
func (s *Store) Delete(ctx context.Context, key string, ifVersion string) error {
	if err := state.CheckCall(ctx, key); err != nil {
		return err
	}
	if err := checkUTF8(key); err != nil {
		return err
	}
	in := &dynamodb.DeleteItemInput{
		TableName: &s.table,
		Key:       map[string]types.AttributeValue{KeyAttribute: &types.AttributeValueMemberS{Value: s.prefix + key}},
	}
	if ifVersion == "" {
		if _, err := s.client.DeleteItem(ctx, in); err != nil {
			return fmt.Errorf("dynamostate: delete %q from table %q: %w", key, s.table, state.CallError(ctx, err))
		}
		return nil
	}
	in.ConditionExpression = aws.String("#ver = :ver AND (attribute_not_exists(#exp) OR #exp > :now)")
	in.ExpressionAttributeNames = map[string]string{"#ver": attrVersion, "#exp": attrExpiryMs}
	in.ExpressionAttributeValues = map[string]types.AttributeValue{
		":ver": &types.AttributeValueMemberS{Value: ifVersion},
		":now": number(s.now().UnixMilli()),
	}
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	if _, err := s.client.DeleteItem(ctx, in, noAmbiguousRetry); err != nil {
		return s.writeError("delete", key, state.CallError(ctx, err), "")
	}
	return nil
}

// writeError turns a failed conditional write into a ConflictError (with the
// item DynamoDB returned, when it did) or a wrapped error.
func (s *Store) writeError(op, key string, err error, ours string) error {
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return fmt.Errorf("dynamostate: %s %q in table %q: %w", op, key, s.table, err)
	}
	ce := &state.ConflictError{Key: key}
	if len(ccf.Item) > 0 {
		it, live, derr := s.decode(key, ccf.Item)
		if derr == nil && live {
			if ours != "" && it.Version == ours {
				// Our own write, reported back by a retry.
				return nil
			}
			ce.Current = &it
		}
	}
	return ce
}

// decode turns a DynamoDB item into a state.Item; ok is false when the item
// is absent or expired.
func (s *Store) decode(key string, av map[string]types.AttributeValue) (it state.Item, ok bool, err error) {
	if len(av) == 0 {
		return state.Item{}, false, nil
	}
	ver, okVer := av[attrVersion].(*types.AttributeValueMemberS)
	if !okVer {
		return state.Item{}, false, fmt.Errorf("dynamostate: read %q from table %q: item has no string %q attribute; is the table shared with other data?", key, s.table, attrVersion)
	}
	it = state.Item{Version: ver.Value, Value: []byte{}}
	if v, ok := av[attrValue]; ok {
		b, isB := v.(*types.AttributeValueMemberB)
		if !isB {
			return state.Item{}, false, fmt.Errorf("dynamostate: read %q from table %q: attribute %q is not binary", key, s.table, attrValue)
		}
		it.Value = append([]byte{}, b.Value...)
	}
	if e, ok := av[attrExpiryMs]; ok {
		n, isN := e.(*types.AttributeValueMemberN)
		if !isN {
			return state.Item{}, false, fmt.Errorf("dynamostate: read %q from table %q: attribute %q is not a number", key, s.table, attrExpiryMs)
		}
		ms, perr := strconv.ParseInt(n.Value, 10, 64)
		if perr != nil {
			return state.Item{}, false, fmt.Errorf("dynamostate: read expiry of %q from table %q: %w", key, s.table, perr)
		}
		it.ExpiresAt = time.UnixMilli(ms)
		if !s.now().Before(it.ExpiresAt) {
			return state.Item{}, false, nil
		}
	}
	return it, true, nil
}

// checkUTF8 adds DynamoDB's own rule to state.CheckKey: a string key must
// be valid UTF-8. The SDK would otherwise replace invalid bytes, and two
// different keys could name one item.
func checkUTF8(key string) error {
	if !utf8.ValidString(key) {
		return errors.Join(state.ErrInvalid, fmt.Errorf("dynamostate: key %q is not valid UTF-8, which DynamoDB string keys must be; encode binary keys (hex, base64)", key))
	}
	return nil
}

func number(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// noAmbiguousRetry limits the SDK's retries of a conditional write to
// throttling errors: a throttled request wrote nothing, but after a network
// error or a 5xx the first attempt may have written, and a retry would fail
// its own condition.
func noAmbiguousRetry(o *dynamodb.Options) {
	if o.Retryer == nil {
		return
	}
	o.Retryer = throttleOnly{o.Retryer}
}

type throttleOnly struct{ aws.Retryer }

var throttles = retry.IsErrorThrottles(retry.DefaultThrottles)

func (r throttleOnly) IsErrorRetryable(err error) bool {
	return r.Retryer.IsErrorRetryable(err) && throttles.IsErrorThrottle(err) == aws.TrueTernary
}

func (r throttleOnly) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := r.Retryer.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return r.GetInitialToken(), nil
}

// CreateTable creates table with the layout New expects (partition key "pk",
// on-demand billing), waits until it is ACTIVE, and turns on Time to Live on
// [TTLAttribute] where the server supports it. A table that already exists
// is left as it is. Use it in tests and set-up scripts; production tables
// usually come from infrastructure code.
func CreateTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            &table,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(KeyAttribute), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(KeyAttribute), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("dynamostate: create table %q: %w", table, err)
	}
	delay := 20 * time.Millisecond
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
		if err != nil {
			return fmt.Errorf("dynamostate: wait for table %q: %w", table, err)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dynamostate: wait for table %q to become ACTIVE: %w", table, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: &table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	})
	var apiErr smithy.APIError
	switch {
	case err == nil:
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "UnknownOperationException":
		// A local server without TTL (dynalite): the store checks expiry itself.
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException" && alreadyEnabled(ctx, client, table):
	default:
		return fmt.Errorf("dynamostate: enable Time to Live on %q of table %q: %w", TTLAttribute, table, err)
	}
	return nil
}

// alreadyEnabled reports whether TTL is already on for TTLAttribute (turning
// it on twice is a ValidationException).
func alreadyEnabled(ctx context.Context, client *dynamodb.Client, table string) bool {
	out, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil || out.TimeToLiveDescription == nil {
		return false
	}
	d := out.TimeToLiveDescription
	return aws.ToString(d.AttributeName) == TTLAttribute &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling)
}
