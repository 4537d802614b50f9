package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/yaml"
)

// Output formats (-o).
const (
	outputTable = "table"
	outputWide  = "wide"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

var outputFormats = []string{outputTable, outputWide, outputJSON, outputYAML}

// style is how a cell is coloured on a terminal.
type style int

const (
	plain style = iota
	green
	yellow
	red
	magenta
	dim
)

var ansi = map[style]string{green: "\x1b[32m", yellow: "\x1b[33m", red: "\x1b[31m", magenta: "\x1b[35m", dim: "\x1b[2m"}

const ansiReset = "\x1b[0m"

func paint(s string, st style, colour bool) string {
	if !colour || st == plain || s == "" {
		return s
	}
	return ansi[st] + s + ansiReset
}

// cell is one table cell.
type cell struct {
	text  string
	style style
}

func c(text string) cell { return cell{text: text} }

// none is what an empty cell shows, so that every row has the same
// number of fields for awk and cut.
const none = "-"

// table is what the table and wide formats print: kubectl's look
// (upper-case headers, columns three spaces apart, no borders).
type table struct {
	headers []string
	rows    [][]cell
	// shrinkable columns may be cut (with "…") to fit a terminal.
	shrinkable map[int]bool
}

func (t *table) add(cells ...cell) { t.rows = append(t.rows, cells) }

const columnGap = 3

// render writes the table. width > 0 is the terminal's width: shrinkable
// columns are cut, widest first, until the table fits.
func (t *table) render(w io.Writer, colour bool, width int) error {
	widths := make([]int, len(t.headers))
	for i, h := range t.headers {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, row := range t.rows {
		for i, cl := range row {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(cl.text))
			}
		}
	}
	if width > 0 {
		fit(widths, t.shrinkable, width)
	}
	var b strings.Builder
	line := func(cells []cell) {
		var l strings.Builder
		for i, cl := range cells {
			if i >= len(widths) {
				break
			}
			text := truncate(cl.text, widths[i])
			pad := widths[i] - utf8.RuneCountInString(text)
			l.WriteString(paint(text, cl.style, colour))
			if i < len(cells)-1 {
				l.WriteString(strings.Repeat(" ", pad+columnGap))
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	headers := make([]cell, len(t.headers))
	for i, h := range t.headers {
		headers[i] = c(h)
	}
	line(headers)
	for _, row := range t.rows {
		line(row)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fit narrows shrinkable columns until the row fits width (never below
// 8 characters or the header).
func fit(widths []int, shrinkable map[int]bool, width int) {
	total := func() int {
		sum := columnGap * (len(widths) - 1)
		for _, w := range widths {
			sum += w
		}
		return sum
	}
	for total() > width {
		widest := -1
		for i, w := range widths {
			if shrinkable[i] && w > 8 && (widest < 0 || w > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			return
		}
		widths[widest]--
	}
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// printable is what a command prints: a value for json and yaml, and its
// table.
type printable interface {
	table(wide bool, now time.Time) *table
}

// print writes v in the chosen format.
func (o *Options) print(v printable) error {
	if o.structured() {
		return o.printData(v)
	}
	return v.table(o.Output == outputWide, o.now()).render(o.Out, o.colour, o.width)
}

// printData writes v as json or yaml.
func (o *Options) printData(v any) error {
	if o.Output == outputYAML {
		return writeYAML(o.Out, v)
	}
	return writeJSON(o.Out, v)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// structured reports whether the output is json or yaml (no prose on
// stdout).
func (o *Options) structured() bool { return o.Output == outputJSON || o.Output == outputYAML }

// say writes a line of prose to stdout (table formats only; with -o json
// or yaml stdout holds the document alone).
func (o *Options) say(line string) {
	if o.structured() {
		return
	}
	_, _ = fmt.Fprintln(o.Out, line)
}

// note writes a line to stderr.
func (o *Options) note(format string, args ...any) {
	_, _ = fmt.Fprintf(o.ErrOut, format+"\n", args...)
}

// progress writes a progress line to stderr when stderr is a terminal.
func (o *Options) progress(format string, args ...any) {
	if o.errTTY {
		_, _ = fmt.Fprintf(o.ErrOut, "\r\x1b[K"+format, args...)
	}
}

// progressDone clears the progress line.
func (o *Options) progressDone() {
	if o.errTTY {
		_, _ = io.WriteString(o.ErrOut, "\r\x1b[K")
	}
}

// terminal reports whether w is a terminal, and its width.
func terminal(w io.Writer) (bool, int) {
	f, ok := w.(*os.File)
	if !ok {
		return false, 0
	}
	fd := int(f.Fd()) //nolint:gosec // file descriptors fit in an int
	if !term.IsTerminal(fd) {
		return false, 0
	}
	width, _, err := term.GetSize(fd)
	if err != nil {
		width = 0
	}
	return true, width
}

// colourAllowed: colour only on a terminal, never with NO_COLOR or a dumb
// terminal.
func colourAllowed(tty bool) bool {
	if !tty {
		return false
	}
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	return os.Getenv("TERM") != "dumb"
}

// age is kubectl's way of showing how long ago t was ("5m", "3d").
func age(t, now time.Time) string {
	if t.IsZero() {
		return none
	}
	return duration.HumanDuration(now.Sub(t))
}

// orNone shows empty values as none.
func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}
