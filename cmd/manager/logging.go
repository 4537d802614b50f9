package main

import (
	"flag"

	"go.uber.org/zap/zapcore"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// logFlags are the manager's logging flags: controller-runtime's --zap-*
// flags, plus -v/--verbose.
type logFlags struct {
	fs      *flag.FlagSet
	zap     zap.Options
	verbose bool
}

func bindLogFlags(fs *flag.FlagSet) *logFlags {
	// Errors are logged without a stack trace (--zap-stacktrace-level brings
	// them back): Roster's errors say what went wrong, and a trace buries
	// that under frames a user cannot act on.
	l := &logFlags{fs: fs, zap: zap.Options{Development: true, StacktraceLevel: zapcore.PanicLevel}}
	l.zap.BindFlags(fs)
	fs.BoolVar(&l.verbose, "v", false, "Log at debug level too (an explicit --zap-log-level wins).")
	fs.BoolVar(&l.verbose, "verbose", false, "Same as -v.")
	return l
}

// options are zap's options once the flags are parsed. The level is info
// unless -v asks for debug: Development mode alone would log at debug,
// half the lines of a quiet local run, burying what a person looks for.
// An explicit --zap-log-level wins, so the Helm chart's manager.logLevel
// and existing manifests mean what they say.
func (l *logFlags) options() zap.Options {
	o := l.zap
	explicit := false
	l.fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "zap-log-level" })
	if !explicit {
		o.Level = zapcore.InfoLevel
		if l.verbose {
			o.Level = zapcore.DebugLevel
		}
	}
	return o
}
