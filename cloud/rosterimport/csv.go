package rosterimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/eldergate/eldergate"
)

// ParseCSV reads a CSV roster: UTF-8 with or without a byte order mark, or
// GB18030 (what Excel saves as "CSV" on a Chinese Windows); the delimiter
// is a comma, a semicolon or a tab, whichever the header row uses. Row
// numbers are the file's line numbers, which are the rows a spreadsheet
// shows when it opens the file.
func ParseCSV(data []byte) ([]eldergate.RosterElder, Report, error) {
	r, err := NewCSVReader(data)
	if err != nil {
		return nil, Report{}, err
	}
	r.ReuseRecord = false
	t := newTable(CSV)
	t.grow(bytes.Count(data, []byte{'\n'}) + 1)
	first := true
	for {
		cells, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.Line
				err = pe.Err
			}
			t.rep.add(line, "", CodeCSVInvalid, P{"detail": err.Error()}, "the file is not valid CSV here: %v", err)
			t.rep.Elders = 0
			return nil, t.rep, nil
		}
		line, _ := r.FieldPos(0)
		if first {
			first = false
			if line != 1 {
				t.rep.add(1, "", CodeHeaderNotFirst, nil, "the first line must be the header row")
			}
			t.header(cells)
			if !t.rep.OK() {
				return nil, t.rep, nil // the columns are unknown: no row can be read
			}
			continue
		}
		if t.rep.Rows >= MaxRows {
			tooManyRows(t, line)
			return nil, t.rep, nil
		}
		t.add(record{row: line, cells: cells})
	}
	if first {
		return nil, Report{}, fmt.Errorf("%w: the file is empty", ErrFormat)
	}
	return t.finish()
}

// delimiter returns the most frequent of ',', ';' and '\t' on the first line.
// NewCSVReader returns a reader of the records of a CSV file as ParseCSV
// reads it (the roster's and the fleet's bulk creation, cloud/http): the
// text UTF-8 with or without a byte order mark, or GB18030; the delimiter
// a comma, a semicolon or a tab, whichever the header row uses; records of
// any length. ErrFormat (wrapped) when the file is too large or not text.
func NewCSVReader(data []byte) (*csv.Reader, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%w: %d bytes exceed the limit of %d bytes", ErrFormat, len(data), MaxFileBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || !utf8.Valid(dec) {
			return nil, fmt.Errorf("%w: the text is neither UTF-8 nor GB18030", ErrFormat)
		}
		data = dec
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, fmt.Errorf("%w: not a text file (NUL byte)", ErrFormat)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delimiter(data)
	r.FieldsPerRecord = -1
	return r, nil
}

func delimiter(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	best, n := ',', bytes.Count(line, []byte(","))
	for _, d := range []rune{';', '\t'} {
		if c := bytes.Count(line, []byte(string(d))); c > n {
			best, n = d, c
		}
	}
	return best
}
