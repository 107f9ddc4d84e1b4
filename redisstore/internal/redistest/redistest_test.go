package redistest

import (
	"strings"
	"testing"
)

func TestServerKillRestartKeepsThePort(t *testing.T) {
	s := Start(t)
	s.Do("SET", "k", "v")
	port := s.Port()
	s.Kill()
	if _, err := Do(s.Addr(), "PING"); err == nil {
		t.Fatal("PING answered after Kill")
	}
	s.Restart()
	if s.Port() != port {
		t.Fatalf("port %d after Restart, want %d", s.Port(), port)
	}
	if got := s.Do("GET", "k"); got != "" {
		t.Fatalf("GET k after Restart = %q, want nothing", got)
	}
}

func TestClusterServesEverySlot(t *testing.T) {
	c := StartCluster(t)
	seen := map[string]bool{}
	for _, key := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		n := c.NodeOf(t, key)
		seen[n.Addr()] = true
		n.Do("SET", key, "1") // a wrong node answers MOVED, an error
	}
	if len(seen) != 3 {
		t.Fatalf("keys on %d nodes, want 3", len(seen))
	}
	if info := c.Nodes[2].Do("CLUSTER", "INFO"); !strings.Contains(info, "cluster_known_nodes:3") {
		t.Fatalf("CLUSTER INFO:\n%s", info)
	}
}
