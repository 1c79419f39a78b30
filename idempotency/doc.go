// Package idempotency makes a handler's effects happen at most once per
// idempotency key on platforms that deliver at least once, for event
// handlers ([New]) and HTTP handlers ([HTTP]), on any [state.Store].
//
// Typical use:
//
//	store := redisstate.New(redisstate.NewClient(&redis.Options{Addr: addr}))
//	h := function.Chain(orders,
//		middleware.Recover(), middleware.Logging(),
//		idempotency.New(store), // innermost: exactly-once effects
//	)
//	api := idempotency.HTTP(store, idempotency.WithRequireKey())(mux)
//
// # Keys
//
// An event's key is its source and id: for a broker message (an SQS, SNS,
// Pub/Sub, Kinesis, Kafka or MQ delivery; see package payload) the queue or
// topic and the broker's message id, else the CloudEvent's source and id
// (the spec's uniqueness rule); or what [WithEventKey] or [WithKeyField]
// derive. Payloads are validated on the payload the producer sent, never on
// the broker's envelope, whose receipt handle and receive count change with
// every redelivery; an HTTP request's
// key is its Idempotency-Key header (scoped to method and path), or what
// [WithRequestKey] or [WithKeyField] derive. Store keys are
// "idempotency/<function name>/" (see [WithKeyPrefix]) followed by the
// SHA-256 of the key, so any key makes a short valid store key.
//
// # What happens to a delivery
//
// The first delivery takes a lease on its key with one conditional write
// (only if absent) and runs the handler; a second write, conditional on the
// version the first returned, records the result: the reply event, or the
// HTTP status, headers and body. Duplicates are then answered from the record
// with one round trip (the failed conditional write returns the record on
// backends that can; one Get more on those that cannot) or none with
// [WithCache]:
//
//   - completed: the recorded reply or response is replayed (HTTP replays
//     carry "Idempotent-Replayed: true");
//   - same key, different payload: [ErrPayloadMismatch] (permanent, HTTP 422);
//     the payload, or the fields chosen with [WithPayloadFields], is hashed
//     with SHA-256 and stored with the record;
//   - still in progress: [ErrInProgress] (retryable, with
//     [function.RetryAfter] set to the rest of the lease; HTTP 409 with
//     Retry-After; in a batch, a failed record), or with [WithWait] a wait
//     until the other execution finishes.
//
// A handler error removes the record so the retry runs again
// ([WithPermanentFailures] records permanent errors instead). A store
// failure fails closed: the handler does not run and a retryable error
// wrapping [ErrStore] asks the platform to redeliver later ([WithFailOpen]
// runs it anyway and logs loudly).
//
// # Leases and fencing
//
// A lease ends at the invocation's deadline ([function.Invocation] Deadline,
// or the context's) plus a margin ([WithLeaseMargin]); without a deadline it
// is [WithFallbackLease] long and the handler's context gets that deadline.
// The handler's context ends at the invocation's deadline (or the fallback
// lease's end), a margin before its lease does. A lease the store confirms
// so late that less than [WithMinLease] is left before the deadline (a slow
// store) never starts the handler: the record is released and a retryable
// [ErrLeaseExpired] asks for a redelivery, so a handler that honours its
// context has its effects while its lease holds, never twice. Give store
// clients that honour contexts too (redisstate.NewClient).
//
// After a crash or timeout, the next delivery takes the expired lease over
// with a write conditional on the stale record's version. Every write an
// execution makes after its lease write is conditional on that lease's
// version, so an execution that outlived its lease can neither complete nor
// release the key over its new owner: its result is rejected with
// [ErrLeaseLost] and logged. (Powertools for AWS Lambda completes
// unconditionally, so a stalled execution overwrites the new owner's
// record.) [FencingToken] gives handlers a growing token to fence their own
// downstream writes with.
//
// # Compared with Powertools for AWS Lambda
//
// Every option of Powertools' idempotency utility has a counterpart here:
// event_key_jmespath ([WithEventKey], [WithKeyField]),
// payload_validation_jmespath ([WithPayloadFields]),
// raise_on_no_idempotency_key ([WithRequireKey]), expires_after_seconds
// ([WithExpiry]), use_local_cache and local_cache_max_items ([WithCache]),
// the Lambda context's remaining time (read from [function.Invocation]
// automatically), response_hook ([WithReplayHook]), key_prefix
// ([WithKeyPrefix]), idempotent_function ([Guard.Do]) and
// POWERTOOLS_IDEMPOTENCY_DISABLED ([WithDisabled]). Beyond it: fenced
// completion and release, SHA-256 instead of MD5, a lease even when no
// deadline is known (a crash can never block a key until its record
// expires), one round trip for a duplicate on every backend that returns the
// current item with a failed condition, optional waiting, fail open, and HTTP
// semantics of the IETF Idempotency-Key draft.
//
// Neighbours: faasport/state and its backends hold the records;
// faasport/function defines the handlers and error classes used here.
package idempotency
