package awssim

import (
	"fmt"
	"strings"
)

// Region is one region of the simulated account: its Availability Zones and
// a VPC with one subnet per AZ.
type Region struct {
	Name    string
	AZs     []AZ // sorted by name
	VPCID   string
	Subnets []Subnet // one per AZ, in AZ order
}

// AZ is an Availability Zone: its account-specific name and its id, which
// is the same physical zone in every account.
//
// AWS maps names to ids independently for each account
// (https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html),
// so the sim deliberately does not map us-east-1a to use1-az1: the name with
// letter index i has id number ((i+1) mod n)+1 (a→az2, b→az3, c→az1 with
// three AZs). Code that guesses one from the other fails here as it would
// in a real account.
type AZ struct {
	Name string
	ID   string
}

// Subnet is a VPC subnet in one AZ.
type Subnet struct {
	ID    string
	AZ    string
	AZID  string
	VPCID string
	CIDR  string
}

func (s *Sim) newRegion(name string) *Region {
	r := &Region{Name: name, VPCID: s.nextID("vpc-", 17)}
	short := regionShortName(name)
	for i := range s.azCount {
		az := AZ{
			Name: fmt.Sprintf("%s%c", name, 'a'+i),
			ID:   fmt.Sprintf("%s-az%d", short, (i+1)%s.azCount+1),
		}
		r.AZs = append(r.AZs, az)
		r.Subnets = append(r.Subnets, Subnet{
			ID:    s.nextID("subnet-", 17),
			AZ:    az.Name,
			AZID:  az.ID,
			VPCID: r.VPCID,
			CIDR:  fmt.Sprintf("10.0.%d.0/24", i*16),
		})
	}
	return r
}

// regionShortName abbreviates a region the way AZ ids do: us-east-1 → use1,
// ap-southeast-2 → apse2, eu-central-1 → euc1.
func regionShortName(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) < 3 {
		return region
	}
	dir := parts[len(parts)-2]
	abbrev := map[string]string{
		"east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
		"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
	}[dir]
	if abbrev == "" {
		abbrev = dir[:1]
	}
	return strings.Join(parts[:len(parts)-2], "") + abbrev + parts[len(parts)-1]
}

// AZs lists a region's Availability Zones.
func (s *Sim) AZs(region string) []AZ {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.regions[region]; r != nil {
		return append([]AZ(nil), r.AZs...)
	}
	return nil
}

// Subnets lists a region's subnets, one per AZ in AZ order.
func (s *Sim) Subnets(region string) []Subnet {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.regions[region]; r != nil {
		return append([]Subnet(nil), r.Subnets...)
	}
	return nil
}

// SubnetIn returns the subnet of az ("" if the AZ does not exist).
func (s *Sim) SubnetIn(region, az string) string {
	for _, sn := range s.Subnets(region) {
		if sn.AZ == az {
			return sn.ID
		}
	}
	return ""
}

func (r *Region) subnet(id string) (Subnet, bool) {
	for _, sn := range r.Subnets {
		if sn.ID == id {
			return sn, true
		}
	}
	return Subnet{}, false
}

func (r *Region) az(name string) (AZ, bool) {
	for _, az := range r.AZs {
		if az.Name == name {
			return az, true
		}
	}
	return AZ{}, false
}
