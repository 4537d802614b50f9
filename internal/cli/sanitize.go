package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// Everything the plugin prints may hold what others wrote: a Member's
// user, an invitation's e-mail, an API server's error message (which
// quotes object fields), an accept link's host. A terminal obeys control
// characters wherever they come from, so none of those reach it raw: this
// file is the one place that decides, and every output goes through it.
//
//   - Run wraps stdout and stderr in a safeWriter, so whatever is written
//     (tables, messages, JSON, YAML, cobra's help and errors, API
//     warnings) has its control characters escaped.
//   - The plugin's own colours and line control reach the terminal only
//     through a termText, which sanitizes every piece of text put in it.

// escapes reports whether r must not reach a terminal raw: C0 controls,
// DEL, C1 controls (U+0080-U+009F, which some terminals obey as ESC
// sequences) and the bidirectional controls that reorder what is shown
// (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069).
func escapes(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// sanitize returns s with every character that escapes, and every byte
// that is not UTF-8, shown escaped: \n, \t and \r, \xHH for other C0
// controls and stray bytes, \uHHHH for DEL, C1 and bidirectional
// controls. Those forms are valid escapes inside JSON strings and YAML
// double-quoted scalars too. With layout, newlines and tabs are kept: they
// are the plugin's own layout (a table's rows, a JSON document's lines).
func sanitize(s string, layout bool) string {
	keep := func(r rune, size int) bool {
		if r == utf8.RuneError && size == 1 {
			return false
		}
		return !escapes(r) || layout && (r == '\n' || r == '\t')
	}
	clean := true
	for i := 0; i < len(s) && clean; {
		r, size := utf8.DecodeRuneInString(s[i:])
		clean = keep(r, size)
		i += size
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case keep(r, size):
			b.WriteString(s[i : i+size])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || size == 1 && r == utf8.RuneError:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// safeWriter sanitizes everything written to it, keeping newlines and
// tabs. A character split across two writes is held until it is whole.
type safeWriter struct {
	mu      sync.Mutex
	w       io.Writer
	partial []byte
}

// safe is w behind a safeWriter (w itself if it is one).
func safe(w io.Writer) *safeWriter {
	if sw, ok := w.(*safeWriter); ok {
		return sw
	}
	return &safeWriter{w: w}
}

func (s *safeWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	buf := append(append([]byte{}, s.partial...), p...)
	cut := len(buf)
	for i := len(buf) - 1; i >= 0 && i > len(buf)-utf8.UTFMax; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				cut = i
			}
			break
		}
	}
	s.partial = buf[cut:]
	if _, err := io.WriteString(s.w, sanitize(string(buf[:cut]), true)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a character left incomplete by the last write (escaped:
// it is no UTF-8).
func (s *safeWriter) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *safeWriter) flushLocked() error {
	if len(s.partial) == 0 {
		return nil
	}
	rest := s.partial
	s.partial = nil
	_, err := io.WriteString(s.w, sanitize(string(rest), true))
	return err
}

// writeSanitized writes what a termText built, which is sanitized already
// except for the plugin's own codes.
func (s *safeWriter) writeSanitized(text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.flushLocked(); err != nil {
		return err
	}
	_, err := io.WriteString(s.w, text)
	return err
}

// termText is output built for a terminal: every piece of text is
// sanitized as it goes in, as one line (its newlines and tabs escaped
// too); only the plugin's own layout, colours and line control go in raw.
type termText struct {
	b      strings.Builder
	colour bool
}

// text adds s, in st when colour is on.
func (t *termText) text(s string, st style) *termText {
	s = sanitize(s, false)
	if !t.colour || st == plain || s == "" {
		t.b.WriteString(s)
		return t
	}
	t.b.WriteString(ansi[st])
	t.b.WriteString(s)
	t.b.WriteString(ansiReset)
	return t
}

// spaces adds n spaces.
func (t *termText) spaces(n int) *termText {
	t.b.WriteString(strings.Repeat(" ", max(0, n)))
	return t
}

// trimSpaces removes the spaces at the end.
func (t *termText) trimSpaces() *termText {
	s := t.b.String()
	if trimmed := strings.TrimRight(s, " "); len(trimmed) < len(s) {
		t.b.Reset()
		t.b.WriteString(trimmed)
	}
	return t
}

// newline ends a line.
func (t *termText) newline() *termText {
	t.b.WriteByte('\n')
	return t
}

// clearLine moves back to the start of the line and clears it (progress
// lines on a terminal).
func (t *termText) clearLine() *termText {
	t.b.WriteString("\r\x1b[K")
	return t
}

func (t *termText) String() string { return t.b.String() }

// writeTo writes the text to w, past w's sanitizer if it has one: what
// is in t is sanitized already.
func (t *termText) writeTo(w io.Writer) error {
	if sw, ok := w.(*safeWriter); ok {
		return sw.writeSanitized(t.String())
	}
	_, err := io.WriteString(w, t.String())
	return err
}

// sanitizedArgs are args with every string, error and Stringer among them
// sanitized as one line, for a format string of the plugin's own.
func sanitizedArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = sanitize(v, false)
		case error:
			out[i] = sanitize(v.Error(), false)
		case fmt.Stringer:
			out[i] = sanitize(v.String(), false)
		default:
			out[i] = a
		}
	}
	return out
}
