package awsparams_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/awsparams"
)

func Example() {
	// A stand-in for Secrets Manager; in a function, build the client with
	// secretsmanager.NewFromConfig(cfg) instead.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprint(w, `{"Name":"prod/db","VersionId":"v1","SecretString":"{\"user\":\"app\",\"password\":\"pa55\"}"}`)
	}))
	defer srv.Close()
	client := secretsmanager.New(secretsmanager.Options{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(srv.URL),
	})

	secrets := params.New(awsparams.NewSecretsManager(client))
	type DB struct {
		User     string        `json:"user"`
		Password params.Secret `json:"password"`
	}
	db, err := params.JSON[DB](secrets, params.Ref{Name: "prod/db"}).Get(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %v %d\n", db.User, db.Password, db.Password.Len())
	// Output: app [REDACTED] 4
}
