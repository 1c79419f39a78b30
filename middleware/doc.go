// Package middleware wraps faasport handlers with what every production
// function needs: panic recovery, a structured log line, OpenTelemetry
// tracing and metrics, a timeout that ends before the platform's, in-process
// retries, lazy initialization and a concurrency limit.
//
// Each middleware is a [function.Middleware] built from functional options,
// and the ones that make sense for HTTP also come as
// func(http.Handler) http.Handler ([RecoverHTTP], [LoggingHTTP],
// [TracingHTTP], [TimeoutHTTP], [LimitHTTP]). They read the invocation's
// platform, request id, deadline, cold start and attempt with
// [function.FromContext], and class errors with [function.IsPermanent].
//
// Typical use:
//
//	db := middleware.NewLazy("orders db", openDB) // connects on first use
//	h := function.Chain(orders, append(middleware.Default(), db.Middleware(), idempotency.New(store))...)
//	web := middleware.RecoverHTTP()(middleware.TracingHTTP()(mux))
//	err := adapters.Start(adapters.Events(h), adapters.HTTP(web))
//
// # Order
//
// [function.Chain] makes its first middleware the outermost. The recommended
// order, which [Default] returns, is:
//
//  1. [Recover], outermost, so a panic anywhere below becomes an error that
//     the others see and report.
//  2. [Tracing] and [Logging], outside the retries, so one invocation is one
//     span and one log line however many attempts it took.
//  3. [Metrics], when you want them, beside tracing.
//  4. [Timeout], so every attempt shares one budget that ends before the
//     platform's deadline.
//  5. [Retry], retrying only the handler.
//  6. Your own middleware; idempotency (faasport/idempotency) innermost, so
//     the effect it guards happens once whatever wraps it.
//
// [Limit] goes outside [Retry] (a retry keeps its slot) and usually just
// inside [Recover].
//
// # Cutting cold starts in Go
//
// A cold start is the time from the platform creating your process to your
// handler's first line. Go's is small, but each of these keeps it small:
//
//   - Do no work in init() or in package-level variable initializers: no
//     clients, no configuration fetches, no regexp.MustCompile of large
//     patterns. Every package you link runs its init work before main, even
//     if this invocation never needs it.
//   - Keep the dependency graph small. Link only the clients you use (faasport
//     puts each state backend and the OpenTelemetry SDK in a sub-package for
//     this reason); check with go list -deps and go version -m. A smaller
//     binary also loads faster.
//   - Create expensive clients lazily with [NewLazy]: the first invocation
//     that needs the database pays for the connection, and one that does not
//     (a health check, a schedule tick) does not. Unlike sync.Once, a failed
//     initialization is tried again on the next invocation instead of
//     poisoning the process.
//   - Reuse clients across invocations: keep them in the [Lazy] (or your
//     handler's struct), never create them per invocation.
//   - Build with -ldflags="-s -w" (smaller binary) and -trimpath, with
//     CGO_ENABLED=0 for a static binary. (faasport's Lambda adapter has its
//     own runtime loop, so the lambda.norpc tag is not needed.)
//     GOARCH=arm64 is usually cheaper and as fast.
//   - Give the function more memory where the platform ties CPU to memory
//     (Lambda does): initialization runs faster with more CPU.
//   - See what runs before main with GODEBUG=inittrace=1, which prints each
//     package's init time and allocations.
//   - Measure: [Tracing] marks cold starts (faas.coldstart) and [NewLazy]
//     records each initializer's duration on the invocation's span.
//
// # Neighbours
//
// The OTLP exporter set-up, which links the OpenTelemetry SDK, lives in
// faasport/middleware/otelsetup so that this package links only the
// OpenTelemetry API. faasport/idempotency provides the innermost middleware.
package middleware
