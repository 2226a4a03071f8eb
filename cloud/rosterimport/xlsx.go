package rosterimport

import (
	"bytes"
	"fmt"

	"github.com/xuri/excelize/v2"

	"github.com/eldergate/eldergate"
)

// Unzipped size limits of an XLSX file: a roster of MaxRows rows is far
// below them, a zip bomb is not.
const (
	maxUnzipBytes    = 256 << 20
	maxUnzipXMLBytes = 64 << 20
)

// ParseXLSX reads the first sheet of an XLSX roster. Row numbers are the
// sheet's row numbers.
func ParseXLSX(data []byte) (els []eldergate.RosterElder, rep Report, err error) {
	if len(data) > MaxFileBytes {
		return nil, Report{}, fmt.Errorf("%w: %d bytes exceed the limit of %d bytes", ErrFormat, len(data), MaxFileBytes)
	}
	defer func() {
		// excelize has panicked on malformed archives before; a bad upload
		// must be a 400, never a crashed request.
		if p := recover(); p != nil {
			els, rep, err = nil, Report{}, fmt.Errorf("%w: not a readable XLSX file", ErrFormat)
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzipBytes, UnzipXMLSizeLimit: maxUnzipXMLBytes})
	if err != nil {
		return nil, Report{}, fmt.Errorf("%w: not a readable XLSX file: %v", ErrFormat, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, Report{}, fmt.Errorf("%w: the workbook has no sheet", ErrFormat)
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, Report{}, fmt.Errorf("%w: sheet %q: %v", ErrFormat, sheets[0], err)
	}
	defer rows.Close()
	t := newTable(XLSX)
	n := 0
	headerSeen := false
	for rows.Next() {
		n++
		cells, err := rows.Columns()
		if err != nil {
			return nil, Report{}, fmt.Errorf("%w: row %d: %v", ErrFormat, n, err)
		}
		if !headerSeen {
			if blank(cells) {
				continue // rows.Next yields the rows present; a leading blank row is no header
			}
			headerSeen = true
			if n != 1 {
				t.rep.add(n, "", CodeHeaderNotFirst, nil, "the header must be row 1")
				return nil, t.rep, nil
			}
			t.header(cells)
			if !t.rep.OK() {
				return nil, t.rep, nil
			}
			continue
		}
		if t.rep.Rows >= MaxRows {
			tooManyRows(t, n)
			return nil, t.rep, nil
		}
		t.add(record{row: n, cells: cells})
	}
	if err := rows.Error(); err != nil {
		return nil, Report{}, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if !headerSeen {
		return nil, Report{}, fmt.Errorf("%w: the first sheet is empty", ErrFormat)
	}
	return t.finish()
}
