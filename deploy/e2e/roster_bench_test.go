package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
	"github.com/eldergate/eldergate/cloud/rosterimport"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// BenchmarkRosterImport100k imports a roster of 100,000 elders from a CSV
// file (编号, 姓名, 身份证号 with valid check characters, 卡号, 类别: 5.3 MB)
// the way an operator does: POST /api/v1/sites/{site}/roster/import to a
// running cloud, on its SQLite store and on PostgreSQL (started by the
// benchmark, fsync on). An iteration is one import into a fresh cloud (its
// start-up runs with the timer stopped); it answers 200 with 100,000
// elders stored and a roster command queued for the site's gateway.
// Reported (medians): s/import, the whole request (target ≤ 10 s);
// cloud-cpu-s, the CPU the cloud's process (this one) spent on it, a
// figure that other work on the machine does not inflate as much;
// parse-s, rosterimport.Parse of the same file alone; s/reimport, the same
// file sent again (nothing changes: parse, preview, compare).
func BenchmarkRosterImport100k(b *testing.B) {
	const n = 100_000
	file := rosterCSV(n)
	for _, store := range []string{"sqlite", "postgres"} {
		b.Run("store="+store, func(b *testing.B) {
			var pg *testenv.Postgres
			if store == "postgres" {
				pg = testenv.StartPostgres(b)
			}
			var took, cpu, parse, again []time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				t0 := time.Now()
				if _, rep, err := rosterimport.Parse(file, rosterimport.CSV); err != nil || !rep.OK() || rep.Elders != n {
					b.Fatalf("parse: %v %+v", err, rep.Problems)
				}
				parse = append(parse, time.Since(t0))
				cfg := cloud.Config{DataDir: b.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0", AdminToken: token,
					Gateways: []cloud.GatewaySeed{{ID: gwID, Site: siteID, Secret: gwSecret}}, Logger: benchLog("cloud")}
				if pg != nil {
					cfg.StoreDSN = pg.Database(b)
				}
				c := runCloudB(b, cfg)
				url := c.HTTPURL() + "/api/v1/sites/" + siteID + "/roster/import"
				b.StartTimer()
				t0, cpu0 := time.Now(), procCPU(b, os.Getpid())
				imp := importRoster(b, url, file)
				took = append(took, time.Since(t0))
				cpu = append(cpu, procCPU(b, os.Getpid())-cpu0)
				b.StopTimer()
				if imp.Change == nil || imp.Change.Elders != n || imp.Change.Upserted != n || len(imp.Commands) != 1 {
					b.Fatalf("import: %+v", imp.Change)
				}
				t0 = time.Now()
				if imp := importRoster(b, url, file); imp.Change == nil || imp.Change.Changed || imp.Change.Elders != n {
					b.Fatalf("re-import: %+v", imp.Change)
				}
				again = append(again, time.Since(t0))
				c.Close()
				b.StartTimer()
			}
			b.ReportMetric(median(took).Seconds(), "s/import")
			b.ReportMetric(median(cpu).Seconds(), "cloud-cpu-s")
			b.ReportMetric(median(parse).Seconds(), "parse-s")
			b.ReportMetric(median(again).Seconds(), "s/reimport")
		})
	}
}

// importRoster posts a CSV roster file to url and returns the answer; any
// status but 200 fails the benchmark.
func importRoster(b *testing.B, url string, file []byte) cloudhttp.ImportResponse {
	b.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(file))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var imp cloudhttp.ImportResponse
	if err := json.NewDecoder(resp.Body).Decode(&imp); err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("import: status %d, %v: %s %s", resp.StatusCode, err, imp.Code, imp.Error)
	}
	return imp
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// rosterCSV is a valid roster file of n elders: fake names from a few
// common characters, IDs E0000001.., resident ID numbers of district
// 110101 with distinct birth dates and sequence numbers and their check
// characters, cards C0000001.. and a category.
func rosterCSV(n int) []byte {
	family := []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"}
	given := []string{"建国", "秀英", "桂兰", "志强", "淑珍", "德明", "玉梅", "国华", "丽华", "永福"}
	cats := []string{"低保", "特困", "高龄", "普通"}
	var b strings.Builder
	b.Grow(n * 56)
	b.WriteString("编号,姓名,身份证号,卡号,类别\n")
	born := time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("110101%s%03d", born.AddDate(0, 0, i%20000).Format("20060102"), i/20000)
		check, err := eldergate.ResidentIDCheckChar(body)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(&b, "E%07d,%s%s,%s%c,C%07d,%s\n", i+1, family[i%10], given[(i/10)%10], body, check, i+1, cats[i%4])
	}
	return []byte(b.String())
}
