package reports_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/xuri/excelize/v2"
)

func sampleTable() reports.Table {
	return reports.Table{
		Title:  "2026年12月 长者助餐补贴结算表",
		Unit:   "填报单位：南山区",
		Period: "统计期间：2026-12-01 至 2026-12-31（Asia/Shanghai）",
		Header: []string{"名称", "用餐人次", "补贴金额（元）"},
		Rows: [][]reports.Cell{
			{reports.Text("幸福里长者饭堂"), reports.Count(120), reports.Money(96000)},
			{reports.Text("南头长者饭堂"), reports.Count(7), reports.Money(5)},
		},
		Total:      []reports.Cell{reports.Text("合计"), reports.Count(127), reports.Money(96005)},
		Signatures: reports.SignatureLabels("zh-CN"),
		Sheet:      "结算",
	}
}

func TestTableCSV(t *testing.T) {
	var b bytes.Buffer
	if err := sampleTable().WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if !strings.HasPrefix(s, "\uFEFF2026年12月 长者助餐补贴结算表\r\n") {
		t.Fatalf("no BOM and title first: %q", s[:40])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(s, "\uFEFF"))).ReadAll()
	if err == nil {
		t.Fatal("records of different lengths read as one table") // title lines have one field
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(s, "\uFEFF")))
	r.FieldsPerRecord = -1
	recs, err = r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"2026年12月 长者助餐补贴结算表"}, {"填报单位：南山区"}, {"统计期间：2026-12-01 至 2026-12-31（Asia/Shanghai）"},
		{"名称", "用餐人次", "补贴金额（元）"},
		{"幸福里长者饭堂", "120", "960.00"}, {"南头长者饭堂", "7", "0.05"}, {"合计", "127", "960.05"},
		{"制表人：", "审核人："}, // after an empty line (which the reader skips)
	}
	if len(recs) != len(want) {
		t.Fatalf("%d lines, want %d: %q", len(recs), len(want), recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("line %d: %q, want %q", i+1, recs[i], want[i])
		}
	}
}

func TestTableXLSX(t *testing.T) {
	tab := sampleTable()
	var b bytes.Buffer
	if err := tab.WriteXLSX(&b); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetName(0); got != "结算" {
		t.Errorf("sheet %q", got)
	}
	h := tab.HeaderRow()
	if h != 4 {
		t.Fatalf("header row %d, want 4", h)
	}
	cell := func(c string) string { v, _ := f.GetCellValue("结算", c); return v }
	raw := func(c string) string {
		v, _ := f.GetCellValue("结算", c, excelize.Options{RawCellValue: true})
		return v
	}
	if cell("A1") != tab.Title || cell("A4") != "名称" || cell("A7") != "合计" {
		t.Errorf("layout: A1 %q A4 %q A7 %q", cell("A1"), cell("A4"), cell("A7"))
	}
	// Amounts are numbers shown with two decimals; the totals row is bold.
	if raw("C7") != "960.05" || cell("C7") != "960.05" || cell("C6") != "0.05" || raw("B7") != "127" {
		t.Errorf("figures: C7 %q/%q C6 %q B7 %q", raw("C7"), cell("C7"), cell("C6"), raw("B7"))
	}
	if typ, _ := f.GetCellType("结算", "C7"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Error("an amount written as text")
	}
	merged, _ := f.GetMergeCells("结算")
	if len(merged) != 1 || merged[0].GetStartAxis() != "A1" || merged[0].GetEndAxis() != "C1" {
		t.Errorf("title merge: %v", merged)
	}
	if cell("A9") != "制表人：" || cell("C9") != "审核人：" {
		t.Errorf("signatures: %q %q", cell("A9"), cell("C9"))
	}
}
