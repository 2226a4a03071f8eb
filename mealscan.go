package eldergate

// scanMealFlat decodes the data of a meal event when it is a flat JSON
// object of the common shape: known keys spelled exactly, string values
// of printable ASCII without escapes, integers, true/false, no null, no
// funding shares or dishes (arrays), no repeated key. It reports false for
// anything else, and DecodeMealData then uses encoding/json, so the result
// is always what json.Unmarshal gives (FuzzScanMealFlat checks it). It
// saves the second reflective decode of every card tap (issue 15,
// docs/adr/0037-ingest-transport-core.md).
func scanMealFlat(b []byte) (MealData, bool) {
	var m MealData
	var seen uint32
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return m, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return m, skipWS(b, i+1) == len(b)
	}
	// One copy of the object: the string fields are slices of it (one
	// allocation per meal instead of one per field).
	str := string(b)
	for {
		k0, k1, j, ok := objectKey(b, i)
		if !ok {
			return m, false
		}
		i = j
		f := mealField(str[k0:k1])
		if f < 0 || seen&(1<<f) != 0 {
			return m, false
		}
		seen |= 1 << f
		switch f {
		case fPrice, fSubsidy, fPay, fWeight, fDiscount, fOperating:
			n, j, ok := scanInt(b, i)
			if !ok {
				return m, false
			}
			i = j
			switch f {
			case fPrice:
				m.PriceFen = Fen(n)
			case fSubsidy:
				m.SubsidyFen = Fen(n)
			case fPay:
				m.PayFen = Fen(n)
			case fWeight:
				m.WeightG = n
			case fDiscount:
				m.DiscountFen = Fen(n)
			case fOperating:
				m.OperatingFen = Fen(n)
			}
		case fManual:
			switch {
			case hasPrefix(b[i:], "true"):
				m.Manual, i = true, i+4
			case hasPrefix(b[i:], "false"):
				m.Manual, i = false, i+5
			default:
				return m, false
			}
		default:
			s0, s1, j, ok := scanPlainSpan(b, i)
			if !ok {
				return m, false
			}
			i = j
			*m.stringField(f) = str[s0:s1]
		}
		j, more, ok := afterMember(b, i, '}')
		if !ok || !more {
			return m, ok && skipWS(b, j) == len(b)
		}
		i = j
	}
}

// Fields scanMealFlat knows, by bit.
const (
	fElder = iota
	fCredential
	fWindow
	fDay
	fDecision
	fReason
	fPrice
	fSubsidy
	fPay
	fWeight
	fPolicy
	fRule
	fDiscount
	fDiscountBy
	fOperating
	fOperatingBy
	fManual
	fStaff
	fPriceSource
	fTill
	fTillRef
	fCashier
)

func mealField(k string) int {
	switch k {
	case "elder_id":
		return fElder
	case "credential":
		return fCredential
	case "window":
		return fWindow
	case "day":
		return fDay
	case "decision":
		return fDecision
	case "reason":
		return fReason
	case "price_fen":
		return fPrice
	case "subsidy_fen":
		return fSubsidy
	case "pay_fen":
		return fPay
	case "weight_g":
		return fWeight
	case "policy_version":
		return fPolicy
	case "rule":
		return fRule
	case "discount_fen":
		return fDiscount
	case "discount_funded_by":
		return fDiscountBy
	case "operating_subsidy_fen":
		return fOperating
	case "operating_funded_by":
		return fOperatingBy
	case "manual":
		return fManual
	case "staff":
		return fStaff
	case "price_source":
		return fPriceSource
	case "till":
		return fTill
	case "till_ref":
		return fTillRef
	case "cashier":
		return fCashier
	}
	return -1
}

func (m *MealData) stringField(f int) *string {
	switch f {
	case fElder:
		return &m.ElderID
	case fCredential:
		return &m.Credential
	case fWindow:
		return &m.Window
	case fDay:
		return &m.Day
	case fDecision:
		return &m.Decision
	case fReason:
		return &m.Reason
	case fPolicy:
		return &m.PolicyVer
	case fRule:
		return &m.Rule
	case fDiscountBy:
		return &m.DiscountBy
	case fOperatingBy:
		return &m.OperatingBy
	case fStaff:
		return &m.Staff
	case fPriceSource:
		return &m.PriceSource
	case fTill:
		return &m.Till
	case fTillRef:
		return &m.TillRef
	case fCashier:
		return &m.Cashier
	}
	panic("eldergate: scanMealFlat: not a string field")
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// scanPlainSpan reads a JSON string at b[i] made only of printable ASCII
// without escapes: its contents b[s0:s1] and the index after its closing
// quote.
func scanPlainSpan(b []byte, i int) (s0, s1, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			return i + 1, j, j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return 0, 0, 0, false
		}
	}
	return 0, 0, 0, false
}

// scanInt reads a JSON integer (-?(0|[1-9][0-9]*), at most 18 digits, not
// followed by a fraction or exponent) at b[i].
func scanInt(b []byte, i int) (int64, int, bool) {
	neg := false
	if i < len(b) && b[i] == '-' {
		neg, i = true, i+1
	}
	start := i
	var n int64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + int64(b[i]-'0')
		i++
	}
	digits := i - start
	if digits == 0 || digits > 18 || (digits > 1 && b[start] == '0') {
		return 0, 0, false
	}
	if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return 0, 0, false
	}
	if neg {
		n = -n
	}
	return n, i, true
}
