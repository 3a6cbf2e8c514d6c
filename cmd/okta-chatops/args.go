package main

import "strings"

// parseArgs splits args into positional words and flags, which may come anywhere
// (`diagnose alice Slack --json`). bools lists flags without a value, values flags
// with one (`--addr X` or `--addr=X`). "--" ends the flags.
func parseArgs(args []string, bools, values []string) (pos []string, flags map[string]string, err error) {
	flags = map[string]string{}
	isIn := func(name string, set []string) bool {
		for _, s := range set {
			if s == name {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(pos, args[i+1:]...), flags, nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case isIn(name, bools):
			if hasVal {
				return nil, nil, usagef("--%s takes no value", name)
			}
			flags[name] = "true"
		case isIn(name, values):
			if !hasVal {
				if i+1 >= len(args) {
					return nil, nil, usagef("--%s needs a value", name)
				}
				i++
				val = args[i]
			}
			flags[name] = val
		default:
			return nil, nil, usagef("unknown flag %s", a)
		}
	}
	return pos, flags, nil
}
