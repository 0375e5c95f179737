package motoserver

import (
	"fmt"
	"net/http"
	"net/url"
)

// Fixtures are the operations selfheal calls that moto 5.2.1 does not
// implement, each answered as AWS would answer for the state moto holds.
var Fixtures = []Fixture{{
	Service:   "autoscaling",
	Operation: "DescribeInstanceRefreshes",
	Gap: "moto 5.2.1 has no instance refreshes (no StartInstanceRefresh either) and answers " +
		"DescribeInstanceRefreshes with 500; no group in moto can have a refresh, so the answer AWS " +
		"gives for a group without one is the faithful one: an empty InstanceRefreshes list",
	Answer: describeInstanceRefreshes,
}}

// describeInstanceRefreshes answers with no refresh, in the Auto Scaling
// query protocol's XML, checking what AWS checks of the request.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeInstanceRefreshes.html
func describeInstanceRefreshes(w http.ResponseWriter, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("AutoScalingGroupName") == "" {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type>`+
			`<Code>ValidationError</Code><Message>1 validation error detected: Value null at 'autoScalingGroupName' `+
			`failed to satisfy constraint: Member must not be null</Message></Error><RequestId>e2e-fixture</RequestId></ErrorResponse>`)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprint(w, `<DescribeInstanceRefreshesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">`+
		`<DescribeInstanceRefreshesResult><InstanceRefreshes/></DescribeInstanceRefreshesResult>`+
		`<ResponseMetadata><RequestId>e2e-fixture</RequestId></ResponseMetadata></DescribeInstanceRefreshesResponse>`)
}
