package proof

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socialinzen/socialinzen/internal/testenv"
)

// cluster is a throwaway Postgres cluster in the test's temporary directory, on its own port: a test may
// stop and start it without touching the machine's shared cluster.
type cluster struct {
	t    *testing.T
	bin  string // the server binaries
	root string // owned by the server's user: the data directory, the socket and the log live here
	data string
	port int
	// asUser runs the binaries as this user (initdb refuses root); "" runs them as ourselves.
	asUser string
}

// startCluster creates and starts a cluster; it is stopped when the test ends. Without the server binaries
// the test skips, except under CI=true, where that is a broken machine.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	bin := os.Getenv("PG_BIN")
	if bin == "" {
		bin = "/usr/lib/postgresql/15/bin"
	}
	testenv.RequireTool(t, filepath.Join(bin, "initdb")) // set PG_BIN for another directory
	c := &cluster{t: t, bin: bin, root: t.TempDir(), port: freePort(t)}
	c.data = filepath.Join(c.root, "data")
	if os.Geteuid() == 0 {
		c.asUser = "postgres"
		u, err := user.Lookup(c.asUser)
		if err != nil {
			t.Fatalf("initdb refuses root and there is no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		// t.TempDir's parent is private to us: the server's user must be able to walk through it.
		if err := os.Chmod(filepath.Dir(c.root), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(c.root, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if out, err := c.run("pg_ctl", "-D", c.data, "-w", "-t", "30", "-m", "immediate", "stop"); err != nil &&
			!strings.Contains(out, "PID file") {
			t.Logf("stop the throwaway cluster: %v\n%s", err, out)
		}
		if t.Failed() {
			b, _ := os.ReadFile(c.logPath())
			lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			if len(lines) > 30 {
				lines = lines[len(lines)-30:]
			}
			t.Logf("---- last lines of the throwaway cluster's log ----\n%s", strings.Join(lines, "\n"))
		}
	})
	return c
}

// url is the cluster's postgres database.
func (c *cluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

func (c *cluster) logPath() string { return filepath.Join(c.root, "postgres.log") }

// start starts the server and waits until it accepts connections. fsync is off: the data is thrown away.
func (c *cluster) start() error {
	opts := fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40 -c shared_buffers=16MB",
		c.root, c.port)
	if out, err := c.run("pg_ctl", "-D", c.data, "-l", c.logPath(), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %w\n%s", err, out)
	}
	return nil
}

// stop stops the server the way an operator's restart does (fast: connections are cut, no crash).
func (c *cluster) stop() error {
	if out, err := c.run("pg_ctl", "-D", c.data, "-w", "-t", "60", "-m", "fast", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// run runs one of the server binaries, as the server's user when we are root.
func (c *cluster) run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.root
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl's server writes to its own log, but never let an inherited pipe hold us.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return out.String(), err
}
