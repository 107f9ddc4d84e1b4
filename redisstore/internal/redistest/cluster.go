package redistest

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of three primaries and no replicas on
// 127.0.0.1, the 16384 hash slots split in three ranges.
type Cluster struct {
	Nodes [3]*Server
}

// StartCluster starts three servers in cluster mode (their cluster bus on
// a free port of its own), gives each a third of the slots with CLUSTER
// ADDSLOTSRANGE, joins them with CLUSTER MEET and waits until every node
// reports cluster_state:ok. The servers are stopped when the test ends;
// any failure fails the test.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	var c Cluster
	var bus [3]string
	for i := range c.Nodes {
		bus[i] = strconv.Itoa(freePort(t))
		c.Nodes[i] = Start(t, "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-port", bus[i])
	}
	ranges := [3][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	for i, n := range c.Nodes {
		n.Do("CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(ranges[i][0]), strconv.Itoa(ranges[i][1]))
		if i > 0 {
			c.Nodes[0].Do("CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(n.Port()), bus[i])
		}
	}
	for _, n := range c.Nodes {
		for deadline := time.Now().Add(patience); !strings.Contains(n.Do("CLUSTER", "INFO"), "cluster_state:ok"); {
			if time.Now().After(deadline) {
				t.Fatalf("redistest: node %s: cluster_state not ok within %v:\n%s", n.Addr(), patience, n.Do("CLUSTER", "INFO"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return &c
}

// Addrs returns the nodes' addresses.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr()
	}
	return out
}

// NodeOf returns the node that serves key's slot, asking CLUSTER KEYSLOT.
func (c *Cluster) NodeOf(t testing.TB, key string) *Server {
	t.Helper()
	slot, err := strconv.Atoi(c.Nodes[0].Do("CLUSTER", "KEYSLOT", key))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case slot <= 5460:
		return c.Nodes[0]
	case slot <= 10922:
		return c.Nodes[1]
	}
	return c.Nodes[2]
}
