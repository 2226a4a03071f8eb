// Package benchdoc writes a suite's results into its own section of a
// Markdown document (docs/PERFORMANCE.md, docs/RELIABILITY.md), so the
// figures there are the ones the last run of `make bench` or `make chaos`
// measured, with the command and the machine beside them.
//
// A section is the text between two marker lines:
//
//	<!-- BEGIN name -->
//	…written by the suite…
//	<!-- END name -->
//
// Write replaces what is between them; if the markers are missing it
// appends the section at the end of the document.
package benchdoc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Table is one suite's results: a heading, the command that produced
// them, a header row and rows, and notes printed under the table.
type Table struct {
	Title   string
	Command string
	Header  []string
	Rows    [][]string
	Notes   []string
}

// Markdown renders t with the machine line and the time of the run.
func (t Table) Markdown(now time.Time) string {
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "### %s\n\n", t.Title)
	}
	fmt.Fprintf(&b, "Run %s on %s. Command: `%s`.\n\n", now.UTC().Format("2006-01-02 15:04 UTC"), Machine(), t.Command)
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + strings.ReplaceAll(c, "|", "\\|") + " |")
		}
		b.WriteString("\n")
	}
	if len(t.Header) > 0 {
		row(t.Header)
		sep := make([]string, len(t.Header))
		for i := range sep {
			sep[i] = "---"
		}
		row(sep)
		for _, r := range t.Rows {
			row(r)
		}
		b.WriteString("\n")
	}
	for _, n := range t.Notes {
		b.WriteString(n + "\n")
	}
	if len(t.Notes) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

// Machine names the machine in one line: cores, CPU model, memory, Go.
func Machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if i := strings.Index(l, ":"); i >= 0 {
					model = strings.TrimSpace(l[i+1:])
				}
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%d cores (%s%s), %s/%s, %s", runtime.NumCPU(), model, mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// Write puts body into section name of the Markdown file at path,
// replacing the section's previous text. The file is written atomically.
func Write(path, name, body string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("benchdoc: %w", err)
	}
	out, err := Replace(old, name, body)
	if err != nil {
		return fmt.Errorf("benchdoc: %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".benchdoc-*")
	if err != nil {
		return fmt.Errorf("benchdoc: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return fmt.Errorf("benchdoc: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("benchdoc: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("benchdoc: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// Replace returns doc with section name's text replaced by body (appended
// with its markers when doc has none). A section whose BEGIN has no END
// is an error: the document is left as it is.
func Replace(doc []byte, name, body string) ([]byte, error) {
	if name == "" || strings.ContainsAny(name, "\n>") {
		return nil, fmt.Errorf("bad section name %q", name)
	}
	begin := []byte("<!-- BEGIN " + name + " -->\n")
	end := []byte("<!-- END " + name + " -->")
	if bytes.Contains([]byte(body), []byte("<!-- BEGIN "+name+" -->")) || bytes.Contains([]byte(body), end) {
		return nil, fmt.Errorf("the text for section %q holds its own marker", name)
	}
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	i := bytes.Index(doc, begin)
	if i < 0 {
		var b bytes.Buffer
		b.Write(doc)
		if len(doc) > 0 && !bytes.HasSuffix(doc, []byte("\n")) {
			b.WriteString("\n")
		}
		if len(doc) > 0 {
			b.WriteString("\n")
		}
		b.Write(begin)
		b.WriteString(body)
		b.Write(end)
		b.WriteString("\n")
		return b.Bytes(), nil
	}
	j := bytes.Index(doc[i+len(begin):], end)
	if j < 0 {
		return nil, fmt.Errorf("section %q has a BEGIN marker and no END marker", name)
	}
	j += i + len(begin)
	var b bytes.Buffer
	b.Write(doc[:i+len(begin)])
	b.WriteString(body)
	b.Write(doc[j:])
	return b.Bytes(), nil
}

// LoadAverage is the machine's load average over 1, 5 and 15 minutes
// ("1.20 0.80 0.50"), for the notes beside a figure; "?" when unreadable.
func LoadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
