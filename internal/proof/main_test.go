package proof

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// secretKey is shared by every console process of a test: tokens, cookies and stored secrets must be
// readable by all of them.
const secretKey = "8f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100"

var (
	binDir    string // TestMain's directory for the console binary
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "proof-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "proof: temp dir:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// consoleBinary builds cmd/console once per test binary, without -race: three race-instrumented consoles
// would crowd two cores. It is built on first use, so that `go test -short` builds nothing.
func consoleBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		// go test puts its own GOROOT/bin first on PATH.
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go tool is not on PATH: %w", err)
			return
		}
		out := filepath.Join(binDir, "console")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool, "build", "-o", out, "github.com/socialinzen/socialinzen/cmd/console")
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/console: %w\n%s", err, stderr.String())
			return
		}
		binPath = out
		fmt.Fprintf(os.Stderr, "proof: built the console in %s\n", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// skipShort skips the slow, multi-process tests under -short (make test-short).
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-process and fault tests do not run under -short")
	}
}

// proc is one console OS process.
type proc struct {
	name    string
	url     string // http://127.0.0.1:port
	addr    string // 127.0.0.1:port
	logPath string
	cmd     *exec.Cmd

	done     chan struct{} // closed when the process exited
	waitErr  error         // cmd.Wait's answer, set before done closes
	exitedAt time.Time
}

// consoleEnv is what every console process of these tests is configured with, before a test's own values.
func consoleEnv() map[string]string {
	return map[string]string{
		"SECRET_KEY":        secretKey,
		"SANDBOX":           "false",
		"LOG_LEVEL":         "info",
		"LOG_FORMAT":        "text",
		"DB_MAX_OPEN_CONNS": "6", // three processes and the other packages' tests share one Postgres
		"SHUTDOWN_DRAIN":    "0s",
	}
}

// startConsole starts a console process with env (DATABASE_URL, the WeChat bases, SMTP_URL …) on a free
// loopback port and waits until /readyz answers 200. It is stopped (SIGTERM, then SIGKILL) when the test
// ends, and the tail of its log is printed if the test failed.
func startConsole(t *testing.T, name string, env map[string]string) *proc {
	t.Helper()
	return startConsoles(t, []string{name}, env)[0]
}

// startConsoles starts one process per name at the same time (they migrate the same database together)
// and waits until every one is ready.
func startConsoles(t *testing.T, names []string, env map[string]string) []*proc {
	t.Helper()
	bin := consoleBinary(t)
	dir := t.TempDir()
	procs := make([]*proc, len(names))
	for i, name := range names {
		procs[i] = launch(t, bin, dir, name, env)
	}
	for i, name := range names {
		for attempt := 2; ; attempt++ {
			err := procs[i].waitReady(60 * time.Second)
			if err == nil {
				break
			}
			// Another program may have taken the port between our probe and the console's bind.
			if attempt <= 3 && strings.Contains(procs[i].log(), "address already in use") {
				procs[i] = launch(t, bin, dir, fmt.Sprintf("%s-%d", name, attempt), env)
				continue
			}
			t.Fatalf("%s: %v", procs[i].name, err)
		}
	}
	return procs
}

func launch(t *testing.T, bin, dir, name string, env map[string]string) *proc {
	t.Helper()
	addr := freeAddr(t)
	p := &proc{name: name, addr: addr, url: "http://" + addr, logPath: filepath.Join(dir, name+".log"),
		done: make(chan struct{})}
	vars := consoleEnv()
	vars["LISTEN_ADDR"] = addr
	vars["BASE_URL"] = p.url
	for k, v := range env {
		vars[k] = v
	}
	// A clean environment: nothing of the developer's (METRICS_TOKEN, DATABASE_URL …) leaks in.
	cmdEnv := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "TMPDIR=" + os.TempDir()}
	for k, v := range vars {
		cmdEnv = append(cmdEnv, k+"="+v)
	}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		t.Fatalf("%s: log file: %v", name, err)
	}
	p.cmd = exec.Command(bin)
	p.cmd.Env = cmdEnv
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		_ = logFile.Close()
		t.Fatalf("%s: start: %v", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		p.exitedAt = time.Now()
		_ = logFile.Close()
		close(p.done)
	}()
	// Cleanups run last-in first-out: the tail is printed after the process stopped.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- last lines of %s (%s) ----\n%s", p.name, p.logPath, p.tail(40))
		}
	})
	t.Cleanup(p.stop)
	return p
}

// stop ends the process if it still runs: SIGTERM, and SIGKILL after 15 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitReady polls /readyz until it answers 200; it gives up when the process exits or timeout passes.
func (p *proc) waitReady(timeout time.Duration) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("exited before it was ready (%v):\n%s", p.waitErr, p.tail(20))
		}
		resp, err := hc.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready within %s:\n%s", timeout, p.tail(20))
}

func (p *proc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// tail answers the last n lines of the process's log.
func (p *proc) tail(n int) string {
	lines := strings.Split(strings.TrimRight(p.log(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// exitCode answers the process's exit status once it exited (-1 when killed by a signal).
func (p *proc) exitCode() int {
	if p.waitErr == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// freeAddr answers a loopback address with a port that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// freePort is freeAddr's port.
func freePort(t testing.TB) int {
	_, port, _ := net.SplitHostPort(freeAddr(t))
	n, _ := strconv.Atoi(port)
	return n
}
