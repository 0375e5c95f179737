package orgsweep_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/selfheal/selfheal/shared/config"
	"github.com/selfheal/selfheal/shared/orgsweep"
)

var tasks = orgsweep.Tasks{ListAccounts: "${ListAccounts}", SweepAccount: "${SweepAccount}", Aggregate: "${Aggregate}"}

type machine struct {
	StartAt string           `json:"StartAt"`
	States  map[string]state `json:"States"`
}

type state struct {
	Type                       string                  `json:"Type"`
	Next                       string                  `json:"Next"`
	End                        bool                    `json:"End"`
	Parameters                 map[string]any          `json:"Parameters"`
	ItemProcessor              *processor              `json:"ItemProcessor"`
	MaxConcurrency             int                     `json:"MaxConcurrency"`
	ToleratedFailurePercentage int                     `json:"ToleratedFailurePercentage"`
	TimeoutSeconds             int                     `json:"TimeoutSeconds"`
	Catch                      []struct{ Next string } `json:"Catch"`
}

type processor struct {
	ProcessorConfig map[string]string `json:"ProcessorConfig"`
	machine
}

func parse(t *testing.T, def string) machine {
	t.Helper()
	var m machine
	if err := json.Unmarshal([]byte(def), &m); err != nil {
		t.Fatalf("the definition is not JSON: %v", err)
	}
	return m
}

// walk checks what the States Language requires of a machine's wiring:
// StartAt and every Next and Catch name a state of the same machine, a
// state that does not end goes on, and every state is reached. It returns
// the states in the order reached.
func walk(t *testing.T, m machine) []string {
	t.Helper()
	var order []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		s, ok := m.States[name]
		if !ok {
			t.Errorf("a transition names %q, which is not a state", name)
			return
		}
		seen[name] = true
		order = append(order, name)
		if !s.End && s.Next == "" && s.Type != "Fail" {
			t.Errorf("state %s neither ends nor goes on", name)
		}
		if s.Next != "" {
			visit(s.Next)
		}
		for _, c := range s.Catch {
			visit(c.Next)
		}
	}
	visit(m.StartAt)
	for name := range m.States {
		if !seen[name] {
			t.Errorf("state %s is never reached", name)
		}
	}
	return order
}

func TestDefinitionIsAWiredDistributedMap(t *testing.T) {
	org := config.DefaultOrganization()
	org.SweepConcurrency, org.ToleratedFailurePercentage = 40, 5
	def, err := orgsweep.Definition(tasks, org)
	if err != nil {
		t.Fatal(err)
	}
	m := parse(t, def)
	order := walk(t, m)
	if diff := cmp.Diff([]string{orgsweep.StateList, orgsweep.StateMap, orgsweep.StateAggregate, orgsweep.StateListFailed}, order); diff != "" {
		t.Errorf("states in order (-want +got):\n%s", diff)
	}
	mp := m.States[orgsweep.StateMap]
	if mp.Type != "Map" || mp.ItemProcessor == nil || mp.ItemProcessor.ProcessorConfig["Mode"] != "DISTRIBUTED" ||
		mp.ItemProcessor.ProcessorConfig["ExecutionType"] != "STANDARD" {
		t.Fatalf("the fan-out is not a distributed map of standard children: %+v", mp)
	}
	if mp.MaxConcurrency != 40 || mp.ToleratedFailurePercentage != 5 {
		t.Errorf("map concurrency %d, tolerated failures %d %%; want the organization's 40 and 5", mp.MaxConcurrency, mp.ToleratedFailurePercentage)
	}
	if len(mp.Catch) != 1 || mp.Catch[0].Next != orgsweep.StateAggregate {
		t.Errorf("a failed map must still aggregate: catch %+v", mp.Catch)
	}
	child := walk(t, mp.ItemProcessor.machine)
	sweep := mp.ItemProcessor.States[orgsweep.StateSweep]
	if !slices.Equal(child, []string{orgsweep.StateSweep, orgsweep.StateRecord, orgsweep.StateChildFailed}) || sweep.TimeoutSeconds != orgsweep.ChildTimeoutSeconds || !sweep.End {
		t.Errorf("child machine %v, sweep %+v", child, sweep)
	}
	for name, fn := range map[string]string{orgsweep.StateList: tasks.ListAccounts, orgsweep.StateAggregate: tasks.Aggregate} {
		if got := m.States[name].Parameters["FunctionName"]; got != fn {
			t.Errorf("%s invokes %v, want %s", name, got, fn)
		}
	}
	if got := sweep.Parameters["FunctionName"]; got != tasks.SweepAccount {
		t.Errorf("the child invokes %v, want %s", got, tasks.SweepAccount)
	}
}

// One definition, two runners: its bytes depend only on its arguments.
func TestDefinitionIsStable(t *testing.T) {
	a, _ := orgsweep.Definition(tasks, config.DefaultOrganization())
	b, _ := orgsweep.Definition(tasks, config.DefaultOrganization())
	if a != b {
		t.Error("two definitions of the same arguments differ")
	}
	if _, err := orgsweep.Definition(orgsweep.Tasks{ListAccounts: "x"}, config.DefaultOrganization()); err == nil {
		t.Error("a definition without every task's function was built")
	}
}
