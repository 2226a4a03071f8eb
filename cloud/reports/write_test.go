package reports

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestWriters: the CSV starts with a BOM, has the header in the language
// and the zone, empty cells for absent figures and the total last; the
// XLSX has one sheet whose figures are numbers; an unknown language is
// an error.
func TestWriters(t *testing.T) {
	tl := december(t)
	rep, err := Response("2026-12", shanghai(t), testTree, tl.alerts, tl.log)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tab, err := ResponseTable(rep, "zh-HK")
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\uFEFF")) {
		t.Fatal("no BOM")
	}
	r := csv.NewReader(bytes.NewReader(buf.Bytes()[3:]))
	r.FieldsPerRecord = -1 // title lines and signatures around the table
	all, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if all[0][0] != "2026年12月 警報響應統計表" || all[1][0] != "統計期間：2026-12-01 至 2026-12-31（Asia/Shanghai）" ||
		strings.Join(all[len(all)-1], ",") != "製表人：,審核人：" {
		t.Fatalf("title, period, signatures: %q %q %q", all[0], all[1], all[len(all)-1])
	}
	recs := all[tab.HeaderRow()-1 : len(all)-1]
	if len(recs) != 1+len(rep.Rows)+1 || recs[0][0] != "月份（Asia/Shanghai 時間）" || recs[0][4] != "警報數" {
		t.Fatalf("%d records, header %q", len(recs), recs[0])
	}
	// site-c has no alarm: its percentiles and share are empty cells.
	if c := recs[3]; c[2] != "site-c" || c[1] != "站點" || c[8] != "" || c[15] != "" || c[4] != "0" {
		t.Fatalf("site-c %q", c)
	}
	if tot := recs[len(recs)-1]; strings.Join(tot, ",") != "2026-12,合計,,合計,8,1,6,2,45,400,400,50,900,900,3,37.5,2,5" {
		t.Fatalf("total %q", tot)
	}

	buf.Reset()
	tab, err = ResponseTable(rep, "en")
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if s := f.GetSheetList(); len(s) != 1 || s[0] != "Alarm response" {
		t.Fatalf("sheets %v", s)
	}
	last := tab.HeaderRow() + len(rep.Rows) + 1
	for col, want := range map[string]string{"B": "Total", "E": "8", "P": "37.5", "R": "5"} {
		cell := col + itoa(int64(last))
		v, _ := f.GetCellValue("Alarm response", cell)
		typ, _ := f.GetCellType("Alarm response", cell)
		if v != want || col != "B" && typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Errorf("%s = %q (type %v), want %q", cell, v, typ, want)
		}
	}
	if _, err := ResponseTable(rep, "fr"); err == nil || !strings.HasPrefix(err.Error(), "reports: ") {
		t.Fatalf("unknown language: %v", err)
	}
	if _, err := ResponseTable(rep, ""); err == nil {
		t.Fatal("empty language accepted")
	}
}
