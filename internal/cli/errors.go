package cli

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Exit codes. Scripts may rely on them; docs/plugin.md lists them.
const (
	// ExitOK: the command did what it was asked.
	ExitOK = 0
	// ExitError: anything not covered below (the cluster is unreachable,
	// credentials were refused, a server error, a timeout).
	ExitError = 1
	// ExitUsage: the command line is wrong (unknown flag or command, bad
	// argument, an invalid e-mail address or role, no organization given
	// where one is needed); nothing was sent to the cluster.
	ExitUsage = 2
	// ExitRefused: the API server (RBAC or Roster's admission webhooks) or
	// the invitation server refused the request: Forbidden, Invalid,
	// AlreadyExists. can-i ACTION also exits with it when the answer is no.
	ExitRefused = 3
	// ExitNotFound: the organization, user or invitation does not exist
	// (or the caller may not see it).
	ExitNotFound = 4
	// ExitPartial: a bulk invite in which at least one of several
	// addresses failed; the others went through, and the per-address
	// lines say which.
	ExitPartial = 5
	// ExitCancelled: the confirmation question was not answered yes;
	// nothing changed.
	ExitCancelled = 6
	// ExitLinkUnusable: accept or decline of a link that can no longer be
	// used (expired, used, declined already, revoked, replaced by a resend).
	ExitLinkUnusable = 7
)

// exitError carries an exit code and an optional hint with an error.
type exitError struct {
	code int
	err  error
	hint string
	// reported: the command already printed everything about it (a bulk
	// invite prints each address); Main only sets the exit code.
	reported bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is a mistake on the command line: exit 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// notFoundf says that something the caller named does not exist: exit 4.
func notFoundf(hint, format string, args ...any) error {
	return &exitError{code: ExitNotFound, err: fmt.Errorf(format, args...), hint: hint}
}

// withHint attaches the plugin's advice to err, keeping its message and
// exit code. An empty hint returns err unchanged.
func withHint(err error, hint string) error {
	if err == nil || hint == "" {
		return err
	}
	var e *exitError
	if errors.As(err, &e) {
		c := *e
		if c.hint != "" {
			hint = c.hint + "\n" + hint
		}
		c.hint = hint
		return &c
	}
	return &exitError{code: codeOf(err), err: err, hint: hint}
}

// withCode sets err's exit code.
func withCode(err error, code int) error {
	var e *exitError
	if errors.As(err, &e) {
		c := *e
		c.code = code
		return &c
	}
	return &exitError{code: code, err: err}
}

// reported marks err as printed already.
func reported(err error, code int) error {
	return &exitError{code: code, err: err, reported: true}
}

// ExitCode is the exit code for err (0 for nil).
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *exitError
	if errors.As(err, &e) && e.code != 0 {
		return e.code
	}
	return codeOf(err)
}

// codeOf classifies an error that carries no code of its own.
func codeOf(err error) int {
	switch {
	case apierrors.IsForbidden(err), apierrors.IsInvalid(err), apierrors.IsAlreadyExists(err):
		return ExitRefused
	case apierrors.IsNotFound(err):
		return ExitNotFound
	}
	return ExitError
}

func hintOf(err error) string {
	var e *exitError
	if errors.As(err, &e) {
		return e.hint
	}
	return ""
}

func isReported(err error) bool {
	var e *exitError
	return errors.As(err, &e) && e.reported
}

// errorMessage renders err the way kubectl does: "Error from server
// (Reason): <the server's message, verbatim>" for API errors, "error: ..."
// for the plugin's own.
func errorMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		s := status.Status()
		msg := s.Message
		if msg == "" {
			msg = err.Error()
		}
		if s.Reason == "" {
			return "Error from server: " + msg
		}
		return fmt.Sprintf("Error from server (%s): %s", s.Reason, msg)
	}
	return "error: " + err.Error()
}

// serverWords is err in Roster's own words, without kubectl's wrapper
// ("Error from server (Forbidden): admission webhook ... denied the
// request: ... is forbidden: "): a refusal by Roster's webhooks is the
// policy's sentence they attach as the RefusalCause; another API error is
// its status message; the plugin's own errors are their text.
func serverWords(err error) string {
	if msg, ok := refusalCause(err); ok && msg != "" {
		return msg
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		return status.Status().Message
	}
	return err.Error()
}

// refusalCause is the message of err's RefusalCause, if its API status has
// one: the mark of a refusal by Roster's admission webhooks rather than by
// RBAC.
func refusalCause(err error) (string, bool) {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return "", false
	}
	details := status.Status().Details
	if details == nil {
		return "", false
	}
	for _, c := range details.Causes {
		if c.Type == orgsv1alpha1.RefusalCause {
			return c.Message, true
		}
	}
	return "", false
}

// connectionHint explains the usual reasons the API server cannot be
// reached.
func connectionHint(err error) string {
	var uerr *url.Error
	var nerr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the API server refused the connection: is the cluster running? In local mode, `make run` prints the KUBECONFIG to use; check --kubeconfig and --context"
	case errors.As(err, &nerr) && nerr.Timeout():
		return "the API server did not answer in time; check the cluster, or raise --request-timeout"
	case errors.As(err, &uerr):
		return "the API server could not be reached; check --kubeconfig, --context and --server"
	case apierrors.IsUnauthorized(err):
		return "the API server did not accept your credentials; check the user in your kubeconfig (--user, --kubeconfig)"
	case strings.Contains(err.Error(), "no configuration has been provided"):
		return "set KUBECONFIG or pass --kubeconfig; with Roster in local mode, `make run` prints the KUBECONFIG to use"
	}
	return ""
}
