//go:build !unix

package reply

import "time"

func processCPU() time.Duration { return 0 }
