// Package reliability holds the idempotency tests and benchmarks that need
// real servers (Redis, PostgreSQL, dynalite) and a toxiproxy between the
// functions and the store: duplicates under load, crashes, outages, a store
// slower than the lease, and the cost of the middleware against a bare SET
// NX. It has no API. It is a module of its own so that the root module, and
// every function that imports only it, does not require the backends' SDKs
// or toxiproxy.
//
// Run it from this directory with the servers' variables set (see
// ./scripts/test): go test -race ./...
package reliability
