package azure

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// Binding is one entry of a function.json "bindings" array. Fields the
// adapter does not read stay in Extra, so a Binding written back is the
// binding read.
type Binding struct {
	// Type is the binding type: "queueTrigger", "serviceBusTrigger",
	// "eventHubTrigger", "eventGridTrigger", "blobTrigger",
	// "cosmosDBTrigger", "timerTrigger", "httpTrigger", "http", "queue", …
	Type string `json:"type"`
	// Direction is "in" or "out".
	Direction string `json:"direction"`
	// Name is the key of the binding's value in the request's Data (a
	// trigger or input) or the response's Outputs (an output); "$return"
	// names the function's return value.
	Name string `json:"name"`
	// DataType is "string", "binary" or "stream", where set.
	DataType string `json:"dataType,omitempty"`
	// Cardinality is "many" for Event Hubs batches, where set.
	Cardinality string `json:"cardinality,omitempty"`
	// Extra holds every other property (queueName, topicName, path,
	// schedule, connection, …).
	Extra map[string]any `json:"-"`
}

// Prop returns the string property key of the binding (e.g. "queueName"),
// matched without regard to case as the host does.
func (b Binding) Prop(key string) string {
	for k, v := range b.Extra {
		if strings.EqualFold(k, key) {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return ""
}

// UnmarshalJSON reads a binding, keeping unknown properties in Extra.
func (b *Binding) UnmarshalJSON(data []byte) error {
	var all map[string]any
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	*b = Binding{}
	for k, v := range all {
		s, _ := v.(string)
		switch strings.ToLower(k) {
		case "type":
			b.Type = s
		case "direction":
			b.Direction = s
		case "name":
			b.Name = s
		case "datatype":
			b.DataType = s
		case "cardinality":
			b.Cardinality = s
		default:
			if b.Extra == nil {
				b.Extra = map[string]any{}
			}
			b.Extra[k] = v
		}
	}
	return nil
}

// MarshalJSON writes the binding with its extra properties, keys in order.
func (b Binding) MarshalJSON() ([]byte, error) {
	all := make(map[string]any, len(b.Extra)+5)
	for k, v := range b.Extra {
		all[k] = v
	}
	all["type"], all["direction"], all["name"] = b.Type, b.Direction, b.Name
	if b.DataType != "" {
		all["dataType"] = b.DataType
	}
	if b.Cardinality != "" {
		all["cardinality"] = b.Cardinality
	}
	return json.Marshal(all)
}

// Function is one function of a function app: its folder's function.json.
type Function struct {
	// Name is the function's name: its folder's name, and the path the
	// host posts its invocations to.
	Name string `json:"-"`
	// Bindings are the function's bindings.
	Bindings []Binding `json:"bindings"`
	// Disabled is set for functions the host does not run.
	Disabled bool `json:"disabled,omitempty"`
}

// Trigger returns the function's trigger binding, if it has one.
func (f *Function) Trigger() (Binding, bool) {
	for _, b := range f.Bindings {
		if n := len(b.Type); n >= 7 && strings.EqualFold(b.Type[n-7:], "trigger") && !strings.EqualFold(b.Direction, "out") {
			return b, true
		}
	}
	return Binding{}, false
}

// Outputs returns the function's output bindings.
func (f *Function) Outputs() []Binding {
	var out []Binding
	for _, b := range f.Bindings {
		if strings.EqualFold(b.Direction, "out") {
			out = append(out, b)
		}
	}
	return out
}

// HTTPOnly reports whether the function is an HTTP trigger with one http
// output and nothing else: the functions whose requests the host forwards
// as they are when host.json sets enableForwardingHttpRequest.
func (f *Function) HTTPOnly() bool {
	if len(f.Bindings) != 2 {
		return false
	}
	t, ok := f.Trigger()
	out := f.Outputs()
	return ok && strings.EqualFold(t.Type, "httpTrigger") && len(out) == 1 && strings.EqualFold(out[0].Type, "http")
}

// CustomHandler is the customHandler section of host.json.
type CustomHandler struct {
	Description struct {
		DefaultExecutablePath string   `json:"defaultExecutablePath"`
		WorkingDirectory      string   `json:"workingDirectory,omitempty"`
		Arguments             []string `json:"arguments,omitempty"`
	} `json:"description"`
	EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest,omitempty"`
}

// Host is what faasport reads of host.json.
type Host struct {
	Version       string         `json:"version"`
	CustomHandler *CustomHandler `json:"customHandler,omitempty"`
	// Extensions holds the http section's routePrefix among others.
	Extensions struct {
		HTTP struct {
			RoutePrefix *string `json:"routePrefix,omitempty"`
		} `json:"http"`
	} `json:"extensions"`
}

// RoutePrefix returns the prefix of HTTP trigger routes: "api" unless
// host.json says otherwise.
func (h *Host) RoutePrefix() string {
	if h.Extensions.HTTP.RoutePrefix != nil {
		return strings.Trim(*h.Extensions.HTTP.RoutePrefix, "/")
	}
	return "api"
}

// App is a function app as its files describe it: host.json at the root
// and one folder per function holding its function.json.
type App struct {
	Host      Host
	Functions map[string]*Function
}

// ErrNoApp is wrapped by [LoadApp]'s error when the directory has no
// host.json.
var ErrNoApp = errors.New("azure: no host.json: not a function app root")

// LoadApp reads the function app rooted at dir: host.json and every
// <function>/function.json.
func LoadApp(dir string) (*App, error) {
	return LoadAppFS(os.DirFS(dir))
}

// LoadAppFS is [LoadApp] over a file system whose root is the app's root.
func LoadAppFS(fsys fs.FS) (*App, error) {
	b, err := fs.ReadFile(fsys, "host.json")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoApp, err)
	}
	app := &App{Functions: map[string]*Function{}}
	if err := json.Unmarshal(b, &app.Host); err != nil {
		return nil, fmt.Errorf("azure: read host.json: %w; fix its JSON", err)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("azure: list the function app: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := path.Join(e.Name(), "function.json")
		b, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("azure: read %s: %w", name, err)
		}
		f := &Function{Name: e.Name()}
		if err := json.Unmarshal(b, f); err != nil {
			return nil, fmt.Errorf("azure: read %s: %w; fix its JSON", name, err)
		}
		app.Functions[e.Name()] = f
	}
	return app, nil
}

// Names returns the app's function names, sorted.
func (a *App) Names() []string {
	names := make([]string, 0, len(a.Functions))
	for n := range a.Functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
