package gcpparams_test

import (
	"context"
	"fmt"
	"net"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/gcpparams"
)

func Example() {
	// A stand-in for Secret Manager; in a function, the client is
	// secretmanager.NewClient(ctx) with the service account's credentials.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := grpc.NewServer()
	secretmanagerpb.RegisterSecretManagerServiceServer(srv, newFake())
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	ctx := context.Background()
	client, err := secretmanager.NewClient(ctx, option.WithEndpoint(lis.Addr().String()), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	secrets := params.New(gcpparams.New(client, "my-project"))
	v, err := secrets.Value(ctx, params.Ref{Name: "api-key", Label: "stable"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Secret, "version", v.Version, "length", v.Secret.Len())
	// Output: [REDACTED] version 2 length 6
}
