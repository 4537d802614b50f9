package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/util/duration"
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
	// warning is kubectl's colour for "Warning:".
	warning
)

var ansi = map[style]string{green: "\x1b[32m", yellow: "\x1b[33m", red: "\x1b[31m", magenta: "\x1b[35m", dim: "\x1b[2m", warning: "\x1b[33;1m"}

const ansiReset = "\x1b[0m"

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
// columns are cut, widest first, until the table fits. Cells are
// sanitized before they are measured: a newline or an escape code in a
// cell is shown escaped, in its column.
func (t *table) render(w io.Writer, colour bool, width int) error {
	rows := make([][]cell, 0, len(t.rows)+1)
	headers := make([]cell, len(t.headers))
	for i, h := range t.headers {
		headers[i] = c(h)
	}
	for _, row := range append([][]cell{headers}, t.rows...) {
		clean := make([]cell, len(row))
		for i, cl := range row {
			clean[i] = cell{text: sanitize(cl.text, false), style: cl.style}
		}
		rows = append(rows, clean)
	}
	widths := make([]int, len(t.headers))
	for _, row := range rows {
		for i, cl := range row {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(cl.text))
			}
		}
	}
	if width > 0 {
		fit(widths, t.shrinkable, width)
	}
	out := &termText{colour: colour}
	for _, cells := range rows {
		for i, cl := range cells {
			if i >= len(widths) {
				break
			}
			text := truncate(cl.text, widths[i])
			out.text(text, cl.style)
			if i < len(cells)-1 {
				out.spaces(widths[i] - utf8.RuneCountInString(text) + columnGap)
			}
		}
		out.trimSpaces().newline()
	}
	return out.writeTo(w)
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
	return v.table(o.Output == outputWide, o.now()).render(safe(o.Out), o.colour, o.width)
}

// printData writes v as json or yaml, through the sanitizer.
func (o *Options) printData(v any) error {
	if o.Output == outputYAML {
		return writeYAML(safe(o.Out), v)
	}
	return writeJSON(safe(o.Out), v)
}

// writeJSON writes v as indented JSON. encoding/json escapes C0 controls
// in strings but not DEL, C1 or bidirectional controls; w's sanitizer
// escapes those as \uHHHH, which keeps the document valid and its values
// exact.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeYAML writes v as YAML, from its JSON as kubectl does (json tags,
// keys sorted). A string holding a character that must not reach a
// terminal raw is written double-quoted: the YAML emitter escapes C0, DEL
// and C1 controls there, and w's sanitizer the bidirectional ones (as
// \uHHHH, a valid escape in that style), so values stay exact.
func writeYAML(w io.Writer, v any) error {
	j, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// JSON is YAML: read back, its numbers are numbers and its maps sorted.
	// The YAML reader refuses raw DEL and C1 controls, which JSON strings
	// may hold: sanitized, they are JSON escapes of the same values.
	var generic any
	if err := yaml.Unmarshal([]byte(sanitize(string(j), true)), &generic); err != nil {
		return err
	}
	var doc yaml.Node
	if err := doc.Encode(generic); err != nil {
		return err
	}
	quoteEscaped(&doc)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// quoteEscaped double-quotes every string scalar, keys included, that
// sanitize would change.
func quoteEscaped(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && sanitize(n.Value, false) != n.Value {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, child := range n.Content {
		quoteEscaped(child)
	}
}

// structured reports whether the output is json or yaml (no prose on
// stdout).
func (o *Options) structured() bool { return o.Output == outputJSON || o.Output == outputYAML }

// say writes a line of prose to stdout (table formats only; with -o json
// or yaml stdout holds the document alone). The line is sanitized whole:
// a newline in it is shown escaped, as it is no line of the plugin's.
func (o *Options) say(line string) {
	if o.structured() {
		return
	}
	o.sayText((&termText{}).text(line, plain))
}

// sayText writes a line the plugin built, styled, to stdout.
func (o *Options) sayText(t *termText) {
	if o.structured() {
		return
	}
	_ = t.newline().writeTo(safe(o.Out))
}

// note writes a line to stderr. format is the plugin's own; strings and
// errors among args are sanitized as one line each.
func (o *Options) note(format string, args ...any) {
	_, _ = fmt.Fprintf(safe(o.ErrOut), format+"\n", sanitizedArgs(args)...)
}

// noteText writes lines the plugin built, styled, to stderr.
func (o *Options) noteText(t *termText) {
	_ = t.writeTo(safe(o.ErrOut))
}

// progress writes a progress line to stderr when stderr is a terminal.
func (o *Options) progress(format string, args ...any) {
	if o.errTTY {
		o.noteText((&termText{}).clearLine().text(fmt.Sprintf(format, args...), plain))
	}
}

// progressDone clears the progress line.
func (o *Options) progressDone() {
	if o.errTTY {
		o.noteText((&termText{}).clearLine())
	}
}

// terminal reports whether w is a terminal, and its width.
func terminal(w io.Writer) (bool, int) {
	if sw, ok := w.(*safeWriter); ok {
		w = sw.w
	}
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
