// Package policies embeds the worked policies of this folder that a
// binary needs at run time: the gateway's self-test decides a meal with
// the Zhuhai policy (firmware-gateway/selftest.go), so a build that
// cannot run the engine fails before it is installed.
package policies

import _ "embed"

// Zhuhai2024 is zhuhai-2024.yaml: a 500 g lunch of a local elder born in
// 1950, eaten in Xiangzhou on 2025-03-03, costs 20.00 − 6.00 − 1.40 = 12.60.
//
//go:embed zhuhai-2024.yaml
var Zhuhai2024 []byte
