package bench

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
)

// series is one line of a panel.
type series struct {
	name   string
	color  string
	dashed bool
	points [][2]float64
}

// panel is one chart: x is members.
type panel struct {
	title, yLabel string
	series        []series
}

// WriteScalingSVG plots the scaling curve: converge time (operator, plain
// client, a line through the origin fitted to the operator's points) and
// the manager's heap, against members.
func WriteScalingSVG(path string, r *Results) error {
	pts := append([]ScalePoint(nil), r.Scaling...)
	if len(pts) == 0 {
		return fmt.Errorf("no scaling points")
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].Members < pts[j].Members })
	var op, plain, heap [][2]float64
	for _, p := range pts {
		x := float64(p.Members)
		op = append(op, [2]float64{x, p.ConvergeSeconds})
		if p.PlainSeconds > 0 {
			plain = append(plain, [2]float64{x, p.PlainSeconds})
		}
		heap = append(heap, [2]float64{x, p.ManagerHeapMiB})
	}
	// Least squares through the origin: time = k × members.
	var sxy, sxx float64
	for _, p := range op {
		sxy += p[0] * p[1]
		sxx += p[0] * p[0]
	}
	k := sxy / sxx
	maxX := op[len(op)-1][0]
	time := panel{title: "Converge time", yLabel: "seconds", series: []series{
		{name: "Roster", color: "#1f77b4", points: op},
		{name: fmt.Sprintf("linear (%.1f ms/member)", 1000*k), color: "#999999", dashed: true, points: [][2]float64{{0, 0}, {maxX, k * maxX}}},
	}}
	if len(plain) > 0 {
		time.series = append(time.series, series{name: "plain client (lower bound)", color: "#2ca02c", points: plain})
	}
	mem := panel{title: "Manager heap once converged", yLabel: "MiB", series: []series{
		{name: "heap in use (released when it stops)", color: "#d62728", points: heap},
		{name: "goal: 150 MiB", color: "#999999", dashed: true, points: [][2]float64{{0, 150}, {maxX, 150}}},
	}}

	const w, h = 900, 400
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="20" text-anchor="middle" font-size="14" font-weight="bold">Roster scaling: %d members per organization, %d project namespaces each (%s, %d cores)</text>`+"\n",
		w/2, pts[0].Sizes.Members, pts[0].Sizes.Projects, xmlEscape(r.Commit), r.Machine.Cores)
	drawPanel(&b, time, 60, 40, 370, 290)
	drawPanel(&b, mem, 510, 40, 360, 290)
	b.WriteString("</svg>\n")
	return os.WriteFile(path, []byte(b.String()), 0o644) //nolint:gosec // a plot for the docs
}

func drawPanel(b *strings.Builder, p panel, x0, y0, pw, ph float64) {
	var maxX, maxY float64
	for _, s := range p.series {
		for _, pt := range s.points {
			maxX, maxY = math.Max(maxX, pt[0]), math.Max(maxY, pt[1])
		}
	}
	maxX, maxY = niceCeil(maxX), niceCeil(maxY*1.05)
	sx := func(x float64) float64 { return x0 + x/maxX*pw }
	sy := func(y float64) float64 { return y0 + ph - y/maxY*ph }

	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" text-anchor="middle" font-weight="bold">%s</text>`+"\n", x0+pw/2, y0+12, xmlEscape(p.title))
	for i := 0; i <= 5; i++ {
		y := maxY * float64(i) / 5
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", x0, sy(y), x0+pw, sy(y))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-5, sy(y)+4, short(y))
		x := maxX * float64(i) / 5
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", sx(x), y0, sx(x), y0+ph)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", sx(x), y0+ph+16, short(x))
	}
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n", x0, y0, pw, ph)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">members</text>`+"\n", x0+pw/2, y0+ph+34)
	fmt.Fprintf(b, `<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", x0-42, y0+ph/2, xmlEscape(p.yLabel))
	for i, s := range p.series {
		var pts []string
		for _, pt := range s.points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", sx(pt[0]), sy(pt[1])))
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), s.color, dash)
		if !s.dashed {
			for _, pt := range s.points {
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s: %.0f members, %s</title></circle>`+"\n",
					sx(pt[0]), sy(pt[1]), s.color, xmlEscape(s.name), pt[0], short(pt[1]))
			}
		}
		ly := y0 + 28 + float64(i)*16
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`+"\n", x0+10, ly-4, x0+30, ly-4, s.color, dash)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", x0+35, ly, xmlEscape(s.name))
	}
}

// niceCeil rounds up to a round multiple of a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func short(v float64) string {
	switch {
	case v >= 1000 && math.Mod(v, 1000) == 0:
		return fmt.Sprintf("%.0fk", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.1fk", v/1000)
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
