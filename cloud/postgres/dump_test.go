package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
)

func dumpStatements(b *testing.B, dsn string) {
	ctx := context.Background()
	c, _ := pgx.Connect(ctx, dsn)
	defer c.Close(ctx)
	rows, _ := c.Query(ctx, `SELECT calls, round(total_exec_time::numeric,1), round(total_plan_time::numeric,1), left(regexp_replace(query, '\s+', ' ', 'g'), 90) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 14`)
	for rows.Next() {
		var n int64
		var q string
		var e, p float64
		rows.Scan(&n, &e, &p, &q)
		fmt.Println(n, e, p, q)
	}
}
