package main

import (
	"flag"
	"io"
	"testing"

	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
)

func TestLogLevel(t *testing.T) {
	cases := []struct {
		name        string
		args        []string
		info, debug bool
	}{
		{"info by default", nil, true, false},
		{"-v adds debug", []string{"-v"}, true, true},
		{"--verbose adds debug", []string{"--verbose"}, true, true},
		{"--zap-log-level wins over the default", []string{"--zap-log-level=error"}, false, false},
		{"--zap-log-level wins over -v", []string{"-v", "--zap-log-level=info"}, true, false},
		{"--zap-log-level=debug without -v", []string{"--zap-log-level=debug"}, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			fs := flag.NewFlagSet("manager", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			logs := bindLogFlags(fs)
			g.Expect(fs.Parse(tc.args)).To(Succeed())
			o := logs.options()
			g.Expect(o.Level).NotTo(BeNil())
			g.Expect(o.Level.Enabled(zapcore.InfoLevel)).To(Equal(tc.info), "info")
			g.Expect(o.Level.Enabled(zapcore.DebugLevel)).To(Equal(tc.debug), "debug")
			g.Expect(o.Level.Enabled(zapcore.ErrorLevel)).To(BeTrue(), "errors are always logged")
			g.Expect(o.StacktraceLevel.Enabled(zapcore.ErrorLevel)).To(BeFalse(), "errors come without a stack trace")
		})
	}
}
