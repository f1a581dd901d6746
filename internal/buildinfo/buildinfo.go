// Package buildinfo answers the console's version: stamped at build time with -ldflags, else read from the
// module's build information.
package buildinfo

import "runtime/debug"

// Version is set by `make build` (-ldflags "-X …/buildinfo.Version=…").
var Version = ""

// String answers the version, falling back to the VCS revision Go recorded.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}
