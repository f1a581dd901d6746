//go:build unix

package reply

import (
	"syscall"
	"time"
)

// processCPU answers the CPU time the process has used (user and system, all threads). Benchmarks report
// it next to wall time, which a loaded machine inflates.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
