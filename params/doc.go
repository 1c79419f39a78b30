// Package params reads configuration and secrets from where serverless
// platforms keep them — environment variables, mounted files, AWS Systems
// Manager Parameter Store and Secrets Manager, Google Secret Manager, Azure
// Key Vault — through one small interface, with a cache that a function can
// call on every invocation.
//
//	secrets := params.New(awsparams.NewSecretsManager(client))
//	h := function.Chain(handler, secrets.Prefetch("webhook/signing-key"))
//	...
//	key, err := secrets.Get(ctx, "webhook/signing-key") // cached: no call, no allocation
//	mac := hmac.New(sha256.New, []byte(key.Reveal()))
//
// A [Provider] fetches one value; it is the only thing a backend implements.
// The providers that need no SDK live here ([Env], [Files], [Static]); the
// cloud providers are modules of their own so that a function links only the
// SDK it uses: params/awsparams, params/gcpparams and params/azureparams.
//
// A [Cache] keeps each value for a time to live. Concurrent callers of an
// expired or missing value share one provider call (a cold start under load
// makes one call, not a hundred). When the provider fails, the last good
// value is served for a bounded time (see [WithStaleIfError]) and the
// provider is not asked again until a back-off has passed. Values decode
// into Go types with [JSON] and [Decode]; versions and rotation stages are
// addressed with a [Ref].
//
// Every value is a [Secret]: its String, GoString, fmt, slog and JSON forms
// are redacted, so a secret that reaches a log line or a marshalled struct
// shows as "[REDACTED]". [Secret.Reveal] is the one way to read it.
//
// Nothing is fetched at start-up. [Cache.Prefetch] is a middleware that
// fetches named values once, at the first invocation, through
// middleware.Lazy; a failure there is retryable and the handler does not run.
//
// Provider errors map to portable ones: errors.Is(err, [ErrNotFound]),
// [ErrAccessDenied], [ErrThrottled].
package params
