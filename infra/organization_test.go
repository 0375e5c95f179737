package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOrganizationDump(t *testing.T) {
	s := synthOrganization(t)
	os.MkdirAll("/tmp/orgdump", 0o755)
	for _, rs := range s.all() {
		b, _ := os.ReadFile(rs.file)
		os.WriteFile(filepath.Join("/tmp/orgdump", filepath.Base(rs.path)+".json"), b, 0o644)
	}
}
