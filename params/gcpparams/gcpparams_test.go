package gcpparams_test

import (
	"context"
	"fmt"
	"github.com/faasport/faasport/params/paramstest"
	"hash/crc32"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/googleapis/gax-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/gcpparams"
)

// fakeSecretManager serves google.cloud.secretmanager.v1.SecretManagerService
// on a loopback gRPC server: secrets with numbered versions, aliases, and
// scripted failures.
type fakeSecretManager struct {
	secretmanagerpb.UnimplementedSecretManagerServiceServer

	calls atomic.Int64
	mu    sync.Mutex
	// versions: secret resource name → payloads, version n at index n-1.
	versions map[string][]string
	aliases  map[string]map[string]int
	fail     map[string]error // by secret resource name
	throttle int              // answer RESOURCE_EXHAUSTED this many times first
	badCRC   bool
	gate     chan struct{}
	lastName string
	lastMD   metadata.MD
}

func (f *fakeSecretManager) AccessSecretVersion(ctx context.Context, req *secretmanagerpb.AccessSecretVersionRequest) (*secretmanagerpb.AccessSecretVersionResponse, error) {
	f.calls.Add(1)
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.lastName, f.lastMD = req.GetName(), md
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.throttle > 0 {
		f.throttle--
		return nil, status.Error(codes.ResourceExhausted, "Quota exceeded for quota metric 'Access requests'")
	}
	secret, version, ok := strings.Cut(req.GetName(), "/versions/")
	if !ok {
		return nil, status.Error(codes.InvalidArgument, "no version")
	}
	if err := f.fail[secret]; err != nil {
		return nil, err
	}
	vs, ok := f.versions[secret]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Secret [%s] not found or has no versions.", secret)
	}
	n := len(vs)
	switch {
	case version == "latest":
	case f.aliases[secret][version] > 0:
		n = f.aliases[secret][version]
	default:
		if _, err := fmt.Sscanf(version, "%d", &n); err != nil || n < 1 || n > len(vs) {
			return nil, status.Errorf(codes.NotFound, "Secret Version [%s] not found.", req.GetName())
		}
	}
	data := []byte(vs[n-1])
	crc := int64(crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	if f.badCRC {
		crc++
	}
	return &secretmanagerpb.AccessSecretVersionResponse{
		Name:    fmt.Sprintf("%s/versions/%d", strings.Replace(secret, "my-project", "123456", 1), n),
		Payload: &secretmanagerpb.SecretPayload{Data: data, DataCrc32C: &crc},
	}, nil
}

// start serves f on loopback and returns a real Secret Manager client for
// it, with retries off unless retry is set.
func start(t testing.TB, f *fakeSecretManager) *secretmanager.Client {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	secretmanagerpb.RegisterSecretManagerServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	client, err := secretmanager.NewClient(context.Background(),
		option.WithEndpoint(lis.Addr().String()),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	return client
}

var noRetry = gcpparams.WithCallOptions(gax.WithRetry(func() gax.Retryer { return nil }))

func newFake() *fakeSecretManager {
	return &fakeSecretManager{
		versions: map[string][]string{
			"projects/my-project/secrets/api-key":                    {"v1-key", "v2-key", "v3-key"},
			"projects/other/locations/europe-west1/secrets/regional": {"r1"},
			"projects/my-project/secrets/denied":                     {"x"},
			"projects/my-project/secrets/unauthenticated":            {"x"},
			"projects/my-project/secrets/destroyed":                  {"x"},
		},
		aliases: map[string]map[string]int{"projects/my-project/secrets/api-key": {"stable": 2}},
		fail: map[string]error{
			"projects/my-project/secrets/denied":          status.Error(codes.PermissionDenied, "Permission 'secretmanager.versions.access' denied"),
			"projects/my-project/secrets/unauthenticated": status.Error(codes.Unauthenticated, "Request had invalid authentication credentials."),
			"projects/my-project/secrets/destroyed":       status.Error(codes.FailedPrecondition, "Secret Version is in DESTROYED state."),
		},
	}
}

func TestSecretManager(t *testing.T) {
	f := newFake()
	p := gcpparams.New(start(t, f), "my-project", noRetry)
	tests := []struct {
		name     string
		ref      params.Ref
		wantName string
		want     string
		wantVer  string
		wantErr  error
		wantCode codes.Code
	}{
		{name: "latest", ref: params.Ref{Name: "api-key"}, wantName: "projects/my-project/secrets/api-key/versions/latest", want: "v3-key", wantVer: "3"},
		{name: "version", ref: params.Ref{Name: "api-key", Version: "1"}, wantName: "projects/my-project/secrets/api-key/versions/1", want: "v1-key", wantVer: "1"},
		{name: "alias", ref: params.Ref{Name: "api-key", Label: "stable"}, wantName: "projects/my-project/secrets/api-key/versions/stable", want: "v2-key", wantVer: "2"},
		{name: "full name", ref: params.Ref{Name: "projects/other/locations/europe-west1/secrets/regional"}, wantName: "projects/other/locations/europe-west1/secrets/regional/versions/latest", want: "r1", wantVer: "1"},
		{name: "full version name", ref: params.Ref{Name: "projects/my-project/secrets/api-key/versions/2"}, wantName: "projects/my-project/secrets/api-key/versions/2", want: "v2-key", wantVer: "2"},
		{name: "no secret", ref: params.Ref{Name: "nope"}, wantErr: params.ErrNotFound, wantCode: codes.NotFound},
		{name: "no version", ref: params.Ref{Name: "api-key", Version: "9"}, wantErr: params.ErrNotFound, wantCode: codes.NotFound},
		{name: "destroyed", ref: params.Ref{Name: "destroyed"}, wantErr: params.ErrNotFound, wantCode: codes.FailedPrecondition},
		{name: "denied", ref: params.Ref{Name: "denied"}, wantErr: params.ErrAccessDenied, wantCode: codes.PermissionDenied},
		{name: "unauthenticated", ref: params.Ref{Name: "unauthenticated"}, wantErr: params.ErrAccessDenied, wantCode: codes.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ver, err := p.Fetch(context.Background(), tt.ref)
			if tt.wantErr != nil {
				paramstest.CheckMapped(t, err, tt.wantErr)
				assert.Equal(t, tt.wantCode, status.Code(err), "the gRPC status stays reachable")
				assert.Contains(t, err.Error(), "gcpparams: access projects/")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
			assert.Equal(t, tt.wantVer, ver)
			f.mu.Lock()
			assert.Equal(t, tt.wantName, f.lastName)
			assert.Empty(t, f.lastMD.Get("authorization"), "no credentials were sent")
			f.mu.Unlock()
		})
	}
}

func TestRefsRefusedWithoutACall(t *testing.T) {
	f := newFake()
	tests := []struct {
		name    string
		project string
		ref     params.Ref
		wantErr error
	}{
		{"version and alias", "my-project", params.Ref{Name: "api-key", Version: "1", Label: "stable"}, params.ErrUnsupported},
		{"version on a version name", "my-project", params.Ref{Name: "projects/p/secrets/s/versions/1", Version: "2"}, params.ErrUnsupported},
		{"slash in id", "my-project", params.Ref{Name: "a/b"}, params.ErrNotFound},
		{"no project", "", params.Ref{Name: "api-key"}, nil},
	}
	client := start(t, f)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := gcpparams.New(client, tt.project).Fetch(context.Background(), tt.ref)
			require.Error(t, err)
			if tt.wantErr != nil {
				paramstest.CheckMapped(t, err, tt.wantErr)
			}
		})
	}
	assert.Zero(t, f.calls.Load())
}

func TestThrottling(t *testing.T) {
	t.Run("mapped", func(t *testing.T) {
		f := newFake()
		f.throttle = 1
		_, _, err := gcpparams.New(start(t, f), "my-project", noRetry).Fetch(context.Background(), params.Ref{Name: "api-key"})
		paramstest.CheckMapped(t, err, params.ErrThrottled)
		assert.Equal(t, codes.ResourceExhausted, status.Code(err))
	})
	t.Run("retried by the client", func(t *testing.T) {
		f := newFake()
		f.throttle = 2
		fast := gcpparams.WithCallOptions(gax.WithRetry(func() gax.Retryer {
			return gax.OnCodes([]codes.Code{codes.ResourceExhausted}, gax.Backoff{Initial: time.Millisecond, Max: time.Millisecond})
		}))
		v, _, err := gcpparams.New(start(t, f), "my-project", fast).Fetch(context.Background(), params.Ref{Name: "api-key"})
		require.NoError(t, err)
		assert.Equal(t, "v3-key", v)
		assert.EqualValues(t, 3, f.calls.Load())
	})
}

func TestChecksum(t *testing.T) {
	f := newFake()
	f.badCRC = true
	_, _, err := gcpparams.New(start(t, f), "my-project", noRetry).Fetch(context.Background(), params.Ref{Name: "api-key"})
	require.ErrorIs(t, err, gcpparams.ErrCorrupt)
}

func TestCacheOneCallForConcurrentColdStart(t *testing.T) {
	f := newFake()
	f.gate = make(chan struct{})
	c := params.New(gcpparams.New(start(t, f), "my-project", noRetry))
	paramstest.CheckConcurrentColdStart(t, paramstest.ColdStart{
		Cache: c, Ref: params.Ref{Name: "api-key"}, Secret: "v3-key", Version: "3",
		Release: func() { close(f.gate) }, Calls: f.calls.Load,
	})
}
