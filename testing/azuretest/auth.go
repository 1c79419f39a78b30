package azuretest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/faasport/faasport/adapters/azure"
)

// HeaderFunctionsKey is the request header that carries an access key to
// the host; the "code" query parameter is the other place a caller may put
// it.
const HeaderFunctionsKey = "x-functions-key"

// Authorization levels of an HTTP trigger (function.json's "authLevel").
const (
	// AuthAnonymous needs no key.
	AuthAnonymous = "anonymous"
	// AuthFunction needs the function's key, a host key or the master key;
	// it is the level of a trigger that does not set one.
	AuthFunction = "function"
	// AuthAdmin needs the master key; no other key will do.
	AuthAdmin = "admin"
)

// keys are the access keys the test host holds for its app, each made
// fresh when the host starts: like the deployed host's "default" function
// key of each function, its "default" host key and its master key
// ("_master").
type keys struct {
	function map[string]string
	host     string
	master   string
}

func newKeys(app *azure.App) (keys, error) {
	k := keys{function: map[string]string{}}
	var err error
	for name := range app.Functions {
		if k.function[name], err = newKey(); err != nil {
			return k, err
		}
	}
	if k.host, err = newKey(); err != nil {
		return k, err
	}
	k.master, err = newKey()
	return k, err
}

// newKey returns 40 random bytes in URL-safe base64, as long as the keys
// the host makes.
func newKey() (string, error) {
	var b [40]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("azuretest: make an access key: %w", err)
	}
	return base64.URLEncoding.EncodeToString(b[:]), nil
}

// FunctionKey returns the key of function (its "default" function key),
// which opens that function and no other; "" for a function the app does
// not have.
func (h *Host) FunctionKey(function string) string { return h.keys.function[function] }

// HostKey returns the app's host key (its "default" host key), which opens
// every function of authLevel function.
func (h *Host) HostKey() string { return h.keys.host }

// MasterKey returns the app's master key ("_master"), which opens every
// function, and alone opens those of authLevel admin.
func (h *Host) MasterKey() string { return h.keys.master }

// WithKey sets r's x-functions-key header to the key of function, so that
// [Host.HTTP] lets r through to a function of authLevel function, and
// returns r.
func (h *Host) WithKey(r *http.Request, function string) *http.Request {
	r.Header.Set(HeaderFunctionsKey, h.FunctionKey(function))
	return r
}

// authLevel returns the trigger's authorization level, lower case, or an
// error for one the host does not take.
func authLevel(function string, t azure.Binding) (string, error) {
	switch level := strings.ToLower(t.Prop("authLevel")); level {
	case "":
		return AuthFunction, nil
	case AuthAnonymous, AuthFunction, AuthAdmin:
		return level, nil
	default:
		return "", fmt.Errorf("azuretest: function %q has authLevel %q; set it to %q (no key), %q (a function or host key) or %q (the master key) in its function.json", function, t.Prop("authLevel"), AuthAnonymous, AuthFunction, AuthAdmin)
	}
}

// authorized reports whether r carries a key that opens function at level:
// the x-functions-key header's, or when r has no such header, the "code"
// query parameter's. Microsoft's documentation names both places but no
// order; the header is read first here.
func (h *Host) authorized(r *http.Request, function, level string) bool {
	if level == AuthAnonymous {
		return true
	}
	key := r.Header.Get(HeaderFunctionsKey)
	if _, ok := r.Header[http.CanonicalHeaderKey(HeaderFunctionsKey)]; !ok {
		key = r.URL.Query().Get("code")
	}
	if key == "" {
		return false
	}
	if same(key, h.keys.master) {
		return true
	}
	if level == AuthAdmin {
		return false
	}
	return same(key, h.keys.host) || same(key, h.keys.function[function])
}

func same(a, b string) bool {
	return b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
