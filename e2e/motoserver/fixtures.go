package motoserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Fixtures are where moto 5.2.1 falls short of what selfheal calls, each
// answered as AWS would for the state moto holds.
var Fixtures = []Fixture{
	{
		Name: "autoscaling DescribeInstanceRefreshes",
		Gap: "moto has no instance refreshes (no StartInstanceRefresh either) and answers " +
			"DescribeInstanceRefreshes with 500; no group in moto can have a refresh, so the answer AWS " +
			"gives for a group without one is the faithful one: an empty list",
		Matches: func(c Call, _ *http.Request) bool {
			return c.Service == "autoscaling" && c.Operation == "DescribeInstanceRefreshes"
		},
		Answer: func(w http.ResponseWriter, _ *http.Request, body []byte, _ http.Handler) {
			describeInstanceRefreshes(w, body)
		},
	},
	{
		Name: "CloudWatch over Smithy RPCv2 CBOR",
		Gap: "moto speaks CloudWatch's query and JSON protocols but not Smithy RPCv2 CBOR, which " +
			"aws-sdk-go-v2's CloudWatch client uses (moto answers 404); the proxy re-encodes each call " +
			"as JSON (awsJson1_0) for moto and its answer as CBOR: moto's CloudWatch answers, in the SDK's protocol",
		Matches: func(c Call, r *http.Request) bool {
			return c.Service == "monitoring" && r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor"
		},
		Answer: cloudWatchOverJSON,
	},
}

// describeInstanceRefreshes answers with no refresh, in the Auto Scaling
// query protocol's XML, checking what AWS checks of the request.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeInstanceRefreshes.html
func describeInstanceRefreshes(w http.ResponseWriter, body []byte) {
	form, err := url.ParseQuery(string(body))
	w.Header().Set("Content-Type", "text/xml")
	if err != nil || form.Get("AutoScalingGroupName") == "" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type>`+
			`<Code>ValidationError</Code><Message>1 validation error detected: Value null at 'autoScalingGroupName' `+
			`failed to satisfy constraint: Member must not be null</Message></Error><RequestId>e2e-fixture</RequestId></ErrorResponse>`)
		return
	}
	fmt.Fprint(w, `<DescribeInstanceRefreshesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">`+
		`<DescribeInstanceRefreshesResult><InstanceRefreshes/></DescribeInstanceRefreshesResult>`+
		`<ResponseMetadata><RequestId>e2e-fixture</RequestId></ResponseMetadata></DescribeInstanceRefreshesResponse>`)
}

// cloudWatchOverJSON serves a CloudWatch call made in Smithy RPCv2 CBOR
// (POST /service/GraniteServiceVersion20100801/operation/<Op>) by asking
// moto the same in awsJson1_0 (X-Amz-Target
// GraniteServiceVersion20100801.<Op>) and encoding its answer in CBOR.
// https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html
func cloudWatchOverJSON(w http.ResponseWriter, r *http.Request, body []byte, moto http.Handler) {
	service, op, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/service/"), "/operation/")
	if !ok {
		rpcError(w, http.StatusBadRequest, "InvalidAction", "not an RPCv2 path: "+r.URL.Path)
		return
	}
	in := map[string]any{}
	if len(body) > 0 {
		v, err := cbor.Decode(body)
		if err != nil {
			rpcError(w, http.StatusBadRequest, "SerializationException", "request: "+err.Error())
			return
		}
		m, ok := fromCBOR(v).(map[string]any)
		if !ok {
			rpcError(w, http.StatusBadRequest, "SerializationException", "request is not a map")
			return
		}
		in = m
	}
	js, _ := json.Marshal(in)
	req := r.Clone(r.Context())
	req.URL.Path = "/"
	req.Body = io.NopCloser(bytes.NewReader(js))
	req.ContentLength = int64(len(js))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", service+"."+op)
	req.Header.Del("Smithy-Protocol")
	rec := httptest.NewRecorder()
	moto.ServeHTTP(rec, req)

	var out map[string]any
	dec := json.NewDecoder(rec.Body)
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		out = map[string]any{}
	}
	if rec.Code >= 300 {
		code, _ := out["__type"].(string)
		msg, _ := out["message"].(string)
		rpcError(w, rec.Code, code[strings.LastIndexByte(code, '#')+1:], msg)
		return
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	_, _ = w.Write(cbor.Encode(toCBOR("", out)))
}

func rpcError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(code), "message": cbor.String(msg)}))
}

// fromCBOR turns a decoded CBOR value into what encoding/json writes:
// timestamps (tag 1) become epoch seconds, as awsJson1_0 sends them.
func fromCBOR(v cbor.Value) any {
	switch v := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = fromCBOR(e)
		}
		return m
	case cbor.List:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = fromCBOR(e)
		}
		return l
	case cbor.String:
		return string(v)
	case cbor.Bool:
		return bool(v)
	case cbor.Uint:
		return uint64(v)
	case cbor.NegInt:
		return -int64(v)
	case cbor.Float32:
		return float64(v)
	case cbor.Float64:
		return float64(v)
	case *cbor.Tag:
		return fromCBOR(v.Value)
	case cbor.Slice:
		return []byte(v) // encoding/json writes base64, as awsJson1_0 does for blobs
	}
	return nil
}

// toCBOR turns moto's JSON answer into CBOR. awsJson1_0 sends timestamps
// as epoch seconds; RPCv2 CBOR as tag 1 over them: members named
// *Timestamp, or Timestamps in a list, are tagged.
func toCBOR(name string, v any) cbor.Value {
	switch v := v.(type) {
	case map[string]any:
		m := make(cbor.Map, len(v))
		for k, e := range v {
			m[k] = toCBOR(k, e)
		}
		return m
	case []any:
		l := make(cbor.List, len(v))
		for i, e := range v {
			l[i] = toCBOR(name, e)
		}
		return l
	case string:
		return cbor.String(v)
	case bool:
		return cbor.Bool(v)
	case json.Number:
		f, _ := v.Float64()
		if strings.HasSuffix(name, "Timestamp") || name == "Timestamps" {
			return &cbor.Tag{ID: 1, Value: cbor.Float64(f)}
		}
		if i, err := v.Int64(); err == nil {
			if i < 0 {
				return cbor.NegInt(uint64(-i))
			}
			return cbor.Uint(uint64(i))
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return &cbor.Nil{}
		}
		return cbor.Float64(f)
	}
	return &cbor.Nil{}
}
